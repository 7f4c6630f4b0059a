"""The life of a piece in a real browser (Debian's chromium driven by Playwright).

A Profesional submits a piece, the Jefe returns it from her phone, it is fixed,
approved at control point 1, designed, and approved at control point 2: the
visto bueno, with its seal. Every step checks what the person sees and what the
database holds, saves a full-page screenshot in ``tests/artifacts/browser/`` and
the review and piece pages are checked with axe-core (WCAG 2.1 A/AA).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright

from pregonero.content.models import Piece
from pregonero.content.workflow import PieceState

from .conftest import World, make_piece

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "clave-de-prueba-123"  # make_user's password (tests/conftest.py)
ARTIFACTS = Path(__file__).parent / "artifacts" / "browser"
AXE_URL = "/static/vendor/axe/axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DESKTOP: dict[str, Any] = {"viewport": {"width": 1366, "height": 900}}
# Approvals happen on phones: the Jefe uses a phone-sized, touch viewport.
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Falta /usr/bin/chromium (apt-get install chromium; .ci/run lo instala).",
    ),
]

# ---------------------------------------------------------------- helpers


class Session:
    """One person's browser context, with their screenshots and page errors."""

    def __init__(
        self, browser: Browser, base_url: str, errors: list[str], **options: Any
    ) -> None:
        context = browser.new_context(base_url=base_url, locale="es-CO", **options)
        context.set_default_timeout(15_000)
        self.page: Page = context.new_page()
        self.page.on("pageerror", lambda exc: errors.append(f"JS: {exc}"))
        self.page.on(
            "console",
            lambda msg: (
                errors.append(f"consola: {msg.text}")
                if "Content Security Policy" in msg.text
                else None
            ),
        )

    def shot(self, name: str) -> None:
        self.page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)

    def login(self, username: str) -> None:
        page = self.page
        page.goto("/cuenta/login/")
        page.locator("#id_login").fill(username)
        page.locator("#id_password").fill(PASSWORD)
        page.get_by_role("button", name="Iniciar sesión", exact=True).click()

    def expect_logged_in(self, username: str) -> None:
        page = self.page
        expect(page.get_by_role("heading", name="Mi trabajo", level=1)).to_be_visible()
        expect(page.get_by_role("status")).to_contain_text(
            f"Ha iniciado sesión exitosamente como {username}"
        )

    def go(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.ok, f"{url} respondió {response}"


def totp_code(user: Any) -> str:
    """The current code of the user's authenticator app, away from a period edge."""
    from allauth.mfa import app_settings
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
    from allauth.mfa.utils import decrypt

    period = app_settings.TOTP_PERIOD
    if period - time.time() % period < 3:  # the code would expire in flight
        time.sleep(3)
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    secret = decrypt(authenticator.data["secret"])
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def axe_violations(page: Page, label: str) -> list[str]:
    """Serious or critical WCAG 2.1 A/AA violations on the page, one entry each.

    axe is loaded from the app's own static files: the strict CSP (script-src
    'self' 'nonce-…') blocks the inline script ``add_script_tag(path=…)`` would
    inject, but allows a same-origin ``src``, so no CSP bypass is needed. The
    full result (violations, items needing manual review) goes to
    ``axe-<label>.json`` next to the screenshots.
    """
    page.add_script_tag(url=AXE_URL)
    result: dict[str, Any] = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            const brief = (items) => items.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map((n) => ({target: n.target, html: n.html,
                                            summary: n.failureSummary})),
            }));
            return {engine: r.testEngine.version, url: r.url, passes: r.passes.length,
                    violations: brief(r.violations), incomplete: brief(r.incomplete)};
        }""",
        AXE_TAGS,
    )
    (ARTIFACTS / f"axe-{label}.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    assert result["passes"] > 0, f"axe no evaluó ninguna regla en {label}"
    return [
        f"[{label}] {v['impact']} {v['id']}: {v['help']} ({v['helpUrl']})\n"
        + "\n".join(
            f"    {' '.join(map(str, n['target']))} → {n['html'][:160]}\n"
            f"      {n['summary']}"
            for n in v["nodes"]
        )
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def tick_checklist(page: Page) -> None:
    # The control point's own checklist (the first fieldset of the decision form).
    boxes = page.locator(
        "form[action$='/decidir/'] fieldset:first-of-type input[type=checkbox]"
    )
    assert boxes.count() == 4
    for box in boxes.all():
        box.check()
        expect(box).to_be_checked()


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    # Playwright's sync API keeps an asyncio loop running on this thread; the ORM
    # calls the test makes between browser steps are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*"):
        old.unlink()
    with sync_playwright() as playwright:
        # launch() gives every run a fresh, temporary user-data dir.
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
        # While that loop runs, Django keeps this thread's connections per context
        # (asgiref), so the test's queries used connections of their own: close
        # them here, or PostgreSQL refuses to drop the test database at the end.
        connections.close_all()


# ---------------------------------------------------------------- the scenario


def test_piece_returned_fixed_and_approved_to_visto_bueno(
    world: World, live_server: Any, browser: Browser, tmp_path: Path
) -> None:
    piece = make_piece(world, title="Plan Terrazas: inscripciones abiertas")
    url = f"/piezas/{piece.pk}/"
    errors: list[str] = []
    a11y: list[str] = []

    def db() -> Piece:
        return Piece.objects.get(pk=piece.pk)

    writer = Session(browser, live_server.url, errors, **DESKTOP)
    jefe = Session(browser, live_server.url, errors, **PHONE)
    designer = Session(browser, live_server.url, errors, **DESKTOP)

    # 1. The Profesional logs in, opens the piece, writes the text and submits it.
    writer.login(world.writer.username)
    writer.expect_logged_in(world.writer.username)
    writer.go(url)
    page = writer.page
    expect(page.get_by_role("heading", level=1)).to_have_text(piece.title)
    expect(page.locator(".badge-state")).to_have_text("Redacción")
    page.get_by_role("link", name="Escribir el texto").click()
    expect(page).to_have_url(f"{live_server.url}{url}texto/")
    expect(page.get_by_text("Primera versión del texto.")).to_be_visible()
    first_text = (
        "La Caja de la Vivienda Popular abre las inscripciones al Plan Terrazas. "
        "Las familias de San Cristóbal pueden inscribirse hasta el 30 de mayo."
    )
    page.get_by_label("Texto de la pieza").fill(first_text)
    page.get_by_label("Fuente consultada").fill("Dirección de Mejoramiento de Vivienda")
    page.get_by_role("button", name="Guardar y enviar a revisión").click()
    expect(
        page.get_by_role("status").filter(has_text="enviada a revisión")
    ).to_have_text("Versión 1 guardada y enviada a revisión.")
    expect(page.locator(".badge-state")).to_have_text("Revisión del texto")
    expect(page.locator(".text-version").first).to_have_text(first_text)
    writer.shot("01-profesional-envia-texto")
    assert db().state == PieceState.TEXT_REVIEW
    assert db().text_versions.count() == 1
    assert db().reviews.count() == 0

    # 2. The Jefe logs in on her phone (password, then the TOTP code), reads the
    #    text on the review page and returns it with a comment.
    jefe.login(world.jefe.username)
    page = jefe.page
    expect(page.locator("#id_code")).to_be_visible()
    jefe.shot("02-jefe-segundo-paso")
    page.locator("#id_code").fill(totp_code(world.jefe))
    page.get_by_role("button", name="Iniciar sesión", exact=True).click()
    jefe.expect_logged_in(world.jefe.username)
    # Her work list shows the piece waiting for her; she opens it from there.
    waiting = page.get_by_role("region", name="Por revisar (puntos de control) 1")
    waiting.get_by_role("link", name=f"{piece.number} · {piece.title}").click()
    expect(page).to_have_url(f"{live_server.url}{url}revision/")
    expect(page.locator(".badge-state")).to_have_text("Revisión del texto")
    expect(page.get_by_text("Punto de control 1")).to_be_visible()
    expect(page.locator(".text-version.diff")).to_contain_text(first_text)
    a11y += axe_violations(page, "revision-pc1")
    comment = "Falta decir dónde se hacen las inscripciones y el horario de atención."
    # Returning without a comment is refused, and nothing is recorded.
    page.get_by_role("button", name="Devolver el texto para ajustes").click()
    expect(
        page.get_by_role("alert").filter(has_text="Escriba el motivo")
    ).to_contain_text("Escriba el motivo: es obligatorio para esta acción.")
    assert db().state == PieceState.TEXT_REVIEW
    assert db().reviews.count() == 0
    page.get_by_label("Observaciones (obligatorias para devolver)").fill(comment)
    page.get_by_role("button", name="Devolver el texto para ajustes").click()
    expect(
        page.get_by_role("status").filter(has_text="Decisión registrada")
    ).to_contain_text("Devolver el texto para ajustes")
    expect(page.locator(".badge-state")).to_have_text("Ajustes al texto")
    jefe.shot("03-jefe-devuelve-texto")
    assert db().state == PieceState.TEXT_CHANGES
    assert list(db().reviews.values_list("control_point", "decision", "comment")) == [
        (1, "returned", comment)
    ]

    # 3. The Profesional sees the piece returned with the comment, fixes the text
    #    and sends it again.
    page = writer.page
    writer.go(url)
    expect(page.locator(".badge-state")).to_have_text("Ajustes al texto")
    reviews = page.locator("section[aria-labelledby=rev-h]")
    expect(reviews).to_contain_text("Punto de control 1: Devuelto para ajustes")
    expect(reviews).to_contain_text(comment)
    writer.shot("04-profesional-ve-devolucion")
    page.get_by_role("link", name="Escribir el texto").click()
    expect(page.get_by_text("Edita a partir de la versión 1.")).to_be_visible()
    addition = (
        " Inscripciones en la sede de la Caja, de lunes a viernes de 7:00 a 4:30."
    )
    body = page.get_by_label("Texto de la pieza")
    expect(body).to_have_value(first_text)
    body.fill(first_text + addition)
    page.get_by_label("Qué cambió en esta versión").fill("Lugar y horario")
    page.get_by_role("button", name="Guardar y enviar a revisión").click()
    expect(
        page.get_by_role("status").filter(has_text="enviada a revisión")
    ).to_have_text("Versión 2 guardada y enviada a revisión.")
    expect(page.locator(".badge-state")).to_have_text("Revisión del texto")
    writer.shot("05-profesional-reenvia")
    assert db().state == PieceState.TEXT_REVIEW
    assert db().text_versions.count() == 2

    # 4. The Jefe sees what changed, ticks the checklist of control point 1 and
    #    approves the text for design.
    page = jefe.page
    jefe.go(f"{url}revision/")
    expect(
        page.get_by_role("heading", name="Cambios de la versión 1 a la 2")
    ).to_be_visible()
    expect(page.locator(".text-version.diff ins")).to_contain_text("lunes a viernes")
    tick_checklist(page)
    page.get_by_role("button", name="Aprobar el texto y pasar a diseño").click()
    expect(
        page.get_by_role("status").filter(has_text="Decisión registrada")
    ).to_contain_text("Aprobar el texto y pasar a diseño")
    expect(page.locator(".badge-state")).to_have_text("Diseño")
    jefe.shot("06-jefe-aprueba-texto")
    assert db().state == PieceState.DESIGN
    assert db().reviews.count() == 2
    assert db().reviews.filter(control_point=1, decision="approved").count() == 1

    # 5. The designer uploads the image with its alt text and sends the design to
    #    review.
    image = tmp_path / "plan-terrazas.png"
    Image.new("RGB", (1080, 1080), (0, 94, 184)).save(image, format="PNG")
    alt = "Afiche azul del Plan Terrazas con la fecha límite de inscripción."
    designer.login(world.designer.username)
    designer.expect_logged_in(world.designer.username)
    page = designer.page
    designer.go(url)
    page.get_by_role("link", name="Diseño y archivos").click()
    expect(page.get_by_text("Aún no hay archivos.")).to_be_visible()
    page.get_by_label("Archivo (imagen, video, PDF o audio)").set_input_files(image)
    page.get_by_label("Texto alternativo / descripción").fill(alt)
    page.get_by_role("button", name="Subir").click()
    expect(
        page.get_by_role("status").filter(has_text="Archivo agregado")
    ).to_be_visible()
    expect(page.get_by_role("link", name="plan-terrazas.png")).to_be_visible()
    expect(page.get_by_text("1080×1080")).to_be_visible()
    designer.shot("07-disenadora-sube-imagen")
    page.get_by_label("Nota para el (la) revisor(a)").fill("Versión para Facebook y X.")
    page.get_by_role("button", name="Enviar a revisión").click()
    expect(page.get_by_role("status").filter(has_text="Diseño enviado")).to_be_visible()
    expect(page.locator(".badge-state")).to_have_text("Revisión del diseño")
    expect(page.get_by_text(alt)).to_be_visible()
    designer.shot("08-disenadora-envia-diseno")
    assert db().state == PieceState.DESIGN_REVIEW
    asset_set = db().latest_asset_set
    assert asset_set is not None and asset_set.is_frozen
    assert list(asset_set.assets.values_list("alt_text", flat=True)) == [alt]

    # 6. The Jefe ticks the checklist of control point 2 and gives the visto bueno.
    page = jefe.page
    jefe.go(f"{url}revision/")
    expect(page.get_by_text("Punto de control 2")).to_be_visible()
    expect(page.get_by_role("link", name="plan-terrazas.png")).to_be_visible()
    expect(page.get_by_text(alt)).to_be_visible()
    a11y += axe_violations(page, "revision-pc2")
    tick_checklist(page)
    page.get_by_role("button", name="Aprobar el diseño y dar visto bueno").click()
    expect(
        page.get_by_role("status").filter(has_text="Decisión registrada")
    ).to_contain_text("Aprobar el diseño y dar visto bueno")
    sealed = db()
    assert sealed.state == PieceState.APPROVED
    assert sealed.reviews.count() == 3
    assert len(sealed.seal_hash) == 64
    assert sealed.reviews.get(control_point=2).seal_hash == sealed.seal_hash
    expect(page.locator(".badge-state")).to_have_text("Visto bueno")
    seal = page.locator("section[aria-labelledby=seal-h]")
    expect(seal).to_contain_text("Visto bueno sellado")
    expect(seal.locator(".hash")).to_have_text(sealed.seal_hash)
    jefe.shot("09-jefe-visto-bueno")
    a11y += axe_violations(page, "pieza-jefe-movil")
    writer.go(url)
    expect(writer.page.locator(".hash")).to_have_text(sealed.seal_hash)
    writer.shot("10-profesional-ve-visto-bueno")
    a11y += axe_violations(writer.page, "pieza-escritorio")

    assert not errors, "\n".join(errors)
    assert not a11y, "Violaciones serias o críticas de WCAG 2.1 A/AA:\n" + "\n".join(
        a11y
    )


def test_profesional_connects_channels_and_publishes_on_each(
    world: World, live_server: Any, browser: Browser, sandbox: Any, settings: Any
) -> None:
    """Done when: a Profesional connects channels in the browser against the
    practice networks, schedules an approved piece on several, and sees each one
    published with its permalink — or failed with a reason she understands."""
    from django.utils import timezone

    from pregonero.core.models import Channel, NetworkKind
    from pregonero.publishing import actions
    from pregonero.publishing.models import Publication, PublicationStatus

    from .conftest import approved_piece

    settings.PREGONERO_SANDBOX_URL = sandbox.url
    settings.PREGONERO_TRAINING = True
    fb = Channel.objects.create(
        organization=world.org, kind=NetworkKind.FACEBOOK, name="Facebook CVP"
    )
    x = Channel.objects.create(organization=world.org, kind=NetworkKind.X, name="X CVP")
    errors: list[str] = []
    a11y: list[str] = []
    writer = Session(browser, live_server.url, errors, **DESKTOP)
    writer.login(world.writer.username)
    writer.expect_logged_in(world.writer.username)
    page = writer.page

    # 1. From Canales, she connects Facebook and X on the networks' consent pages.
    for channel, label in ((fb, "Facebook"), (x, "X (Twitter)")):
        writer.go("/publicaciones/canales/")
        expect(page.get_by_text("Modo de entrenamiento").first).to_be_visible()
        page.get_by_role("link", name=channel.name).click()
        page.get_by_role("link", name=f"Conectar {label}").click()
        expect(page).to_have_url(re.compile("^" + re.escape(sandbox.url)))
        expect(page.get_by_text("Pregonero pide permiso")).to_be_visible()
        page.get_by_role("button", name="Autorizar").click()
        expect(
            page.get_by_role("status").filter(has_text="Canal conectado")
        ).to_be_visible()
        expect(page.get_by_text("Conectado", exact=True)).to_be_visible()
    writer.shot("11-canal-conectado")
    a11y += axe_violations(page, "canal")
    writer.go("/publicaciones/canales/")
    a11y += axe_violations(page, "canales")

    # 2. She schedules an approved piece on both channels, "publicar ahora".
    piece = approved_piece(world, channels=[fb, x])
    writer.go(f"/publicaciones/pieza/{piece.pk}/")
    page.get_by_label("Publicar ahora").check()
    page.get_by_role("button", name="Programar").click()
    expect(page.get_by_role("status").filter(has_text="Programada en")).to_be_visible()
    # The scheduler and the worker (in-process here) publish what is due.
    actions.dispatch_due()
    pubs = {p.channel_id: p for p in Publication.objects.filter(piece=piece)}
    assert {p.status for p in pubs.values()} == {PublicationStatus.PUBLISHED}, [
        p.last_error for p in pubs.values()
    ]

    # 3. Each publication shows its permalink, which opens the post on the network.
    writer.go(f"/publicaciones/{pubs[x.pk].pk}/")
    link = page.get_by_role("link", name=pubs[x.pk].permalink)
    expect(link).to_be_visible()
    expect(page.get_by_text("Publicada").first).to_be_visible()
    writer.shot("12-publicada-con-enlace")
    a11y += axe_violations(page, "publicacion")
    link.click()
    expect(page).to_have_url(pubs[x.pk].permalink)
    expect(page.get_by_text("Red de práctica")).to_be_visible()
    assert (
        len(sandbox.state.live_posts("facebook")) == 1
        and len(sandbox.state.live_posts("x")) == 1
    )
    assert timezone.now() >= pubs[fb.pk].published_at

    assert not errors, "\n".join(errors)
    assert not a11y, "Violaciones serias o críticas de WCAG 2.1 A/AA:\n" + "\n".join(
        a11y
    )


def test_profesional_sees_findings_while_typing_and_applies_one_on_a_phone(
    world: World, live_server: Any, browser: Browser
) -> None:
    """Issue 5, done when: a Profesional writing «Los beneficiarios deberán
    allegar los documentos so pena de…» sees each problem marked with a better
    wording — while typing, on a 360 px phone — and applies one with a click."""
    piece = make_piece(world, title="Plan Terrazas: documentos", channels=[world.x])
    errors: list[str] = []
    writer = Session(
        browser,
        live_server.url,
        errors,
        **{**PHONE, "viewport": {"width": 360, "height": 780}},
    )
    writer.login(world.writer.username)
    writer.expect_logged_in(world.writer.username)
    writer.go(f"/piezas/{piece.pk}/texto/")
    page = writer.page
    body = page.get_by_label("Texto de la pieza")
    text = (
        "Los beneficiarios deberán allegar los documentos so pena de perder el turno."
    )
    body.press_sequentially(text, delay=5)
    panel = page.locator("#checks-panel")
    # Findings arrive without saving or reloading, each with its better wording.
    expect(panel.locator("mark.chk", has_text="allegar")).to_be_visible()
    expect(panel).to_contain_text("Prefiera «entregar»")
    expect(panel).to_contain_text("Prefiera «para no»")
    expect(
        panel.get_by_role("button", name="Aplicar «Las personas beneficiarias»")
    ).to_be_visible()
    expect(page.locator("#checks-summary")).to_contain_text("advertencias")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    writer.shot("13-editor-hallazgos-movil")
    a11y = axe_violations(page, "editor-movil")
    # One click puts the suggestion in place of the span; the panel checks again.
    panel.get_by_role("button", name="Aplicar «entregar»").click()
    expect(body).to_have_value(text.replace("allegar", "entregar"))
    expect(panel.locator("mark.chk", has_text="allegar")).to_have_count(0)
    expect(panel.get_by_role("button", name="Aplicar «entregar»")).to_have_count(0)
    expect(page.locator("#checks-status")).to_contain_text("Se aplicó la sugerencia")
    writer.shot("14-editor-sugerencia-aplicada")
    assert not piece.text_versions.exists()  # checking never saves
    assert not errors, "\n".join(errors)
    assert not a11y, "Violaciones serias o críticas de WCAG 2.1 A/AA:\n" + "\n".join(
        a11y
    )
