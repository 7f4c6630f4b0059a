"""Activities 2–4: planning meetings and their actas, the content plan, joint actions."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pregonero.accounts.models import User
from pregonero.accounts.notify import notify
from pregonero.accounts.permissions import Perm, has_perm, require
from pregonero.audit.actions import record
from pregonero.content.models import Piece
from pregonero.core.errors import (
    ConflictError,
    PermissionDeniedError,
    TransitionNotAllowed,
    ValidationFailed,
)
from pregonero.core.models import (
    Audience,
    Campaign,
    Channel,
    Dependency,
    Organization,
    next_number,
)
from pregonero.intake.actions import mark_planned
from pregonero.intake.models import Need
from pregonero.intake.workflow import NeedState
from pregonero.lib.uploads import check_upload, storage_path

from .models import (
    ActaVersion,
    AgendaItem,
    Commitment,
    JointAction,
    JointActionEvidence,
    JointActionFile,
    Meeting,
    MeetingAttendee,
    MeetingDocument,
    MeetingState,
    PartnerEntity,
    PlanItem,
    PlanItemComment,
)

REPORT_KINDS = {"document", "image"}


def meeting_url(meeting: Meeting) -> str:
    return reverse("planning:meeting_detail", args=[meeting.pk])


def _same_org(user: User, objects: list[Any], field_name: str) -> None:
    for obj in objects:
        if obj is not None and obj.organization_id != user.organization_id:
            raise ValidationFailed(
                _("Uno de los datos pertenece a otra entidad."),
                errors={field_name: [_("Valor desconocido.")]},
            )


# ---------------------------------------------------------------- meetings


@dataclass
class AttendeeData:
    name: str
    position: str = ""
    affiliation: str = ""
    user: User | None = None
    is_external: bool = False
    attended: bool = True


@dataclass
class AgendaData:
    topic: str
    need: Need | None = None
    discussion: str = ""
    sources_to_consult: str = ""
    products: str = ""
    channels: list[Channel] = field(default_factory=list)
    responsible: User | None = None
    due_date: datetime.date | None = None


@dataclass
class CommitmentData:
    description: str
    responsible: User | None = None
    responsible_name: str = ""
    due_date: datetime.date | None = None


@dataclass
class MeetingData:
    title: str
    starts_at: datetime.datetime
    place: str
    ends_at: datetime.datetime | None = None
    objective: str = ""
    development: str = ""
    chaired_by: User | None = None
    attendees: list[AttendeeData] = field(default_factory=list)
    agenda: list[AgendaData] = field(default_factory=list)
    commitments: list[CommitmentData] = field(default_factory=list)


def _validate_meeting(user: User, data: MeetingData) -> None:
    errors: dict[str, list[str]] = {}
    if not data.title.strip():
        errors["title"] = [_("Escriba el tema de la reunión.")]
    if not data.place.strip():
        errors["place"] = [_("Indique el lugar (o «virtual» y el enlace).")]
    if data.ends_at and data.ends_at <= data.starts_at:
        errors["ends_at"] = [_("La hora de terminación debe ser posterior al inicio.")]
    for index, attendee in enumerate(data.attendees, start=1):
        if not attendee.name.strip():
            errors.setdefault("attendees", []).append(
                _("Asistente %(n)s: falta el nombre.") % {"n": index}
            )
    for index, item in enumerate(data.agenda, start=1):
        if not item.topic.strip():
            errors.setdefault("agenda", []).append(
                _("Punto %(n)s del orden del día: falta el tema.") % {"n": index}
            )
    for index, commitment in enumerate(data.commitments, start=1):
        if not commitment.description.strip():
            errors.setdefault("commitments", []).append(
                _("Compromiso %(n)s: falta la descripción.") % {"n": index}
            )
        if commitment.responsible is None and not commitment.responsible_name.strip():
            errors.setdefault("commitments", []).append(
                _("Compromiso %(n)s: falta el responsable.") % {"n": index}
            )
    if errors:
        raise ValidationFailed(_("Revise los datos de la reunión."), errors=errors)
    people = [data.chaired_by, *(a.user for a in data.attendees)]
    people += [i.responsible for i in data.agenda] + [
        c.responsible for c in data.commitments
    ]
    _same_org(user, [p for p in people if p is not None], "attendees")
    _same_org(user, [i.need for i in data.agenda if i.need], "agenda")
    _same_org(user, [c for i in data.agenda for c in i.channels], "agenda")


def _replace_children(meeting: Meeting, data: MeetingData) -> None:
    meeting.attendees.all().delete()
    meeting.commitments.all().delete()
    # Agenda items referenced by plan items are kept and updated in place.
    existing = list(meeting.agenda.all())
    MeetingAttendee.objects.bulk_create(
        MeetingAttendee(
            meeting=meeting,
            user=a.user,
            name=a.name.strip()[:200],
            position=a.position.strip()[:200],
            affiliation=a.affiliation.strip()[:200],
            is_external=a.is_external,
            attended=a.attended,
        )
        for a in data.attendees
    )
    for position, item in enumerate(data.agenda, start=1):
        agenda_item = existing.pop(0) if existing else AgendaItem(meeting=meeting)
        agenda_item.position = position
        agenda_item.need = item.need
        agenda_item.topic = item.topic.strip()[:300]
        agenda_item.discussion = item.discussion.strip()
        agenda_item.sources_to_consult = item.sources_to_consult.strip()
        agenda_item.products = item.products.strip()
        agenda_item.responsible = item.responsible
        agenda_item.due_date = item.due_date
        agenda_item.save()
        agenda_item.channels.set(item.channels)
    for leftover in existing:
        if leftover.plan_items.exists():
            raise ValidationFailed(
                _(
                    "El punto «%(topic)s» ya originó ítems del plan y no se puede quitar."
                )
                % {"topic": leftover.topic},
                errors={"agenda": [_("Punto con ítems del plan.")]},
            )
        leftover.delete()
    Commitment.objects.bulk_create(
        Commitment(
            meeting=meeting,
            description=c.description.strip()[:500],
            responsible=c.responsible,
            responsible_name=c.responsible_name.strip()[:200],
            due_date=c.due_date,
        )
        for c in data.commitments
    )


@transaction.atomic
def create_meeting(user: User, data: MeetingData) -> Meeting:
    """Open a planning meeting (activity 2)."""
    require(user, Perm.MEETING_MANAGE)
    _validate_meeting(user, data)
    organization = Organization.objects.get(pk=user.organization_id)
    meeting = Meeting.objects.create(
        organization=organization,
        number=next_number(organization, "ACT"),
        title=data.title.strip(),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        place=data.place.strip(),
        objective=data.objective.strip(),
        development=data.development.strip(),
        chaired_by=data.chaired_by,
        created_by=user,
    )
    _replace_children(meeting, data)
    record(
        user,
        "planning.meeting.created",
        meeting,
        {
            "title": meeting.title,
            "starts_at": meeting.starts_at,
            "agenda": [i.topic for i in data.agenda],
        },
    )
    return meeting


@transaction.atomic
def update_meeting(
    user: User, meeting: Meeting, data: MeetingData, *, lock_version: int
) -> Meeting:
    """Change a meeting before its acta is issued; stale edits are refused."""
    require(user, Perm.MEETING_MANAGE)
    meeting = Meeting.objects.get(pk=meeting.pk)
    if meeting.state == MeetingState.ISSUED:
        raise TransitionNotAllowed(
            _(
                "El acta ya fue expedida. Para cambiarla, ábrala para una nueva versión indicando el motivo."
            )
        )
    _validate_meeting(user, data)
    updated = Meeting.objects.filter(pk=meeting.pk, lock_version=lock_version).update(
        title=data.title.strip(),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        place=data.place.strip(),
        objective=data.objective.strip(),
        development=data.development.strip(),
        chaired_by=data.chaired_by,
        lock_version=F("lock_version") + 1,
        updated_at=timezone.now(),
    )
    if not updated:
        raise ConflictError(
            _(
                "Otra persona modificó la reunión mientras usted la editaba; sus cambios no se "
                "guardaron. Recargue la página y vuelva a aplicarlos."
            )
        )
    meeting.refresh_from_db()
    _replace_children(meeting, data)
    record(
        user,
        "planning.meeting.updated",
        meeting,
        {
            "title": meeting.title,
            "agenda": [i.topic for i in data.agenda],
            "attendees": len(data.attendees),
            "commitments": len(data.commitments),
        },
    )
    return meeting


@transaction.atomic
def add_meeting_document(
    user: User,
    meeting: Meeting,
    fileobj: Any,
    name: str,
    *,
    is_strategic_report: bool = True,
) -> MeetingDocument:
    """Attach the strategic communication report (or another annex) to a meeting."""
    require(user, Perm.MEETING_MANAGE)
    if meeting.state == MeetingState.ISSUED:
        raise TransitionNotAllowed(
            _("El acta ya fue expedida; ábrala para una nueva versión.")
        )
    checked = check_upload(fileobj, name, REPORT_KINDS)
    document = MeetingDocument(
        organization_id=meeting.organization_id,
        meeting=meeting,
        uploaded_by=user,
        is_strategic_report=is_strategic_report,
    )
    document.fill_from_upload(fileobj, checked, "meetings")
    document.save()
    record(
        user,
        "planning.meeting.updated",
        meeting,
        {
            "document": document.original_name,
            "sha256": document.sha256,
        },
    )
    return document


def _person(user: User | None) -> dict[str, str] | None:
    if user is None:
        return None
    return {"name": str(user), "position": user.position}


def _local_iso(value: datetime.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def build_snapshot(
    meeting: Meeting, version: int, issued_by: User, reason: str
) -> dict[str, Any]:
    """The acta's content as plain data: what is rendered and what is sealed."""
    organization = Organization.objects.get(pk=meeting.organization_id)
    agenda = meeting.agenda.select_related("need", "responsible").prefetch_related(
        "channels"
    )
    commitments = meeting.commitments.select_related("responsible")
    snapshot: dict[str, Any] = {
        "organization": {
            "name": organization.name,
            "short_name": organization.short_name,
            "office_name": organization.office_name,
            "city": organization.city,
        },
        "format": {
            "code": organization.acta_format_code,
            "version": organization.acta_format_version,
            "date": organization.acta_format_date.isoformat()
            if organization.acta_format_date
            else None,
            "process": organization.process_name,
            "title": _("Acta de reunión"),
        },
        "meeting": {
            "number": meeting.number,
            "title": meeting.title,
            "starts_at": _local_iso(meeting.starts_at),
            "ends_at": _local_iso(meeting.ends_at),
            "place": meeting.place,
            "objective": meeting.objective,
            "development": meeting.development,
            "chaired_by": _person(meeting.chaired_by),
        },
        "version": version,
        "issued_at": _local_iso(timezone.now()),
        "issued_by": _person(issued_by),
        "change_reason": reason,
        "attendees": [
            {
                "name": a.name,
                "position": a.position,
                "affiliation": a.affiliation,
                "is_external": a.is_external,
                "attended": a.attended,
            }
            for a in meeting.attendees.all()
        ],
        "agenda": [
            {
                "position": i.position,
                "topic": i.topic,
                "need_number": i.need.number if i.need else "",
                "discussion": i.discussion,
                "sources_to_consult": i.sources_to_consult,
                "products": i.products,
                "channels": [c.name for c in i.channels.all()],
                "responsible": str(i.responsible) if i.responsible else "",
                "due_date": i.due_date.isoformat() if i.due_date else None,
            }
            for i in agenda
        ],
        "commitments": [
            {
                "description": c.description,
                "responsible": c.responsible_display,
                "due_date": c.due_date.isoformat() if c.due_date else None,
            }
            for c in commitments
        ],
        "documents": [
            {"name": d.original_name, "sha256": d.sha256}
            for d in meeting.documents.all()
        ],
    }
    from pregonero.content.models import canonical_hash

    snapshot["content_hash"] = canonical_hash(
        {k: v for k, v in snapshot.items() if k not in {"issued_at", "content_hash"}}
    )
    return snapshot


