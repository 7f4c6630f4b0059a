"""The Bandeja's filters, shared by the page and the API.

Written for a table of millions (issue 6: p95 ≤ 100 ms with 2 million items,
``make bench-inbox``): each filter has an index that keeps the newest first
(``InboundItem.Meta.indexes``), and the overdue filter picks the few overdue
petitions' item ids from the petitions' table instead of joining every item to
it (measured: the join walked all 2 million items).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from pregonero.core.models import NetworkKind

from .models import InboundItem, Petition
from .workflow import ItemKind, ItemState, PetitionState, Typology

UNANSWERED = "unanswered"


def filter_items[Items: QuerySet[InboundItem]](
    items: Items,
    user: Any,
    *,
    network: str = "",
    state: str = "",
    assignee: str = "",
    kind: str = "",
    typology: str = "",
    overdue: bool = False,
    without_radicado: bool = False,
    text: str = "",
    now: datetime.datetime | None = None,
) -> Items:
    """``items`` narrowed by each filter given; unknown values are ignored.

    ``network`` is a network or ``"manual"`` (registered by hand); ``state`` an
    item state or ``"unanswered"``; ``assignee`` ``"yo"``, ``"nadie"`` or a
    user id."""
    now = now or timezone.now()
    if network in NetworkKind.values:
        items = items.filter(network=network)
    elif network == "manual":
        items = items.filter(channel__isnull=True)
    if state in ItemState.values:
        items = items.filter(state=state)
    elif state == UNANSWERED:
        items = items.filter(responded_at__isnull=True).exclude(
            state=ItemState.NOT_APPLICABLE
        )
    if assignee == "yo":
        items = items.filter(assignee=user)
    elif assignee == "nadie":
        items = items.filter(assignee__isnull=True)
    elif assignee.isdigit():
        items = items.filter(assignee_id=int(assignee))
    if kind in ItemKind.values:
        items = items.filter(kind=kind)
    if typology in Typology.values:
        items = items.filter(typology=typology)
    if overdue:
        # Petitions past their legal term (few, by the petitions' own index),
        # or an item past its first-response target that is no petition (the
        # partial index of unanswered items).
        late = Petition.objects.filter(
            organization_id=user.organization_id,
            state=PetitionState.OPEN,
            due_date__lt=timezone.localdate(now),
        ).values_list("item_id", flat=True)
        items = items.filter(
            Q(pk__in=list(late))
            | Q(responded_at__isnull=True, first_response_due__lt=now)
            & ~Q(state__in=(ItemState.NOT_APPLICABLE, ItemState.PETITION))
        )
    if without_radicado:
        # Only open petitions lack one (closing requires it, PET-03); they are
        # recent, so walking the items newest first finds them soon.
        items = items.filter(petition__isnull=False, petition__radicado="")
    if text:
        items = items.filter(
            Q(text__icontains=text)
            | Q(author_handle__icontains=text)
            | Q(petition__number__icontains=text)
            | Q(petition__radicado__icontains=text)
        )
    return items


def capped_count(items: QuerySet[InboundItem], cap: int) -> tuple[int, bool]:
    """How many items match, counting at most ``cap`` (and whether there are more)."""
    found = items.order_by()[: cap + 1].count()
    return min(found, cap), found > cap
