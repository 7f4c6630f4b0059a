"""`pregonero demo`: the Caja de la Vivienda Popular (CVP) demonstration.

Everything is built through the same actions people use, so the audit chain,
the reviews and the seals are real. Accounts and handles are fictitious.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw

from pregonero.accounts.actions import create_delegation, set_roles
from pregonero.accounts.models import Role, User
from pregonero.content import actions as content
from pregonero.content.models import Piece, PieceFormat
from pregonero.content.workflow import PieceAction
from pregonero.core.models import (
    Audience,
    Campaign,
    Channel,
    Dependency,
    NetworkKind,
    Organization,
    Program,
)
from pregonero.intake import actions as intake
from pregonero.intake.models import Need, NeedSource, Urgency
from pregonero.intake.workflow import NeedAction
from pregonero.planning import actions as planning
from pregonero.planning.models import PartnerEntity
from pregonero.publishing import actions as publishing

LOGINS_FILE = "demo-logins.txt"

DEPENDENCIES = [
    ("Dirección General", "DG", False),
    ("Dirección de Reasentamientos", "DR", False),
    ("Dirección de Urbanizaciones y Titulación", "DUT", False),
    ("Dirección de Mejoramiento de Barrios", "DMB", False),
    ("Dirección de Mejoramiento de Vivienda", "DMV", False),
    ("Dirección Jurídica", "DJ", False),
    ("Dirección de Gestión Corporativa", "DGC", False),
    ("Oficina Asesora de Planeación", "OAP", False),
    ("Oficina Asesora de Comunicaciones", "OAC", True),
    ("Oficina de Control Interno", "OCI", False),
    ("Servicio al Ciudadano", "SC", False),
]

AUDIENCES = [
    (
        "Hogares en zonas de alto riesgo no mitigable",
        "Familias del programa de reasentamientos.",
    ),
    (
        "Poseedores de predios en barrios legalizados",
        "Destinatarios de la titulación (#TítuloEnMano).",
    ),
    (
        "Familias de estratos 1 y 2 con vivienda autoconstruida",
        "Plan Terrazas y Mejora tu Casa.",
    ),
    ("Líderes comunitarios y Juntas de Acción Comunal", ""),
    ("Alcaldías locales", ""),
    ("Entidades del Distrito", "Secretaría del Hábitat, IDIGER, Secretaría General."),
    ("Entes de control", "Veeduría, Personería, Contraloría y Concejo de Bogotá."),
    ("Medios de comunicación", ""),
    ("Público interno", "Servidores y contratistas de la CVP."),
    ("Mujeres cabeza de hogar", "Enfoque diferencial."),
]

PROGRAMS = [
    ("Reasentamientos", "Dirección de Reasentamientos"),
    ("Titulación de predios", "Dirección de Urbanizaciones y Titulación"),
    ("Mejoramiento de Barrios", "Dirección de Mejoramiento de Barrios"),
    ("Plan Terrazas", "Dirección de Mejoramiento de Vivienda"),
    ("Curaduría Pública Social", "Dirección de Mejoramiento de Vivienda"),
    ("Atención a la ciudadanía", "Servicio al Ciudadano"),
]

CHANNELS = [
    ("Facebook CVP (práctica)", NetworkKind.FACEBOOK, "CVP.Demo.Practica"),
    ("Instagram CVP (práctica)", NetworkKind.INSTAGRAM, "@cvp.demo.practica"),
    ("X CVP (práctica)", NetworkKind.X, "@CVP_DemoPractica"),
    ("YouTube CVP (práctica)", NetworkKind.YOUTUBE, "@CVPDemoPractica"),
    ("TikTok CVP (práctica)", NetworkKind.TIKTOK, "@cvp.demo.practica"),
]

# The entity's accounts on the real networks' APIs. In training mode (`make run`)
# they connect to the local practice networks; a person connects each one in the
# browser, from Canales (nothing is connected in advance).
NETWORK_CHANNELS = [
    ("Facebook — Caja de la Vivienda Popular", NetworkKind.FACEBOOK, "CVPBogota"),
    ("Instagram — cvpbogota", NetworkKind.INSTAGRAM, "cvpbogota"),
    ("X — @CVPBogota", NetworkKind.X, "CVPBogota"),
    ("YouTube — Caja de la Vivienda Popular", NetworkKind.YOUTUBE, "@CVPBogota"),
    ("LinkedIn — Caja de la Vivienda Popular", NetworkKind.LINKEDIN, ""),
    ("TikTok — cvpbogota", NetworkKind.TIKTOK, "cvpbogota"),
    ("Mastodon — cvpbogota", NetworkKind.MASTODON, "cvpbogota"),
    ("Bluesky — cvpbogota.bsky.social", NetworkKind.BLUESKY, "cvpbogota.bsky.social"),
]

PEOPLE = [
    # username, first name, last name, position, dependency code, roles
    (
        "jefe",
        "María Fernanda",
        "Rojas Peña",
        "Jefe Oficina Asesora de Comunicaciones",
        "OAC",
        [Role.JEFE],
    ),
    (
        "profesional",
        "Andrés Felipe",
        "Gómez Ríos",
        "Profesional universitario (community manager)",
        "OAC",
        [Role.PROFESIONAL],
    ),
    (
        "disenadora",
        "Laura Camila",
        "Pérez Duarte",
        "Profesional universitaria (diseño gráfico)",
        "OAC",
        [Role.PROFESIONAL],
    ),
    (
        "estrategia",
        "Diana Marcela",
        "Castro León",
        "Profesional especializada en comunicación estratégica",
        "OAC",
        [Role.ESTRATEGIA],
    ),
    (
        "enlace",
        "Jorge Iván",
        "Martínez Ortiz",
        "Enlace de comunicaciones",
        "DMV",
        [Role.ENLACE],
    ),
    (
        "directivo",
        "Carlos Alberto",
        "Ruiz Salazar",
        "Director de Reasentamientos",
        "DR",
        [Role.DIRECTIVO],
    ),
    (
        "auditor",
        "Patricia Helena",
        "Suárez Mora",
        "Jefe Oficina de Control Interno",
        "OCI",
        [Role.AUDITOR],
    ),
    (
        "admin",
        "Sergio Andrés",
        "Vargas Lozano",
        "Profesional de sistemas (administrador)",
        "DGC",
        [Role.ADMIN],
    ),
]

MFA_ROLES = {Role.JEFE, Role.ADMIN}


def logins_path() -> Path:
    return Path(settings.VAR_DIR) / LOGINS_FILE


def print_logins(out: Any) -> None:
    path = logins_path()
    if path.exists():
        out.write(path.read_text())


def demo_image(title: str, subtitle: str, color: tuple[int, int, int]) -> io.BytesIO:
    """A simple 1080×1080 JPEG standing in for a designed piece."""
    image = Image.new("RGB", (1080, 1080), color)
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 60, 1020, 1020), outline=(255, 255, 255), width=8)
    draw.text((110, 420), title[:40], fill=(255, 255, 255), font_size=56)
    draw.text((110, 520), subtitle[:60], fill=(255, 255, 255), font_size=34)
    draw.text(
        (110, 940),
        "Caja de la Vivienda Popular · demostración",
        fill=(255, 255, 255),
        font_size=28,
    )
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=88)
    buffer.seek(0)
    return buffer


@contextlib.contextmanager
def days_ago(days: float) -> Iterator[None]:
    """Run the block as if it happened ``days`` ago, when time-machine is installed;
    otherwise, now (the demo stays correct, only its dates are less varied)."""
    try:
        import time_machine
    except ImportError:
        yield
        return
    with time_machine.travel(timezone.now() - datetime.timedelta(days=days), tick=True):
        yield


class Command(BaseCommand):
    help = "Crea la entidad de demostración CVP con usuarios, necesidades, piezas y un acta."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--code",
            metavar="USUARIO",
            help="Muestra el código de verificación en dos pasos actual de un usuario de la demo.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["code"]:
            self.stdout.write(current_demo_code(options["code"]))
            return
        if Organization.objects.filter(slug="cvp").exists():
            raise CommandError(
                _("La entidad «cvp» ya existe: la demostración ya está cargada.")
            )
        with transaction.atomic():
            lines = build_demo()
        path = logins_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(lines)
        path.chmod(0o600)
        self.stdout.write(lines)


def current_demo_code(username: str) -> str:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
    from allauth.mfa.utils import decrypt

    user = User.objects.filter(username=username, organization__is_demo=True).first()
    if user is None:
        raise CommandError(_("Solo hay códigos para los usuarios de la demostración."))
    authenticator = Authenticator.objects.filter(
        user=user, type=Authenticator.Type.TOTP
    ).first()
    if authenticator is None:
        raise CommandError(_("Ese usuario no tiene verificación en dos pasos."))
    secret = decrypt(authenticator.data["secret"])
    counter = int(timezone.now().timestamp()) // 30
    return format_hotp_value(hotp_value(secret, counter))


def demo_report() -> io.BytesIO:
    """A one-page PDF standing in for the strategic communication report."""
    return io.BytesIO(
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages"
        b"/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox"
        b"[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def build_demo() -> str:
    today = timezone.localdate()
    org = Organization.objects.create(
        slug="cvp",
        name="Caja de la Vivienda Popular",
        short_name="CVP",
        office_name="Oficina Asesora de Comunicaciones",
        mailbox="redessociales@cajaviviendapopular.gov.co",
        email_domains="cajaviviendapopular.gov.co",
        website="https://www.cajaviviendapopular.gov.co",
        acta_format_code="208-SADM-Ft-06",
        acta_format_version="1",
        process_name="Gestión de Comunicaciones",
        is_demo=True,
    )
    deps = {
        code: Dependency.objects.create(
            organization=org, name=name, code=code, is_communications_office=oac
        )
        for name, code, oac in DEPENDENCIES
    }
    by_name = {d.name: d for d in deps.values()}
    audiences = [
        Audience.objects.create(organization=org, name=n, description=d)
        for n, d in AUDIENCES
    ]
    programs = {
        name: Program.objects.create(
            organization=org, name=name, dependency=by_name[dep]
        )
        for name, dep in PROGRAMS
    }
    campaigns = {
        "titulo": Campaign.objects.create(
            organization=org,
            name="#TítuloEnMano",
            hashtag="#TítuloEnMano",
            description="Entrega de títulos de propiedad en barrios populares.",
        ),
        "ruta": Campaign.objects.create(
            organization=org,
            name="Ruta del Reconocimiento",
            hashtag="#RutaDelReconocimiento",
            description="Curaduría Pública Social en los barrios.",
        ),
        "lluvias": Campaign.objects.create(
            organization=org,
            name="Temporada de lluvias 2026",
            hashtag="#TemporadaDeLluvias",
            is_district=True,
            description="Prevención con IDIGER y las alcaldías locales.",
        ),
    }
    channels = [
        Channel.objects.create(
            organization=org,
            kind=NetworkKind.SANDBOX,
            imitates=kind,
            name=name,
            handle=handle,
            url="",
            owner_dependency=deps["OAC"],
            is_fictitious=True,
        )
        for name, kind, handle in CHANNELS
    ]
    for name, kind, handle in NETWORK_CHANNELS:
        Channel.objects.create(
            organization=org,
            kind=kind,
            name=name,
            handle=handle,
            owner_dependency=deps["OAC"],
            recovery_email="redessociales@cajaviviendapopular.gov.co",
        )
    website = Channel.objects.create(
        organization=org,
        kind=NetworkKind.MANUAL,
        imitates=NetworkKind.WEBSITE,
        name="Portal web (publicación manual, demostración)",
        handle="cvp-demo",
        owner_dependency=deps["OAC"],
        is_fictitious=True,
    )
    for name in (
        "Secretaría General – Alcaldía Mayor",
        "Secretaría Distrital del Hábitat",
        "IDIGER",
        "Caja de Vivienda – Alcaldía Local de San Cristóbal",
    ):
        PartnerEntity.objects.create(organization=org, name=name)

    # People, one per role (two Profesionales: one writes, one designs).
    users: dict[str, User] = {}
    passwords: dict[str, str] = {}
    for username, first, last, position, dep, roles in PEOPLE:
        password = f"cvp-{secrets.token_urlsafe(8)}"
        user = User.objects.create_user(
            username=username,
            password=password,
            email=f"{username}@cvp-demo.invalid",
            first_name=first,
            last_name=last,
            position=position,
            organization=org,
            dependency=deps[dep],
            is_staff=Role.ADMIN in roles,
        )
        passwords[username] = password
        users[username] = user
    with transaction.atomic():
        for username, *_rest, roles in PEOPLE:
            set_roles(None, users[username], [str(r) for r in roles])
    totp = _enrol_totp([users[u] for u, *_r, roles in PEOPLE if MFA_ROLES & set(roles)])

    jefe, writer, designer = users["jefe"], users["profesional"], users["disenadora"]
    liaison, director, strategist = (
        users["enlace"],
        users["directivo"],
        users["estrategia"],
    )
    fb, ig, x, yt, tt = channels

    def need(user: User, days: float, **kw: Any) -> Need:
        with days_ago(days):
            return intake.register_need(user, intake.NeedData(**kw))

    image_counter = [0]

    def add_image(
        piece: Piece, user: User, alt: str, color: tuple[int, int, int]
    ) -> None:
        image_counter[0] += 1
        content.add_asset(
            user,
            piece,
            demo_image(piece.title[:40], "Pieza de demostración", color),
            original_name=f"pieza-{image_counter[0]}.jpg",
            alt_text=alt,
        )

    checks1 = {
        "timeliness": True,
        "veracity": True,
        "clear_inclusive": True,
        "institutional_image": True,
    }
    checks2 = {
        "importance": True,
        "text_matches": True,
        "accessibility": True,
        "institutional_image": True,
    }

    def text(
        piece: Piece,
        body: str,
        base: int | None,
        *,
        variants: Any = None,
        sources: Any = None,
        note: str = "",
    ) -> None:
        content.save_text_version(
            writer,
            piece,
            base_version=base,
            body=body,
            variants=variants or {},
            sources=sources or [("Dirección de Reasentamientos", "")],
            note=note,
        )

    def new_piece(days: float, **kw: Any) -> Piece:
        with days_ago(days):
            return content.create_piece(
                writer, content.PieceData(writer=writer, designer=designer, **kw)
            )

    # The story runs in date order, so the audit chain reads chronologically.
    n_curaduria = need(
        liaison,
        20,
        title="Jornada Curaduría al Parque – barrio El Curubo (Usme)",
        description="La Curaduría Pública Social atenderá en el parque del barrio El Curubo. "
        "Se necesita convocar a las familias con trámites de reconocimiento.",
        source=NeedSource.LIAISON,
        dependency=deps["DMV"],
        audiences=audiences[2:4],
        desired_date=today + datetime.timedelta(days=4),
        event_date=today + datetime.timedelta(days=8),
        urgency=Urgency.HIGH,
    )
    n_titulos = need(
        jefe,
        19,
        title="Entrega de títulos #TítuloEnMano – San Cristóbal",
        description="Ceremonia de entrega de 120 títulos de propiedad con la Alcaldía Local "
        "de San Cristóbal.",
        source=NeedSource.COMMITTEE,
        dependency=deps["DUT"],
        audiences=[audiences[1]],
        desired_date=today - datetime.timedelta(days=18),
    )
    n_lluvias = need(
        director,
        18.6,
        title="Avance de reasentamientos – temporada de lluvias, Ciudad Bolívar",
        description="Informar a las familias en zonas de alto riesgo sobre la relocalización "
        "transitoria y el VUR antes de la temporada de lluvias.",
        source=NeedSource.DIRECTORS_MEETING,
        dependency=deps["DR"],
        audiences=[audiences[0], audiences[9]],
        urgency=Urgency.URGENT,
        desired_date=today - datetime.timedelta(days=14),
    )

    # Triage: punctual actions become pieces at once; the others go to the meeting.
    with days_ago(18.5):
        p_lluvias = intake.triage_need(
            jefe,
            n_lluvias,
            NeedAction.TRIAGE_PUNCTUAL,
            note="Urgente por la temporada de lluvias.",
            piece_data=content.PieceData(
                title="Reasentamientos: qué hacer antes de las lluvias",
                format=PieceFormat.IMAGE,
                writer=writer,
                designer=designer,
                program=programs["Reasentamientos"],
                campaign=campaigns["lluvias"],
                channels=[fb, ig, x],
            ),
        )
        p_titulos = intake.triage_need(
            jefe,
            n_titulos,
            NeedAction.TRIAGE_PUNCTUAL,
            piece_data=content.PieceData(
                title="120 familias reciben su #TítuloEnMano en San Cristóbal",
                format=PieceFormat.IMAGE,
                writer=writer,
                designer=designer,
                program=programs["Titulación de predios"],
                campaign=campaigns["titulo"],
                channels=[fb, ig, x, website],
            ),
        )
        intake.triage_need(
            jefe,
            n_curaduria,
            NeedAction.TRIAGE_PLANNING,
            note="Para el comité de contenidos.",
        )

    # #TítuloEnMano: both control points the same day; published on two practice
    # networks and recorded by hand on the website (X is scheduled for tomorrow, below).
    with days_ago(18.4):
        text(
            p_titulos,
            "120 familias de San Cristóbal ya tienen su #TítuloEnMano. Con el título de "
            "propiedad, su casa queda a su nombre y puede acceder a créditos y subsidios.",
            None,
            sources=[
                ("Dirección de Urbanizaciones y Titulación – resolución de entrega", "")
            ],
        )
        content.submit_text(writer, p_titulos)
    with days_ago(18.3):
        content.decide_text(
            jefe, p_titulos, PieceAction.APPROVE_TEXT, checklist=checks1
        )
    with days_ago(18.2):
        add_image(
            p_titulos,
            designer,
            "Una familia sonriente recibe su título de propiedad de manos de la "
            "directora. Texto: «#TítuloEnMano San Cristóbal».",
            (20, 108, 67),
        )
        content.submit_design(designer, p_titulos)
    with days_ago(18.1):
        content.decide_design(
            jefe, p_titulos, PieceAction.APPROVE_DESIGN, checklist=checks2
        )
    with days_ago(18):
        for channel in (fb, ig):
            pub = publishing.schedule_publication(
                writer, p_titulos, channel, timezone.now()
            )
            publishing.publish_now(pub.pk, worker="demo")
        publishing.record_manual_publication(
            writer,
            p_titulos,
            website,
            permalink="https://www.cajaviviendapopular.gov.co/noticias/demo-titulo-en-mano",
            published_at=timezone.now(),
            note="Publicada en la sección de noticias.",
        )

    n_movil = need(
        strategist,
        17,
        title="Móvil de servicios CVP – Parque Palermo Sur",
        description="La unidad móvil de servicios atenderá de 8 a. m. a 4 p. m. en el Parque "
        "Palermo Sur (Rafael Uribe Uribe).",
        source=NeedSource.OAC_INITIATIVE,
        dependency=deps["SC"],
        audiences=[audiences[2], audiences[3]],
        desired_date=today + datetime.timedelta(days=10),
    )
    n_escaleras = need(
        jefe,
        16.9,
        title="Entrega de obra de mejoramiento de barrio – escaleras y andenes, Suba",
        description="Entrega de escaleras y andenes en el barrio La Isabela, Suba.",
        source=NeedSource.COMMITTEE,
        dependency=deps["DMB"],
        audiences=audiences[3:5],
        desired_date=today + datetime.timedelta(days=12),
    )
    with days_ago(16.8):
        for n in (n_movil, n_escaleras):
            intake.triage_need(
                jefe,
                n,
                NeedAction.TRIAGE_PLANNING,
                note="Para el comité de contenidos.",
            )

    # Reasentamientos: text returned once at control point 1, fixed and approved;
    # design returned once at control point 2, fixed and approved (visto bueno);
    # published on the practice networks.
    with days_ago(16):
        text(
            p_lluvias,
            "Si su vivienda está en zona de alto riesgo no mitigable, la CVP lo acompaña. "
            "Antes de las lluvias, acérquese a la Dirección de Reasentamientos.",
            None,
        )
        content.submit_text(writer, p_lluvias)
    with days_ago(15.8):
        content.decide_text(
            jefe,
            p_lluvias,
            PieceAction.RETURN_TEXT,
            checklist={"timeliness": True},
            comment="Falta decir qué es el VUR y dónde atienden. Use lenguaje claro.",
        )
    with days_ago(15.5):
        text(
            p_lluvias,
            "¿Su vivienda está en zona de alto riesgo no mitigable? La Caja de la Vivienda "
            "Popular (CVP) lo acompaña.\n\nAntes de la temporada de lluvias puede recibir "
            "ayuda para pagar un arriendo mientras se reasienta, y el Valor Único de "
            "Reconocimiento (VUR) para comprar vivienda usada.\n\nAtención: Calle 54 n.º 13-30, "
            "de lunes a viernes, 7 a. m. a 4:30 p. m.",
            1,
            variants={
                x.pk: (
                    "",
                    "¿Vive en zona de alto riesgo? La CVP le ayuda con el arriendo temporal y "
                    "el VUR antes de las lluvias. Más información: Calle 54 n.º 13-30. "
                    "#TemporadaDeLluvias",
                )
            },
            sources=[
                ("Dirección de Reasentamientos – ficha del programa", ""),
                ("IDIGER – concepto de riesgo", "https://www.idiger.gov.co"),
            ],
            note="Se explica el VUR y se agrega la dirección",
        )
        content.submit_text(writer, p_lluvias)
    with days_ago(15.2):
        content.decide_text(
            jefe, p_lluvias, PieceAction.APPROVE_TEXT, checklist=checks1
        )
    with days_ago(14.5):
        add_image(
            p_lluvias,
            designer,
            "Familia frente a su casa en la ladera. Texto: «¿Vive en zona de alto "
            "riesgo? La CVP lo acompaña».",
            (11, 83, 148),
        )
        content.submit_design(designer, p_lluvias)
    with days_ago(14.3):
        content.decide_design(
            jefe,
            p_lluvias,
            PieceAction.RETURN_DESIGN,
            checklist={},
            comment="El logo de la CVP debe ir abajo a la derecha, con la marca Bogotá.",
        )
    with days_ago(14):
        add_image(
            p_lluvias,
            designer,
            "Versión corregida: familia frente a su casa; logos de la CVP y Bogotá "
            "abajo. Texto: «¿Vive en zona de alto riesgo?».",
            (7, 55, 99),
        )
        p_lluvias.refresh_from_db()
        first = p_lluvias.latest_asset_set.assets.order_by("position").first()
        assert first is not None
        content.remove_asset(designer, first)
        content.submit_design(designer, p_lluvias)
    with days_ago(13.8):
        content.decide_design(
            jefe,
            p_lluvias,
            PieceAction.APPROVE_DESIGN,
            checklist=checks2,
            comment="Aprobado. Publicar hoy en la tarde.",
        )
    with days_ago(13.7):
        for channel in (fb, ig, x):
            pub = publishing.schedule_publication(
                writer, p_lluvias, channel, timezone.now()
            )
            publishing.publish_now(pub.pk, worker="demo")

    # The planning meeting (activity 2) and its acta.
    with days_ago(13.5):
        start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
        meeting = planning.create_meeting(
            strategist,
            planning.MeetingData(
                title="Comité de contenidos – planeación quincenal",
                starts_at=start,
                ends_at=start + datetime.timedelta(minutes=90),
                place="Sala de juntas OAC, piso 2",
                objective="Definir temas, fuentes, productos y medios para las próximas dos semanas.",
                development="La profesional de comunicación estratégica presentó el informe de la "
                "quincena: mayor interacción en videos cortos y preguntas frecuentes sobre "
                "Plan Terrazas. Se revisaron las necesidades pendientes.",
                chaired_by=jefe,
                attendees=[
                    planning.AttendeeData(
                        name=str(u),
                        position=u.position,
                        affiliation="Oficina Asesora de Comunicaciones",
                        user=u,
                    )
                    for u in (jefe, writer, designer, strategist)
                ]
                + [
                    planning.AttendeeData(
                        name=str(liaison),
                        position=liaison.position,
                        affiliation=str(liaison.dependency),
                        user=liaison,
                    )
                ],
                agenda=[
                    planning.AgendaData(
                        topic=n_curaduria.title,
                        need=n_curaduria,
                        sources_to_consult="Curaduría Pública Social; Dirección de Mejoramiento de Vivienda",
                        products="Pieza gráfica de convocatoria y publicación en X",
                        channels=[fb, x],
                        responsible=writer,
                        due_date=today + datetime.timedelta(days=3),
                    ),
                    planning.AgendaData(
                        topic=n_movil.title,
                        need=n_movil,
                        sources_to_consult="Servicio al Ciudadano",
                        products="Carrusel con servicios y horario",
                        channels=[fb, ig],
                        responsible=writer,
                        due_date=today + datetime.timedelta(days=9),
                    ),
                    planning.AgendaData(
                        topic=n_escaleras.title,
                        need=n_escaleras,
                        sources_to_consult="Dirección de Mejoramiento de Barrios; interventoría",
                        products="Video corto con testimonios",
                        channels=[yt, tt, fb],
                        responsible=designer,
                        due_date=today + datetime.timedelta(days=11),
                    ),
                ],
                commitments=[
                    planning.CommitmentData(
                        description="Confirmar con la Curaduría el horario de atención",
                        responsible=liaison,
                        due_date=today - datetime.timedelta(days=10),
                    ),
                    planning.CommitmentData(
                        description="Tomar fotografías de la obra en La Isabela",
                        responsible=designer,
                        due_date=today + datetime.timedelta(days=5),
                    ),
                ],
            ),
        )
        planning.add_meeting_document(
            strategist, meeting, demo_report(), "informe-estrategico-quincena.pdf"
        )
    with days_ago(13.4):
        planning.issue_acta(jefe, meeting)
    with days_ago(13.3):
        joint = planning.create_joint_action(
            writer,
            planning.JointActionData(
                title="Jornada distrital de prevención en temporada de lluvias",
                description="Publicación coordinada con la Secretaría General y el IDIGER, con etiqueta común.",
                starts_on=today - datetime.timedelta(days=14),
                ends_on=today - datetime.timedelta(days=13),
                hashtags="#TemporadaDeLluvias #BogotáSePrepara",
                partners=list(PartnerEntity.objects.filter(organization=org)[:3]),
                pieces=[p_lluvias],
                campaign=campaigns["lluvias"],
            ),
        )
        planning.add_joint_action_evidence(
            writer,
            joint,
            description="Correo de coordinación de la Secretaría General (demostración)",
            url="https://www.bogota.gov.co",
        )

    agenda = list(meeting.agenda.order_by("position"))
    with days_ago(12):
        plan_curaduria = planning.create_plan_item(
            writer,
            planning.PlanItemData(
                title="Convocatoria Curaduría al Parque en El Curubo",
                dependency=deps["DMV"],
                planned_date=today + datetime.timedelta(days=3),
                need=n_curaduria,
                agenda_item=agenda[0],
                liaison=liaison,
                responsible=writer,
                campaign=campaigns["ruta"],
                channels=[fb, x],
                audiences=audiences[2:4],
            ),
        )
        plan_movil = planning.create_plan_item(
            writer,
            planning.PlanItemData(
                title="Carrusel del móvil de servicios en Palermo Sur",
                dependency=deps["SC"],
                planned_date=today + datetime.timedelta(days=9),
                need=n_movil,
                agenda_item=agenda[1],
                responsible=writer,
                channels=[fb, ig],
            ),
        )
        planning.create_plan_item(
            writer,
            planning.PlanItemData(
                title="Video de la entrega de escaleras en La Isabela",
                dependency=deps["DMB"],
                planned_date=today + datetime.timedelta(days=11),
                need=n_escaleras,
                agenda_item=agenda[2],
                responsible=designer,
                channels=[yt, tt, fb],
            ),
        )
    with days_ago(11):
        planning.comment_plan_item(
            liaison,
            plan_curaduria,
            "Por favor mencionar que deben llevar el certificado de tradición y "
            "libertad. La Curaduría atiende de 8 a. m. a 3 p. m.",
        )

    # Curaduría al Parque, from the plan: written now, submitted today (below).
    with days_ago(10):
        p_curaduria = planning.produce_plan_item(writer, plan_curaduria)
        text(
            p_curaduria,
            "¿Necesita legalizar las mejoras de su casa? La Curaduría Pública Social llega al "
            "parque de El Curubo (Usme). Lleve el certificado de tradición y libertad.",
            None,
            sources=[("Curaduría Pública Social", "")],
        )

    n_dup = need(
        writer,
        9.5,
        title="Publicar de nuevo el horario de atención",
        description="Repetir el horario de atención de diciembre.",
        source=NeedSource.MAILBOX,
        dependency=deps["SC"],
    )
    p_cancel = new_piece(
        9,
        title="Feria de vivienda (aplazada)",
        format=PieceFormat.IMAGE,
        channels=[fb],
        dependency=deps["DG"],
    )
    with days_ago(8.8):
        content.cancel_piece(
            jefe, p_cancel, reason="La feria se aplazó para el próximo año."
        )
        intake.triage_need(
            jefe,
            n_dup,
            NeedAction.DISCARD,
            note="Ya se publicó la semana pasada; se fija en el perfil.",
        )

    # Móvil de servicios: in design, with a draft image still missing its alt text.
    with days_ago(8):
        p_movil = planning.produce_plan_item(writer, plan_movil)
        text(
            p_movil,
            "La unidad móvil de la CVP estará en el Parque Palermo Sur, de 8 a. m. a 4 p. m. "
            "Resuelva sus trámites de titulación, reasentamiento y mejoramiento de vivienda.",
            None,
            sources=[("Servicio al Ciudadano – programación de la unidad móvil", "")],
        )
        content.submit_text(writer, p_movil)
    with days_ago(7.8):
        content.decide_text(jefe, p_movil, PieceAction.APPROVE_TEXT, checklist=checks1)
    with days_ago(7.5):
        add_image(p_movil, designer, "", (120, 40, 120))

    # A design under review (control point 2) and a design returned for changes.
    p_jac = new_piece(
        7,
        title="Censo de reasentamiento en Caracolí: así puede participar",
        format=PieceFormat.IMAGE,
        program=programs["Reasentamientos"],
        channels=[fb],
        dependency=deps["DR"],
        desired_date=today + datetime.timedelta(days=5),
    )
    p_redes = new_piece(
        7,
        title="Conozca la Curaduría Pública Social",
        format=PieceFormat.IMAGE,
        program=programs["Curaduría Pública Social"],
        channels=[ig, fb],
        campaign=campaigns["ruta"],
        dependency=deps["DMV"],
        desired_date=today + datetime.timedelta(days=7),
    )
    for piece, color in ((p_jac, (160, 60, 20)), (p_redes, (0, 110, 110))):
        with days_ago(6.5):
            text(
                piece,
                f"{piece.title}. Más información en las sedes de atención de la CVP.",
                None,
            )
            content.submit_text(writer, piece)
        with days_ago(6.4):
            content.decide_text(
                jefe, piece, PieceAction.APPROVE_TEXT, checklist=checks1
            )
        with days_ago(6.3):
            add_image(piece, designer, f"Ilustración: {piece.title}.", color)
            content.submit_design(designer, piece)

    # Text returned and waiting for changes (activity 8).
    p_obras = new_piece(
        6,
        title="Así avanzan las obras en Valles de Cafam (Usme)",
        format=PieceFormat.IMAGE,
        program=programs["Mejoramiento de Barrios"],
        channels=[fb, x],
        dependency=deps["DMB"],
        desired_date=today - datetime.timedelta(days=1),
    )
    with days_ago(5.5):
        text(
            p_obras,
            "Las obras del eco-barrio Valles de Cafam van en un 80 por ciento.",
            None,
            sources=[("Dirección de Mejoramiento de Barrios", "")],
        )
        content.submit_text(writer, p_obras)
    with days_ago(5):
        content.decide_text(
            jefe,
            p_obras,
            PieceAction.RETURN_TEXT,
            checklist={"timeliness": True},
            comment="Verificar la cifra con la interventoría y citar la fuente.",
        )

    # A text-only piece approved at control point 1 without design (visto bueno).
    p_horario = new_piece(
        4,
        title="Horario de atención del 24 y 31 de diciembre",
        format=PieceFormat.TEXT,
        program=programs["Atención a la ciudadanía"],
        channels=[x, fb],
        dependency=deps["SC"],
        urgent=True,
    )
    with days_ago(3.9):
        text(
            p_horario,
            "Los días 24 y 31 de diciembre la CVP atenderá de 7 a. m. a 12 m. en la "
            "Calle 54 n.º 13-30.",
            None,
            sources=[("Servicio al Ciudadano – circular interna", "")],
        )
        content.submit_text(writer, p_horario)
    with days_ago(3.8):
        content.decide_text(
            jefe, p_horario, PieceAction.APPROVE_TEXT_FINAL, checklist=checks1
        )
    with days_ago(3):
        content.decide_design(
            jefe,
            p_redes,
            PieceAction.RETURN_DESIGN,
            checklist={},
            comment="Aumentar el contraste del texto sobre el fondo (accesibilidad).",
        )

    n_terrazas = need(
        liaison,
        2.9,
        title="Plan Terrazas: convocatoria de nuevas familias",
        description="Abrir inscripciones de Plan Terrazas en Ciudad Bolívar y Usme.",
        source=NeedSource.LIAISON,
        dependency=deps["DMV"],
        audiences=[audiences[2]],
        desired_date=today + datetime.timedelta(days=15),
    )
    with days_ago(2.5):
        intake.triage_need(jefe, n_terrazas, NeedAction.TRIAGE_PLANNING)
    # Plan Terrazas carousel: still being written.
    p_terrazas = new_piece(
        2,
        title="Plan Terrazas: inscripciones abiertas",
        format=PieceFormat.CAROUSEL,
        program=programs["Plan Terrazas"],
        channels=[fb, ig, tt],
        dependency=deps["DMV"],
        desired_date=today + datetime.timedelta(days=15),
    )
    with days_ago(1.5):
        text(
            p_terrazas,
            "Si su casa necesita reforzarse para construir un segundo piso, Plan Terrazas le "
            "ayuda con asistencia técnica, jurídica y social gratuita.",
            None,
            sources=[("Dirección de Mejoramiento de Vivienda", "")],
        )
    need(
        director,
        1,
        title="Reunión informativa con la JAC de Caracolí",
        description="Reunión con la Junta de Acción Comunal de Caracolí sobre el censo de reasentamiento.",
        source=NeedSource.DIRECTORS_MEETING,
        dependency=deps["DR"],
        audiences=[audiences[3]],
        desired_date=today + datetime.timedelta(days=6),
    )
    n_cierre = need(director, 0.9, title="Cierre vial temporal por obra en Bella Flor",
                    description="Por la obra de escaleras, la vía de acceso de Bella Flor (Ciudad Bolívar) "
                                "estará cerrada el fin de semana. Avisar a la comunidad y la ruta alterna.",
                    source=NeedSource.DIRECTORS_MEETING, dependency=deps["DR"],
                    audiences=[audiences[3], audiences[4]], urgency=Urgency.URGENT,
                    desired_date=today + datetime.timedelta(days=1))  # fmt: skip
    with days_ago(0.8):
        intake.triage_need(
            jefe, n_cierre, NeedAction.TRIAGE_PUNCTUAL, note="Acción puntual: publicar mañana.",
            piece_data=content.PieceData(title="Cierre vial en Bella Flor: ruta alterna",
                                         format=PieceFormat.TEXT, writer=writer,
                                         channels=[fb, x]),
        )  # fmt: skip
    with days_ago(0.2):
        content.submit_text(writer, p_curaduria)

    publishing.schedule_publication(
        writer,
        p_titulos,
        x,
        (timezone.localtime() + datetime.timedelta(days=1)).replace(
            hour=10, minute=0, second=0, microsecond=0
        ),
    )

    # An encargo for the Jefe's next leave.
    create_delegation(
        jefe,
        delegator=jefe,
        delegate=strategist,
        starts_on=today + datetime.timedelta(days=20),
        ends_on=today + datetime.timedelta(days=34),
        reason="Vacaciones de la jefe de la oficina",
        act_reference="Resolución de encargo (demostración)",
    )
    # Citizens' messages and petitions at different stages (Bandeja de atención).
    from pregonero.inbox.demo import load_demo_inbox

    load_demo_inbox(org, jefe=jefe, writer=writer, fb=fb, ig=ig, x=x, dependencies=deps)
    # Fourteen months of figures for the practice channels (Estadísticas, report).
    from pregonero.analytics.demo import load_demo_metrics

    load_demo_metrics(org)
    return _logins_text(users, passwords, totp)


def _enrol_totp(users: list[User]) -> dict[str, str]:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secrets_by_user = {}
    for user in users:
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        secrets_by_user[user.username] = secret
    return secrets_by_user


def _logins_text(
    users: dict[str, User], passwords: dict[str, str], totp: dict[str, str]
) -> str:
    lines = [
        "",
        "=" * 72,
        _("Pregonero · demostración de la Caja de la Vivienda Popular (CVP)"),
        _(
            "Cuentas de prueba (ficticias). Contraseñas generadas para esta instalación:"
        ),
        "",
    ]
    for username, user in users.items():
        roles = ", ".join(user.role_labels)
        lines.append(
            f"  {username:<12} {passwords[username]:<18} {user.get_full_name()} — {roles}"
        )
    lines += [
        "",
        _("Quienes aprueban y el administrador usan verificación en dos pasos (TOTP)."),
        _(
            "Agregue el secreto a su aplicación de autenticación, o pida el código actual con"
        ),
        "  .venv/bin/pregonero demo --code USUARIO",
    ]
    for username, secret in totp.items():
        lines.append(
            f"  {username:<12} " + _("secreto TOTP: %(secret)s") % {"secret": secret}
        )
    lines += ["=" * 72, ""]
    return "\n".join(lines)