@transaction.atomic
def issue_acta(
    user: User, meeting: Meeting, *, lock_version: int | None = None
) -> ActaVersion:
    """Issue the Acta de Reunión (208-SADM-Ft-06) as an immutable record, DOCX and PDF.

    Every need on the agenda enters the content plan. Changing an issued acta
    takes ``reopen_acta`` and a new issue, which makes the next version.
    """
    from .acta import acta_filename, render_docx, render_pdf

    require(user, Perm.MEETING_ISSUE)
    meeting = Meeting.objects.get(pk=meeting.pk)
    if meeting.state == MeetingState.ISSUED:
        raise TransitionNotAllowed(_("El acta de esta reunión ya está expedida."))
    if lock_version is not None and lock_version != meeting.lock_version:
        raise ConflictError(
            _("La reunión cambió desde que abrió la página. Recárguela.")
        )
    if not meeting.attendees.exists() or not meeting.agenda.exists():
        raise ValidationFailed(
            _(
                "Para expedir el acta registre al menos un asistente y un punto del orden del día."
            ),
            errors={"attendees": [_("Obligatorio.")]},
        )
    previous = meeting.acta_versions.order_by("-number").first()
    version = (previous.number if previous else 0) + 1
    reason = _reopen_reason(meeting) if previous is not None else ""
    updated = Meeting.objects.filter(
        pk=meeting.pk, state=MeetingState.DRAFT, lock_version=meeting.lock_version
    ).update(state=MeetingState.ISSUED, lock_version=F("lock_version") + 1)
    if not updated:
        raise ConflictError(_("Otra persona expidió o cambió el acta al mismo tiempo."))
    snapshot = build_snapshot(meeting, version, user, reason)
    docx_bytes = render_docx(snapshot)
    pdf_bytes = render_pdf(snapshot)
    acta = ActaVersion(
        organization_id=meeting.organization_id,
        meeting=meeting,
        number=version,
        snapshot=snapshot,
        content_hash=snapshot["content_hash"],
        issued_by=user,
        change_reason=reason,
        docx_sha256=hashlib.sha256(docx_bytes).hexdigest(),
        pdf_sha256=hashlib.sha256(pdf_bytes).hexdigest(),
    )
    acta.docx.save(
        storage_path(meeting.organization_id, "actas", "docx"),
        ContentFile(docx_bytes, name=acta_filename(snapshot, "docx")),
        save=False,
    )
    acta.pdf.save(
        storage_path(meeting.organization_id, "actas", "pdf"),
        ContentFile(pdf_bytes, name=acta_filename(snapshot, "pdf")),
        save=False,
    )
    acta.save()
    for item in meeting.agenda.select_related("need"):
        if item.need is not None and item.need.state == NeedState.FOR_PLANNING:
            mark_planned(user, item.need)
    record(
        user,
        "planning.meeting.issued",
        meeting,
        {
            "version": version,
            "content_hash": acta.content_hash,
            "docx_sha256": acta.docx_sha256,
            "pdf_sha256": acta.pdf_sha256,
            "reason": reason,
        },
    )
    people: list[User | None] = [
        a.user for a in meeting.attendees.select_related("user")
    ]
    people += [i.responsible for i in meeting.agenda.select_related("responsible")]
    notify(
        people,
        kind="meeting.issued",
        exclude=user,
        subject=_("Acta expedida: %(number)s v%(version)s")
        % {"number": meeting.number, "version": version},
        body=_("El acta de «%(title)s» quedó expedida. Revise sus compromisos.")
        % {"title": meeting.title},
        link=meeting_url(meeting),
    )
    return acta


