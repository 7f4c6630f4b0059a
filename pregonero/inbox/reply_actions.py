"""Replies to inbound items, sent through the network's adapter exactly once.

The actions layer of the replies (kept apart from ``actions.py``, which it
uses): a reply is queued by a person, claimed by a worker with a conditional
UPDATE, sent outside any transaction, and its outcome written with its attempt
row and audit event in one transaction. An unknown outcome (a timeout after
sending, a dropped connection, a lost worker) is never retried blindly: the
reply becomes *sin confirmar* and is reconciled by reading the thread back.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pregonero.accounts.models import User
from pregonero.accounts.permissions import Perm, require
from pregonero.audit.actions import record
from pregonero.core.errors import (
    NotFoundError,
    TransitionNotAllowed,
    ValidationFailed,
)
from pregonero.core.models import Channel
from pregonero.publishing.actions import (
    _usable_connection,
    abandoned_claims,
    backoff_seconds,
    worker_name,
)
from pregonero.publishing.adapters.base import Adapter, OutboundReply
from pregonero.publishing.adapters.errors import AdapterError, AuthError
from pregonero.publishing.channels import token_rejected
from pregonero.publishing.networks import (
    adapter_class,
    adapter_for,
    connection_of,
    needs_connection,
)

from .models import InboundItem, Reply, ReplyAttempt, ReplyState
from .personal_data import Finding, describe, find_personal_data
from .workflow import ItemKind, PetitionAction, transition_for

logger = logging.getLogger(__name__)

# A queued reply handed to the queue and not taken within this long is handed
# out again (its task was lost); the claim is conditional, so twice is harmless.
REDISPATCH_AFTER = datetime.timedelta(minutes=2)
MAX_RECONCILE_ATTEMPTS = 8


def _channel(item: InboundItem) -> Channel:
    if item.channel is None:
        raise ValidationFailed(
            _(
                "Este mensaje no llegó por una red social: responda por su canal de origen."
            )
        )
    return item.channel


@dataclass(frozen=True)
class ReplyOptions:
    """What the editor offers for one item."""

    public: bool
    private: bool
    reason: str = ""  # why no reply at all (Spanish)
    private_reason: str = ""  # why no private message (Spanish)


def reply_options(item: InboundItem) -> ReplyOptions:
    cls: type[Adapter] = adapter_class(_channel(item))
    if not cls.publishes_automatically or not (
        cls.supports_public_reply or cls.supports_private_reply
    ):
        reason = str(cls.reply_unavailable) or _(
            "Pregonero aún no puede responder en %(channel)s: responda en la red y "
            "registre la respuesta con «Marcar como respondido»."
        ) % {"channel": _channel(item).name}
        return ReplyOptions(False, False, reason=reason)
    private_reason = ""
    if not cls.supports_private_reply:
        private_reason = str(cls.private_reply_unavailable) or _(
            "%(channel)s no permite enviar mensajes privados desde Pregonero: "
            "responda en público sin datos personales e invite a la persona a "
            "escribir por un canal privado."
        ) % {"channel": _channel(item).name}
    public = cls.supports_public_reply and item.kind != ItemKind.DIRECT_MESSAGE
    if not public and not cls.supports_private_reply:
        # A private message on a network that cannot send one from Pregonero.
        return ReplyOptions(False, False, reason=private_reason)
    return ReplyOptions(
        public, cls.supports_private_reply, private_reason=private_reason
    )


def outbound(reply: Reply) -> OutboundReply:
    item = reply.item
    return OutboundReply(
        text=reply.text,
        idempotency_key=str(reply.idempotency_key),
        in_reply_to=item.platform_id,
        kind=item.kind,
        thread_key=item.conversation.thread_key if item.conversation else "",
        author_handle=item.author_handle,
        private=reply.private,
    )


def personal_data_error(findings: list[Finding]) -> ValidationFailed:
    return ValidationFailed(
        _(
            "La respuesta pública contiene datos personales (%(found)s). Quítelos o "
            "responda por mensaje privado; si no son datos personales, confírmelo "
            "expresamente."
        )
        % {"found": describe(findings)},
        errors={
            "text": [_("Datos personales en una respuesta pública.")],
            # Where each finding is (start-end, kind), for the editor to mark it.
            "personal_data": [f"{f.start}-{f.end} {f.kind}" for f in findings],
        },
    )


@transaction.atomic
def create_reply(
    user: User,
    item: InboundItem,
    text: str,
    *,
    private: bool = False,
    confirm_not_personal: bool = False,
    as_petition_answer: bool = False,
) -> Reply:
    """Queue a reply to ``item`` (DAT-01: a public reply with personal data is
    refused unless the person confirms it is not personal data)."""
    require(user, Perm.INBOX_MANAGE)
    item = InboundItem.objects.select_related("channel", "conversation").get(
        pk=item.pk, organization_id=user.organization_id
    )
    if item.anonymised_at is not None:
        raise TransitionNotAllowed(
            _(
                "El contenido de este mensaje se anonimizó por el plazo de "
                "conservación: ya no se puede responder desde Pregonero."
            )
        )
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(
            _("Escriba la respuesta."), errors={"text": [_("Campo obligatorio.")]}
        )
    options = reply_options(item)
    if private and not options.private:
        raise ValidationFailed(
            options.reason or options.private_reason,
            errors={"private": [options.reason or options.private_reason]},
        )
    if not private and not options.public:
        message = options.reason or _(
            "Este mensaje es privado: la respuesta va por mensaje privado."
        )
        raise ValidationFailed(message, errors={"private": [message]})
    if needs_connection(_channel(item)):
        connection = connection_of(_channel(item))
        if connection is None or not connection.is_usable:
            raise ValidationFailed(
                _("El canal %(channel)s no está conectado: conéctelo en Canales.")
                % {"channel": _channel(item).name}
            )
    reply = Reply(
        organization_id=item.organization_id,
        item=item,
        text=text,
        private=private,
        idempotency_key=uuid.uuid4(),
        created_by=user,
        personal_data_confirmed=confirm_not_personal,
        as_petition_answer=as_petition_answer,
    )
    issues = adapter_for(_channel(item)).validate_reply(outbound(reply))
    errors = [i.message for i in issues if i.severity == "error"]
    if errors:
        raise ValidationFailed(" ".join(errors), errors={"text": errors})
    findings = [] if private else find_personal_data(text)
    if findings and not confirm_not_personal:
        raise personal_data_error(findings)
    reply.state = ReplyState.QUEUED
    reply.next_attempt_at = timezone.now() + REDISPATCH_AFTER
    reply.save()
    record(
        user,
        "inbox.reply.queued",
        item,
        {
            "reply": reply.pk,
            "private": private,
            "personal_data_confirmed": bool(findings) and confirm_not_personal,
        },
    )
    transaction.on_commit(lambda: _enqueue(reply.pk))
    return reply


def _enqueue(reply_id: int) -> None:
    from . import tasks

    tasks.send_reply_task.enqueue(reply_id)


def _attempt(
    reply: Reply,
    kind: str,
    outcome: str,
    started_at: datetime.datetime,
    worker: str,
    error: str = "",
    summary: str = "",
) -> None:
    ReplyAttempt.objects.create(
        reply=reply,
        kind=kind,
        outcome=outcome,
        started_at=started_at,
        finished_at=timezone.now(),
        worker=worker[:100],
        error=error[:2000],
        summary=summary[:500],
    )


def _adapter(reply: Reply) -> Adapter:
    channel = _channel(reply.item)
    connection = connection_of(channel)
    if needs_connection(channel):
        connection = _usable_connection(channel, connection)
    return adapter_for(channel, connection)


@dataclass
class ReplyOutcome:
    status: str
    detail: str = ""


def send_reply(reply_id: int, worker: str = "") -> ReplyOutcome:
    """Send one queued reply, exactly once (see the module's docstring)."""
    now = timezone.now()
    worker = worker or worker_name()
    if not Reply.objects.filter(
        Q(next_attempt_at__isnull=True)
        | Q(next_attempt_at__lte=now + REDISPATCH_AFTER),
        pk=reply_id,
        state=ReplyState.QUEUED,
    ).update(
        state=ReplyState.SENDING,
        claimed_at=now,
        claimed_by=worker[:100],
        attempt_count=F("attempt_count") + 1,
        updated_at=now,
    ):
        return ReplyOutcome("skipped")
    reply = Reply.objects.select_related(
        "item__channel", "item__conversation", "created_by"
    ).get(pk=reply_id)
    started_at = timezone.now()
    try:
        adapter = _adapter(reply)
        receipt = adapter.reply(outbound(reply))
    except AdapterError as exc:
        if isinstance(exc, AuthError):
            stored = connection_of(_channel(reply.item))
            if stored is not None and stored.pk:
                token_rejected(stored, exc)
        return _failure(reply, exc, started_at, worker)
    except Exception as exc:  # an adapter bug must not leave the row "sending"
        logger.exception("adapter crashed replying %s", reply_id)
        failure = AdapterError(
            _("Error interno del conector: %(error)s")
            % {"error": exc.__class__.__name__},
            outcome_unknown=True,
            code="crash",
        )
        return _failure(reply, failure, started_at, worker)
    _sent(reply, receipt.platform_id, receipt.permalink, started_at, worker, "send")
    return ReplyOutcome("sent", receipt.permalink)


def _sent(
    reply: Reply,
    platform_id: str,
    permalink: str,
    started_at: datetime.datetime,
    worker: str,
    kind: str,
    actor: User | None = None,
) -> None:
    """The reply is on the network: record it, mark the item responded and,
    when asked, keep it as the petition's answer (PET-08). ``kind`` is "send",
    "reconcile" (found by reading the thread) or "manual" (a person said so)."""
    now = timezone.now()
    with transaction.atomic():
        Reply.objects.filter(pk=reply.pk).update(
            state=ReplyState.SENT,
            platform_id=platform_id[:200],
            permalink=permalink[:500],
            sent_at=now,
            claimed_at=None,
            unconfirmed_at=None,
            needs_review=False,
            next_attempt_at=None,
            last_error="",
            updated_at=now,
        )
        _attempt(
            reply,
            kind,
            {"send": "sent", "manual": "confirmed"}.get(kind, "found"),
            started_at,
            worker,
            summary=platform_id,
        )
        item = reply.item
        record(
            actor,
            "inbox.reply.sent",
            item,
            {
                "reply": reply.pk,
                "platform_id": platform_id,
                "permalink": permalink or None,
                "reconciled": kind != "send",
            },
            organization=item.organization_id,
        )
        if InboundItem.objects.filter(pk=item.pk, responded_at__isnull=True).update(
            responded_at=now,
            response_url=permalink[:500],
            lock_version=F("lock_version") + 1,
        ):
            on_time = item.first_response_due is None or now <= item.first_response_due
            record(
                actor,
                "inbox.item.responded",
                item,
                {"permalink": permalink or None, "on_time": on_time},
                organization=item.organization_id,
            )
        if reply.as_petition_answer:
            _answer_petition(reply, permalink, now, actor)


def _answer_petition(
    reply: Reply, permalink: str, now: datetime.datetime, actor: User | None = None
) -> None:
    from .models import Petition

    petition = Petition.objects.filter(item_id=reply.item_id).first()
    if petition is None:
        return
    new_state = transition_for(petition.state, PetitionAction.ANSWER)
    if new_state is None:
        return
    if not Petition.objects.filter(
        pk=petition.pk, lock_version=petition.lock_version
    ).update(
        state=new_state,
        answer_text=reply.text,
        answer_url=permalink[:500],
        answered_at=now,
        answered_by=reply.created_by,
        lock_version=F("lock_version") + 1,
    ):
        return
    record(
        actor,
        "inbox.petition.answered",
        reply.item,
        {
            "petition": petition.number,
            "permalink": permalink or None,
            "on_time": timezone.localdate(now) <= petition.due_date,
            "reply": reply.pk,
        },
        organization=reply.organization_id,
    )


def _failure(
    reply: Reply, exc: AdapterError, started_at: datetime.datetime, worker: str
) -> ReplyOutcome:
    now = timezone.now()
    if exc.outcome_unknown:
        state, outcome, next_at = ReplyState.UNCONFIRMED, "unknown", None
    elif (
        exc.permanent or reply.attempt_count >= settings.PREGONERO_MAX_PUBLISH_ATTEMPTS
    ):
        state, outcome, next_at = ReplyState.FAILED, "failed", None
    else:
        state, outcome = ReplyState.QUEUED, "retry"
        next_at = now + datetime.timedelta(
            seconds=backoff_seconds(reply.attempt_count, exc.retry_after)
        )
    with transaction.atomic():
        fields: dict[str, Any] = {
            "state": state,
            "last_error": exc.message[:2000],
            "failure_code": exc.code[:40],
            "next_attempt_at": next_at,
            "claimed_at": None,
            "updated_at": now,
        }
        if state == ReplyState.UNCONFIRMED:
            fields.update(unconfirmed_at=now, reconcile_attempts=0)
        Reply.objects.filter(pk=reply.pk).update(**fields)
        _attempt(
            reply,
            "send",
            outcome,
            started_at,
            worker,
            error=f"[{exc.code}] {exc.message}",
        )
        if state != ReplyState.QUEUED:
            record(
                None,
                f"inbox.reply.{state}",
                reply.item,
                {"reply": reply.pk, "error": exc.message, "code": exc.code},
                organization=reply.organization_id,
            )
    return ReplyOutcome(outcome, exc.message)


def reconcile_reply(reply_id: int, worker: str = "") -> ReplyOutcome:
    """Read the thread back: our reply found → sent with its real id; not
    found → queued again (sending now cannot duplicate it); a network that
    cannot tell, or repeated errors → a person decides."""
    worker = worker or worker_name()
    reply = Reply.objects.select_related(
        "item__channel", "item__conversation", "created_by"
    ).get(pk=reply_id)
    if reply.state != ReplyState.UNCONFIRMED or reply.needs_review:
        return ReplyOutcome("skipped")
    Reply.objects.filter(pk=reply_id).update(
        reconcile_attempts=F("reconcile_attempts") + 1
    )
    reply.reconcile_attempts += 1
    started_at = timezone.now()
    since = (reply.unconfirmed_at or started_at) - datetime.timedelta(hours=1)
    try:
        found = _adapter(reply).find_reply(outbound(reply), since)
    except NotImplementedError:
        return _ask_a_person(reply, started_at, worker)
    except AdapterError as exc:
        Reply.objects.filter(pk=reply_id).update(
            claimed_at=None,
            next_attempt_at=timezone.now()
            + datetime.timedelta(
                seconds=backoff_seconds(reply.reconcile_attempts, exc.retry_after)
            ),
        )
        _attempt(reply, "reconcile", "error", started_at, worker, error=exc.message)
        if reply.reconcile_attempts >= MAX_RECONCILE_ATTEMPTS:
            return _ask_a_person(reply, started_at, worker)
        return ReplyOutcome("reconcile_error", exc.message)
    if found is not None:
        _sent(
            reply, found.platform_id, found.permalink, started_at, worker, "reconcile"
        )
        return ReplyOutcome("sent", found.permalink)
    with transaction.atomic():
        if not Reply.objects.filter(pk=reply_id, state=ReplyState.UNCONFIRMED).update(
            state=ReplyState.QUEUED,
            claimed_at=None,
            unconfirmed_at=None,
            next_attempt_at=timezone.now() + REDISPATCH_AFTER,
            updated_at=timezone.now(),
        ):
            return ReplyOutcome("skipped")
        _attempt(
            reply,
            "reconcile",
            "not_found",
            started_at,
            worker,
            summary=_("No está en el hilo: se volverá a enviar."),
        )
        record(
            None,
            "inbox.reply.reconciled",
            reply.item,
            {"reply": reply.pk, "found": False},
            organization=reply.organization_id,
        )
        transaction.on_commit(lambda: _enqueue(reply_id))
    return ReplyOutcome("requeued")


def _ask_a_person(
    reply: Reply, started_at: datetime.datetime, worker: str
) -> ReplyOutcome:
    with transaction.atomic():
        Reply.objects.filter(pk=reply.pk).update(needs_review=True, claimed_at=None)
        _attempt(
            reply,
            "reconcile",
            "ask_person",
            started_at,
            worker,
            summary=_("La red no permite comprobarlo: se pide a una persona."),
        )
        record(
            None,
            "inbox.reply.needs_review",
            reply.item,
            {"reply": reply.pk},
            organization=reply.organization_id,
        )
    return ReplyOutcome("ask_person")


@transaction.atomic
def resolve_reply(
    user: User,
    reply: Reply,
    *,
    sent: bool,
    permalink: str = "",
    note: str,
) -> Reply:
    """A person says what happened to a reply the network could not confirm
    (the same as ``publishing.actions.resolve_unconfirmed`` for publications).

    It went out: the reply is *enviada* with the link the person pasted, the
    item responded and, when asked, the petition answered (PET-08). It did
    not: the reply goes back to the queue for a fresh send (reading the
    thread again cannot duplicate it: the person looked). REC-02: audited
    with the person's note.
    """
    require(user, Perm.INBOX_MANAGE)
    locked = (
        Reply.objects.select_for_update(of=("self",))
        .select_related("item__channel", "item__conversation", "created_by")
        .filter(pk=reply.pk, organization_id=user.organization_id)
        .first()
    )
    if locked is None:
        raise NotFoundError(_("La respuesta no existe."))
    if locked.state != ReplyState.UNCONFIRMED:
        raise TransitionNotAllowed(
            _("La respuesta ya no está sin confirmar: recargue la página.")
        )
    permalink = (permalink or "").strip()
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if not note:
        errors["note"] = [_("Cuente cómo lo comprobó (queda en el historial).")]
    if sent and permalink:
        try:
            URLValidator(schemes=["https", "http"])(permalink)
        except DjangoValidationError:
            errors["permalink"] = [_("Pegue el enlace completo (https://…).")]
        else:
            if len(permalink) > 500:
                errors["permalink"] = [_("El enlace es demasiado largo.")]
    elif sent and not locked.private:
        errors["permalink"] = [
            _("Pegue el enlace de la respuesta pública en la red (https://…).")
        ]
    if errors:
        raise ValidationFailed(
            _("Revise los datos marcados: nada se cambió."), errors=errors
        )
    now = timezone.now()
    worker = f"persona:{user.pk}"
    if sent:
        _sent(
            locked,
            locked.platform_id,
            permalink,
            locked.unconfirmed_at or now,
            worker,
            "manual",
            actor=user,
        )
    else:
        Reply.objects.filter(pk=locked.pk).update(
            state=ReplyState.QUEUED,
            needs_review=False,
            unconfirmed_at=None,
            claimed_at=None,
            claimed_by="",
            reconcile_attempts=0,
            next_attempt_at=now,
            updated_at=now,
        )
        _attempt(
            locked,
            "manual",
            "not_sent",
            now,
            worker,
            summary=_("Una persona comprobó que no salió: se enviará de nuevo."),
        )
        transaction.on_commit(lambda: _enqueue(locked.pk))
    record(
        user,
        "inbox.reply.resolved",
        locked.item,
        {
            "reply": locked.pk,
            "sent": sent,
            "permalink": permalink or None,
            "note": note,
        },
    )
    locked.refresh_from_db()
    return locked


def dispatch_replies(now: datetime.datetime | None = None) -> int:
    """The scheduler's turn: queued replies whose time came (retries, lost
    tasks), replies whose worker was lost (→ *sin confirmar*), and unconfirmed
    replies ready to be checked."""
    from . import tasks

    now = now or timezone.now()
    count = 0
    for reply in abandoned_claims(
        Reply.objects.filter(state=ReplyState.SENDING).select_related("item"), now
    ):
        with transaction.atomic():
            if Reply.objects.filter(
                pk=reply.pk, state=ReplyState.SENDING, claimed_at=reply.claimed_at
            ).update(
                state=ReplyState.UNCONFIRMED,
                unconfirmed_at=now,
                claimed_at=None,
                last_error=_(
                    "El proceso que respondía se detuvo a mitad de la llamada."
                ),
            ):
                _attempt(
                    reply, "send", "unknown", reply.claimed_at or now, reply.claimed_by
                )
                record(
                    None,
                    "inbox.reply.unconfirmed",
                    reply.item,
                    {"reply": reply.pk, "error": "worker lost"},
                    organization=reply.organization_id,
                )
    for pk in Reply.objects.filter(
        state=ReplyState.QUEUED, next_attempt_at__lte=now
    ).values_list("pk", flat=True)[:200]:
        if Reply.objects.filter(
            pk=pk, state=ReplyState.QUEUED, next_attempt_at__lte=now
        ).update(next_attempt_at=now + REDISPATCH_AFTER):
            tasks.send_reply_task.enqueue(pk)
            count += 1
    wait = now - datetime.timedelta(seconds=settings.PREGONERO_RECONCILE_AFTER_SECONDS)
    for pk in Reply.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - REDISPATCH_AFTER),
        state=ReplyState.UNCONFIRMED,
        needs_review=False,
        unconfirmed_at__lte=wait,
    ).values_list("pk", flat=True)[:200]:
        if Reply.objects.filter(
            Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - REDISPATCH_AFTER),
            pk=pk,
            state=ReplyState.UNCONFIRMED,
        ).update(claimed_at=now):
            tasks.reconcile_reply_task.enqueue(pk)
            count += 1
    return count
