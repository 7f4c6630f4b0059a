"""Reading the institutional mailbox (issue 6): rules, the poller, the button.

No loss, nothing twice:

* a message is fetched with ``BODY.PEEK[]`` and stored (need or inbound item,
  its attachments, and its ``ProcessedMessage`` row keyed by UIDVALIDITY + UID)
  in **one transaction**; only after the commit is it marked ``$Pregonero`` on
  the server. Nothing is ever deleted or moved.
* a connection dropped before the commit leaves nothing stored and the message
  unmarked: the next run reads it again. Dropped after the commit but before the
  mark: the next run finds its UID in the log and only marks it.
* if the folder's UIDVALIDITY changes (the folder was rebuilt), a message whose
  SHA-256 or Message-ID is already in the log is linked to what it produced
  before, never registered again.
* a failure (server down, wrong password) is kept on the mailbox in Spanish
  (``last_error``), audited, and shown in the Bandeja and the admin.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import imaplib
import io
import logging
import socket
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from imap_tools.errors import ImapToolsError, MailboxLoginError

from pregonero.accounts.permissions import Perm, has_perm
from pregonero.audit.actions import record
from pregonero.core.errors import DomainError, PermissionDeniedError, ValidationFailed
from pregonero.inbox.actions import _first_response_due
from pregonero.inbox.models import InboundItem
from pregonero.inbox.workflow import ItemKind
from pregonero.intake.actions import ParsedEmail, import_eml, parse_eml
from pregonero.intake.models import Need
from pregonero.lib.tasks import mark_and_enqueue
from pregonero.lib.uploads import check_upload

from .client import ImapSession, RawMessage
from .models import (
    Mailbox,
    MailboxRule,
    MessageAttachment,
    Outcome,
    ProcessedMessage,
    RuleAction,
)

logger = logging.getLogger(__name__)

CLAIM_FOR = datetime.timedelta(minutes=10)
ITEM_ATTACHMENT_KINDS = {"image", "video", "audio", "document", "email"}


def poll_every() -> datetime.timedelta:
    return datetime.timedelta(
        minutes=float(getattr(settings, "PREGONERO_MAILBOX_POLL_MINUTES", 5))
    )


class MailboxRefused(DomainError):
    status = 409
    code = "mailbox_refused"


@dataclasses.dataclass
class PollResult:
    mailbox_id: int
    claimed: bool = True
    read: int = 0
    created: int = 0
    marked: int = 0
    error: str = ""


# ---------------------------------------------------------------- rules


def _terms(value: str) -> list[str]:
    return [t.strip().casefold() for t in value.split(",") if t.strip()]


def _sender_matches(sender: str, term: str) -> bool:
    """``prensa@cvp.gov.co`` matches that address; ``@bogota.gov.co`` (or
    ``bogota.gov.co``) matches the domain and its subdomains."""
    if "@" in term and not term.startswith("@"):
        return sender == term
    domain = sender.rpartition("@")[2]
    wanted = term.lstrip("@")
    return domain == wanted or domain.endswith("." + wanted)


def rule_matches(rule: MailboxRule, parsed: ParsedEmail) -> bool:
    sender = parsed.sender_email.casefold()
    senders = _terms(rule.sender)
    if senders and not any(_sender_matches(sender, s) for s in senders):
        return False
    subject_terms = _terms(rule.subject_keywords)
    if subject_terms and not any(t in parsed.subject.casefold() for t in subject_terms):
        return False
    body_terms = _terms(rule.body_keywords)
    return not body_terms or any(t in parsed.body.casefold() for t in body_terms)


def decide(mailbox: Mailbox, parsed: ParsedEmail) -> tuple[str, Any]:
    """The action and the need's dependency: the first rule that matches, in order."""
    for rule in mailbox.rules.all():
        if rule_matches(rule, parsed):
            return rule.action, rule.dependency or mailbox.default_dependency
    return mailbox.default_action, mailbox.default_dependency


# ---------------------------------------------------------------- one message


def _earlier(mailbox: Mailbox, sha256: str, message_id: str) -> ProcessedMessage | None:
    """The same message read before under another UID (UIDVALIDITY changed)."""
    match = Q(sha256=sha256)
    if message_id:
        match |= Q(message_id=message_id)
    return (
        ProcessedMessage.objects.filter(mailbox=mailbox)
        .filter(match)
        .exclude(outcome=Outcome.REJECTED)
        .order_by("pk")
        .first()
    )