def _reopen_reason(meeting: Meeting) -> str:
    from pregonero.audit.models import AuditEvent

    event = (
        AuditEvent.objects.for_target("planning.meeting", meeting.pk)
        .filter(action="planning.meeting.reopened")
        .order_by("-seq")
        .first()
    )
    return str(event.data.get("reason", "")) if event else ""


@transaction.atomic
def reopen_acta(user: User, meeting: Meeting, *, reason: str) -> Meeting:
    """Open an issued acta for changes; the next issue becomes a new version."""
    require(user, Perm.MEETING_ISSUE)
    if not reason.strip():
        raise ValidationFailed(
            _("Escriba el motivo del cambio del acta."),
            errors={"comment": [_("Este campo es obligatorio.")]},
        )
    if not Meeting.objects.filter(pk=meeting.pk, state=MeetingState.ISSUED).update(
        state=MeetingState.DRAFT, lock_version=F("lock_version") + 1
    ):
        raise TransitionNotAllowed(_("El acta no está expedida."))
    meeting.refresh_from_db()
    record(
        user,
        "planning.meeting.reopened",
        meeting,
        {
            "reason": reason.strip(),
            "from_version": meeting.current_version_number,
        },
    )
    return meeting


# ---------------------------------------------------------------- content plan


@dataclass
class PlanItemData:
    title: str
    dependency: Dependency | None
    planned_date: datetime.date | None
    description: str = ""
    need: Need | None = None
    agenda_item: AgendaItem | None = None
    audiences: list[Audience] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    liaison: User | None = None
    responsible: User | None = None
    campaign: Campaign | None = None


