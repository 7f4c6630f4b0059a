"""POST /api/v1/checks/text and ``pregonero check-text``."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from pregonero.checks.models import CheckProfile
from tests.conftest import World
from tests.test_api import Api, ok

EXAMPLE = "Los beneficiarios deberán allegar los documentos so pena de perder el turno."


@pytest.mark.django_db
def test_api_checks_a_text(world: World) -> None:
    body = ok(
        Api(world.writer).post("/checks/text", {"text": EXAMPLE, "networks": ["x"]})
    )
    assert set(body) >= {"findings", "stats", "has_errors"}
    assert body["has_errors"] is False
    by_rule = {f["rule"]: f for f in body["findings"]}
    assert by_rule["LI-01"]["replacement"] == "Las personas beneficiarias"
    assert any(
        f["message"].startswith("«allegar»")
        for f in body["findings"]
        if f["rule"] == "LC-04"
    )
    assert (
        EXAMPLE[by_rule["LI-01"]["start"] : by_rule["LI-01"]["end"]]
        == "Los beneficiarios"
    )
    assert body["stats"]["words"] == 12 and body["stats"]["readability_label"]


@pytest.mark.django_db
def test_api_errors_and_assets(world: World) -> None:
    body = ok(
        Api(world.jefe).post(
            "/checks/text",
            {
                "text": "Entrega de títulos en Usme. " * 12,
                "networks": ["x", "bluesky"],
                "assets": [{"kind": "image", "name": "afiche.png", "alt_text": ""}],
            },
        )
    )
    assert body["has_errors"] is True
    rules = {f["rule"] for f in body["findings"]}
    assert {"NET-x", "NET-bluesky", "ACC-01"} <= rules
    [alt] = [f for f in body["findings"] if f["rule"] == "ACC-01"]
    assert alt["asset"] == 0 and alt["severity"] == "error"


@pytest.mark.django_db
def test_api_uses_the_organization_settings(world: World, other_world: World) -> None:
    CheckProfile.objects.create(organization=world.org, disabled_rules=["LI-01"])
    mine = ok(Api(world.writer).post("/checks/text", {"text": EXAMPLE}))
    theirs = ok(Api(other_world.writer).post("/checks/text", {"text": EXAMPLE}))
    assert "LI-01" not in {f["rule"] for f in mine["findings"]}
    assert "LI-01" in {f["rule"] for f in theirs["findings"]}


@pytest.mark.django_db
def test_api_validation_and_permissions(world: World) -> None:
    api = Api(world.writer)
    response = api.post("/checks/text", {"text": "Hola", "networks": ["myspace"]})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert api.post("/checks/text", {}).status_code == 422
    assert api.post("/checks/text", {"text": "x" * 100_001}).status_code == 422
    # A liaison cannot see pieces, so cannot use the checker either.
    assert Api(world.liaison).post("/checks/text", {"text": "Hola"}).status_code == 403
    from django.test import Client

    anonymous = Client().post(
        "/api/v1/checks/text",
        json.dumps({"text": "Hola"}),
        content_type="application/json",
    )
    assert anonymous.status_code == 401


def test_api_is_in_the_openapi_schema(client: object) -> None:
    schema = client.get("/api/v1/openapi.json").json()  # type: ignore[attr-defined]
    assert "/api/v1/checks/text" in schema["paths"]


# -- the command ----------------------------------------------------------------------------


def run_command(text: str, *args: str) -> tuple[int, dict[str, object]]:
    out = io.StringIO()
    command_stdin = io.StringIO(text)
    from pregonero.checks.management.commands import __path__ as commands_path

    assert (Path(commands_path[0]) / "check-text.py").exists()
    code = 0
    original = sys.stdin
    sys.stdin = command_stdin
    try:
        call_command("check-text", *args, stdout=out)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    finally:
        sys.stdin = original
    return code, json.loads(out.getvalue())


def test_command_prints_json_and_exits_0_without_errors() -> None:
    code, body = run_command(EXAMPLE)
    assert code == 0
    assert {f["rule"] for f in body["findings"]} >= {"LI-01", "LC-04"}  # type: ignore[union-attr]


def test_command_exits_1_with_errors() -> None:
    code, body = run_command("Rechazamos el crimen pasional.", "--network", "x")
    assert code == 1 and body["has_errors"] is True


@pytest.mark.django_db
def test_command_with_an_organization(world: World) -> None:
    CheckProfile.objects.create(organization=world.org, disabled_rules=["LI-03"])
    code, body = run_command("Rechazamos el crimen pasional.", "--org", world.org.slug)
    assert code == 0 and body["has_errors"] is False
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        run_command("Hola.", "--org", "no-existe")


def test_the_pregonero_console_command_reads_standard_input() -> None:
    """The real ``pregonero check-text`` in a child process: exit status 1 on errors."""
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-m", "pregonero", "check-text", "--network", "x"]
    env = {"PATH": "/usr/bin:/bin", "PREGONERO_TESTING": "1", "DATABASE_URL": ""}
    failing = subprocess.run(
        command, input="Fue un crimen pasional.", capture_output=True, text=True,
        cwd=root, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert failing.returncode == 1, failing.stderr[-2000:]
    assert json.loads(failing.stdout)["has_errors"] is True
    passing = subprocess.run(
        command, input="La CVP entregó 120 títulos en Usme.", capture_output=True,
        text=True, cwd=root, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert passing.returncode == 0, passing.stderr[-2000:]
