"""Activity 1: registering communication needs, from a form or an e-mail, and triage."""

from __future__ import annotations

import datetime
import email
import email.policy
import io
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pregonero.accounts.models import User
from pregonero.accounts.notify import notify
from pregonero.accounts.permissions import (
    Perm,
    acting_as_delegate,
    approvers,
    has_perm,
    require,
)
from pregonero.audit.actions import record
from pregonero.core.errors import ConflictError, TransitionNotAllowed, ValidationFailed
from pregonero.core.models import Audience, Dependency, Organization, next_number
from pregonero.lib.uploads import check_upload, sanitize_filename

from .models import Need, NeedAttachment, NeedSource, Urgency
from .workflow import NeedAction, NeedState, transition_for

ATTACHMENT_KINDS = {"image", "video", "audio", "document", "email"}
MAX_EMAIL_ATTACHMENTS = 25


def need_url(need: Need) -> str:
    return reverse("intake:need_detail", args=[need.pk])


@dataclass
class NeedData:
    title: str
    description: str
    source: str
    dependency: Dependency | None
    requester: User | None = None
    requester_name: str = ""
    requester_email: str = ""
    audiences: list[Audience] = field(default_factory=list)
    desired_date: datetime.date | None = None
    event_date: datetime.date | None = None
    urgency: str = Urgency.NORMAL


def _validate(user: User, data: NeedData) -> None:
    errors: dict[str, list[str]] = {}
    if not data.title.strip():
        errors["title"] = [_("Escriba el asunto de la necesidad.")]
    elif len(data.title) > 200:
        errors["title"] = [_("El asunto admite como máximo 200 caracteres.")]
    if not data.description.strip():
        errors["description"] = [_("Describa qué se necesita comunicar.")]
    if data.source not in NeedSource.values:
        errors["source"] = [_("Elija el origen de la necesidad.")]
    if data.dependency is None:
        errors["dependency"] = [_("Elija la dependencia que solicita.")]
    elif data.dependency.organization_id != user.organization_id:
        errors["dependency"] = [_("Dependencia desconocida.")]
    if data.urgency not in Urgency.values:
        errors["urgency"] = [_("Elija la urgencia.")]
    if any(a.organization_id != user.organization_id for a in data.audiences):
        errors["audiences"] = [_("Público desconocido.")]
    if (
        data.requester is not None
        and data.requester.organization_id != user.organization_id
    ):
        errors["requester"] = [_("Solicitante desconocido.")]
    today = timezone.localdate()
    if data.desired_date and data.desired_date < today - datetime.timedelta(days=1):
        errors["desired_date"] = [_("La fecha deseada de publicación ya pasó.")]
    if (
        data.event_date
        and data.desired_date
        and data.desired_date > data.event_date + (datetime.timedelta(days=60))
    ):
        errors["desired_date"] = [
            _("La fecha deseada queda muy lejos de la fecha del evento.")
        ]
    if errors:
        raise ValidationFailed(_("Revise los datos de la necesidad."), errors=errors)