def _validate_plan_item(user: User, data: PlanItemData) -> None:
    errors: dict[str, list[str]] = {}
    if not data.title.strip():
        errors["title"] = [_("Escriba el contenido a producir.")]
    if data.dependency is None:
        errors["dependency"] = [_("Elija la dependencia.")]
    if data.planned_date is None:
        errors["planned_date"] = [_("Indique la fecha planeada.")]
    if errors:
        raise ValidationFailed(_("Revise el ítem del plan."), errors=errors)
    _same_org(
        user,
        [
            data.dependency,
            data.need,
            data.campaign,
            data.liaison,
            data.responsible,
            *data.audiences,
            *data.channels,
        ],
        "plan",
    )
    if data.agenda_item is not None and data.agenda_item.meeting.organization_id != (
        user.organization_id
    ):
        raise ValidationFailed(_("Decisión desconocida."))


@transaction.atomic
def create_plan_item(user: User, data: PlanItemData) -> PlanItem:
    """Add a content to the plan (activity 3), from a need or a meeting decision."""
    require(user, Perm.PLAN_MANAGE)
    _validate_plan_item(user, data)
    assert data.dependency is not None and data.planned_date is not None  # validated
    item = PlanItem.objects.create(
        organization_id=user.organization_id,
        title=data.title.strip(),
        description=data.description.strip(),
        need=data.need,
        agenda_item=data.agenda_item,
        dependency=data.dependency,
        liaison=data.liaison,
        responsible=data.responsible,
        planned_date=data.planned_date,
        campaign=data.campaign,
        created_by=user,
    )
    item.audiences.set(data.audiences)
    item.channels.set(data.channels)
    if data.need is not None:
        mark_planned(user, data.need)  # only a need waiting for planning moves
    record(
        user,
        "planning.plan_item.created",
        item,
        {
            "title": item.title,
            "planned_date": item.planned_date,
            "need": data.need.number if data.need else None,
        },
    )
    notify(
        [data.liaison, data.responsible],
        kind="plan.assigned",
        exclude=user,
        subject=_("Nuevo contenido en el plan: %(title)s") % {"title": item.title},
        body=_("Planeado para el %(date)s. Puede comentar su enfoque en Pregonero.")
        % {"date": item.planned_date.strftime("%d/%m/%Y")},
        link=reverse("planning:plan_item_detail", args=[item.pk]),
    )
    return item


