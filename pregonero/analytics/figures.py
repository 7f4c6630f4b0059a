"""The figures of the management report (activity 15), as one JSON-ready dict.

``compute_report_data`` reads the networks' figures only through
:mod:`pregonero.analytics.queries` and the procedure's figures only through
:mod:`pregonero.analytics.indicators`; it returns numbers and Spanish labels,
never model instances, so the dict can be stored on the report (frozen at
approval), hashed, and drawn by every renderer.

Months and days are America/Bogota. Nothing is invented: a section without
data says so (the attention to citizens is left out when the inbox received nothing).

IND-07 (net follower growth per network) and IND-08 (engagement rate, the
formula of ``queries.engagement_rate``) are computed here.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from pregonero.lib.dates import MONTHS

from . import indicators
from .mapping import mapper_for
from .models import Concept
from .queries import (
    ChannelFigures,
    account_figures,
    add_totals,
    engagement_rate,
    post_figures,
)

if TYPE_CHECKING:
    from pregonero.core.models import Organization

SCHEMA_VERSION = 1
TOP_POSTS = 5
PERFORMANCE_CONCEPTS = (
    Concept.REACH,
    Concept.VIEWS,
    Concept.INTERACTIONS,
    Concept.REACTIONS,
    Concept.COMMENTS,
    Concept.SHARES,
    Concept.SAVES,
    Concept.CLICKS,
    Concept.VIDEO_VIEWS,
    Concept.WATCH_TIME,
)

QUARTERS = (
    gettext_noop("primer"),
    gettext_noop("segundo"),
    gettext_noop("tercer"),
    gettext_noop("cuarto"),
)

Data = dict[str, Any]


# --------------------------------------------------------------- periods


def month_name(month: int) -> str:
    return _(MONTHS[month - 1])


def month_bounds(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, 1), datetime.date(year, month, last)


def is_full_month(start: datetime.date, end: datetime.date) -> bool:
    return (
        start.day == 1
        and (start.year, start.month) == (end.year, end.month)
        and (end == month_bounds(end.year, end.month)[1])
    )


def is_quarter(start: datetime.date, end: datetime.date) -> bool:
    if start.day != 1 or start.month not in (1, 4, 7, 10):
        return False
    last_month = start.month + 2
    return (end.year, end.month) == (start.year, last_month) and end == month_bounds(
        start.year, last_month
    )[1]


def long_date(day: datetime.date) -> str:
    return _("%(day)s de %(month)s de %(year)s") % {
        "day": day.day,
        "month": month_name(day.month),
        "year": day.year,
    }


def period_label(start: datetime.date, end: datetime.date) -> str:
    """ "octubre de 2026", "tercer trimestre de 2026" or "1 de julio de 2026 al …"."""
    if is_full_month(start, end):
        return _("%(month)s de %(year)s") % {
            "month": month_name(start.month),
            "year": start.year,
        }
    if is_quarter(start, end):
        return _("%(ordinal)s trimestre de %(year)s") % {
            "ordinal": _(QUARTERS[(start.month - 1) // 3]),
            "year": start.year,
        }
    return _("%(start)s al %(end)s") % {
        "start": long_date(start),
        "end": long_date(end),
    }


def shift_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def previous_period(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """The period of equal length just before (the previous month for a month)."""
    if is_full_month(start, end):
        last = start - datetime.timedelta(days=1)
        return month_bounds(last.year, last.month)
    if is_quarter(start, end):
        last = start - datetime.timedelta(days=1)
        return month_bounds(last.year, last.month - 2)[0], last
    length = end - start
    new_end = start - datetime.timedelta(days=1)
    return new_end - length, new_end


def year_before(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.date, datetime.date]:
    if is_full_month(start, end):
        return month_bounds(start.year - 1, start.month)
    return shift_years(start, -1), shift_years(end, -1)


# --------------------------------------------------------------- helpers


def _num(value: float | None) -> float | int | None:
    """Whole numbers as int (figures are counts), others rounded to 2 decimals."""
    if value is None:
        return None
    if float(value).is_integer():
        return int(value)
    return round(float(value), 2)


def delta(current: float | None, before: float | None) -> dict[str, Any]:
    if current is None or before is None:
        return {"delta": None, "delta_pct": None}
    change = current - before
    return {
        "delta": _num(change),
        "delta_pct": round(100.0 * change / before, 1) if before else None,
    }


def _concept_label(concept: str) -> str:
    return str(Concept(concept).label)


def _channel_info(figures: ChannelFigures) -> Data:
    channel = figures.channel
    return {
        "channel_id": channel.pk,
        "name": channel.name,
        "network": channel.network,
        "network_label": channel.network_label,
        "handle": channel.handle,
        "url": channel.url,
    }


def _performance_totals(
    channel_figures: list[ChannelFigures], by_channel_posts: dict[int, dict[str, float]]
) -> tuple[list[Data], Data]:
    """Per channel: account flows; where the network gives no account flows,
    the sum of the figures of the posts published in the period."""
    rows: list[Data] = []
    totals: dict[str, float] = {}
    rate_numerator = 0.0
    rate_denominator = 0.0
    for figures in channel_figures:
        own = {k: v for k, v in figures.totals.items() if k in PERFORMANCE_CONCEPTS}
        source = "account"
        if not own and by_channel_posts.get(figures.channel.pk):
            own = dict(by_channel_posts[figures.channel.pk])
            source = "posts"
        rate_value, base = engagement_rate(own)
        if base == Concept.REACH:
            rate_numerator += own.get(Concept.INTERACTIONS, 0.0)
            rate_denominator += own.get(Concept.REACH, 0.0)
        add_totals(totals, own)
        rows.append(
            {
                **_channel_info(figures),
                "source": source,
                "source_label": _("Cuenta")
                if source == "account"
                else _("Publicaciones"),
                "figures": {str(k): _num(v) for k, v in sorted(own.items())},
                "engagement_rate": rate_value,
                "engagement_base": base,
                "engagement_base_label": _concept_label(base) if base else "",
            }
        )
    overall = (
        round(100.0 * rate_numerator / rate_denominator, 2)
        if rate_denominator
        else None
    )
    return rows, {
        "figures": {str(k): _num(v) for k, v in sorted(totals.items())},
        "engagement_rate": overall,
    }


def _headline(
    organization: Organization | int,
    start: datetime.date,
    end: datetime.date,
    mapper: Any,
    as_of: datetime.date,
) -> Data:
    """The few figures compared across periods (same rules as the period itself)."""
    channel_figures = account_figures(organization, start, end, mapper=mapper)
    posts = post_figures(organization, start, end, as_of=as_of, mapper=mapper)
    by_channel: dict[int, dict[str, float]] = defaultdict(dict)
    for item in posts:
        add_totals(by_channel[item.post.channel_id], item.totals)
    _rows, totals = _performance_totals(channel_figures, by_channel)
    followers_end = [
        f.followers_end for f in channel_figures if f.followers_end is not None
    ]
    nets = [f.followers_net for f in channel_figures if f.followers_net is not None]
    production = indicators._published_publications(
        indicators._org_id(organization), start, end
    ).count()
    return {
        "followers": _num(sum(followers_end)) if followers_end else None,
        "followers_net": _num(sum(nets)) if nets else None,
        "reach": totals["figures"].get(Concept.REACH),
        "views": totals["figures"].get(Concept.VIEWS),
        "interactions": totals["figures"].get(Concept.INTERACTIONS),
        "engagement_rate": totals["engagement_rate"],
        "posts": len(posts),
        "publications": production,
    }


HEADLINE_LABELS = {
    "followers": gettext_noop("Seguidores al cierre"),
    "followers_net": gettext_noop("Crecimiento neto de seguidores"),
    "reach": gettext_noop("Alcance"),
    "views": gettext_noop("Visualizaciones"),
    "interactions": gettext_noop("Interacciones"),
    "engagement_rate": gettext_noop("Tasa de interacción (%)"),
    "posts": gettext_noop("Publicaciones en las redes"),
    "publications": gettext_noop("Publicaciones hechas con Pregonero"),
}


def _period(start: datetime.date, end: datetime.date) -> Data:
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "label": period_label(start, end),
        "days": (end - start).days + 1,
    }


# --------------------------------------------------------------- the report


def compute_report_data(
    organization: Organization,
    start: datetime.date,
    end: datetime.date,
    *,
    as_of: datetime.date | None = None,
) -> Data:
    """Every figure of the report for ``start``..``end`` (Bogotá days, inclusive).

    ``as_of`` is the last capture day of the post figures taken into account
    (default: today); lifetime figures captured later are ignored, so the
    numbers of a past period can be recomputed exactly.
    """
    if end < start:
        raise ValueError("end before start")
    as_of = as_of or timezone.localdate()
    mapper = mapper_for(organization)
    channel_figures = account_figures(
        organization, start, end, daily=True, mapper=mapper
    )
    posts = post_figures(organization, start, end, as_of=as_of, mapper=mapper)
    by_channel_posts: dict[int, dict[str, float]] = defaultdict(dict)
    posts_by_channel: dict[int, list[Any]] = defaultdict(list)
    for item in posts:
        add_totals(by_channel_posts[item.post.channel_id], item.totals)
        posts_by_channel[item.post.channel_id].append(item)

    # Community (IND-07).
    community_rows = []
    for figures in channel_figures:
        growth = delta(figures.followers_end, figures.followers_start)
        community_rows.append(
            {
                **_channel_info(figures),
                "followers_start": _num(figures.followers_start),
                "followers_end": _num(figures.followers_end),
                "net": _num(figures.followers_net),
                "growth_pct": growth["delta_pct"],
            }
        )
    known = [r for r in community_rows if r["net"] is not None]
    community_total = {
        "followers_start": _num(sum(r["followers_start"] for r in known))
        if known
        else None,
        "followers_end": _num(sum(r["followers_end"] for r in known))
        if known
        else None,
        "net": _num(sum(r["net"] for r in known)) if known else None,
    }
    community_total["growth_pct"] = delta(
        community_total["followers_end"], community_total["followers_start"]
    )["delta_pct"]

    # Performance (IND-08) and the top posts of each network.
    perf_rows, perf_totals = _performance_totals(channel_figures, by_channel_posts)
    top_posts = []
    for figures in channel_figures:
        items = posts_by_channel.get(figures.channel.pk, [])

        def score(item: Any) -> tuple[float, float, float]:
            t = item.totals
            return (
                t.get(Concept.INTERACTIONS, 0.0),
                t.get(Concept.REACH, 0.0),
                t.get(Concept.VIEWS, 0.0),
            )

        best = sorted(items, key=score, reverse=True)[:TOP_POSTS]
        if not best:
            continue
        top_posts.append(
            {
                **_channel_info(figures),
                "posts": [
                    {
                        "post_id": item.post.pk,
                        "text": (item.post.text or "")[:280],
                        "permalink": item.post.permalink,
                        "thumbnail_url": item.post.thumbnail_url,
                        "published_at": timezone.localtime(
                            item.post.published_at
                        ).isoformat()
                        if item.post.published_at
                        else None,
                        "reach": _num(item.totals.get(Concept.REACH)),
                        "views": _num(item.totals.get(Concept.VIEWS)),
                        "interactions": _num(item.totals.get(Concept.INTERACTIONS)),
                        "engagement_rate": engagement_rate(item.totals)[0],
                    }
                    for item in best
                ],
            }
        )

    process = indicators.process_indicators(organization, start, end)
    red = process.pop("joint_actions")

    # Comparison with the previous period and the same period a year before.
    current = _headline_from(
        community_total, perf_totals, len(posts), process["production"]["publications"]
    )
    prev_start, prev_end = previous_period(start, end)
    year_start, year_end = year_before(start, end)
    previous = _headline(organization, prev_start, prev_end, mapper, as_of)
    last_year = _headline(organization, year_start, year_end, mapper, as_of)
    comparison_rows = []
    for key, label in HEADLINE_LABELS.items():
        d_prev = delta(current[key], previous[key])
        d_year = delta(current[key], last_year[key])
        comparison_rows.append(
            {
                "key": key,
                "label": _(label),
                "current": current[key],
                "previous": previous[key],
                "delta_previous": d_prev["delta"],
                "delta_previous_pct": d_prev["delta_pct"],
                "year_before": last_year[key],
                "delta_year": d_year["delta"],
                "delta_year_pct": d_year["delta_pct"],
            }
        )

    data: Data = {
        "schema": SCHEMA_VERSION,
        "organization": {
            "name": organization.name,
            "short_name": organization.short_name,
            "slug": organization.slug,
            "office": organization.office_name,
            "process": organization.process_name,
            "city": organization.city,
        },
        "period": {**_period(start, end), "timezone": "America/Bogota"},
        "as_of": as_of.isoformat(),
        "generated_at": timezone.now().isoformat(),
        "accounts": [_channel_info(f) for f in channel_figures],
        "community": {
            "id": "IND-07",
            "label": _("Comunidad: seguidores por red"),
            "rows": community_rows,
            "total": community_total,
            "note": _(
                "Seguidores al inicio: último valor registrado el día anterior al periodo; "
                "al cierre: último valor registrado hasta el último día del periodo."
            ),
        },
        "production": process.pop("production"),
        "performance": {
            "id": "IND-08",
            "label": _("Desempeño"),
            "rows": perf_rows,
            "totals": perf_totals,
            "concept_labels": {c.value: str(c.label) for c in Concept},
            "formula": _(
                "Tasa de interacción (IND-08) = interacciones ÷ alcance × 100; en las redes que "
                "no informan alcance, interacciones ÷ visualizaciones × 100. El total usa solo "
                "las redes que informan alcance. Interacciones: las que informa la red o, si no "
                "las informa, la suma de reacciones, comentarios, compartidos y guardados."
            ),
            "top_posts": top_posts,
            "posts_in_period": len(posts),
        },
        "process": process,
        "red_distrital": red,
        "comparison": {
            "label": _("Comparación"),
            "previous": _period(prev_start, prev_end),
            "year_before": _period(year_start, year_end),
            "rows": comparison_rows,
        },
    }
    citizens = citizen_attention(organization, start, end)
    if citizens is not None:
        data["citizens"] = citizens
    data["charts"] = _charts(data, channel_figures, start, end)
    return data


def _headline_from(
    community_total: Data, perf_totals: Data, posts: int, publications: int
) -> Data:
    figures = perf_totals["figures"]
    return {
        "followers": community_total["followers_end"],
        "followers_net": community_total["net"],
        "reach": figures.get(Concept.REACH),
        "views": figures.get(Concept.VIEWS),
        "interactions": figures.get(Concept.INTERACTIONS),
        "engagement_rate": perf_totals["engagement_rate"],
        "posts": posts,
        "publications": publications,
    }


def citizen_attention(
    organization: Organization | int, start: datetime.date, end: datetime.date
) -> Data | None:
    """Attention to citizens through the networks (IND-04..06), from the inbox.

    None when nothing was received in the period: the section is left out —
    never invented.
    """
    from pregonero.inbox.reports import attention_figures

    rows = attention_figures(organization, start, end)
    if not rows:
        return None
    return {"label": _("Atención a la ciudadanía"), "rows": rows}


def _charts(
    data: Data,
    channel_figures: list[ChannelFigures],
    start: datetime.date,
    end: datetime.date,
) -> list[Data]:
    charts: list[Data] = []
    community = [r for r in data["community"]["rows"] if r["followers_end"] is not None]
    if community:
        charts.append(
            {
                "id": "followers",
                "kind": "bar",
                "title": _("Seguidores al cierre del periodo por red"),
                "unit": _("seguidores"),
                "labels": [r["name"] for r in community],
                "series": [
                    {
                        "label": _("Al inicio"),
                        "values": [r["followers_start"] or 0 for r in community],
                    },
                    {
                        "label": _("Al cierre"),
                        "values": [r["followers_end"] for r in community],
                    },
                ],
            }
        )
    days = [start + datetime.timedelta(days=i) for i in range((end - start).days + 1)]
    for concept, title in (
        (Concept.REACH, _("Alcance diario (todas las redes)")),
        (Concept.INTERACTIONS, _("Interacciones diarias (todas las redes)")),
    ):
        daily: dict[datetime.date, float] = defaultdict(float)
        found = False
        for figures in channel_figures:
            series = figures.daily.get(concept)
            if not series and concept == Concept.INTERACTIONS:
                # Interactions the network does not give directly: their parts.
                for part in (
                    Concept.REACTIONS,
                    Concept.COMMENTS,
                    Concept.SHARES,
                    Concept.SAVES,
                ):
                    for day, value in figures.daily.get(part, {}).items():
                        daily[day] += value
                        found = True
                continue
            for day, value in (series or {}).items():
                daily[day] += value
                found = True
        if found:
            charts.append(
                {
                    "id": f"daily_{concept}",
                    "kind": "line",
                    "title": title,
                    "unit": _concept_label(concept).lower(),
                    "labels": [d.isoformat() for d in days],
                    "series": [
                        {
                            "label": _concept_label(concept),
                            "values": [_num(daily.get(d, 0.0)) for d in days],
                        }
                    ],
                }
            )
    perf = [
        r for r in data["performance"]["rows"] if r["figures"].get(Concept.INTERACTIONS)
    ]
    if perf:
        charts.append(
            {
                "id": "interactions_by_network",
                "kind": "bar",
                "title": _("Interacciones por red"),
                "unit": _("interacciones"),
                "labels": [r["name"] for r in perf],
                "series": [
                    {
                        "label": _("Interacciones"),
                        "values": [r["figures"][Concept.INTERACTIONS] for r in perf],
                    }
                ],
            }
        )
    by_channel = [r for r in data["production"]["by_channel"] if r["count"]]
    if by_channel:
        charts.append(
            {
                "id": "publications_by_channel",
                "kind": "bar",
                "title": _("Publicaciones hechas por canal"),
                "unit": _("publicaciones"),
                "labels": [r["label"] for r in by_channel],
                "series": [
                    {
                        "label": _("Publicaciones"),
                        "values": [r["count"] for r in by_channel],
                    }
                ],
            }
        )
    return charts
