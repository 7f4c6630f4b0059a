"""The CVP demo's Bandeja: citizens' messages, and petitions at different stages.

Everything goes through the actions (audited), with receipt times in the past
so that the terms, timers and alerts show something real on ``make run``.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from pregonero.accounts.models import User
from pregonero.core.models import Channel, Dependency, Organization

from . import actions
from .models import InboundItem, InboxSettings, Petition, SavedReply


def _ago(days: float, hours: float = 0) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days, hours=hours)


def load_demo_inbox(
    organization: Organization,
    *,
    jefe: User,
    writer: User,
    fb: Channel,
    ig: Channel,
    x: Channel,
    dependencies: dict[str, Dependency],
) -> None:
    InboxSettings.objects.create(
        organization=organization,
        citizen_service_email="servicioalciudadano@cajaviviendapopular.gov.co",
        first_response_days=0,
    )
    SavedReply.objects.create(
        organization=organization,
        title="Petición: la registramos en Bogotá te escucha",
        body=(
            "Hola. Recibimos su mensaje y lo registramos como petición en Bogotá te "
            "escucha. Le responderemos dentro del término de ley. Por su seguridad, no "
            "publique su cédula ni su teléfono: escríbanos por mensaje directo."
        ),
    )
    SavedReply.objects.create(
        organization=organization,
        title="Plan Terrazas: dónde inscribirse",
        body=(
            "Hola. Las inscripciones de Plan Terrazas se hacen en la sede de la Caja de "
            "la Vivienda Popular o en las jornadas en su localidad. Le contamos las "
            "fechas por mensaje directo."
        ),
    )

    def receive(
        channel: Channel,
        key: str,
        kind: str,
        who: str,
        text: str,
        when: datetime.datetime,
    ) -> InboundItem:
        item, _created = actions.receive_item(
            channel,
            kind,
            f"demo-{key}",
            who,
            text,
            f"https://{channel.network}.example/demo/{key}",
            when,
            thread_key="demo-post-terrazas" if kind == "comment" else f"dm-{who}",
        )
        return item

    receive(fb, "c1", "comment", "@marthaL.usme",
            "¿Cuándo abren inscripciones de Plan Terrazas en Usme?", _ago(0, 3))  # fmt: skip
    receive(ig, "c2", "comment", "@donjorge_cb",
            "Excelente trabajo con las escaleras de Bella Flor 👏", _ago(0, 5))  # fmt: skip
    spam = receive(x, "m1", "mention", "@ofertas_ya",
                   "Gana dinero desde casa, entra ya a este enlace", _ago(1))  # fmt: skip
    actions.triage(writer, spam, "not_applicable", reason="Publicidad engañosa (spam).")
    thanks = receive(fb, "c3", "comment", "@luzdary.rb",
                     "Gracias por la jornada de titulación en San Cristóbal", _ago(2))  # fmt: skip
    actions.triage(writer, thanks, "interaction")
    actions.mark_responded(writer, thanks, "https://facebook.example/demo/c3-respuesta")

    # A petition received two weeks ago, with its radicado: half its term or more.
    info = receive(fb, "d1", "direct_message", "@carlos.reasent",
                   "Solicito copia de la resolución de mi reasentamiento del barrio Caracolí.",
                   _ago(14))  # fmt: skip
    actions.triage(writer, info, "petition", typology="copies",
                   dependency=dependencies["DR"])  # fmt: skip
    p_info = Petition.objects.get(item=info)
    actions.set_radicado(writer, p_info, "1823452026")
    actions.add_note(
        writer, info, "Se pidió la copia al archivo de la Dirección de Reasentamientos."
    )

    # A complaint received yesterday, still without radicado.
    complaint = receive(x, "m2", "mention", "@vecinos_altos",
                        "Llevamos un mes esperando la visita técnica de Plan Terrazas, nadie responde.",
                        _ago(1, 2))  # fmt: skip
    actions.triage(writer, complaint, "petition", typology="complaint",
                   dependency=dependencies["DMV"])  # fmt: skip
    actions.assign(jefe, complaint, writer)

    # A petition answered and closed, with its evidence.
    closed = receive(fb, "d2", "direct_message", "@anamaria.t",
                     "¿Qué documentos necesito para la titulación de mi predio?", _ago(20))  # fmt: skip
    actions.triage(writer, closed, "petition", typology="information",
                   dependency=dependencies["DUT"])  # fmt: skip
    p_closed = Petition.objects.get(item=closed)
    actions.record_answer(
        writer,
        p_closed,
        "Le enviamos por mensaje directo la lista de documentos y los horarios de atención.",
        "https://facebook.example/demo/d2-respuesta",
    )
    actions.set_radicado(writer, p_closed, "1790012026")
    actions.close(writer, p_closed)
