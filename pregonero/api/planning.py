"""API for activities 2–4: meetings and actas, the content plan, joint actions, calendar."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.http import FileResponse, Http404, HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from pregonero.accounts.models import User
from pregonero.accounts.permissions import Perm, has_perm
from pregonero.content.models import Piece
from pregonero.core.models import Audience, Campaign, Channel, Dependency
from pregonero.core.viewutils import download
from pregonero.intake.models import Need
from pregonero.planning import actions
from pregonero.planning.calendar import Filters, items_between
from pregonero.planning.models import (
    ActaVersion,
    AgendaItem,
    JointAction,
    Meeting,
    PartnerEntity,
    PlanItem,
)

from .base import (
    ErrorOut,
    Page,
    get_or_404,
    in_org,
    many_in_org,
    paginate,
    require_perm,
    user_of,
)

router = Router(tags=["Planeación (actividades 2 a 4)"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# ---------------------------------------------------------------- meetings


class AttendeeIn(Schema):
    name: str = ""
    user_id: int | None = None
    position: str = ""
    affiliation: str = ""
    is_external: bool = False
    attended: bool = True


class AgendaIn(Schema):
    topic: str = ""
    need_id: int | None = None
    discussion: str = ""
    sources_to_consult: str = ""
    products: str = ""
    channel_ids: list[int] = []
    responsible_id: int | None = None
    due_date: datetime.date | None = None


class CommitmentIn(Schema):
    description: str
    responsible_id: int | None = None
    responsible_name: str = ""
    due_date: datetime.date | None = None


class MeetingIn(Schema):
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None = None
    place: str
    objective: str = ""
    development: str = ""
    chaired_by_id: int | None = None
    attendees: list[AttendeeIn] = []
    agenda: list[AgendaIn] = []
    commitments: list[CommitmentIn] = []
    lock_version: int | None = None


class ActaOut(Schema):
    version: int
    issued_at: datetime.datetime
    issued_by: str
    content_hash: str
    docx_sha256: str
    pdf_sha256: str
    change_reason: str


class AgendaOut(Schema):
    id: int
    position: int
    topic: str
    need_id: int | None
    discussion: str
    sources_to_consult: str
    products: str
    channel_ids: list[int]
    responsible: str | None
    due_date: datetime.date | None


class MeetingOut(Schema):
    id: int
    number: str
    title: str
    state: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None
    place: str
    objective: str
    development: str
    lock_version: int
    attendees: list[dict[str, Any]]
    agenda: list[AgendaOut]
    commitments: list[dict[str, Any]]
    actas: list[ActaOut]


def meeting_out(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.pk,
        "number": meeting.number,
        "title": meeting.title,
        "state": meeting.state,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "place": meeting.place,
        "objective": meeting.objective,
        "development": meeting.development,
        "lock_version": meeting.lock_version,
        "attendees": [
            {
                "name": a.name,
                "position": a.position,
                "affiliation": a.affiliation,
                "user_id": a.user_id,
                "is_external": a.is_external,
                "attended": a.attended,
            }
            for a in meeting.attendees.all()
        ],
        "agenda": [
            {
                "id": i.pk,
                "position": i.position,
                "topic": i.topic,
                "need_id": i.need_id,
                "discussion": i.discussion,
                "sources_to_consult": i.sources_to_consult,
                "products": i.products,
                "channel_ids": [c.pk for c in i.channels.all()],
                "responsible": str(i.responsible) if i.responsible else None,
                "due_date": i.due_date,
            }
            for i in meeting.agenda.all()
        ],
        "commitments": [
            {
                "description": c.description,
                "responsible": c.responsible_display,
                "due_date": c.due_date,
            }
            for c in meeting.commitments.all()
        ],
        "actas": [
            {
                "version": v.number,
                "issued_at": v.created_at,
                "issued_by": str(v.issued_by),
                "content_hash": v.content_hash,
                "docx_sha256": v.docx_sha256,
                "pdf_sha256": v.pdf_sha256,
                "change_reason": v.change_reason,
            }
            for v in meeting.acta_versions.select_related("issued_by")
        ],
    }


def _meeting_data(user: User, payload: MeetingIn) -> actions.MeetingData:
    def person(pk: int | None, field: str) -> User | None:
        return in_org(User, user, pk, field)

    attendees = []
    for a in payload.attendees:
        member = person(a.user_id, "attendees.user_id")
        attendees.append(
            actions.AttendeeData(
                name=a.name or (str(member) if member else ""),
                position=a.position or (member.position if member else ""),
                affiliation=a.affiliation,
                user=member,
                is_external=a.is_external,
                attended=a.attended,
            )
        )
    agenda = [
        actions.AgendaData(
            topic=i.topic,
            need=in_org(Need, user, i.need_id, "agenda.need_id"),
            discussion=i.discussion,
            sources_to_consult=i.sources_to_consult,
            products=i.products,
            channels=many_in_org(Channel, user, i.channel_ids, "agenda.channel_ids"),
            responsible=person(i.responsible_id, "agenda.responsible_id"),
            due_date=i.due_date,
        )
        for i in payload.agenda
    ]
    for item in agenda:
        if not item.topic and item.need is not None:
            item.topic = item.need.title
    commitments = [
        actions.CommitmentData(
            description=c.description,
            responsible=person(c.responsible_id, "commitments.responsible_id"),
            responsible_name=c.responsible_name,
            due_date=c.due_date,
        )
        for c in payload.commitments
    ]
    return actions.MeetingData(
        title=payload.title,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        place=payload.place,
        objective=payload.objective,
        development=payload.development,
        chaired_by=person(payload.chaired_by_id, "chaired_by_id"),
        attendees=attendees,
        agenda=agenda,
        commitments=commitments,
    )


class MeetingSummary(Schema):
    id: int
    number: str
    title: str
    state: str
    starts_at: datetime.datetime


class MeetingPage(Page):
    items: list[MeetingSummary]


@router.get(
    "/meetings", response={200: MeetingPage, **ERRORS}, summary="Listar reuniones"
)
def list_meetings(
    request: HttpRequest, offset: int = 0, limit: int = 25
) -> dict[str, Any]:
    user = user_of(request)
    require_perm(user, Perm.READ_ALL)
    count, rows = paginate(Meeting.objects.for_org(user.organization_id), offset, limit)
    return {"count": count, "offset": offset, "limit": limit, "items": rows}


@router.post(
    "/meetings", response={201: MeetingOut, **ERRORS}, summary="Crear una reunión"
)
def create_meeting(request: HttpRequest, payload: MeetingIn) -> Status[dict[str, Any]]:
    user = user_of(request)
    require_perm(user, Perm.MEETING_MANAGE)
    return Status(
        201, meeting_out(actions.create_meeting(user, _meeting_data(user, payload)))
    )


@router.get(
    "/meetings/{meeting_id}",
    response={200: MeetingOut, **ERRORS},
    summary="Ver una reunión",
)
def get_meeting(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    user = user_of(request)
    require_perm(user, Perm.READ_ALL)
    return meeting_out(get_or_404(Meeting.objects.all(), user, pk=meeting_id))


@router.put(
    "/meetings/{meeting_id}",
    response={200: MeetingOut, **ERRORS},
    summary="Modificar una reunión",
)
def update_meeting(
    request: HttpRequest, meeting_id: int, payload: MeetingIn
) -> dict[str, Any]:
    user = user_of(request)
    require_perm(user, Perm.MEETING_MANAGE)
    meeting = get_or_404(Meeting.objects.all(), user, pk=meeting_id)
    lock = (
        payload.lock_version
        if payload.lock_version is not None
        else meeting.lock_version
    )
    return meeting_out(
        actions.update_meeting(
            user, meeting, _meeting_data(user, payload), lock_version=lock
        )
    )


@router.post(
    "/meetings/{meeting_id}/documents",
    response={201: dict[str, Any], **ERRORS},
    summary="Adjuntar el informe de comunicación estratégica",
)
def add_document(
    request: HttpRequest,
    meeting_id: int,
    file: File[UploadedFile],
    is_strategic_report: Form[bool] = True,
) -> Status[dict[str, Any]]:
    user = user_of(request)
    meeting = get_or_404(Meeting.objects.all(), user, pk=meeting_id)
    doc = actions.add_meeting_document(
        user,
        meeting,
        file,
        file.name or "informe",
        is_strategic_report=is_strategic_report,
    )
    return Status(201, {"id": doc.pk, "name": doc.original_name, "sha256": doc.sha256})


@router.post(
    "/meetings/{meeting_id}/issue",
    response={201: ActaOut, **ERRORS},
    summary="Expedir el acta (208-SADM-Ft-06)",
)
def issue(request: HttpRequest, meeting_id: int) -> Status[dict[str, Any]]:
    user = user_of(request)
    meeting = get_or_404(Meeting.objects.all(), user, pk=meeting_id)
    acta = actions.issue_acta(user, meeting)
    return Status(
        201,
        {
            "version": acta.number,
            "issued_at": acta.created_at,
            "issued_by": str(user),
            "content_hash": acta.content_hash,
            "docx_sha256": acta.docx_sha256,
            "pdf_sha256": acta.pdf_sha256,
            "change_reason": acta.change_reason,
        },
    )


class ReasonIn(Schema):
    reason: str


@router.post(
    "/meetings/{meeting_id}/reopen",
    response={200: MeetingOut, **ERRORS},
    summary="Abrir el acta para una nueva versión",
)
def reopen(request: HttpRequest, meeting_id: int, payload: ReasonIn) -> dict[str, Any]:
    user = user_of(request)
    meeting = get_or_404(Meeting.objects.all(), user, pk=meeting_id)
    return meeting_out(actions.reopen_acta(user, meeting, reason=payload.reason))


@router.get(
    "/meetings/{meeting_id}/acta/{version}.{fmt}",
    response={200: None, **ERRORS},
    summary="Descargar el acta en DOCX o PDF",
)
def acta_file(
    request: HttpRequest, meeting_id: int, version: int, fmt: Literal["docx", "pdf"]
) -> FileResponse:
    from pregonero.planning.acta import acta_filename

    user = user_of(request)
    require_perm(user, Perm.READ_ALL)
    meeting = get_or_404(Meeting.objects.all(), user, pk=meeting_id)
    acta = ActaVersion.objects.filter(meeting=meeting, number=version).first()
    if acta is None:
        raise Http404
    content_type = (
        "application/pdf"
        if fmt == "pdf"
        else ("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    )
    return download(
        acta,
        field=fmt,
        filename=acta_filename(acta.snapshot, fmt),
        content_type=content_type,
    )


# ---------------------------------------------------------------- plan


class PlanItemIn(Schema):
    title: str
    dependency_id: int
    planned_date: datetime.date
    description: str = ""
    need_id: int | None = None
    agenda_item_id: int | None = None
    audience_ids: list[int] = []
    channel_ids: list[int] = []
    liaison_id: int | None = None
    responsible_id: int | None = None
    campaign_id: int | None = None
    lock_version: int | None = None


class PlanItemOut(Schema):
    id: int
    title: str
    description: str
    dependency_id: int
    planned_date: datetime.date
    need_id: int | None
    piece_id: int | None
    liaison_id: int | None
    responsible_id: int | None
    campaign_id: int | None
    lock_version: int
    comments: list[dict[str, Any]]


def plan_out(item: PlanItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "title": item.title,
        "description": item.description,
        "dependency_id": item.dependency_id,
        "planned_date": item.planned_date,
        "need_id": item.need_id,
        "piece_id": item.piece_id,
        "liaison_id": item.liaison_id,
        "responsible_id": item.responsible_id,
        "campaign_id": item.campaign_id,
        "lock_version": item.lock_version,
        "comments": [
            {"author": str(c.author), "body": c.body, "created_at": c.created_at}
            for c in item.comments.all()  # prefetched with their authors on lists
        ],
    }


def _plan_data(user: User, payload: PlanItemIn) -> actions.PlanItemData:
    agenda_item = None
    if payload.agenda_item_id:
        agenda_item = AgendaItem.objects.filter(
            pk=payload.agenda_item_id, meeting__organization_id=user.organization_id
        ).first()
        if agenda_item is None:
            raise Http404
    return actions.PlanItemData(
        title=payload.title,
        description=payload.description,
        dependency=in_org(Dependency, user, payload.dependency_id, "dependency_id"),
        planned_date=payload.planned_date,
        need=in_org(Need, user, payload.need_id, "need_id"),
        agenda_item=agenda_item,
        audiences=many_in_org(Audience, user, payload.audience_ids, "audience_ids"),
        channels=many_in_org(Channel, user, payload.channel_ids, "channel_ids"),
        liaison=in_org(User, user, payload.liaison_id, "liaison_id"),
        responsible=in_org(User, user, payload.responsible_id, "responsible_id"),
        campaign=in_org(Campaign, user, payload.campaign_id, "campaign_id"),
    )


class PlanPage(Page):
    items: list[PlanItemOut]


def _visible_plan(user: User) -> Any:
    items = PlanItem.objects.for_org(user.organization_id)
    if not has_perm(user, Perm.READ_ALL):
        require_perm(user, Perm.PLAN_COMMENT)
        items = items.filter(dependency_id=user.dependency_id or 0)
    return items


@router.get(
    "/plan-items", response={200: PlanPage, **ERRORS}, summary="Plan de contenidos"
)
def list_plan(
    request: HttpRequest,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    user = user_of(request)
    items = (
        _visible_plan(user)
        .order_by("planned_date", "pk")
        .prefetch_related("comments__author")
    )
    if since:
        items = items.filter(planned_date__gte=since)
    if until:
        items = items.filter(planned_date__lte=until)
    count, rows = paginate(items, offset, limit)
    return {
        "count": count,
        "offset": offset,
        "limit": limit,
        "items": [plan_out(i) for i in rows],
    }


@router.post(
    "/plan-items", response={201: PlanItemOut, **ERRORS}, summary="Agregar al plan"
)
def create_plan_item(
    request: HttpRequest, payload: PlanItemIn
) -> Status[dict[str, Any]]:
    user = user_of(request)
    require_perm(user, Perm.PLAN_MANAGE)
    return Status(
        201, plan_out(actions.create_plan_item(user, _plan_data(user, payload)))
    )


@router.get(
    "/plan-items/{item_id}",
    response={200: PlanItemOut, **ERRORS},
    summary="Ver un ítem del plan",
)
def get_plan_item(request: HttpRequest, item_id: int) -> dict[str, Any]:
    user = user_of(request)
    item = _visible_plan(user).filter(pk=item_id).first()
    if item is None:
        raise Http404
    return plan_out(item)


@router.put(
    "/plan-items/{item_id}",
    response={200: PlanItemOut, **ERRORS},
    summary="Modificar un ítem",
)
def update_plan_item(
    request: HttpRequest, item_id: int, payload: PlanItemIn
) -> dict[str, Any]:
    user = user_of(request)
    require_perm(user, Perm.PLAN_MANAGE)
    item = get_or_404(PlanItem.objects.all(), user, pk=item_id)
    lock = (
        payload.lock_version if payload.lock_version is not None else item.lock_version
    )
    return plan_out(
        actions.update_plan_item(
            user, item, _plan_data(user, payload), lock_version=lock
        )
    )


class CommentIn(Schema):
    body: str


@router.post(
    "/plan-items/{item_id}/comments",
    response={201: PlanItemOut, **ERRORS},
    summary="Comentar (enlaces de dependencia)",
)
def comment(
    request: HttpRequest, item_id: int, payload: CommentIn
) -> Status[dict[str, Any]]:
    user = user_of(request)
    item = get_or_404(PlanItem.objects.all(), user, pk=item_id)
    actions.comment_plan_item(user, item, payload.body)
    return Status(201, plan_out(item))


@router.post(
    "/plan-items/{item_id}/produce",
    response={201: dict[str, Any], **ERRORS},
    summary="Producir: crear la pieza del ítem",
)
def produce(request: HttpRequest, item_id: int) -> Status[dict[str, Any]]:
    user = user_of(request)
    item = get_or_404(PlanItem.objects.all(), user, pk=item_id)
    piece = actions.produce_plan_item(user, item)
    return Status(201, {"piece_id": piece.pk, "number": piece.number})


class CalendarItemOut(Schema):
    uid: str
    day: datetime.date
    start: datetime.datetime | None
    kind: str
    kind_label: str
    title: str
    url: str
    detail: str


@router.get(
    "/calendar",
    response={200: list[CalendarItemOut], **ERRORS},
    summary="Calendario editorial",
)
def calendar(
    request: HttpRequest,
    since: datetime.date,
    until: datetime.date,
    channel_id: int | None = None,
    dependency_id: int | None = None,
    audience_id: int | None = None,
    campaign_id: int | None = None,
) -> list[Any]:
    from pregonero.core.errors import ValidationFailed

    user = user_of(request)
    if not (has_perm(user, Perm.READ_ALL) or has_perm(user, Perm.PLAN_COMMENT)):
        require_perm(user, Perm.READ_ALL)
    if until < since or (until - since).days > 366:
        raise ValidationFailed(
            "El periodo debe ir hacia adelante y durar a lo sumo un año."
        )
    filters = Filters(
        channel=channel_id,
        dependency=dependency_id,
        audience=audience_id,
        campaign=campaign_id,
    )
    if not has_perm(user, Perm.READ_ALL):
        filters.dependency = user.dependency_id
    return items_between(user, since, until, filters)


# ---------------------------------------------------------------- joint actions


class JointActionIn(Schema):
    title: str
    starts_on: datetime.date
    ends_on: datetime.date | None = None
    description: str = ""
    coordinator: str = ""
    hashtags: str = ""
    partner_ids: list[int] = []
    new_partner_names: list[str] = []
    piece_ids: list[int] = []
    campaign_id: int | None = None


class JointActionOut(Schema):
    id: int
    title: str
    starts_on: datetime.date
    ends_on: datetime.date | None
    hashtags: str
    partners: list[str]
    piece_ids: list[int]
    evidence: list[dict[str, Any]]


def joint_out(action: JointAction) -> dict[str, Any]:
    return {
        "id": action.pk,
        "title": action.title,
        "starts_on": action.starts_on,
        "ends_on": action.ends_on,
        "hashtags": action.hashtags,
        "partners": [p.name for p in action.partners.all()],
        "piece_ids": [p.pk for p in action.pieces.all()],
        "evidence": [
            {
                "description": e.description,
                "url": e.url,
                "file": e.file.original_name if e.file else None,
                "sha256": e.file.sha256 if e.file else None,
            }
            for e in action.evidence.select_related("file")
        ],
    }


@router.get(
    "/joint-actions",
    response={200: list[JointActionOut], **ERRORS},
    summary="Acciones conjuntas con la Red Distrital",
)
def list_joint(request: HttpRequest) -> list[dict[str, Any]]:
    user = user_of(request)
    require_perm(user, Perm.READ_ALL)
    return [
        joint_out(a) for a in JointAction.objects.for_org(user.organization_id)[:200]
    ]


@router.post(
    "/joint-actions",
    response={201: JointActionOut, **ERRORS},
    summary="Registrar una acción conjunta",
)
def create_joint(
    request: HttpRequest, payload: JointActionIn
) -> Status[dict[str, Any]]:
    user = user_of(request)
    data = actions.JointActionData(
        title=payload.title,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        description=payload.description,
        coordinator=payload.coordinator,
        hashtags=payload.hashtags,
        partners=many_in_org(PartnerEntity, user, payload.partner_ids, "partner_ids"),
        new_partner_names=payload.new_partner_names,
        pieces=many_in_org(Piece, user, payload.piece_ids, "piece_ids"),
        campaign=in_org(Campaign, user, payload.campaign_id, "campaign_id"),
    )
    return Status(201, joint_out(actions.create_joint_action(user, data)))


@router.post(
    "/joint-actions/{action_id}/evidence",
    response={201: JointActionOut, **ERRORS},
    summary="Agregar evidencia",
)
def add_evidence(
    request: HttpRequest,
    action_id: int,
    description: Form[str],
    url: Form[str] = "",
    file: File[UploadedFile | None] = None,
) -> Status[dict[str, Any]]:
    user = user_of(request)
    action = get_or_404(JointAction.objects.all(), user, pk=action_id)
    actions.add_joint_action_evidence(
        user,
        action,
        description=description,
        url=url,
        fileobj=file,
        file_name=file.name or "evidencia" if file else "",
    )
    return Status(201, joint_out(action))
