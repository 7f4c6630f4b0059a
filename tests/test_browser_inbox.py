"""Issue 6, done when — in a real browser, on a phone: a community manager sees
a citizen's comment in the Bandeja, marks it as a petition, registers its
Bogotá te escucha radicado and watches its legal deadline. The list and the
item page are checked with axe-core (WCAG 2.1 A/AA)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation
from django.utils.formats import date_format
from playwright.sync_api import Browser, expect

from pregonero.inbox.models import Petition

from .conftest import World
from .inbox.helpers import receive
from .test_browser import (  # noqa: F401  (the browser fixture)
    CHROMIUM,
    PHONE,
    Session,
    axe_violations,
    browser,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Falta /usr/bin/chromium (apt-get install chromium; .ci/run lo instala).",
    ),
]


def test_community_manager_turns_a_comment_into_a_petition_on_a_phone(
    world: World,
    live_server: Any,
    browser: Browser,  # noqa: F811
) -> None:
    item = receive(
        world.fb,
        text="Solicito copia del acta de entrega de mi vivienda en Usme.",
        author_handle="@vecina.usme",
    )
    errors: list[str] = []
    cm = Session(browser, live_server.url, errors, **PHONE)
    cm.login(world.writer.username)
    cm.expect_logged_in(world.writer.username)
    cm.go("/bandeja/")
    page = cm.page
    expect(page.get_by_role("heading", name="Bandeja de atención")).to_be_visible()
    link = page.get_by_role("link", name="@vecina.usme")
    expect(link).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    cm.shot("20-bandeja-movil")
    a11y = axe_violations(page, "bandeja-movil")

    link.click()
    expect(page.get_by_text("Solicito copia del acta")).to_be_visible()
    page.get_by_role("radio", name="Petición").check()
    page.get_by_label("Tipología (si es petición)").select_option(
        label="Solicitud de copias"
    )
    page.get_by_label("Motivo (obligatorio si no procede)").fill(
        "Pide copia de un documento de su expediente"
    )
    page.get_by_role("button", name="Guardar la clasificación").click()
    petition = Petition.objects.get(item=item)
    assert petition.term_days == 10  # documents: 10 business days (PET-02)
    expect(page.get_by_role("heading", name=petition.number, level=1)).to_be_visible()
    expect(page.get_by_text("Falta: obligatorio para cerrar")).to_be_visible()
    expect(page.locator("main")).to_contain_text("10 días hábiles")

    page.get_by_label("Número de radicado Bogotá te escucha").fill("2026-ER-004512")
    page.get_by_role("button", name="Guardar radicado").click()
    expect(page.get_by_text("2026-ER-004512").first).to_be_visible()
    with translation.override("es"):
        due = date_format(petition.due_date, r"l j \d\e F \d\e Y")
    # The legal deadline, in words (the es-CO formats capitalise the names).
    expect(page.locator("main")).to_contain_text(due, ignore_case=True)
    petition.refresh_from_db()
    assert petition.radicado == "2026-ER-004512"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    cm.shot("21-peticion-radicada-movil")
    a11y += axe_violations(page, "peticion-movil")
    assert not errors, "\n".join(errors)
    assert not a11y, "Violaciones serias o críticas de WCAG 2.1 A/AA:\n" + "\n".join(
        a11y
    )