@transaction.atomic
def register_need(
    user: User,
    data: NeedData,
    *,
    attachments: list[tuple[Any, str]] | None = None,
    audit_action: str = "intake.need.registered",
    email_meta: dict[str, Any] | None = None,
) -> Need:
    """Register a communication need (activity 1) and tell the Jefe it awaits triage."""
    require(user, Perm.NEED_CREATE)
    _validate(user, data)
    # A liaison or director registers needs for their own dependency only.
    if (
        not has_perm(user, Perm.NEED_VIEW_ALL)
        and data.dependency != user.dependency
        and user.dependency_id is not None
    ):
        raise ValidationFailed(
            _("Solo puede registrar necesidades de su dependencia."),
            errors={"dependency": [_("Elija su dependencia.")]},
        )
    checked = [
        (
            fileobj,
            name,
            check_upload(fileobj, name, ATTACHMENT_KINDS, field="attachments"),
        )
        for fileobj, name in (attachments or [])
    ]
    assert data.dependency is not None  # checked by _validate
    organization = Organization.objects.get(pk=user.organization_id)
    email_meta = email_meta or {}
    need = Need.objects.create(
        organization=organization,
        number=next_number(organization, "NEC"),
        title=data.title.strip(),
        description=data.description.strip(),
        source=data.source,
        dependency=data.dependency,
        requester=data.requester or (user if not email_meta else None),
        requester_name=data.requester_name.strip(),
        requester_email=data.requester_email.strip(),
        desired_date=data.desired_date,
        event_date=data.event_date,
        urgency=data.urgency,
        created_by=user,
        email_from=email_meta.get("from", "")[:300],
        email_subject=email_meta.get("subject", "")[:500],
        email_message_id=email_meta.get("message_id", "")[:500],
        email_date=email_meta.get("date"),
    )
    need.audiences.set(data.audiences)
    files = [
        _store_attachment(user, need, f, c, from_email=bool(email_meta))
        for f, _n, c in checked
    ]
    record(
        user,
        audit_action,
        need,
        {
            "title": need.title,
            "source": need.source,
            "dependency": need.dependency.name,
            "urgency": need.urgency,
            "desired_date": need.desired_date,
            "attachments": [
                {"name": a.original_name, "sha256": a.sha256} for a in files
            ],
            "email_message_id": need.email_message_id or None,
        },
    )
    notify(
        approvers(organization.pk),
        kind="need.registered",
        exclude=user,
        subject=_("Nueva necesidad por clasificar: %(number)s")
        % {"number": need.number},
        body=_("%(dependency)s registró «%(title)s» (urgencia: %(urgency)s).")
        % {
            "dependency": need.dependency,
            "title": need.title,
            "urgency": need.get_urgency_display(),
        },
        link=need_url(need),
    )
    return need


def _store_attachment(
    user: User, need: Need, fileobj: Any, checked: Any, *, from_email: bool
) -> NeedAttachment:
    attachment = NeedAttachment(
        organization_id=need.organization_id,
        need=need,
        uploaded_by=user,
        from_email=from_email,
    )
    attachment.fill_from_upload(fileobj, checked, "needs")
    attachment.save()
    return attachment


@transaction.atomic
def add_attachment(user: User, need: Need, fileobj: Any, name: str) -> NeedAttachment:
    require(user, Perm.NEED_CREATE)
    if need.state in (NeedState.ATTENDED, NeedState.DISCARDED):
        raise TransitionNotAllowed(_("La necesidad ya está cerrada."))
    checked = check_upload(fileobj, name, ATTACHMENT_KINDS, field="attachments")
    attachment = _store_attachment(user, need, fileobj, checked, from_email=False)
    record(
        user,
        "intake.need.attachment_added",
        need,
        {
            "name": attachment.original_name,
            "sha256": attachment.sha256,
        },
    )
    return attachment


# ---------------------------------------------------------------- e-mail (.eml)


@dataclass
class ParsedEmail:
    subject: str
    sender_name: str
    sender_email: str
    date: datetime.datetime | None
    message_id: str
    body: str
    attachments: list[tuple[io.BytesIO, str]]


