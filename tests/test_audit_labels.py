"""Every action the code records has a Spanish label for timelines and exports."""

from __future__ import annotations

import ast
from pathlib import Path

from pregonero.audit.registry import ACTION_LABELS

SOURCE = Path(__file__).parent.parent / "pregonero"


def recorded_actions() -> dict[str, str]:
    """The literal action ids passed to ``record(actor, "…", …)``, with where."""
    found: dict[str, str] = {}
    for path in SOURCE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            action = node.args[1]
            if (
                name == "record"
                and isinstance(action, ast.Constant)
                and isinstance(action.value, str)
            ):
                found[action.value] = f"{path.relative_to(SOURCE)}:{node.lineno}"
    return found


def test_every_recorded_action_has_a_label() -> None:
    actions = recorded_actions()
    assert len(actions) > 50  # the scan finds the calls
    missing = {a: where for a, where in actions.items() if a not in ACTION_LABELS}
    assert not missing, missing
