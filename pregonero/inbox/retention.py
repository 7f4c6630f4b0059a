"""Retention and anonymisation of the Bandeja (issue 6 §4, Ley 1581 de 2012).

DAT-01: only what is needed is stored, and only for as long as it is needed.
Each organization sets, in its ``InboxSettings``, how many months the content
of an item is kept: interactions (and items never classified) and *no procede*
counted from their receipt, petitions counted from their closing (REC-01: the
petition thread is a *documento de archivo*; its TRD period is set by Gestión
Documental). Past that period the scheduler replaces the citizen's content by
an anonymised value and writes one audit event per item in the same
transaction.

What stays, so that the Decreto 371 statistics still add up (PET-09): the
platform ids, dates, kind, network, channel, typology, states, deadlines,
radicado, dependency and the on-time figures. What goes: the author, the text,
the link and the network's raw data of the item; the petitioner's name,
document and contact; the free texts of the petition, the notes, the triage
reasons and the replies; the sender and subject of an e-mail that became the
item.

Never touched: an open petition (any state but *cerrada*), and an item with a
reply not settled yet (queued, being sent or unconfirmed).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pregonero.audit.actions import record
from pregonero.core.models import Organization

from .holidays_calendar import settings_for
from .models import InboundItem, Note, Petition, Reply, ReplyState, Triage
from .workflow import ItemState, PetitionState

ANONYMISED = "[anonimizado]"
BATCH_SIZE = 500
# A reply still on its way (or whose fate is unknown) keeps its item as it is.
PENDING_REPLY_STATES = (
    ReplyState.DRAFT,
    ReplyState.QUEUED,
    ReplyState.SENDING,
    ReplyState.UNCONFIRMED,
)


def months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    """The same day and time ``months`` calendar months earlier (the 31st of a
    shorter month becomes its last day)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    following = datetime.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (following - datetime.timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def anonymised_text() -> str:
    return _(
        "[Contenido anonimizado al vencer el plazo de conservación (Ley 1581 de 2012).]"
    )


@dataclass(frozen=True)
class Periods:
    """An organization's retention periods in months (0 = never)."""

    interaction: int
    not_applicable: int
    petition: int


def periods_for(organization_id: int) -> Periods:
    found = settings_for(organization_id)
    return Periods(
        found.retention_interaction_months,
        found.retention_not_applicable_months,
        found.retention_petition_months,
    )


def _expired(periods: Periods, now: datetime.datetime) -> Q | None:
    """Which items are past their period; None when nothing ever expires."""
    conditions: list[Q] = []
    if periods.interaction:
        conditions.append(
            Q(
                state__in=(ItemState.NEW, ItemState.INTERACTION),
                received_at__lt=months_before(now, periods.interaction),
            )
        )
    if periods.not_applicable:
        conditions.append(
            Q(
                state=ItemState.NOT_APPLICABLE,
                received_at__lt=months_before(now, periods.not_applicable),
            )
        )
    if periods.petition:
        conditions.append(
            Q(
                state=ItemState.PETITION,
                petition__state=PetitionState.CLOSED,
                petition__closed_at__lt=months_before(now, periods.petition),
            )
        )
    if not conditions:
        return None
    expired = conditions[0]
    for condition in conditions[1:]:
        expired |= condition
    return expired


def expired_items(
    organization_id: int, now: datetime.datetime | None = None
) -> QuerySet[InboundItem]:
    """The organization's items due for anonymisation, oldest first."""
    now = now or timezone.now()
    expired = _expired(periods_for(organization_id), now)
    if expired is None:
        return InboundItem.objects.none()
    return (
        InboundItem.objects.filter(
            expired, organization_id=organization_id, anonymised_at__isnull=True
        )
        .exclude(
            pk__in=Reply.objects.filter(state__in=PENDING_REPLY_STATES).values(
                "item_id"
            )
        )
        .order_by("pk")
    )


def _reason(item: InboundItem) -> str:
    if item.state == ItemState.PETITION:
        return "petition"
    if item.state == ItemState.NOT_APPLICABLE:
        return "not_applicable"
    return "interaction"


def _anonymise_item(
    item: InboundItem, periods: Periods, now: datetime.datetime
) -> None:
    """Anonymise one locked item and what hangs from it; audited."""
    note = anonymised_text()
    reason = _reason(item)
    InboundItem.objects.filter(pk=item.pk).update(
        author_handle=ANONYMISED,
        author_name="",
        text=note,
        url="",
        raw={},
        anonymised_at=now,
        lock_version=F("lock_version") + 1,
    )
    notes = Note.objects.filter(item=item).update(text=note)
    replies = Reply.objects.filter(item=item).update(text=note, updated_at=now)
    Triage.objects.filter(item=item).exclude(reason="").update(reason=note)
    petition = Petition.objects.filter(item=item).first()
    if petition is not None:
        free_texts = {
            name: note
            for name in (
                "answer_text",
                "referral_note",
                "clarification_text",
                "extension_reason",
            )
            if getattr(petition, name)
        }
        Petition.objects.filter(pk=petition.pk).update(
            petitioner_name="",
            petitioner_document="",
            petitioner_contact="",
            lock_version=F("lock_version") + 1,
            **free_texts,
        )
    emails = _anonymise_email(item)
    months = {
        "interaction": periods.interaction,
        "not_applicable": periods.not_applicable,
        "petition": periods.petition,
    }[reason]
    counted_from = (
        petition.closed_at if reason == "petition" and petition else item.received_at
    )
    record(
        None,
        "inbox.item.anonymised",
        item,
        {
            "reason": reason,
            "retention_months": months,
            "counted_from": counted_from,
            "petition": petition.number if petition else None,
            "notes": notes,
            "replies": replies,
            "emails": emails,
        },
        organization=item.organization_id,
        target_label=_("Mensaje %(id)s (anonimizado)") % {"id": item.pk},
    )


def _anonymise_email(item: InboundItem) -> int:
    """The mailbox's log of the e-mail that became the item keeps its sender and
    subject, and the stored .eml and attachments hold the whole message: the
    log is cleared and the files deleted once the transaction commits (the
    rows stay, with their size and SHA-256, as the trace of what was kept)."""
    from pregonero.mailbox.models import MessageAttachment, ProcessedMessage

    updated = ProcessedMessage.objects.filter(item=item).update(
        sender=ANONYMISED, subject=ANONYMISED
    )
    stored = list(MessageAttachment.objects.filter(message__item=item).exclude(file=""))
    if stored:
        storage = stored[0].file.storage
        names = [f.file.name for f in stored if f.file.name]
        MessageAttachment.objects.filter(pk__in=[f.pk for f in stored]).update(
            file="", original_name=ANONYMISED
        )

        def delete_files() -> None:
            for name in names:
                storage.delete(name)

        transaction.on_commit(delete_files)
    return updated


def anonymise_expired(
    now: datetime.datetime | None = None,
    *,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    limit: int | None = None,
) -> int:
    """Anonymise every item past its organization's retention period (DAT-01).

    In batches of ``batch_size``, each in its own transaction with one audit
    event per item, so an interrupted run is simply resumed by the next one;
    items already anonymised are skipped. ``dry_run`` only counts. ``limit``
    caps one run (the scheduler's); the rest waits for the next run.
    """
    now = now or timezone.now()
    total = 0
    for organization_id in Organization.objects.values_list("pk", flat=True):
        if dry_run:
            total += expired_items(organization_id, now).count()
            continue
        periods = periods_for(organization_id)
        while limit is None or total < limit:
            size = batch_size if limit is None else min(batch_size, limit - total)
            with transaction.atomic():
                batch = list(
                    expired_items(organization_id, now).select_for_update(of=("self",))[
                        :size
                    ]
                )
                for item in batch:
                    _anonymise_item(item, periods, now)
            total += len(batch)
            if len(batch) < size:
                break
    return total