def _store_item(
    mailbox: Mailbox, parsed: ParsedEmail, message: RawMessage, log: ProcessedMessage
) -> InboundItem:
    now = timezone.now()
    received_at = message.internal_date or parsed.date or now
    received_at = min(received_at, now)
    platform_id = f"mail-{parsed.message_id or log.sha256}"[:200]
    text = parsed.subject
    if parsed.body:
        text = f"{parsed.subject}\n\n{parsed.body}" if parsed.subject else parsed.body
    item = InboundItem.objects.create(
        organization_id=mailbox.organization_id,
        channel=None,
        network="",
        kind=ItemKind.EMAIL,
        platform_id=platform_id,
        author_handle=parsed.sender_email[:200] or _("(sin remitente)"),
        author_name=parsed.sender_name[:200],
        text=text or _("(El correo no tiene texto; vea los adjuntos.)"),
        received_at=received_at,
        raw={
            "mailbox": mailbox.name,
            "subject": parsed.subject,
            "message_id": parsed.message_id,
        },
        first_response_due=_first_response_due(mailbox.organization_id, received_at),
    )
    files = [(io.BytesIO(message.raw), f"correo-{message.uid}.eml")]
    files += parsed.attachments
    for fileobj, name in files:
        checked = check_upload(
            fileobj, name, ITEM_ATTACHMENT_KINDS, field="attachments"
        )
        attachment = MessageAttachment(
            organization_id=mailbox.organization_id, message=log
        )
        attachment.fill_from_upload(fileobj, checked, "mailbox")
        attachment.save()
    record(
        None,
        "inbox.item.received",
        item,
        {
            "channel": mailbox.name,
            "kind": item.kind,
            "platform_id": item.platform_id,
            "received_at": received_at,
            "attachments": len(files),
        },
        organization=mailbox.organization_id,
    )
    return item


def _store_need(
    mailbox: Mailbox, dependency: Any, message: RawMessage, parsed: ParsedEmail
) -> Need:
    if mailbox.registered_as is None:
        raise ValidationFailed(
            _(
                "El buzón no tiene a nombre de quién registrar las necesidades: "
                "configúrelo en la administración."
            )
        )
    return import_eml(
        mailbox.registered_as,
        io.BytesIO(message.raw),
        f"correo-{message.uid}.eml",
        dependency=dependency,
    )


def store_message(
    mailbox: Mailbox, uidvalidity: int, message: RawMessage
) -> tuple[ProcessedMessage, bool]:
    """Store one fetched message and its log row in one transaction; returns the
    row and whether a need or item was created."""
    sha256 = hashlib.sha256(message.raw).hexdigest()
    log = ProcessedMessage(
        organization_id=mailbox.organization_id,
        mailbox=mailbox,
        uidvalidity=uidvalidity,
        uid=message.uid,
        sha256=sha256,
    )
    try:
        with transaction.atomic():
            parsed = parse_eml(message.raw)
            log.message_id = parsed.message_id[:500]
            log.sender = parsed.sender_email[:300]
            log.subject = parsed.subject[:500]
            earlier = _earlier(mailbox, sha256, log.message_id)
            if earlier is not None:
                log.outcome, log.need_id, log.item_id = (
                    earlier.outcome,
                    earlier.need_id,
                    earlier.item_id,
                )
                log.detail = _(
                    "Ya se había leído (UID %(uid)s, UIDVALIDITY %(v)s)."
                ) % {
                    "uid": earlier.uid,
                    "v": earlier.uidvalidity,
                }
                log.save()
                return log, False
            action, dependency = decide(mailbox, parsed)
            if action == RuleAction.NEED:
                log.outcome = Outcome.NEED
                log.need = _store_need(mailbox, dependency, message, parsed)
            elif action == RuleAction.ITEM:
                log.outcome = Outcome.ITEM
                log.save()
                log.item = _store_item(mailbox, parsed, message, log)
            else:
                log.outcome = Outcome.IGNORED
            log.save()
            return log, action != RuleAction.IGNORE
    except (ValidationFailed, DomainError) as exc:
        # A message Pregonero cannot register (a rejected attachment, no
        # dependency): logged as rejected with the reason, left in the mailbox.
        log.pk = None
        log.need_id = log.item_id = None
        extra = getattr(exc, "extra", None) or {}
        if getattr(exc, "code", "") == "duplicate_email" and extra.get("need_id"):
            # The same e-mail was uploaded by hand as a .eml: that is its need.
            log.outcome, log.need_id = Outcome.NEED, extra["need_id"]
        else:
            log.outcome = Outcome.REJECTED
        log.detail = exc.message
        log.save()
        return log, False
    except (ValueError, LookupError, UnicodeError) as exc:
        # A malformed message (an unknown charset, broken headers) must not stop
        # the mailbox: it is logged as rejected and left on the server.
        logger.warning(
            "mailbox %s: unreadable message %s: %s", mailbox.pk, message.uid, exc
        )
        log.pk = None
        log.need_id = log.item_id = None
        log.outcome = Outcome.REJECTED
        log.detail = _("Pregonero no pudo leer este correo (%(detail)s).") % {
            "detail": exc.__class__.__name__
        }
        log.save()
        return log, False


# ---------------------------------------------------------------- a run


def _claim(mailbox: Mailbox, now: datetime.datetime) -> bool:
    return (
        Mailbox.objects.filter(pk=mailbox.pk)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .update(claimed_until=now + CLAIM_FOR)
        == 1
    )


