"""Object-level rules for pieces: who sees which, who is "the author"."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from pregonero.accounts.permissions import Perm, has_perm

from .models import AssetSet, Piece, PieceQuerySet, TextVersion
from .workflow import PieceState


def visible_pieces(user: Any) -> PieceQuerySet:
    """Pieces the user may see: the whole organization for the OAC and Control
    Interno; otherwise only those of the user's dependency."""
    if not getattr(user, "is_authenticated", False) or user.organization_id is None:
        return Piece.objects.none()
    qs = Piece.objects.for_org(user.organization_id)
    if has_perm(user, Perm.READ_ALL):
        return qs
    if user.dependency_id:
        return qs.filter(Q(dependency_id=user.dependency_id) | Q(need__requester=user))
    return qs.filter(need__requester=user)


def asset_set_authors(asset_set: AssetSet) -> set[int]:
    ids = {asset_set.created_by_id}
    if asset_set.submitted_by_id:
        ids.add(asset_set.submitted_by_id)
    ids.update(a.uploaded_by_id for a in asset_set.assets.all() if a.uploaded_by_id)
    return ids


def is_author_of_reviewed(user: Any, piece: Piece) -> bool:
    """Whether ``user`` wrote what is under review now (and so may not decide on it)."""
    if piece.state == PieceState.TEXT_REVIEW:
        version: TextVersion | None = piece.latest_text_version
        return version is not None and version.author_id == user.pk
    if piece.state == PieceState.DESIGN_REVIEW:
        # The design approval seals text and design together: the author of
        # either may not give it.
        asset_set = piece.latest_asset_set
        text = piece.latest_text_version
        return (asset_set is not None and user.pk in asset_set_authors(asset_set)) or (
            text is not None and text.author_id == user.pk
        )
    return False
