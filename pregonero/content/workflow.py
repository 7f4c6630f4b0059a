"""The life of a communication piece (activities 5–13), as data.

States and actions are TextChoices with English values and Spanish labels.
``TRANSITIONS`` maps (state, action) to the next state, the permission needed,
whether a comment is mandatory, and whether the author of the version under
review is excluded. ``allowed_actions`` drives both the buttons and the server
check. Nothing here queries the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class PieceState(models.TextChoices):
    DRAFTING = "drafting", _("Redacción")
    TEXT_REVIEW = "text_review", _("Revisión del texto")
    TEXT_CHANGES = "text_changes", _("Ajustes al texto")
    DESIGN = "design", _("Diseño")
    DESIGN_REVIEW = "design_review", _("Revisión del diseño")
    DESIGN_CHANGES = "design_changes", _("Ajustes al diseño")
    APPROVED = "approved", _("Visto bueno")
    CANCELLED = "cancelled", _("Cancelada")


class PieceAction(models.TextChoices):
    SUBMIT_TEXT = "submit_text", _("Enviar el texto a revisión")
    APPROVE_TEXT = "approve_text", _("Aprobar el texto y pasar a diseño")
    APPROVE_TEXT_FINAL = "approve_text_final", _("Aprobar sin diseño y dar visto bueno")
    RETURN_TEXT = "return_text", _("Devolver el texto para ajustes")
    SUBMIT_DESIGN = "submit_design", _("Enviar el diseño a revisión")
    APPROVE_DESIGN = "approve_design", _("Aprobar el diseño y dar visto bueno")
    RETURN_DESIGN = "return_design", _("Devolver el diseño para ajustes")
    REOPEN_TEXT = "reopen_text", _("Reabrir el texto para cambios")
    REOPEN_DESIGN = "reopen_design", _("Reabrir el diseño para cambios")
    CANCEL = "cancel", _("Cancelar la pieza")


# Permission strings (accounts.permissions.Perm values), kept as plain strings so
# this module stays free of imports from other apps.
WRITE = "piece.write"
DESIGN = "piece.design"
REVIEW = "piece.review"
CANCEL = "piece.cancel"


@dataclass(frozen=True)
class Transition:
    source: PieceState
    action: PieceAction
    target: PieceState
    permission: str
    needs_comment: bool = False
    author_excluded: bool = False
    control_point: int | None = None
    seals: bool = False
    style: str = "primary"


_S = PieceState
_A = PieceAction

_TABLE: list[Transition] = [
    Transition(_S.DRAFTING, _A.SUBMIT_TEXT, _S.TEXT_REVIEW, WRITE),
    Transition(_S.TEXT_CHANGES, _A.SUBMIT_TEXT, _S.TEXT_REVIEW, WRITE),
    # Control point 1 (activity 7): timeliness and veracity of the text.
    Transition(
        _S.TEXT_REVIEW,
        _A.APPROVE_TEXT,
        _S.DESIGN,
        REVIEW,
        author_excluded=True,
        control_point=1,
        style="success",
    ),
    Transition(
        _S.TEXT_REVIEW,
        _A.APPROVE_TEXT_FINAL,
        _S.APPROVED,
        REVIEW,
        author_excluded=True,
        control_point=1,
        seals=True,
        style="success",
    ),
    Transition(
        _S.TEXT_REVIEW,
        _A.RETURN_TEXT,
        _S.TEXT_CHANGES,
        REVIEW,
        needs_comment=True,
        author_excluded=True,
        control_point=1,
        style="warning",
    ),
    Transition(_S.DESIGN, _A.SUBMIT_DESIGN, _S.DESIGN_REVIEW, DESIGN),
    Transition(_S.DESIGN_CHANGES, _A.SUBMIT_DESIGN, _S.DESIGN_REVIEW, DESIGN),
    # Control point 2 (activity 12): the design; its approval is the visto bueno.
    Transition(
        _S.DESIGN_REVIEW,
        _A.APPROVE_DESIGN,
        _S.APPROVED,
        REVIEW,
        author_excluded=True,
        control_point=2,
        seals=True,
        style="success",
    ),
    Transition(
        _S.DESIGN_REVIEW,
        _A.RETURN_DESIGN,
        _S.DESIGN_CHANGES,
        REVIEW,
        needs_comment=True,
        author_excluded=True,
        control_point=2,
        style="warning",
    ),
    # A change to approved text or design voids the seal and goes back to review.
    *(
        Transition(
            state,
            _A.REOPEN_TEXT,
            _S.TEXT_CHANGES,
            WRITE,
            needs_comment=True,
            style="secondary",
        )
        for state in (_S.DESIGN, _S.DESIGN_REVIEW, _S.DESIGN_CHANGES, _S.APPROVED)
    ),
    Transition(
        _S.APPROVED,
        _A.REOPEN_DESIGN,
        _S.DESIGN_CHANGES,
        DESIGN,
        needs_comment=True,
        style="secondary",
    ),
    *(
        Transition(
            state, _A.CANCEL, _S.CANCELLED, CANCEL, needs_comment=True, style="danger"
        )
        for state in (
            _S.DRAFTING,
            _S.TEXT_REVIEW,
            _S.TEXT_CHANGES,
            _S.DESIGN,
            _S.DESIGN_REVIEW,
            _S.DESIGN_CHANGES,
        )
    ),
]

TRANSITIONS: dict[tuple[str, str], Transition] = {
    (t.source.value, t.action.value): t for t in _TABLE
}

# States where the writer may save a new text version without reopening anything.
TEXT_EDITABLE = {_S.DRAFTING, _S.TEXT_CHANGES}
# States where the designer may add assets to the draft asset set.
DESIGN_EDITABLE = {_S.DESIGN, _S.DESIGN_CHANGES}
REVIEW_STATES = {_S.TEXT_REVIEW, _S.DESIGN_REVIEW}
FINAL_STATES = {_S.CANCELLED}
IN_PROGRESS = {
    _S.DRAFTING,
    _S.TEXT_REVIEW,
    _S.TEXT_CHANGES,
    _S.DESIGN,
    _S.DESIGN_REVIEW,
    _S.DESIGN_CHANGES,
}


def transition_for(state: str, action: str) -> Transition | None:
    return TRANSITIONS.get((state, action))


def allowed_actions(
    state: str, perms: Iterable[str], *, is_author_of_reviewed: bool
) -> list[Transition]:
    """Transitions the user may take now, in table order.

    ``is_author_of_reviewed`` says whether the user wrote the text version (or
    uploaded the asset set) under review: such a user never decides on it.
    """
    held = set(perms)
    return [
        t
        for t in _TABLE
        if t.source == state
        and t.permission in held
        and not (t.author_excluded and is_author_of_reviewed)
    ]
