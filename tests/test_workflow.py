"""The piece's transition table, exhaustively, without the database."""

from __future__ import annotations

import itertools

import pytest

from pregonero.accounts.permissions import JEFE_DELEGABLE, ROLE_PERMS, Perm
from pregonero.content.workflow import (
    TRANSITIONS,
    PieceAction,
    PieceState,
    allowed_actions,
    transition_for,
)
from pregonero.intake.workflow import TRANSITIONS as NEED_TRANSITIONS
from pregonero.intake.workflow import NeedAction, NeedState

S, A = PieceState, PieceAction

# The whole table as the architecture states it: (state, action) → new state.
EXPECTED = {
    (S.DRAFTING, A.SUBMIT_TEXT): S.TEXT_REVIEW,
    (S.TEXT_CHANGES, A.SUBMIT_TEXT): S.TEXT_REVIEW,
    (S.TEXT_REVIEW, A.APPROVE_TEXT): S.DESIGN,
    (S.TEXT_REVIEW, A.APPROVE_TEXT_FINAL): S.APPROVED,
    (S.TEXT_REVIEW, A.RETURN_TEXT): S.TEXT_CHANGES,
    (S.DESIGN, A.SUBMIT_DESIGN): S.DESIGN_REVIEW,
    (S.DESIGN_CHANGES, A.SUBMIT_DESIGN): S.DESIGN_REVIEW,
    (S.DESIGN_REVIEW, A.APPROVE_DESIGN): S.APPROVED,
    (S.DESIGN_REVIEW, A.RETURN_DESIGN): S.DESIGN_CHANGES,
    (S.DESIGN, A.REOPEN_TEXT): S.TEXT_CHANGES,
    (S.DESIGN_REVIEW, A.REOPEN_TEXT): S.TEXT_CHANGES,
    (S.DESIGN_CHANGES, A.REOPEN_TEXT): S.TEXT_CHANGES,
    (S.APPROVED, A.REOPEN_TEXT): S.TEXT_CHANGES,
    (S.APPROVED, A.REOPEN_DESIGN): S.DESIGN_CHANGES,
    **{
        (state, A.CANCEL): S.CANCELLED
        for state in (
            S.DRAFTING,
            S.TEXT_REVIEW,
            S.TEXT_CHANGES,
            S.DESIGN,
            S.DESIGN_REVIEW,
            S.DESIGN_CHANGES,
        )
    },
}


@pytest.mark.parametrize(("state", "action"), list(itertools.product(S, A)))
def test_every_state_action_pair(state: PieceState, action: PieceAction) -> None:
    """Each pair either leads exactly where the table says, or is refused."""
    transition = transition_for(state, action)
    expected = EXPECTED.get((state, action))
    if expected is None:
        assert transition is None
    else:
        assert transition is not None
        assert transition.target == expected


def test_table_has_no_extra_rows() -> None:
    assert {(t.source, t.action) for t in TRANSITIONS.values()} == set(EXPECTED)


def test_review_decisions_exclude_the_author_and_returns_need_a_comment() -> None:
    for transition in TRANSITIONS.values():
        if transition.control_point is not None:
            assert transition.permission == "piece.review"
            assert transition.author_excluded
        if transition.action in (A.RETURN_TEXT, A.RETURN_DESIGN, A.CANCEL):
            assert transition.needs_comment
    seals = {(t.source, t.action) for t in TRANSITIONS.values() if t.seals}
    assert seals == {
        (S.TEXT_REVIEW, A.APPROVE_TEXT_FINAL),
        (S.DESIGN_REVIEW, A.APPROVE_DESIGN),
    }


def test_nothing_leaves_cancelled_and_approved_only_reopens() -> None:
    assert not [t for t in TRANSITIONS.values() if t.source == S.CANCELLED]
    from_approved = {t.action for t in TRANSITIONS.values() if t.source == S.APPROVED}
    assert from_approved == {A.REOPEN_TEXT, A.REOPEN_DESIGN}


@pytest.mark.parametrize("role", list(ROLE_PERMS))
@pytest.mark.parametrize("state", list(S))
def test_allowed_actions_follow_role_permissions(role: str, state: PieceState) -> None:
    perms = {str(p) for p in ROLE_PERMS[role]}
    actions = {
        t.action for t in allowed_actions(state, perms, is_author_of_reviewed=False)
    }
    for transition in TRANSITIONS.values():
        if transition.source == state:
            assert (transition.action in actions) == (transition.permission in perms)


def test_the_author_sees_no_decision_buttons() -> None:
    perms = {str(p) for p in ROLE_PERMS["jefe"]}
    for state in (S.TEXT_REVIEW, S.DESIGN_REVIEW):
        as_author = allowed_actions(state, perms, is_author_of_reviewed=True)
        assert all(t.control_point is None for t in as_author)
        assert any(
            t.control_point
            for t in allowed_actions(state, perms, is_author_of_reviewed=False)
        )


def test_roles_without_editorial_power() -> None:
    for role in ("auditor", "admin", "directivo", "enlace"):
        perms = {str(p) for p in ROLE_PERMS[role]}
        for state in S:
            assert allowed_actions(state, perms, is_author_of_reviewed=False) == []
    assert Perm.PIECE_REVIEW in JEFE_DELEGABLE


def test_need_transitions() -> None:
    assert NEED_TRANSITIONS[
        (NeedState.REGISTERED, NeedAction.TRIAGE_PUNCTUAL)
    ].new_state == (NeedState.PUNCTUAL)
    assert NEED_TRANSITIONS[
        (NeedState.REGISTERED, NeedAction.TRIAGE_PLANNING)
    ].new_state == (NeedState.FOR_PLANNING)
    assert all(
        t.needs_comment
        for (_s, a), t in NEED_TRANSITIONS.items()
        if a == NeedAction.DISCARD
    )
    assert not [
        k for k in NEED_TRANSITIONS if k[0] in (NeedState.ATTENDED, NeedState.DISCARDED)
    ]
