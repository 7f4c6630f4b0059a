"""States of a communication need (activity 1) and their transitions. No queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class NeedState(models.TextChoices):
    REGISTERED = "registered", _("Registrada")
    PUNCTUAL = "punctual", _("Acción puntual (en producción)")
    FOR_PLANNING = "for_planning", _("Para la reunión de planeación")
    IN_PLAN = "in_plan", _("En el plan de contenidos")
    ATTENDED = "attended", _("Atendida")
    DISCARDED = "discarded", _("Descartada")


class NeedAction(models.TextChoices):
    TRIAGE_PUNCTUAL = "triage_punctual", _("Acción puntual: producir ya")
    TRIAGE_PLANNING = "triage_planning", _("Llevar a la reunión de planeación")
    PLAN = "plan", _("Incluir en el plan")
    ATTEND = "attend", _("Marcar atendida")
    DISCARD = "discard", _("Descartar")


@dataclass(frozen=True)
class NeedTransition:
    new_state: NeedState
    permission: str
    needs_comment: bool = False


TRANSITIONS: dict[tuple[str, str], NeedTransition] = {
    (NeedState.REGISTERED, NeedAction.TRIAGE_PUNCTUAL): NeedTransition(
        NeedState.PUNCTUAL, "need.triage"
    ),
    (NeedState.REGISTERED, NeedAction.TRIAGE_PLANNING): NeedTransition(
        NeedState.FOR_PLANNING, "need.triage"
    ),
    (NeedState.REGISTERED, NeedAction.DISCARD): NeedTransition(
        NeedState.DISCARDED, "need.triage", needs_comment=True
    ),
    (NeedState.FOR_PLANNING, NeedAction.PLAN): NeedTransition(
        NeedState.IN_PLAN, "plan.manage"
    ),
    (NeedState.FOR_PLANNING, NeedAction.DISCARD): NeedTransition(
        NeedState.DISCARDED, "need.triage", needs_comment=True
    ),
    # A punctual need, or one in the plan, is attended when its pieces are published.
    (NeedState.PUNCTUAL, NeedAction.ATTEND): NeedTransition(
        NeedState.ATTENDED, "publication.manage"
    ),
    (NeedState.IN_PLAN, NeedAction.ATTEND): NeedTransition(
        NeedState.ATTENDED, "publication.manage"
    ),
    (NeedState.IN_PLAN, NeedAction.DISCARD): NeedTransition(
        NeedState.DISCARDED, "need.triage", needs_comment=True
    ),
}

OPEN_STATES = {
    NeedState.REGISTERED,
    NeedState.PUNCTUAL,
    NeedState.FOR_PLANNING,
    NeedState.IN_PLAN,
}


def transition_for(state: str, action: str) -> NeedTransition | None:
    return TRANSITIONS.get((state, action))


def actions_from(state: str) -> list[str]:
    return [action for (from_state, action) in TRANSITIONS if from_state == state]