@transaction.atomic
def update_plan_item(
    user: User, item: PlanItem, data: PlanItemData, *, lock_version: int
) -> PlanItem:
    require(user, Perm.PLAN_MANAGE)
    _validate_plan_item(user, data)
    updated = PlanItem.objects.filter(pk=item.pk, lock_version=lock_version).update(
        title=data.title.strip(),
        description=data.description.strip(),
        dependency=data.dependency,
        liaison=data.liaison,
        responsible=data.responsible,
        planned_date=data.planned_date,
        campaign=data.campaign,
        lock_version=F("lock_version") + 1,
        updated_at=timezone.now(),
    )
    if not updated:
        raise ConflictError(
            _(
                "Otra persona modificó este ítem del plan; sus cambios no se guardaron. Recargue."
            )
        )
    item.refresh_from_db()
    item.audiences.set(data.audiences)
    item.channels.set(data.channels)
    record(
        user,
        "planning.plan_item.updated",
        item,
        {
            "title": item.title,
            "planned_date": item.planned_date,
        },
    )
    return item


def can_comment_plan_item(user: User, item: PlanItem) -> bool:
    if (
        not has_perm(user, Perm.PLAN_COMMENT)
        or item.organization_id != user.organization_id
    ):
        return False
    if has_perm(user, Perm.PLAN_MANAGE):
        return True
    # A liaison comments on the items of their own dependency.
    return item.dependency_id == user.dependency_id


