"""Process indicators of the Community Manager procedure (no network needed).

Each function takes an organization and a period (``start``..``end``, both
inclusive, Bogotá days) and returns a JSON-ready dict: the numbers, Spanish
labels, and what lies behind them (``filters`` with the model and lookups, and
``ids`` of the rows a person will want to open, e.g. the late needs), so the
dashboard can link every figure to its rows.

Every function runs a fixed number of queries whatever the amount of data:
counting happens in the database; only the rows of the period's own
exceptions (late needs, returns, publications without approval) are read.

Requirement IDs (public_sector_requirements.md): IND-01 oportunidad,
IND-02 publicaciones con aprobación documentada, IND-03 accesibilidad,
IND-09 cumplimiento del plan; the text checker's findings at the control
points (issue 5: LC-, LI-, ACC-, BRD- rules).
"""

from __future__ import annotations

import datetime
import math
import statistics
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from pregonero.core.models import Organization

Row = dict[str, Any]


def period_bounds(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    """The aware instants [lower, upper) of the Bogotá days ``start``..``end``."""
    tz = timezone.get_default_timezone()
    lower = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    upper = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    return lower, upper


def rate(numerator: int | float, denominator: int | float) -> float | None:
    """A percentage with one decimal, or None when there is nothing to measure."""
    if not denominator:
        return None
    return round(100.0 * numerator / denominator, 1)


def _org_id(organization: Organization | int) -> int:
    return organization if isinstance(organization, int) else organization.pk


def _span(start: datetime.date, end: datetime.date) -> dict[str, str]:
    return {"desde": start.isoformat(), "hasta": end.isoformat()}


def _breakdown(
    rows: Iterable[tuple[Any, Any, int]],
    filter_key: str,
    base: dict[str, str],
    empty_label: str,
) -> list[Row]:
    result = [
        {
            "key": key,
            "label": str(label) if label not in (None, "") else empty_label,
            "count": count,
            "filters": {**base, filter_key: "" if key is None else str(key)},
        }
        for key, label, count in rows
    ]
    result.sort(key=lambda r: (-r["count"], r["label"]))
    return result


# --------------------------------------------------------------- needs


def needs_received(
    organization: Organization | int, start: datetime.date, end: datetime.date
) -> Row:
    """Needs registered in the period, by source and by requesting dependency."""
    from pregonero.intake.models import Need, NeedSource

    lower, upper = period_bounds(start, end)
    qs = Need.objects.filter(
        organization_id=_org_id(organization),
        created_at__gte=lower,
        created_at__lt=upper,
    ).order_by()
    labels = dict(NeedSource.choices)
    by_source = [
        (source, labels.get(source, source), n)
        for source, n in qs.values_list("source").annotate(n=Count("pk"))
    ]
    by_dependency = list(
        qs.values_list("dependency_id", "dependency__name").annotate(n=Count("pk"))
    )
    base = {"model": "intake.need", **_span(start, end)}
    return {
        "label": _("Necesidades de comunicación recibidas"),
        "total": sum(n for _k, _l, n in by_source),
        "by_source": _breakdown(by_source, "source", base, _("Sin origen")),
        "by_dependency": _breakdown(
            by_dependency, "dependency", base, _("Sin dependencia")
        ),
        "filters": base,
    }


# --------------------------------------------------------------- production


def _published_publications(
    org_id: int, start: datetime.date, end: datetime.date
) -> Any:
    from pregonero.publishing.models import Publication, PublicationStatus

    lower, upper = period_bounds(start, end)
    return Publication.objects.filter(
        organization_id=org_id,
        status=PublicationStatus.PUBLISHED,
        published_at__gte=lower,
        published_at__lt=upper,
    ).order_by()


def production(
    organization: Organization | int, start: datetime.date, end: datetime.date
) -> Row:
    """Publications made in the period by channel, and the pieces published
    (at least one channel) by format, audience, program and campaign."""
    from pregonero.content.models import Piece, PieceFormat

    org_id = _org_id(organization)
    pubs = _published_publications(org_id, start, end)
    by_channel = list(
        pubs.values_list("channel_id", "channel__name").annotate(n=Count("pk"))
    )
    pieces = Piece.objects.filter(
        organization_id=org_id, pk__in=pubs.values("piece_id")
    ).order_by()
    formats = dict(PieceFormat.choices)
    by_format = [
        (key, formats.get(key, key), n)
        for key, n in pieces.values_list("format").annotate(n=Count("pk"))
    ]
    by_program = list(
        pieces.values_list("program_id", "program__name").annotate(n=Count("pk"))
    )
    by_campaign = list(
        pieces.values_list("campaign_id", "campaign__name").annotate(n=Count("pk"))
    )
    by_audience = list(
        pieces.values_list("audiences__id", "audiences__name").annotate(
            n=Count("pk", distinct=True)
        )
    )
    pub_base = {
        "model": "publishing.publication",
        "status": "published",
        **_span(start, end),
    }
    piece_base = {"model": "content.piece", "publicada": "1", **_span(start, end)}
    none = _("Sin asignar")
    return {
        "label": _("Producción"),
        "publications": sum(n for _k, _l, n in by_channel),
        "pieces": sum(n for _k, _l, n in by_format),
        "by_channel": _breakdown(by_channel, "channel", pub_base, none),
        "by_format": _breakdown(by_format, "format", piece_base, none),
        "by_audience": _breakdown(by_audience, "audience", piece_base, none),
        "by_program": _breakdown(by_program, "program", piece_base, none),
        "by_campaign": _breakdown(by_campaign, "campaign", piece_base, none),
        "filters": pub_base,
    }


# --------------------------------------------------------------- control points


def first_pass_approval(
    organization: Organization | int, start: datetime.date, end: datetime.date
) -> list[Row]:
    """Per control point: of the first decisions on a piece taken in the period,
    the share that approved it without returning it."""
    from pregonero.content.models import Review, ReviewDecision

    lower, upper = period_bounds(start, end)
    org_id = _org_id(organization)
    earlier = Review.objects.filter(
        piece_id=OuterRef("piece_id"),
        control_point=OuterRef("control_point"),
        created_at__lt=OuterRef("created_at"),
    )
    firsts = (
        Review.objects.filter(
            organization_id=org_id, created_at__gte=lower, created_at__lt=upper
        )
        .filter(~Exists(earlier))
        .order_by()
        .values("control_point")
        .annotate(
            total=Count("pk"),
            approved=Count("pk", filter=~Q(decision=ReviewDecision.RETURNED)),
        )
    )
    found = {row["control_point"]: row for row in firsts}
    result = []
    for point in (1, 2):
        row = found.get(point, {"total": 0, "approved": 0})
        result.append(
            {
                "control_point": point,
                "label": _("Aprobación al primer intento, punto de control %(n)s")
                % {"n": point},
                "first_decisions": row["total"],
                "approved_first_time": row["approved"],
                "rate": rate(row["approved"], row["total"]),
                "filters": {
                    "model": "content.review",
                    "control_point": str(point),
                    **_span(start, end),
                },
            }
        )
    return result


def returns_by_reason(
    organization: Organization | int, start: datetime.date, end: datetime.date
) -> Row:
    """Returns in the period by reason: the checklist points the reviewer left
    unchecked (a return with every point checked counts as "other")."""
    from pregonero.content.models import CHECKLISTS, Review, ReviewDecision

    lower, upper = period_bounds(start, end)
    rows = (
        Review.objects.filter(
            organization_id=_org_id(organization),
            decision=ReviewDecision.RETURNED,
            created_at__gte=lower,
            created_at__lt=upper,
        )
        .order_by("pk")
        .values_list("pk", "control_point", "checklist")
    )
    counts: Counter[tuple[int, str]] = Counter()
    ids: dict[tuple[int, str], list[int]] = {}
    total = 0
    for pk, point, checklist in rows:
        total += 1
        answers = checklist if isinstance(checklist, dict) else {}
        reasons = [
            key for key, _label in CHECKLISTS.get(point, []) if not answers.get(key)
        ]
        for key in reasons or ["other"]:
            counts[(point, key)] += 1
            ids.setdefault((point, key), []).append(pk)
    labels = {
        (point, key): str(label)
        for point, items in CHECKLISTS.items()
        for key, label in items
    }
    reasons_out = [
        {
            "control_point": point,
            "reason": key,
            "label": labels.get((point, key), _("Otra causa (ver observaciones)")),
            "count": n,
            "ids": ids[(point, key)],
        }
        for (point, key), n in sorted(counts.items(), key=lambda kv: (kv[0][0], -kv[1]))
    ]
    return {
        "label": _("Devoluciones por causa"),
        "total": total,
        "reasons": reasons_out,
        "filters": {
            "model": "content.review",
            "decision": "returned",
            **_span(start, end),
        },
    }


# --------------------------------------------------------------- times


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (p90: the smallest value ≥ 90 % of the values)."""
    if not values:
        return None
    ordered = sorted(values)
    index = max(0, math.ceil(fraction * len(ordered)) - 1)
    return ordered[index]


def _summary(values: list[float]) -> Row:
    return {
        "count": len(values),
        "median_hours": round(statistics.median(values), 1) if values else None,
        "p90_hours": round(v, 1)
        if (v := percentile(values, 0.9)) is not None
        else None,
    }


def _hours(a: datetime.datetime | None, b: datetime.datetime | None) -> float | None:
    if a is None or b is None or b < a:
        return None
    return (b - a).total_seconds() / 3600.0


def cycle_times(
    organization: Organization | int, start: datetime.date, end: datetime.date
) -> Row:
    """For the pieces first published in the period: hours from the need to the
    publication, and per stage (need → piece, piece → text approved at control
    point 1, text approved → visto bueno, visto bueno → publication).
    Median and p90 (nearest rank)."""
    from pregonero.content.models import Piece, ReviewDecision
    from pregonero.publishing.models import PublicationStatus

    lower, upper = period_bounds(start, end)
    rows = list(
        Piece.objects.filter(organization_id=_org_id(organization))
        .annotate(
            first_published=Min(
                "publications__published_at",
                filter=Q(publications__status=PublicationStatus.PUBLISHED),
            )
        )
        .filter(first_published__gte=lower, first_published__lt=upper)
        .annotate(
            text_approved=Min(
                "reviews__created_at",
                filter=Q(reviews__control_point=1)
                & ~Q(reviews__decision=ReviewDecision.RETURNED),
            )
        )
        .order_by()
        .values_list(
            "pk",
            "need__created_at",
            "created_at",
            "text_approved",
            "sealed_at",
            "first_published",
        )
    )
    total: list[float] = []
    stages: dict[str, list[float]] = {
        "need_to_piece": [],
        "piece_to_text_approved": [],
        "text_approved_to_sealed": [],
        "sealed_to_published": [],
    }
    for _pk, need_at, created, approved, sealed, published in rows:
        pairs = {
            "need_to_piece": (need_at, created),
            "piece_to_text_approved": (created, approved),
            "text_approved_to_sealed": (approved, sealed),
            "sealed_to_published": (sealed, published),
        }
        for key, (a, b) in pairs.items():
            hours = _hours(a, b)
            if hours is not None:
                stages[key].append(hours)
        hours = _hours(need_at, published)
        if hours is not None:
            total.append(hours)
    labels = {
        "need_to_piece": _("De la necesidad a la pieza"),
        "piece_to_text_approved": _(
            "De la pieza al texto aprobado (punto de control 1)"
        ),
        "text_approved_to_sealed": _("Del texto aprobado al visto bueno"),
        "sealed_to_published": _("Del visto bueno a la publicación"),
    }
    return {
        "label": _("Tiempos del proceso (horas)"),
        "pieces": len(rows),
        "need_to_publication": {
            "label": _("De la necesidad a la publicación"),
            **_summary(total),
        },
        "stages": [
            {"key": key, "label": labels[key], **_summary(values)}
            for key, values in stages.items()
        ],
        "filters": {"model": "content.piece", "publicada": "1", **_span(start, end)},
    }


def timeliness(
    organization: Organization | int, start: datetime.date, end: datetime.date
) -> Row:
    """IND-01 (oportunidad): of the needs whose desired date falls in the period
    (discarded ones excluded), those published on or before that date."""
    from pregonero.intake.models import Need
    from pregonero.intake.workflow import NeedState
    from pregonero.publishing.models import PublicationStatus

    rows = list(
        Need.objects.filter(
            organization_id=_org_id(organization),
            desired_date__gte=start,
            desired_date__lte=end,
        )
        .exclude(state=NeedState.DISCARDED)
        .annotate(
            first_published=Min(
                "pieces__publications__published_at",
                filter=Q(pieces__publications__status=PublicationStatus.PUBLISHED),
            )
        )
        .order_by("desired_date", "pk")
        .values_list("pk", "desired_date", "first_published")
    )
    on_time: list[int] = []
    late: list[int] = []
    unpublished: list[int] = []
    for pk, desired, published in rows:
        if published is None:
            unpublished.append(pk)
        elif desired is not None and timezone.localdate(published) <= desired:
            on_time.append(pk)
        else:
            late.append(pk)
    return {
        "id": "IND-01",
        "label": _(
            "Oportunidad: necesidades publicadas a más tardar en la fecha deseada"
        ),
        "due": len(rows),
        "on_time": len(on_time),
        "late": len(late),
        "unpublished": len(unpublished),
        "rate": rate(len(on_time), len(rows)),
        "late_ids": late,
        "unpublished_ids": unpublished,
        "filters": {
            "model": "intake.need",
            "fecha_deseada_desde": start.isoformat(),
            "fecha_deseada_hasta": end.isoformat(),
        },
    }


# --------------------------------------------------------------- IND-02, 03, 09


def documented_approval(
    organization: Organization | int, start: datetime.date, end: datetime.date
) -> Row:
    """IND-02: publications of the period whose approved seal matches a
    recorded visto bueno (a review that sealed that exact version). Target 100 %."""
    from pregonero.content.models import Review

    org_id = _org_id(organization)
    sealed = Review.objects.filter(
        piece_id=OuterRef("piece_id"), seal_hash=OuterRef("seal_hash")
    ).exclude(seal_hash="")
    pubs = _published_publications(org_id, start, end).annotate(approved=Exists(sealed))
    missing = list(pubs.filter(approved=False).values_list("pk", flat=True))
    total = pubs.count()
    return {
        "id": "IND-02",
        "label": _("Publicaciones con aprobación documentada"),
        "total": total,
        "approved": total - len(missing),
        "rate": rate(total - len(missing), total),
        "target": 100.0,
        "missing_ids": missing,
        "filters": {
            "model": "publishing.publication",
            "status": "published",
            **_span(start, end),
        },
    }


def accessibility(
    organization: Organization | int, start: datetime.date, end: datetime.date
) -> Row:
    """IND-03: in the approved design of the pieces published in the period,
    images (not decorative) with alternative text and videos with captions."""
    from pregonero.content.models import Asset, CaptionsMode

    org_id = _org_id(organization)
    piece_ids = _published_publications(org_id, start, end).values("piece_id")
    image = Q(kind="image", decorative=False)
    video = Q(kind="video") & ~Q(captions_mode=CaptionsMode.LIVE)
    image_ok = image & ~Q(alt_text="")
    video_ok = (
        video
        & ~Q(captions_mode="")
        & ~Q(captions_mode=CaptionsMode.SIDECAR, captions_file="")
    )
    rows = list(
        Asset.objects.filter(
            organization_id=org_id,
            asset_set__piece_id__in=piece_ids,
            asset_set_id=F("asset_set__piece__approved_asset_set_id"),
        )
        .order_by()
        .values_list("asset_set__piece_id")
        .annotate(
            images=Count("pk", filter=image),
            images_ok=Count("pk", filter=image_ok),
            videos=Count("pk", filter=video),
            videos_ok=Count("pk", filter=video_ok),
        )
    )
    images = sum(r[1] for r in rows)
    images_ok = sum(r[2] for r in rows)
    videos = sum(r[3] for r in rows)
    videos_ok = sum(r[4] for r in rows)
    requiring = [r for r in rows if r[1] + r[3]]
    failing = [r[0] for r in requiring if r[2] + r[4] < r[1] + r[3]]
    return {
        "id": "IND-03",
        "label": _("Cumplimiento de accesibilidad"),
        "pieces_requiring": len(requiring),
        "pieces_compliant": len(requiring) - len(failing),
        "rate": rate(len(requiring) - len(failing), len(requiring)),
        "images": images,
        "images_with_alt": images_ok,
        "images_rate": rate(images_ok, images),
        "videos": videos,
        "videos_with_captions": videos_ok,
        "videos_rate": rate(videos_ok, videos),
        "target": 100.0,
        "failing_piece_ids": failing,
        "filters": {"model": "content.piece", "publicada": "1", **_span(start, end)},
    }


def language_review(
    organization: Organization | int, start: datetime.date, end: datetime.date
) -> Row:
    """Plain and inclusive language and accessibility as the text checker found
    them at the control points (issue 5; LC-, LI-, ACC-, BRD- rules): of the
    approvals decided in the period, those with no error left, those approved in
    spite of errors with a written justification, and the findings by rule.

    Reads the evidence stored with each review (ACC-07), not a new run of the
    checker: the figures are those the reviewer saw."""
    from pregonero.checks.rules import RULES_BY_ID
    from pregonero.content.models import Review, ReviewDecision

    lower, upper = period_bounds(start, end)
    org_id = _org_id(organization)
    reviews = list(
        Review.objects.filter(
            organization_id=org_id, created_at__gte=lower, created_at__lt=upper
        )
        .order_by()
        .values_list("piece_id", "decision", "findings", "override_justification")
    )
    approvals = clean = 0
    overridden: list[int] = []
    by_rule: Counter[tuple[str, str]] = Counter()
    for piece_id, decision, findings, justification in reviews:
        findings = findings or []
        for finding in findings:
            by_rule[
                (str(finding.get("rule", "")), str(finding.get("severity", "")))
            ] += 1
        if decision == ReviewDecision.RETURNED:
            continue
        approvals += 1
        if any(f.get("severity") == "error" for f in findings):
            if justification:
                overridden.append(piece_id)
        else:
            clean += 1
    rules = []
    for (rule_id, severity), count in sorted(
        by_rule.items(), key=lambda item: (-item[1], item[0])
    ):
        rule = RULES_BY_ID.get(rule_id)
        rules.append(
            {
                "rule": rule_id,
                "severity": severity,
                "label": str(rule.title) if rule is not None else rule_id,
                "count": count,
            }
        )
    return {
        "id": "LC/LI",
        "label": _("Lenguaje claro, incluyente y accesible en los puntos de control"),
        "approvals": approvals,
        "clean": clean,
        "rate": rate(clean, approvals),
        "overridden": len(overridden),
        "overridden_piece_ids": sorted(set(overridden)),
        "by_rule": rules,
        "target": 100.0,
        "filters": {"model": "content.review", **_span(start, end)},
    }


def plan_compliance(
    organization: Organization | int, start: datetime.date, end: datetime.date
) -> Row:
    """IND-09: content-plan items planned in the period whose piece was
    published (any channel) ÷ items planned."""
    from pregonero.planning.models import PlanItem
    from pregonero.publishing.models import Publication, PublicationStatus

    published = Publication.objects.filter(
        piece_id=OuterRef("piece_id"), status=PublicationStatus.PUBLISHED
    )
    rows = list(
        PlanItem.objects.filter(
            organization_id=_org_id(organization),
            planned_date__gte=start,
            planned_date__lte=end,
        )
        .annotate(done=Exists(published))
        .order_by("planned_date", "pk")
        .values_list("pk", "done")
    )
    pending = [pk for pk, done in rows if not done]
    return {
        "id": "IND-09",
        "label": _("Cumplimiento del plan de publicaciones (publicadas ÷ programadas)"),
        "planned": len(rows),
        "published": len(rows) - len(pending),
        "rate": rate(len(rows) - len(pending), len(rows)),
        "pending_ids": pending,
        "filters": {"model": "planning.planitem", **_span(start, end)},
    }


# --------------------------------------------------------------- Red Distrital


def joint_actions(
    organization: Organization | int, start: datetime.date, end: datetime.date
) -> Row:
    """Actions with the Red Distrital de Redes Sociales active in the period."""
    from pregonero.planning.models import JointAction

    rows = list(
        JointAction.objects.filter(
            organization_id=_org_id(organization), starts_on__lte=end
        )
        .filter(Q(ends_on__gte=start) | Q(ends_on__isnull=True, starts_on__gte=start))
        .annotate(
            n_partners=Count("partners", distinct=True),
            n_pieces=Count("pieces", distinct=True),
        )
        .order_by("starts_on", "pk")
        .values_list(
            "pk", "title", "hashtags", "starts_on", "ends_on", "n_partners", "n_pieces"
        )
    )
    return {
        "label": _("Acciones conjuntas con la Red Distrital"),
        "total": len(rows),
        "actions": [
            {
                "id": pk,
                "title": title,
                "hashtags": hashtags,
                "starts_on": starts.isoformat(),
                "ends_on": ends.isoformat() if ends else None,
                "partners": partners,
                "pieces": pieces,
            }
            for pk, title, hashtags, starts, ends, partners, pieces in rows
        ],
        "filters": {"model": "planning.jointaction", **_span(start, end)},
    }


def process_indicators(
    organization: Organization | int, start: datetime.date, end: datetime.date
) -> Row:
    """All the process indicators of a period (a fixed number of queries)."""
    return {
        "needs": needs_received(organization, start, end),
        "production": production(organization, start, end),
        "first_pass": first_pass_approval(organization, start, end),
        "returns": returns_by_reason(organization, start, end),
        "times": cycle_times(organization, start, end),
        "timeliness": timeliness(organization, start, end),
        "documented_approval": documented_approval(organization, start, end),
        "accessibility": accessibility(organization, start, end),
        "language": language_review(organization, start, end),
        "plan": plan_compliance(organization, start, end),
        "joint_actions": joint_actions(organization, start, end),
    }