def parse_eml(raw: bytes) -> ParsedEmail:
    """Read an e-mail saved as .eml: headers, the text body, and its attachments."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not isinstance(message, EmailMessage) or not (
        message["From"] or message["Subject"]
    ):
        raise ValidationFailed(
            _("El archivo no parece un correo electrónico (.eml) válido."),
            errors={"file": [_("Correo no válido.")]},
        )
    name, address = parseaddr(str(message["From"] or ""))
    date = None
    if message["Date"]:
        try:
            date = parsedate_to_datetime(str(message["Date"]))
            if date.tzinfo is None:
                date = timezone.make_aware(date)
        except (TypeError, ValueError):
            date = None
    body_part = message.get_body(preferencelist=("plain", "html"))
    body = ""
    if body_part is not None:
        content = body_part.get_content()
        if body_part.get_content_subtype() == "html":
            from django.utils.html import strip_tags

            content = strip_tags(content)
        body = str(content).strip()
    attachments: list[tuple[io.BytesIO, str]] = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload:
            continue
        filename = part.get_filename() or _("adjunto")
        attachments.append((io.BytesIO(payload), sanitize_filename(filename)))
        if len(attachments) > MAX_EMAIL_ATTACHMENTS:
            raise ValidationFailed(
                _("El correo trae más de %(max)s adjuntos.")
                % {"max": MAX_EMAIL_ATTACHMENTS}
            )
    return ParsedEmail(
        subject=str(message["Subject"] or "").strip(),
        sender_name=name,
        sender_email=address,
        date=date,
        message_id=str(message["Message-ID"] or "").strip(),
        body=body,
        attachments=attachments,
    )


def import_eml(
    user: User,
    fileobj: Any,
    original_name: str,
    *,
    dependency: Dependency | None,
    source: str = NeedSource.MAILBOX,
    urgency: str = Urgency.NORMAL,
    desired_date: datetime.date | None = None,
) -> Need:
    """Turn an uploaded .eml e-mail into a need, with its attachments and the e-mail itself."""
    require(user, Perm.NEED_CREATE)
    check_upload(fileobj, original_name, {"email"}, field="file")
    fileobj.seek(0)
    raw = fileobj.read()
    parsed = parse_eml(raw)
    if (
        parsed.message_id
        and Need.objects.filter(
            organization_id=user.organization_id, email_message_id=parsed.message_id
        ).exists()
    ):
        existing = Need.objects.get(
            organization_id=user.organization_id, email_message_id=parsed.message_id
        )
        raise ConflictError(
            _("Ese correo ya se registró como la necesidad %(number)s.")
            % {"number": existing.number},
            code="duplicate_email",
            extra={"need_id": existing.pk},
        )
    sender = (
        f"{parsed.sender_name} <{parsed.sender_email}>"
        if parsed.sender_name
        else parsed.sender_email
    )
    data = NeedData(
        title=(parsed.subject or _("Correo sin asunto"))[:200],
        description=parsed.body or _("(El correo no tiene texto; vea los adjuntos.)"),
        source=source,
        dependency=dependency,
        requester_name=parsed.sender_name,
        requester_email=parsed.sender_email if "@" in parsed.sender_email else "",
        urgency=urgency,
        desired_date=desired_date,
    )
    eml_name = sanitize_filename(original_name, "eml")
    attachments = [(io.BytesIO(raw), eml_name), *parsed.attachments]
    return register_need(
        user,
        data,
        attachments=attachments,
        audit_action="intake.need.imported_email",
        email_meta={
            "from": sender,
            "subject": parsed.subject,
            "message_id": parsed.message_id,
            "date": parsed.date,
        },
    )


# ---------------------------------------------------------------- triage


def _move(need: Need, new_state: str, **updates: Any) -> None:
    updated = Need.objects.filter(
        pk=need.pk, state=need.state, lock_version=need.lock_version
    ).update(
        state=new_state,
        lock_version=F("lock_version") + 1,
        updated_at=timezone.now(),
        **updates,
    )
    if updated != 1:
        raise ConflictError(
            _("Otra persona cambió esta necesidad al mismo tiempo. Recargue la página.")
        )
    need.refresh_from_db()


def _check(
    user: User, need: Need, action: str, comment: str, lock_version: int | None
) -> str:
    transition = transition_for(need.state, action)
    if transition is None:
        raise TransitionNotAllowed(
            _("La necesidad está en «%(state)s»: no se puede «%(action)s».")
            % {"state": NeedState(need.state).label, "action": NeedAction(action).label}
        )
    require(user, Perm(transition.permission))
    if lock_version is not None and lock_version != need.lock_version:
        raise ConflictError(
            _("La necesidad cambió desde que abrió la página. Recárguela.")
        )
    if transition.needs_comment and not comment.strip():
        raise ValidationFailed(
            _("Escriba el motivo."),
            errors={"comment": [_("Este campo es obligatorio.")]},
        )
    return transition.new_state


@transaction.atomic
def triage_need(
    user: User,
    need: Need,
    action: str,
    *,
    note: str = "",
    lock_version: int | None = None,
    piece_data: Any = None,
) -> Any:
    """The Jefe's decision on a need: punctual action (a piece goes to production at
    once), the next planning meeting, or discard (with a reason).

    Returns the created piece for a punctual action, else the need.
    """
    need = Need.objects.get(pk=need.pk)
    if action not in (
        NeedAction.TRIAGE_PUNCTUAL,
        NeedAction.TRIAGE_PLANNING,
        NeedAction.DISCARD,
    ):
        raise ValidationFailed(_("Decisión desconocida."))
    new_state = _check(user, need, action, note, lock_version)
    delegation = acting_as_delegate(user, Perm.NEED_TRIAGE)
    updates: dict[str, Any] = {
        "triaged_by": user,
        "triaged_at": timezone.now(),
        "triage_note": note,
    }
    if action == NeedAction.DISCARD:
        updates["discard_reason"] = note
    _move(need, new_state, **updates)
    audit_action = {
        NeedAction.TRIAGE_PUNCTUAL: "intake.need.triaged_punctual",
        NeedAction.TRIAGE_PLANNING: "intake.need.triaged_planning",
        NeedAction.DISCARD: "intake.need.discarded",
    }[NeedAction(action)]
    record(
        user,
        audit_action,
        need,
        {
            "note": note,
            "as_delegate_of": str(delegation.delegator) if delegation else None,
        },
    )
    result: Any = need
    if action == NeedAction.TRIAGE_PUNCTUAL:
        from pregonero.content.actions import PieceData, create_piece

        data = piece_data or PieceData(title=need.title)
        data.need = need
        data.dependency = data.dependency or need.dependency
        data.desired_date = data.desired_date or need.desired_date
        data.urgent = data.urgent or need.urgency == Urgency.URGENT
        if not data.audiences:
            data.audiences = list(need.audiences.all())
        if not data.brief:
            data.brief = need.description
        result = create_piece(user, data)
    notify(
        [need.requester, need.created_by],
        kind="need.triaged",
        exclude=user,
        subject=_("Su necesidad %(number)s fue clasificada") % {"number": need.number},
        body=_("«%(title)s»: %(decision)s. %(note)s")
        % {"title": need.title, "decision": NeedAction(action).label, "note": note},
        link=need_url(need),
    )
    return result


@transaction.atomic
def mark_planned(user: User, need: Need) -> Need:
    """A meeting decided what to make of the need (it enters the content plan)."""
    need = Need.objects.get(pk=need.pk)
    if need.state != NeedState.FOR_PLANNING:
        return need
    new_state = _check(user, need, NeedAction.PLAN, "", None)
    _move(need, new_state)
    record(user, "intake.need.planned", need, {})
    return need


def mark_attended_if_done(actor: Any, need_id: int) -> bool:
    """Close a need when every live piece made from it is published somewhere.

    Called by publishing inside its transaction; ``pieces_published`` is checked
    through the reverse relation names, so intake does not import publishing.
    """
    need = Need.objects.get(pk=need_id)
    if need.state not in (NeedState.PUNCTUAL, NeedState.IN_PLAN):
        return False
    pieces = need.pieces.exclude(state="cancelled")
    if not pieces.exists():
        return False
    unpublished = pieces.exclude(publications__status="published")
    if unpublished.exists():
        return False
    _move(need, NeedState.ATTENDED)
    record(actor, "intake.need.attended", need, {"pieces": [p.number for p in pieces]})
    notify(
        [need.requester, need.created_by],
        kind="need.attended",
        subject=_("Necesidad atendida: %(number)s") % {"number": need.number},
        body=_("Las piezas de «%(title)s» ya están publicadas.")
        % {"title": need.title},
        link=need_url(need),
    )
    return True
