"""Every write of the Bandeja de atención: receiving, triage, assignment, notes,
petitions and their legal terms. Each action checks the role, writes, and records
its audit event in the same transaction."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pregonero.accounts.models import User
from pregonero.accounts.notify import notify
from pregonero.accounts.permissions import Perm, has_perm, require
from pregonero.audit.actions import record
from pregonero.core.errors import ConflictError, TransitionNotAllowed, ValidationFailed
from pregonero.core.models import Channel, Dependency, Organization, next_number

from .deadlines import CLARIFICATION_TERM, MAX_EXTENSION_FACTOR, REFERRAL_TERM
from .holidays_calendar import calendar_for, seed_years, settings_for
from .models import Conversation, InboundItem, Note, Petition, SavedReply, Triage
from .workflow import (
    ItemKind,
    ItemState,
    PetitionAction,
    PetitionState,
    TriageDecision,
    Typology,
    term_for,
    transition_for,
)


def item_url(item: InboundItem) -> str:
    return reverse("inbox:item_detail", args=[item.pk])


def _first_response_due(
    organization_id: int, received_at: datetime.datetime
) -> datetime.datetime:
    settings = settings_for(organization_id)
    calendar = calendar_for(
        organization_id,
        [received_at.year, received_at.year + 1],
        inbox_settings=settings,
    )
    day = calendar.add_business_days(
        calendar.effective_receipt(received_at), settings.first_response_days
    )
    return calendar.end_of_business_day(day)


def _conversation(
    channel: Channel | None,
    organization_id: int,
    thread_key: str,
    received_at: datetime.datetime,
    post_url: str,
) -> Conversation | None:
    if not thread_key:
        return None
    conversation = Conversation.objects.filter(
        organization_id=organization_id, channel=channel, thread_key=thread_key
    ).first()
    if conversation is None:
        publication = None
        if channel is not None:
            from django.apps import apps

            Publication = apps.get_model("publishing", "Publication")
            publication = Publication.objects.filter(
                channel=channel, platform_id=thread_key
            ).first()
        try:
            with transaction.atomic():
                conversation = Conversation.objects.create(
                    organization_id=organization_id,
                    channel=channel,
                    thread_key=thread_key[:200],
                    publication=publication,
                    post_url=post_url or getattr(publication, "permalink", "") or "",
                    last_item_at=received_at,
                )
                return conversation
        except IntegrityError:
            conversation = Conversation.objects.get(
                organization_id=organization_id, channel=channel, thread_key=thread_key
            )
    # Out-of-order delivery: the thread's last time only moves forward.
    Conversation.objects.filter(pk=conversation.pk).update(
        last_item_at=Greatest(F("last_item_at"), received_at)
    )
    return conversation


@transaction.atomic
def receive_item(
    channel: Channel,
    kind: str,
    platform_id: str,
    author_handle: str,
    text: str,
    url: str,
    received_at: datetime.datetime,
    thread_key: str = "",
    raw: dict[str, Any] | None = None,
    *,
    author_name: str = "",
    post_url: str = "",
) -> tuple[InboundItem, bool]:
    """Store a comment, mention, message or e-mail read from a channel.

    Deduplicated by (channel, platform id): a second delivery returns the stored
    item unchanged (``created`` is False), so the platform's receipt time set by
    the first delivery never changes. Used by the network and mailbox pollers.
    """
    if kind not in ItemKind.values:
        raise ValidationFailed(_("Tipo de mensaje desconocido."))
    if timezone.is_naive(received_at):
        raise ValidationFailed(_("La hora de recibo debe incluir la zona horaria."))
    # No ORDER BY: the unique index (organization, channel, platform id) finds
    # it; the model's default order would walk the items by date instead.
    existing = (
        InboundItem.objects.filter(
            organization_id=channel.organization_id,
            channel=channel,
            platform_id=platform_id[:200],
        )
        .order_by()
        .first()
    )
    if existing is not None:
        return existing, False
    conversation = _conversation(
        channel, channel.organization_id, thread_key, received_at, post_url
    )
    try:
        with transaction.atomic():
            item = InboundItem.objects.create(
                organization_id=channel.organization_id,
                conversation=conversation,
                channel=channel,
                network=channel.network,
                kind=kind,
                platform_id=platform_id[:200],
                author_handle=author_handle[:200],
                author_name=author_name[:200],
                text=text,
                url=url[:500],
                received_at=received_at,
                raw=raw or {},
                first_response_due=_first_response_due(
                    channel.organization_id, received_at
                ),
            )
    except IntegrityError:
        # A concurrent delivery stored it first.
        return (
            InboundItem.objects.get(
                organization_id=channel.organization_id,
                channel=channel,
                platform_id=platform_id,
            ),
            False,
        )
    record(
        None,
        "inbox.item.received",
        item,
        {
            "channel": channel.name,
            "kind": kind,
            "platform_id": item.platform_id,
            "received_at": received_at,
        },
        organization=channel.organization_id,
    )
    return item, True


@dataclass
class ItemData:
    kind: str
    author_handle: str
    text: str
    received_at: datetime.datetime
    channel: Channel | None = None
    author_name: str = ""
    url: str = ""


@transaction.atomic
def register_item(user: User, data: ItemData) -> InboundItem:
    """Register by hand a message the API cannot read (a call, a network without
    API access, a message shown on someone's phone)."""
    require(user, Perm.INBOX_MANAGE)
    errors: dict[str, list[str]] = {}
    if data.kind not in ItemKind.values:
        errors["kind"] = [_("Elija el tipo de mensaje.")]
    if not data.author_handle.strip():
        errors["author_handle"] = [_("Escriba quién escribió o llamó.")]
    if not data.text.strip():
        errors["text"] = [_("Escriba el mensaje.")]
    if (
        data.channel is not None
        and data.channel.organization_id != user.organization_id
    ):
        errors["channel"] = [_("Canal desconocido.")]
    if timezone.is_naive(data.received_at):
        errors["received_at"] = [_("La hora de recibo debe incluir la zona horaria.")]
    elif data.received_at > timezone.now() + datetime.timedelta(minutes=5):
        errors["received_at"] = [_("La fecha de recibo no puede estar en el futuro.")]
    if errors:
        raise ValidationFailed(_("Revise los datos del mensaje."), errors=errors)
    item = InboundItem.objects.create(
        organization_id=user.organization_id,
        channel=data.channel,
        network=data.channel.network if data.channel else "",
        kind=data.kind,
        platform_id=f"manual-{uuid.uuid4().hex}",
        author_handle=data.author_handle.strip()[:200],
        author_name=data.author_name.strip()[:200],
        text=data.text.strip(),
        url=data.url.strip()[:500],
        received_at=data.received_at,
        first_response_due=_first_response_due(user.organization_id, data.received_at),
        registered_by=user,
    )
    record(
        user,
        "inbox.item.registered",
        item,
        {
            "channel": data.channel.name if data.channel else None,
            "kind": item.kind,
            "received_at": item.received_at,
        },
    )
    return item


def _required(value: str, field: str, message: str) -> str:
    """``value`` stripped, or a Spanish refusal naming the empty ``field``."""
    value = value.strip()
    if not value:
        raise ValidationFailed(
            message, errors={field: [_("Este campo es obligatorio.")]}
        )
    return value


def _check_item_version(item: InboundItem, lock_version: int | None) -> None:
    if lock_version is not None and lock_version != item.lock_version:
        raise ConflictError(
            _("El mensaje cambió desde que abrió la página. Recárguela y revise.")
        )


def _update_item(item: InboundItem, **updates: Any) -> None:
    updated = InboundItem.objects.filter(
        pk=item.pk, lock_version=item.lock_version
    ).update(lock_version=F("lock_version") + 1, **updates)
    if updated != 1:
        raise ConflictError(
            _("Otra persona cambió este mensaje al mismo tiempo. Recargue la página.")
        )
    item.refresh_from_db()


@transaction.atomic
def triage(
    user: User,
    item: InboundItem,
    decision: str,
    *,
    typology: str = "",
    reason: str = "",
    dependency: Dependency | None = None,
    lock_version: int | None = None,
) -> Triage:
    """PET-01: interaction, petition (with its typology) or not applicable."""
    require(user, Perm.INBOX_MANAGE)
    item = InboundItem.objects.get(pk=item.pk, organization_id=user.organization_id)
    _check_item_version(item, lock_version)
    if hasattr(item, "petition"):
        raise TransitionNotAllowed(
            _("El mensaje ya es la petición %(number)s: se gestiona en su panel.")
            % {"number": item.petition.number}
        )
    errors: dict[str, list[str]] = {}
    if decision not in TriageDecision.values:
        errors["decision"] = [_("Elija una decisión.")]
    if decision == TriageDecision.PETITION and typology not in Typology.values:
        errors["typology"] = [_("Elija la tipología de Bogotá te escucha.")]
    if decision == TriageDecision.NOT_APPLICABLE and not reason.strip():
        errors["reason"] = [_("Escriba por qué no procede.")]
    if errors:
        raise ValidationFailed(_("Revise la clasificación."), errors=errors)
    if decision != TriageDecision.PETITION:
        typology = ""
    entry = Triage.objects.create(
        organization_id=item.organization_id,
        item=item,
        decision=decision,
        typology=typology,
        reason=reason.strip(),
        decided_by=user,
    )
    _update_item(item, state=decision, typology=typology)
    record(
        user,
        "inbox.item.triaged",
        item,
        {
            "decision": decision,
            "typology": typology or None,
            "reason": reason.strip(),
        },
    )
    if decision == TriageDecision.PETITION:
        open_petition(user, item, typology, dependency=dependency)
    return entry


@transaction.atomic
def open_petition(
    user: User,
    item: InboundItem,
    typology: str,
    *,
    dependency: Dependency | None = None,
) -> Petition:
    """Open the petition of an item triaged as such; its term runs from the
    business day after the platform's receipt time (PET-02)."""
    require(user, Perm.INBOX_MANAGE)
    if item.state != ItemState.PETITION:
        raise TransitionNotAllowed(_("Primero clasifique el mensaje como petición."))
    if Petition.objects.filter(item=item).exists():
        raise TransitionNotAllowed(_("El mensaje ya tiene una petición."))
    if dependency is not None and dependency.organization_id != item.organization_id:
        raise ValidationFailed(
            _("Dependencia desconocida."),
            errors={"dependency": [_("No existe en su entidad.")]},
        )
    received = timezone.localtime(item.received_at)
    seed_years(item.organization_id, [received.year, received.year + 1])
    calendar = calendar_for(item.organization_id, [received.year, received.year + 1])
    start = calendar.effective_receipt(item.received_at)
    term = term_for(typology)
    due = calendar.add_business_days(start, term)
    organization = Organization.objects.get(pk=item.organization_id)
    petition = Petition.objects.create(
        organization=organization,
        item=item,
        number=next_number(organization, "PQR", received.year),
        typology=typology,
        term_days=term,
        received_at=item.received_at,
        start_date=start,
        due_date=due,
        original_due_date=due,
        referral_due=calendar.add_business_days(start, REFERRAL_TERM),
        dependency=dependency,
    )
    record(
        user,
        "inbox.petition.opened",
        item,
        {
            "petition": petition.number,
            "typology": typology,
            "term_days": term,
            "received_at": item.received_at,
            "due_date": due,
        },
    )
    if item.assignee_id is None and user.is_active:
        _update_item(item, assignee=user)
    return petition


@transaction.atomic
def assign(
    user: User,
    item: InboundItem,
    assignee: User | None,
    *,
    lock_version: int | None = None,
) -> InboundItem:
    require(user, Perm.INBOX_MANAGE)
    item = InboundItem.objects.get(pk=item.pk, organization_id=user.organization_id)
    _check_item_version(item, lock_version)
    if assignee is not None and (
        assignee.organization_id != item.organization_id
        or not assignee.is_active
        or not has_perm(assignee, Perm.INBOX_MANAGE)
    ):
        raise ValidationFailed(
            _("Esa persona no puede atender la bandeja."),
            errors={"assignee": [_("Elija a alguien de la oficina.")]},
        )
    before = str(item.assignee) if item.assignee_id else None
    _update_item(item, assignee=assignee)
    record(
        user,
        "inbox.item.assigned",
        item,
        {"before": before, "assignee": str(assignee) if assignee else None},
    )
    if assignee is not None:
        notify(
            [assignee],
            kind="inbox.assigned",
            exclude=user,
            subject=_("Mensaje asignado: %(author)s") % {"author": item.author_handle},
            body=_("%(user)s le asignó un mensaje de %(author)s en la bandeja.")
            % {"user": user, "author": item.author_handle},
            link=item_url(item),
        )
    return item


@transaction.atomic
def add_note(user: User, item: InboundItem, text: str) -> Note:
    require(user, Perm.INBOX_MANAGE)
    if item.organization_id != user.organization_id:
        raise ValidationFailed(_("Mensaje desconocido."))
    _required(text, "text", _("Escriba la nota."))
    note = Note.objects.create(
        organization_id=item.organization_id,
        item=item,
        author=user,
        text=text.strip(),
    )
    # The note's id, not its text: the log keeps nothing to anonymise (DAT-01).
    record(user, "inbox.item.note_added", item, {"note_id": note.pk})
    return note


@transaction.atomic
def mark_responded(user: User, item: InboundItem, url: str = "") -> InboundItem:
    """The first response was given (stops the response-time timer)."""
    require(user, Perm.INBOX_MANAGE)
    item = InboundItem.objects.get(pk=item.pk, organization_id=user.organization_id)
    if item.responded_at is not None:
        raise TransitionNotAllowed(_("El mensaje ya tiene respuesta registrada."))
    now = timezone.now()
    _update_item(item, responded_at=now, response_url=url.strip()[:500])
    on_time = item.first_response_due is None or now <= item.first_response_due
    record(
        user,
        "inbox.item.responded",
        item,
        {"permalink": item.response_url or None, "on_time": on_time},
    )
    return item


# ---------------------------------------------------------------- petitions


def _petition_step(
    user: User, petition: Petition, action: str, lock_version: int | None
) -> tuple[Petition, str]:
    require(user, Perm.INBOX_MANAGE)
    petition = Petition.objects.select_related("item").get(
        pk=petition.pk, organization_id=user.organization_id
    )
    if lock_version is not None and lock_version != petition.lock_version:
        raise ConflictError(
            _("La petición cambió desde que abrió la página. Recárguela y revise.")
        )
    new_state = transition_for(petition.state, action)
    if new_state is None:
        raise TransitionNotAllowed(
            _("La petición está «%(state)s»: no se puede «%(action)s».")
            % {
                "state": PetitionState(petition.state).label,
                "action": PetitionAction(action).label,
            }
        )
    return petition, new_state


def _save_petition(petition: Petition, **updates: Any) -> None:
    updated = Petition.objects.filter(
        pk=petition.pk, lock_version=petition.lock_version, state=petition.state
    ).update(lock_version=F("lock_version") + 1, **updates)
    if updated != 1:
        raise ConflictError(
            _("Otra persona cambió esta petición al mismo tiempo. Recargue la página.")
        )
    petition.refresh_from_db()


def _open_for_edits(
    user: User, petition: Petition, lock_version: int | None
) -> Petition:
    require(user, Perm.INBOX_MANAGE)
    petition = Petition.objects.select_related("item").get(
        pk=petition.pk, organization_id=user.organization_id
    )
    if lock_version is not None and lock_version != petition.lock_version:
        raise ConflictError(
            _("La petición cambió desde que abrió la página. Recárguela y revise.")
        )
    if petition.state == PetitionState.CLOSED:
        raise TransitionNotAllowed(_("La petición ya está cerrada."))
    return petition


@transaction.atomic
def set_radicado(
    user: User, petition: Petition, radicado: str, *, lock_version: int | None = None
) -> Petition:
    """The Bogotá te escucha number (PET-03, PET-10: registered by hand)."""
    petition = _open_for_edits(user, petition, lock_version)
    radicado = radicado.strip()
    if not radicado:
        raise ValidationFailed(
            _("Escriba el número de radicado."),
            errors={"radicado": [_("Este campo es obligatorio.")]},
        )
    if len(radicado) > 40:
        raise ValidationFailed(
            _("El radicado admite como máximo 40 caracteres."),
            errors={"radicado": [_("Demasiado largo.")]},
        )
    before = petition.radicado
    _save_petition(petition, radicado=radicado, radicado_at=timezone.now())
    record(
        user,
        "inbox.petition.radicado_set",
        petition.item,
        {"petition": petition.number, "before": before or None, "radicado": radicado},
    )
    return petition


@dataclass
class PetitionFields:
    dependency: Dependency | None = None
    petitioner_name: str | None = None
    petitioner_document: str | None = None
    petitioner_contact: str | None = None


PERSONAL_FIELDS = ("petitioner_name", "petitioner_document", "petitioner_contact")


@transaction.atomic
def update_petition(
    user: User,
    petition: Petition,
    fields: PetitionFields,
    *,
    lock_version: int | None = None,
) -> Petition:
    """The answering dependency and the petitioner's data (DAT-01: restricted).

    The audit event names the personal fields that changed, never their values.
    """
    petition = _open_for_edits(user, petition, lock_version)
    updates: dict[str, Any] = {}
    if fields.dependency is not None:
        if fields.dependency.organization_id != petition.organization_id:
            raise ValidationFailed(
                _("Dependencia desconocida."),
                errors={"dependency": [_("No existe en su entidad.")]},
            )
        updates["dependency"] = fields.dependency
    personal = {
        name: getattr(fields, name).strip()
        for name in PERSONAL_FIELDS
        if getattr(fields, name) is not None
    }
    personal = {k: v for k, v in personal.items() if v != getattr(petition, k)}
    if personal:
        require(user, Perm.PETITION_PERSONAL_DATA)
        limits = {"petitioner_name": 200, "petitioner_document": 40}
        for name, value in personal.items():
            if len(value) > limits.get(name, 300):
                raise ValidationFailed(
                    _("El texto es demasiado largo."),
                    errors={name: [_("El texto es demasiado largo.")]},
                )
        updates.update(personal)
    if not updates:
        return petition
    before_dependency = str(petition.dependency) if petition.dependency_id else None
    _save_petition(petition, **updates)
    record(
        user,
        "inbox.petition.updated",
        petition.item,
        {
            "petition": petition.number,
            "dependency": str(petition.dependency) if "dependency" in updates else None,
            "before_dependency": before_dependency if "dependency" in updates else None,
            "personal_fields_changed": sorted(personal),
        },
    )
    return petition


@transaction.atomic
def refer(
    user: User,
    petition: Petition,
    entity: str,
    note: str = "",
    *,
    lock_version: int | None = None,
) -> Petition:
    """PET-04: another entity is competent; forward it and copy the petitioner."""
    petition, new_state = _petition_step(
        user, petition, PetitionAction.REFER, lock_version
    )
    _required(entity, "entity", _("Escriba la entidad competente."))
    now = timezone.now()
    _save_petition(
        petition,
        state=new_state,
        referred_to=entity.strip()[:200],
        referred_at=now,
        referral_note=note.strip(),
    )
    record(
        user,
        "inbox.petition.referred",
        petition.item,
        {
            "petition": petition.number,
            "entity": petition.referred_to,
            "note": petition.referral_note,
            "on_time": timezone.localdate(now) <= petition.referral_due,
        },
    )
    return petition


@transaction.atomic
def request_clarification(
    user: User, petition: Petition, text: str, *, lock_version: int | None = None
) -> Petition:
    """PET-06: the purpose is unclear; the petitioner has 10 business days."""
    petition, new_state = _petition_step(
        user, petition, PetitionAction.REQUEST_CLARIFICATION, lock_version
    )
    _required(text, "text", _("Escriba qué debe aclarar el peticionario."))
    now = timezone.now()
    calendar = calendar_for(petition.organization_id)
    due = calendar.add_business_days(
        calendar.effective_receipt(now), CLARIFICATION_TERM
    )
    _save_petition(
        petition,
        state=new_state,
        clarification_text=text.strip(),
        clarification_requested_at=now,
        clarification_due=due,
    )
    record(
        user,
        "inbox.petition.clarification_requested",
        petition.item,
        {"petition": petition.number, "comment": text.strip(), "due_date": due},
    )
    return petition


@transaction.atomic
def receive_clarification(
    user: User,
    petition: Petition,
    received_at: datetime.datetime | None = None,
    *,
    lock_version: int | None = None,
) -> Petition:
    """The petitioner clarified: the term runs again, in full, from that receipt."""
    petition, new_state = _petition_step(
        user, petition, PetitionAction.RECEIVE_CLARIFICATION, lock_version
    )
    received_at = received_at or timezone.now()
    if received_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationFailed(
            _("La fecha de recibo no puede estar en el futuro."),
            errors={"received_at": [_("Fecha no válida.")]},
        )
    local = timezone.localtime(received_at)
    seed_years(petition.organization_id, [local.year, local.year + 1])
    calendar = calendar_for(petition.organization_id, [local.year, local.year + 1])
    start = calendar.effective_receipt(received_at)
    due = calendar.add_business_days(start, petition.term_days)
    _save_petition(
        petition,
        state=new_state,
        clarification_received_at=received_at,
        start_date=start,
        due_date=due,
        original_due_date=due,
    )
    record(
        user,
        "inbox.petition.clarification_received",
        petition.item,
        {"petition": petition.number, "received_at": received_at, "due_date": due},
    )
    return petition


@transaction.atomic
def extend(
    user: User,
    petition: Petition,
    new_due_date: datetime.date,
    reason: str,
    *,
    lock_version: int | None = None,
) -> Petition:
    """PET-05: the petitioner is told before the term expires, with the reasons
    and the new date, which may not exceed twice the initial term."""
    petition, new_state = _petition_step(
        user, petition, PetitionAction.EXTEND, lock_version
    )
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    calendar = calendar_for(
        petition.organization_id,
        sorted({today.year, new_due_date.year} | {today.year + 1}),
    )
    if petition.extended_at is not None:
        raise TransitionNotAllowed(
            _("El término de esta petición ya se amplió una vez.")
        )
    if today > petition.due_date:
        raise TransitionNotAllowed(
            _(
                "El término ya venció: la ampliación debe avisarse antes del vencimiento."
            )
        )
    if not reason.strip():
        errors["reason"] = [_("Escriba los motivos de la demora.")]
    limit = calendar.add_business_days(
        petition.start_date, petition.term_days * MAX_EXTENSION_FACTOR
    )
    if new_due_date <= petition.due_date:
        errors["new_due_date"] = [
            _("La nueva fecha debe ser posterior al vencimiento.")
        ]
    elif new_due_date > limit:
        errors["new_due_date"] = [
            _("La nueva fecha no puede superar el doble del término: %(limit)s.")
            % {"limit": limit.strftime("%d/%m/%Y")}
        ]
    elif not calendar.is_business_day(new_due_date):
        errors["new_due_date"] = [_("Elija un día hábil.")]
    if errors:
        raise ValidationFailed(_("Revise la ampliación del término."), errors=errors)
    before = petition.due_date
    _save_petition(
        petition,
        state=new_state,
        due_date=new_due_date,
        extended_at=timezone.now(),
        extension_reason=reason.strip(),
    )
    record(
        user,
        "inbox.petition.extended",
        petition.item,
        {
            "petition": petition.number,
            "before": before,
            "due_date": new_due_date,
            "reason": reason.strip(),
        },
    )
    return petition


@transaction.atomic
def record_answer(
    user: User,
    petition: Petition,
    text: str,
    url: str = "",
    *,
    lock_version: int | None = None,
) -> Petition:
    """PET-08: our answer (text and link), kept as evidence."""
    petition, new_state = _petition_step(
        user, petition, PetitionAction.ANSWER, lock_version
    )
    _required(text, "text", _("Escriba la respuesta dada."))
    now = timezone.now()
    _save_petition(
        petition,
        state=new_state,
        answer_text=text.strip(),
        answer_url=url.strip()[:500],
        answered_at=now,
        answered_by=user,
    )
    item = petition.item
    if item.responded_at is None:
        InboundItem.objects.filter(pk=item.pk).update(
            responded_at=now,
            response_url=url.strip()[:500],
            lock_version=F("lock_version") + 1,
        )
    record(
        user,
        "inbox.petition.answered",
        item,
        {
            "petition": petition.number,
            "permalink": petition.answer_url or None,
            "on_time": timezone.localdate(now) <= petition.due_date,
        },
    )
    return petition


@transaction.atomic
def close(
    user: User, petition: Petition, *, lock_version: int | None = None
) -> Petition:
    """Close an answered or referred petition; refused without the radicado (PET-03)."""
    petition, new_state = _petition_step(
        user, petition, PetitionAction.CLOSE, lock_version
    )
    if not petition.radicado:
        raise ValidationFailed(
            _(
                "Registre el número de radicado de Bogotá te escucha antes de cerrar la "
                "petición."
            ),
            code="radicado_required",
            errors={"radicado": [_("Este campo es obligatorio para cerrar.")]},
        )
    _save_petition(petition, state=new_state, closed_at=timezone.now(), closed_by=user)
    record(
        user,
        "inbox.petition.closed",
        petition.item,
        {
            "petition": petition.number,
            "radicado": petition.radicado,
            "on_time": petition.answered_on_time,
        },
    )
    return petition


# ---------------------------------------------------------------- saved replies


@transaction.atomic
def save_saved_reply(
    user: User,
    saved: SavedReply | None,
    *,
    title: str,
    body: str,
    active: bool = True,
    lock_version: int | None = None,
) -> SavedReply:
    """Create (``saved`` None) or edit a plantilla de respuesta; audited.

    An edit made on a stale page is refused, never written over another's."""
    require(user, Perm.INBOX_MANAGE)
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("Escriba un título corto para reconocerla.")]
    if not body.strip():
        errors["body"] = [_("Escriba el texto de la respuesta.")]
    if errors:
        raise ValidationFailed(_("Revise la respuesta guardada."), errors=errors)
    fields = {"title": title.strip()[:120], "body": body.strip(), "active": active}
    if saved is None:
        saved = SavedReply.objects.create(
            organization_id=user.organization_id, **fields
        )
        record(user, "inbox.saved_reply.created", saved, {"title": saved.title})
        return saved
    saved = SavedReply.objects.select_for_update().get(
        pk=saved.pk, organization_id=user.organization_id
    )
    if lock_version is not None and lock_version != saved.lock_version:
        raise ConflictError(
            _(
                "Otra persona cambió esta respuesta guardada desde que abrió la "
                "página. Recárguela y vuelva a hacer su cambio."
            )
        )
    changed = {k: v for k, v in fields.items() if getattr(saved, k) != v}
    if changed:
        SavedReply.objects.filter(pk=saved.pk).update(
            lock_version=F("lock_version") + 1, **changed
        )
        saved.refresh_from_db()
        record(user, "inbox.saved_reply.updated", saved, {"changed": sorted(changed)})
    return saved