def _explain(exc: BaseException) -> str:
    if isinstance(exc, MailboxLoginError):
        return _(
            "El servidor de correo rechazó el usuario o la contraseña del buzón. "
            "Revíselos en la administración."
        )
    detail = str(exc) or exc.__class__.__name__
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return _("El servidor de correo no respondió a tiempo.")
    if isinstance(exc, (ConnectionError, OSError, EOFError, imaplib.IMAP4.abort)):
        return _("Se perdió la conexión con el servidor de correo: %(detail)s") % {
            "detail": detail
        }
    return _("No se pudo leer el buzón. El servidor respondió: %(detail)s") % {
        "detail": detail
    }


def poll(mailbox: Mailbox, *, now: datetime.datetime | None = None) -> PollResult:
    """Read the mailbox's new messages under its claim."""
    now = now or timezone.now()
    result = PollResult(mailbox.pk)
    if not _claim(mailbox, now):
        result.claimed = False
        return result
    session: ImapSession | None = None
    try:
        Mailbox.objects.filter(pk=mailbox.pk).update(last_run_at=now)
        session = ImapSession(
            mailbox.host,
            mailbox.port,
            mailbox.security,
            mailbox.username,
            mailbox.get_password(),
            mailbox.folder,
        )
        uidvalidity = session.uidvalidity()
        uids = session.unmarked_uids()
        known = set(
            ProcessedMessage.objects.filter(
                mailbox=mailbox, uidvalidity=uidvalidity, uid__in=uids
            ).values_list("uid", flat=True)
        )
        # Stored before but not marked (the connection dropped in between).
        _mark(session, mailbox, uidvalidity, sorted(known), result)
        for message in session.messages([u for u in uids if u not in known]):
            result.read += 1
            _log, created = store_message(mailbox, uidvalidity, message)
            result.created += int(created)
            _mark(session, mailbox, uidvalidity, [message.uid], result)
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_success_at=timezone.now(),
            last_error="",
            last_error_at=None,
            failures=0,
            messages_total=F("messages_total") + result.read,
        )
    except (ImapToolsError, imaplib.IMAP4.error, OSError, EOFError) as exc:
        result.error = _failed(mailbox, exc, now)
    except Exception as exc:  # a bug: kept on the mailbox, the scheduler goes on
        logger.exception("mailbox %s failed", mailbox.pk)
        result.error = _failed(mailbox, exc, now)
    finally:
        if session is not None:
            session.close()
        Mailbox.objects.filter(pk=mailbox.pk).update(claimed_until=None)
    return result


def _mark(
    session: ImapSession,
    mailbox: Mailbox,
    uidvalidity: int,
    uids: list[int],
    result: PollResult,
) -> None:
    if not uids:
        return
    session.mark(uids)
    ProcessedMessage.objects.filter(
        mailbox=mailbox, uidvalidity=uidvalidity, uid__in=uids
    ).update(flagged_at=timezone.now())
    result.marked += len(uids)


def _failed(mailbox: Mailbox, exc: BaseException, now: datetime.datetime) -> str:
    message = _explain(exc)
    with transaction.atomic():
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_error=message, last_error_at=now, failures=F("failures") + 1
        )
        record(
            None,
            "mailbox.read.failed",
            mailbox,
            {"error": message},
            organization=mailbox.organization_id,
        )
    logger.warning("mailbox %s: %s", mailbox.pk, exc)
    return message


# ---------------------------------------------------------------- scheduler and button


def due_mailboxes(now: datetime.datetime | None = None) -> list[Mailbox]:
    now = now or timezone.now()
    return list(
        Mailbox.objects.filter(enabled=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .filter(Q(last_run_at__isnull=True) | Q(last_run_at__lte=now - poll_every()))
        .order_by("pk")
    )


def poll_due(now: datetime.datetime | None = None) -> int:
    """The scheduler's hook: hand every due mailbox to the workers (marked first
    with a conditional UPDATE of ``last_run_at``, so it is queued once)."""
    from .tasks import poll_mailbox_task

    now = now or timezone.now()
    return mark_and_enqueue(
        ((m, m) for m in due_mailboxes(now)), poll_mailbox_task, now, what="mailbox"
    )


def request_poll(user: Any, mailbox: Mailbox) -> None:
    """The "Leer el buzón ahora" button (Jefe, Profesional): queue a run (audited)."""
    if not has_perm(user, Perm.INBOX_MANAGE):
        raise PermissionDeniedError(
            _("Su rol no le permite leer el buzón institucional."),
            extra={"permission": str(Perm.INBOX_MANAGE)},
        )
    if not mailbox.enabled:
        raise MailboxRefused(_("El buzón está desactivado."))
    from .tasks import poll_mailbox_task

    with transaction.atomic():
        record(user, "mailbox.read.requested", mailbox, {})
        transaction.on_commit(lambda: poll_mailbox_task.enqueue(mailbox.pk))