@transaction.atomic
def comment_plan_item(user: User, item: PlanItem, body: str) -> PlanItemComment:
    """A liaison's (or the team's) comment on a content of the plan (activity 3)."""
    if not can_comment_plan_item(user, item):
        raise PermissionDeniedError(
            _("Solo puede comentar los contenidos de su dependencia.")
        )
    if not body.strip():
        raise ValidationFailed(
            _("El comentario está vacío."),
            errors={"body": [_("Escriba su comentario.")]},
        )
    comment = PlanItemComment.objects.create(
        organization_id=item.organization_id,
        plan_item=item,
        author=user,
        body=body.strip(),
    )
    record(user, "planning.plan_item.commented", item, {"comment": comment.body[:500]})
    notify(
        [item.responsible, item.liaison, item.created_by],
        kind="plan.commented",
        exclude=user,
        subject=_("Comentario sobre «%(title)s»") % {"title": item.title},
        body=_("%(user)s escribió: %(body)s") % {"user": user, "body": comment.body},
        link=reverse("planning:plan_item_detail", args=[item.pk]),
    )
    return comment


@transaction.atomic
def produce_plan_item(user: User, item: PlanItem, **piece_fields: Any) -> Piece:
    """Start producing a planned content: create its piece (activity 5)."""
    from pregonero.content.actions import PieceData, create_piece

    item = PlanItem.objects.select_related("need", "dependency", "campaign").get(
        pk=item.pk
    )
    if item.piece_id is not None:
        raise TransitionNotAllowed(_("Este contenido ya tiene su pieza en producción."))
    data = PieceData(
        title=item.title,
        brief=item.description,
        need=item.need,
        dependency=item.dependency,
        campaign=item.campaign,
        audiences=list(item.audiences.all()),
        channels=list(item.channels.all()),
        planned_date=item.planned_date,
        desired_date=item.need.desired_date if item.need else None,
        writer=item.responsible
        if item.responsible and has_perm(item.responsible, Perm.PIECE_WRITE)
        else None,
        **piece_fields,
    )
    piece = create_piece(user, data)
    if not PlanItem.objects.filter(pk=item.pk, piece__isnull=True).update(piece=piece):
        raise ConflictError(_("Otra persona ya creó la pieza de este contenido."))
    record(user, "planning.plan_item.updated", item, {"piece": piece.number})
    return piece


# ---------------------------------------------------------------- joint actions


@dataclass
class JointActionData:
    title: str
    starts_on: datetime.date | None
    ends_on: datetime.date | None = None
    description: str = ""
    coordinator: str = ""
    hashtags: str = ""
    partners: list[PartnerEntity] = field(default_factory=list)
    new_partner_names: list[str] = field(default_factory=list)
    pieces: list[Piece] = field(default_factory=list)
    campaign: Campaign | None = None


def _validate_joint_action(user: User, data: JointActionData) -> str:
    errors: dict[str, list[str]] = {}
    if not data.title.strip():
        errors["title"] = [_("Describa la acción conjunta.")]
    if data.starts_on is None:
        errors["starts_on"] = [_("Indique la fecha.")]
    elif data.ends_on and data.ends_on < data.starts_on:
        errors["ends_on"] = [_("La fecha final no puede ser anterior a la inicial.")]
    tags = []
    for raw in data.hashtags.replace(",", " ").split():
        tag = raw if raw.startswith("#") else f"#{raw}"
        if len(tag) < 2 or not all(ch.isalnum() or ch == "_" for ch in tag[1:]):
            errors.setdefault("hashtags", []).append(
                _("«%(tag)s» no es una etiqueta válida (solo letras, números y _).")
                % {"tag": raw}
            )
        tags.append(tag)
    if errors:
        raise ValidationFailed(_("Revise la acción conjunta."), errors=errors)
    _same_org(user, [*data.partners, *data.pieces, data.campaign], "partners")
    return " ".join(tags)


