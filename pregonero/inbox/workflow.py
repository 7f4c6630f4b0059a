"""States of inbound items and petitions; the petition's transitions as data."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemKind(models.TextChoices):
    COMMENT = "comment", _("Comentario")
    MENTION = "mention", _("Mención")
    DIRECT_MESSAGE = "direct_message", _("Mensaje directo")
    EMAIL = "email", _("Correo electrónico")
    PHONE = "phone", _("Llamada telefónica")


class ItemState(models.TextChoices):
    NEW = "new", _("Sin clasificar")
    INTERACTION = "interaction", _("Interacción")
    PETITION = "petition", _("Petición")
    NOT_APPLICABLE = "not_applicable", _("No procede")


class TriageDecision(models.TextChoices):
    INTERACTION = "interaction", _("Interacción")
    PETITION = "petition", _("Petición")
    NOT_APPLICABLE = "not_applicable", _("No procede (spam, insulto)")


class Typology(models.TextChoices):
    """The typology of Bogotá te escucha."""

    GENERAL_INTEREST = "general_interest", _("Derecho de petición de interés general")
    PARTICULAR_INTEREST = (
        "particular_interest",
        _("Derecho de petición de interés particular"),
    )
    COMPLAINT = "complaint", _("Queja")
    CLAIM = "claim", _("Reclamo")
    SUGGESTION = "suggestion", _("Sugerencia")
    CONGRATULATION = "congratulation", _("Felicitación")
    CONSULTATION = "consultation", _("Consulta")
    INFORMATION = "information", _("Solicitud de información")
    COPIES = "copies", _("Solicitud de copias")
    CORRUPTION = "corruption", _("Denuncia por posibles actos de corrupción")


def term_for(typology: str) -> int:
    """The legal term in business days (Ley 1755 de 2015, art. 14; PET-02)."""
    from .deadlines import CONSULTATION_TERM, GENERAL_TERM, INFORMATION_TERM

    if typology in (Typology.INFORMATION, Typology.COPIES):
        return INFORMATION_TERM
    if typology == Typology.CONSULTATION:
        return CONSULTATION_TERM
    return GENERAL_TERM


class PetitionState(models.TextChoices):
    OPEN = "open", _("En trámite")
    CLARIFICATION = "clarification", _("Esperando aclaración del peticionario")
    REFERRED = "referred", _("Remitida por competencia")
    ANSWERED = "answered", _("Respondida")
    CLOSED = "closed", _("Cerrada")


class PetitionAction(models.TextChoices):
    REQUEST_CLARIFICATION = "request_clarification", _("Solicitar aclaración")
    RECEIVE_CLARIFICATION = "receive_clarification", _("Registrar la aclaración")
    REFER = "refer", _("Remitir por competencia")
    EXTEND = "extend", _("Ampliar el término")
    ANSWER = "answer", _("Registrar la respuesta")
    CLOSE = "close", _("Cerrar")


# (state, action) → new state. Setting the radicado, the dependency or the
# petitioner's data is not a transition: it is allowed until the petition closes.
TRANSITIONS: dict[tuple[str, str], str] = {
    (PetitionState.OPEN, PetitionAction.REQUEST_CLARIFICATION): (
        PetitionState.CLARIFICATION
    ),
    (PetitionState.CLARIFICATION, PetitionAction.RECEIVE_CLARIFICATION): (
        PetitionState.OPEN
    ),
    (PetitionState.OPEN, PetitionAction.REFER): PetitionState.REFERRED,
    (PetitionState.OPEN, PetitionAction.EXTEND): PetitionState.OPEN,
    (PetitionState.OPEN, PetitionAction.ANSWER): PetitionState.ANSWERED,
    (PetitionState.ANSWERED, PetitionAction.CLOSE): PetitionState.CLOSED,
    (PetitionState.REFERRED, PetitionAction.CLOSE): PetitionState.CLOSED,
}

# States whose legal clock is running (alerts, overdue).
RUNNING = (PetitionState.OPEN,)


def transition_for(state: str, action: str) -> str | None:
    return TRANSITIONS.get((state, action))


def actions_from(state: str) -> list[str]:
    return [a for (s, a) in TRANSITIONS if s == state]
