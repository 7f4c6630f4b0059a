"""Spanish labels for every audit action id, as shown on timelines and exports."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, Promise] = {
    # accounts
    "accounts.user.created": _("Usuario creado"),
    "accounts.user.updated": _("Usuario modificado"),
    "accounts.user.roles_changed": _("Roles del usuario cambiados"),
    "accounts.delegation.created": _("Encargo registrado"),
    "accounts.delegation.revoked": _("Encargo revocado"),
    "accounts.token.created": _("Token de API creado"),
    "accounts.token.revoked": _("Token de API revocado"),
    "accounts.ical.rotated": _("Enlace del calendario renovado"),
    # checks: the language review's settings per organization
    "checks.profile.created": _("Configuración de la revisión del lenguaje creada"),
    "checks.profile.updated": _("Configuración de la revisión del lenguaje modificada"),
    "checks.profile.words_changed": _(
        "Listas de palabras de la revisión del lenguaje modificadas"
    ),
    # core
    "core.channel.created": _("Canal creado"),
    "core.channel.updated": _("Canal modificado"),
    "core.organization.updated": _("Datos de la entidad modificados"),
    # intake
    "intake.need.registered": _("Necesidad registrada"),
    "intake.need.imported_email": _("Necesidad registrada desde un correo"),
    "intake.need.updated": _("Necesidad modificada"),
    "intake.need.attachment_added": _("Adjunto agregado a la necesidad"),
    "intake.need.triaged_punctual": _("Clasificada como acción puntual"),
    "intake.need.triaged_planning": _("Clasificada para la reunión de planeación"),
    "intake.need.planned": _("Incluida en el plan de contenidos"),
    "intake.need.attended": _("Necesidad atendida"),
    "intake.need.discarded": _("Necesidad descartada"),
    # inbox: the Bandeja de atención and petitions (PQRSD)
    "inbox.item.received": _("Mensaje recibido de la red"),
    "inbox.item.registered": _("Mensaje registrado a mano"),
    "inbox.item.triaged": _("Mensaje clasificado"),
    "inbox.item.assigned": _("Mensaje asignado"),
    "inbox.item.note_added": _("Nota interna agregada"),
    "inbox.item.responded": _("Primera respuesta registrada"),
    "inbox.item.anonymised": _(
        "Contenido anonimizado por el plazo de conservación (Ley 1581 de 2012)"
    ),
    "inbox.ingestion.requested": _("Lectura de un canal pedida a mano"),
    "inbox.saved_reply.created": _("Respuesta guardada creada"),
    "inbox.saved_reply.updated": _("Respuesta guardada modificada"),
    "inbox.reply.queued": _("Respuesta puesta en cola"),
    "inbox.reply.sent": _("Respuesta enviada por la red"),
    "inbox.reply.unconfirmed": _("La red no confirmó la respuesta"),
    "inbox.reply.reconciled": _("Respuesta encontrada en la red al reconciliar"),
    "inbox.reply.needs_review": _("Respuesta sin confirmar pasada a una persona"),
    "inbox.reply.resolved": _("Respuesta sin confirmar resuelta por una persona"),
    "mailbox.read.requested": _("Lectura del buzón institucional pedida a mano"),
    "mailbox.read.failed": _("Falló la lectura del buzón institucional"),
    "inbox.petition.opened": _("Petición abierta con su término legal"),
    "inbox.petition.radicado_set": _("Radicado de Bogotá te escucha registrado"),
    "inbox.petition.updated": _("Datos de la petición modificados"),
    "inbox.petition.referred": _("Petición remitida por competencia"),
    "inbox.petition.clarification_requested": _(
        "Aclaración solicitada al peticionario"
    ),
    "inbox.petition.clarification_received": _(
        "Aclaración recibida: el término corre de nuevo"
    ),
    "inbox.petition.extended": _("Término de la petición ampliado"),
    "inbox.petition.answered": _("Respuesta de la petición registrada"),
    "inbox.petition.closed": _("Petición cerrada"),
    "inbox.petition.alert_sent": _("Alerta de término enviada"),
    "core.holiday.created": _("Festivo agregado al calendario"),
    "core.holiday.updated": _("Festivo del calendario modificado"),
    "core.inboxsettings.created": _("Configuración de la bandeja creada"),
    "core.inboxsettings.updated": _("Configuración de la bandeja modificada"),
    "core.savedreply.created": _("Respuesta guardada creada"),
    "core.savedreply.updated": _("Respuesta guardada modificada"),
    # planning
    "planning.meeting.created": _("Reunión de planeación creada"),
    "planning.meeting.updated": _("Reunión de planeación modificada"),
    "planning.meeting.issued": _("Acta de reunión expedida"),
    "planning.meeting.reopened": _("Acta reabierta para una nueva versión"),
    "planning.plan_item.created": _("Ítem del plan de contenidos creado"),
    "planning.plan_item.updated": _("Ítem del plan de contenidos modificado"),
    "planning.plan_item.commented": _("Comentario del enlace en el plan"),
    "planning.joint_action.created": _(
        "Acción conjunta con la Red Distrital registrada"
    ),
    "planning.joint_action.updated": _("Acción conjunta modificada"),
    "planning.joint_action.evidence_added": _("Evidencia de acción conjunta agregada"),
    # content
    "content.piece.created": _("Pieza creada"),
    "content.piece.updated": _("Datos de la pieza modificados"),
    "content.piece.assigned": _("Responsables de la pieza asignados"),
    "content.version.created": _("Nueva versión del texto"),
    "content.version.conflict_saved": _("Texto guardado como borrador por conflicto"),
    "content.version.draft_dismissed": _("Borrador por conflicto descartado"),
    "content.text.submitted": _("Texto enviado a revisión (punto de control 1)"),
    "content.text.approved": _("Texto aprobado; pasa a diseño"),
    "content.text.approved_final": _("Texto aprobado sin diseño: visto bueno"),
    "content.text.returned": _("Texto devuelto para ajustes"),
    "content.asset.added": _("Archivo de diseño agregado"),
    "content.asset.removed": _("Archivo de diseño retirado del borrador"),
    "content.asset.updated": _("Texto alternativo o subtítulos actualizados"),
    "content.design.submitted": _("Diseño enviado a revisión (punto de control 2)"),
    "content.design.approved": _("Diseño aprobado: visto bueno"),
    "content.design.returned": _("Diseño devuelto para ajustes"),
    "content.piece.sealed": _("Versión final sellada (visto bueno)"),
    "content.piece.seal_voided": _("Visto bueno anulado por un cambio"),
    "content.piece.reopened": _("Pieza reabierta para cambios"),
    "content.piece.cancelled": _("Pieza cancelada"),
    "content.piece.escalated": _("Aviso al encargado: pieza urgente sin revisar"),
    # publishing
    "publishing.publication.scheduled": _("Publicación programada"),
    "publishing.publication.rescheduled": _("Publicación reprogramada"),
    "publishing.publication.cancelled": _("Publicación cancelada"),
    "publishing.publication.claimed": _("Publicación en curso"),
    "publishing.publication.published": _("Publicada"),
    "publishing.publication.failed": _("Publicación fallida"),
    "publishing.publication.held": _("Publicación retenida: sin visto bueno vigente"),
    "publishing.publication.manual_recorded": _("Publicación manual registrada"),
    "publishing.publication.unconfirmed": _(
        "Publicación sin confirmar: se comprobará en la cuenta"
    ),
    "publishing.publication.reconciled": _("Publicación comprobada en la cuenta"),
    "publishing.publication.needs_review": _(
        "Publicación sin confirmar: se pidió revisión a una persona"
    ),
    "publishing.publication.resolved": _(
        "Publicación sin confirmar resuelta por una persona"
    ),
    "publishing.publication.withdrawn": _("Publicación retirada de la red"),
    "publishing.publication.withdraw_failed": _(
        "La red no permitió retirar la publicación"
    ),
    "publishing.erratum.started": _("Fe de erratas iniciada"),
    # channels (SEC-01)
    "publishing.channel.connected": _("Canal conectado"),
    "publishing.channel.reconnected": _("Canal reconectado"),
    "publishing.channel.instance_registered": _("Aplicación registrada en el servidor"),
    "publishing.channel.tested": _("Conexión probada"),
    "publishing.channel.token_refreshed": _("Acceso renovado"),
    "publishing.channel.refresh_failed": _("Falló la renovación del acceso"),
    "publishing.channel.revoked": _("La red retiró el acceso"),
    "publishing.channel.expired": _("Venció el acceso"),
    "publishing.channel.expiry_alert": _("Aviso de vencimiento del acceso enviado"),
    "publishing.channel.disconnected": _("Canal desconectado"),
    "publishing.channel.keys_rotated": _("Llaves de cifrado rotadas"),
    # analytics: the management report (activity 15)
    "analytics.report.drafted": _("Borrador del informe de gestión creado"),
    "analytics.report.refreshed": _("Cifras del informe actualizadas"),
    "analytics.report.edited": _("Textos del informe modificados"),
    "analytics.report.submitted": _("Informe enviado a aprobación"),
    "analytics.report.approved": _("Informe de gestión aprobado"),
    "analytics.report.returned": _("Informe devuelto con comentarios"),
    "analytics.report.reopened": _("Nueva versión del informe abierta"),
    # analytics: imports of hand-downloaded exports
    "analytics.import.previewed": _("Archivo de estadísticas cargado (vista previa)"),
    "analytics.import.imported": _("Archivo de estadísticas importado"),
    "analytics.import.discarded": _("Importación de estadísticas descartada"),
    "analytics.import.refused": _("Archivo de estadísticas rechazado"),
    "analytics.column_mapping.saved": _("Asignación de columnas guardada"),
    # analytics: collection from the networks
    "analytics.collection.requested": _("Recolección de estadísticas solicitada"),
}


def label_for(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