def _partners(user: User, data: JointActionData) -> list[PartnerEntity]:
    partners = list(data.partners)
    for name in data.new_partner_names:
        if name.strip():
            partner, _created = PartnerEntity.objects.get_or_create(
                organization_id=user.organization_id, name=name.strip()[:200]
            )
            partners.append(partner)
    return partners


@transaction.atomic
def create_joint_action(user: User, data: JointActionData) -> JointAction:
    """Record an action coordinated with the Red Distrital de Redes Sociales (activity 4)."""
    require(user, Perm.JOINT_ACTION_MANAGE)
    hashtags = _validate_joint_action(user, data)
    assert data.starts_on is not None  # validated
    action = JointAction.objects.create(
        organization_id=user.organization_id,
        title=data.title.strip(),
        description=data.description.strip(),
        coordinator=data.coordinator.strip()
        or JointAction._meta.get_field("coordinator").default,
        hashtags=hashtags,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        campaign=data.campaign,
        created_by=user,
    )
    partners = _partners(user, data)
    action.partners.set(partners)
    action.pieces.set(data.pieces)
    record(
        user,
        "planning.joint_action.created",
        action,
        {
            "title": action.title,
            "hashtags": hashtags,
            "partners": [p.name for p in partners],
            "pieces": [p.number for p in data.pieces],
        },
    )
    return action


@transaction.atomic
def update_joint_action(
    user: User, action: JointAction, data: JointActionData
) -> JointAction:
    require(user, Perm.JOINT_ACTION_MANAGE)
    hashtags = _validate_joint_action(user, data)
    JointAction.objects.filter(pk=action.pk).update(
        title=data.title.strip(),
        description=data.description.strip(),
        coordinator=data.coordinator.strip(),
        hashtags=hashtags,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        campaign=data.campaign,
    )
    action.refresh_from_db()
    partners = _partners(user, data)
    action.partners.set(partners)
    action.pieces.set(data.pieces)
    record(
        user,
        "planning.joint_action.updated",
        action,
        {
            "title": action.title,
            "hashtags": hashtags,
            "partners": [p.name for p in partners],
            "pieces": [p.number for p in data.pieces],
        },
    )
    return action


@transaction.atomic
def add_joint_action_evidence(
    user: User,
    action: JointAction,
    *,
    description: str,
    url: str = "",
    fileobj: Any = None,
    file_name: str = "",
) -> JointActionEvidence:
    """Attach evidence (a link to the post or a file, e.g. a screenshot) to a joint action."""
    require(user, Perm.JOINT_ACTION_MANAGE)
    if not description.strip():
        raise ValidationFailed(
            _("Describa la evidencia."), errors={"description": [_("Obligatorio.")]}
        )
    if not url.strip() and fileobj is None:
        raise ValidationFailed(
            _("Agregue un enlace o un archivo como evidencia."),
            errors={"url": [_("Enlace o archivo obligatorio.")]},
        )
    if url and not url.startswith(("http://", "https://")):
        raise ValidationFailed(
            _("El enlace debe empezar por http:// o https://."),
            errors={"url": [_("No válido.")]},
        )
    stored = None
    if fileobj is not None:
        checked = check_upload(fileobj, file_name, {"image", "document", "video"})
        stored = JointActionFile(
            organization_id=action.organization_id, uploaded_by=user
        )
        stored.fill_from_upload(fileobj, checked, "joint-actions")
        stored.save()
    evidence = JointActionEvidence.objects.create(
        organization_id=action.organization_id,
        joint_action=action,
        description=description.strip()[:300],
        url=url.strip(),
        file=stored,
        added_by=user,
    )
    record(
        user,
        "planning.joint_action.evidence_added",
        action,
        {
            "description": evidence.description,
            "url": evidence.url,
            "file": stored.original_name if stored else None,
            "sha256": stored.sha256 if stored else None,
        },
    )
    return evidence
