"""Per-organization settings of the checker: the model, its merge with the
shipped data, the per-process cache and its invalidation, and the admin."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pregonero.audit.models import AuditEvent
from pregonero.checks.config import build_settings, default_settings, settings_for
from pregonero.checks.engine import check_text
from pregonero.checks.models import CheckProfile, EntryAction, WordListEntry
from tests.conftest import World

TEXT = (
    "Los beneficiarios deberán allegar la georreferenciación del predio. "
    "La DMV revisará la solicitud en la sede de la entidad este lunes con cuidado."
)


def rules(text: str, **options: object) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for f in check_text(text, **options).findings:  # type: ignore[arg-type]
        found.setdefault(f.rule, []).append(text[f.start : f.end])
    return found


def test_build_settings_merges_overrides_with_the_shipped_data() -> None:
    from pregonero.checks.config import WordEntry

    settings = build_settings(
        disabled=["LI-01"],
        thresholds={"sentence_words_warning": 10, "emoji_max": "muchos", "nope": 1},
        added={
            "jargon": [WordEntry("georreferenciación", "ubicación en el mapa")],
            "glossary": [
                WordEntry("DMV", "Dirección de Mejoramiento de Vivienda (la nuestra)")
            ],
        },
        removed={"jargon": ["PREDIO"]},
    )
    assert settings.threshold("sentence_words_warning") == 10
    assert settings.threshold("emoji_max") == 5  # wrong type: the default stays
    assert "nope" not in settings.thresholds
    found = rules(TEXT, settings=settings)
    assert "LI-01" not in found
    assert found["LC-04"] == ["allegar", "georreferenciación"]
    assert found["LC-01"] == [TEXT[TEXT.index("La DMV") :]]
    [dmv] = [
        f for f in check_text(TEXT, settings=settings).findings if f.rule == "LC-03"
    ]
    assert dmv.replacement == "Dirección de Mejoramiento de Vivienda (la nuestra) (DMV)"
    # The shipped defaults are untouched.
    assert rules(TEXT)["LC-04"] == ["allegar", "predio"]


def test_default_settings_compile_once() -> None:
    settings = default_settings()
    assert settings is default_settings()
    assert settings.matcher("jargon") is settings.matcher("jargon")


@pytest.mark.django_db
def test_settings_for_an_organization_and_its_cache(
    world: World, django_assert_num_queries: object
) -> None:
    assert settings_for(None) is default_settings()
    assert settings_for(world.org) is default_settings()  # no profile yet
    profile = CheckProfile.objects.create(
        organization=world.org,
        disabled_rules=["LC-07"],
        thresholds={"sentence_words_warning": 12},
    )
    WordListEntry.objects.create(
        profile=profile,
        word_list="jargon",
        term="georreferenciación",
        alternative="ubicación en el mapa",
    )
    WordListEntry.objects.create(
        profile=profile, word_list="jargon", term="predio", action=EntryAction.REMOVE
    )
    first = settings_for(world.org)
    assert first.threshold("sentence_words_warning") == 12
    assert not first.enabled("LC-07")
    with django_assert_num_queries(1):  # type: ignore[operator]
        assert settings_for(world.org.pk) is first
    assert rules(TEXT, settings=first)["LC-04"] == ["allegar", "georreferenciación"]
    # An entry saved (in this or another process) gives new settings.
    entry = WordListEntry.objects.create(
        profile=profile,
        word_list="slogans",
        term="Mi casa en Bogotá",
    )
    second = settings_for(world.org)
    assert second is not first
    assert rules("Mi casa en Bogotá.", settings=second)["BRD-03"] == [
        "Mi casa en Bogotá"
    ]
    entry.delete()
    assert "BRD-03" not in rules("Mi casa en Bogotá.", settings=settings_for(world.org))
    # A change made without signals (another process, a bulk update) is seen too.
    CheckProfile.objects.filter(pk=profile.pk).update(
        thresholds={"sentence_words_warning": 40},
        updated_at=timezone.now() + datetime.timedelta(seconds=1),
    )
    assert settings_for(world.org).threshold("sentence_words_warning") == 40


@pytest.mark.django_db
def test_profiles_are_scoped_to_their_organization(
    world: World, other_world: World
) -> None:
    CheckProfile.objects.create(organization=world.org, disabled_rules=["LI-01"])
    assert not settings_for(world.org).enabled("LI-01")
    assert settings_for(other_world.org).enabled("LI-01")


@pytest.mark.django_db
def test_profile_validation(world: World) -> None:
    profile = CheckProfile(
        organization=world.org,
        disabled_rules=["LC-99"],
        thresholds={"emoji_max": "cinco", "inventado": 3},
    )
    with pytest.raises(ValidationError) as caught:
        profile.full_clean()
    assert set(caught.value.message_dict) == {"disabled_rules", "thresholds"}
    CheckProfile(
        organization=world.org,
        disabled_rules=["LC-06", "NET-x"],
        thresholds={"emoji_max": 3, "short_networks": ["x"]},
    ).full_clean()


@pytest.mark.django_db
def test_the_administrator_edits_the_settings_in_the_admin(world: World) -> None:
    client = world.client(world.admin)
    assert client.get("/admin/checks/checkprofile/add/").status_code == 200
    response = client.post(
        "/admin/checks/checkprofile/add/",
        {
            "disabled_rules": ["LC-06", "NET"],
            "thresholds": '{"sentence_words_warning": 25}',
            "entries-TOTAL_FORMS": "2",
            "entries-INITIAL_FORMS": "0",
            "entries-MIN_NUM_FORMS": "0",
            "entries-MAX_NUM_FORMS": "1000",
            "entries-0-word_list": "glossary",
            "entries-0-action": "add",
            "entries-0-term": "PAD",
            "entries-0-alternative": "Plan de Acción Distrital",
            "entries-0-offer_replacement": "on",
            "entries-1-word_list": "jargon",
            "entries-1-action": "remove",
            "entries-1-term": "predio",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    profile = CheckProfile.objects.get(organization=world.org)
    assert profile.disabled_rules == ["LC-06", "NET"]
    assert profile.entries.count() == 2
    settings = settings_for(world.org)
    assert settings.threshold("sentence_words_warning") == 25
    assert not settings.enabled("NET-x")
    [pad] = [
        f
        for f in check_text("El PAD llega a Usme.", settings=settings).findings
        if f.rule == "LC-03"
    ]
    assert pad.replacement == "Plan de Acción Distrital (PAD)"
    assert AuditEvent.objects.filter(action="checks.profile.created").exists()
    assert AuditEvent.objects.filter(action="checks.profile.words_changed").exists()
    # One profile per organization: no second "add".
    assert client.get("/admin/checks/checkprofile/add/").status_code == 403


@pytest.mark.django_db
def test_only_administrators_reach_the_settings(
    world: World, other_world: World
) -> None:
    CheckProfile.objects.create(organization=other_world.org)
    client = world.client(world.admin)
    listing = client.get("/admin/checks/checkprofile/")
    assert listing.status_code == 200
    assert "otra" not in listing.content.decode().lower()
    for persona in (world.jefe, world.writer):
        assert (
            world.client(persona).get("/admin/checks/checkprofile/").status_code == 302
        )
