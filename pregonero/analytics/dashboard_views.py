"""Estadísticas: the dashboard and the rows behind each of its figures.

Activity 15 (IND-08 engagement rate). Read-only pages: ``STATS_VIEW``, scoped
to the user's organization. Every figure links to "Ver datos", which lists the
stored values (or posts) the figure adds up, with the same filters, paginated,
and downloadable as CSV.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _

from pregonero.accounts.permissions import Perm, has_perm
from pregonero.core.models import Campaign, Dependency
from pregonero.core.viewutils import AuthedHttpRequest, paginate

from . import dashboard as dash
from .models import Concept, Scope
from .queries import channels_of, figures_of_posts

PER_PAGE = 50


def _reader(request: AuthedHttpRequest) -> int:
    user = request.user
    if not has_perm(user, Perm.STATS_VIEW) or user.organization_id is None:
        raise PermissionDenied
    return user.organization_id


def _choices(org: int) -> dict[str, Any]:
    channels = channels_of(org)
    networks = sorted({(c.network, c.network_label) for c in channels})
    return {
        "channels": channels,
        "networks": networks,
        "dependencies": list(
            Dependency.objects.for_org(org).filter(active=True).order_by("name")
        ),
        "campaigns": list(Campaign.objects.for_org(org).order_by("name")),
        "periods": list(dash.PERIODS.items()),
    }


def _grouped(value: float | None) -> str:
    """12.345 (es-CO thousands), or a dash when there is no figure."""
    if value is None:
        return "—"
    return f"{value:,.0f}".replace(",", ".")


@login_required
def dashboard(request: AuthedHttpRequest) -> HttpResponse:
    org = _reader(request)
    filters = dash.parse_filters(org, request.GET)
    summary = dash.summarize(filters)
    concept_labels = {str(c): str(c.label) for c in Concept}
    chart_data = {
        "series": summary.series,
        "networks": summary.networks,
        "labels": {
            "followers": _("Seguidores"),
            "reach": concept_labels[Concept.REACH],
            "views": concept_labels[Concept.VIEWS],
            "interactions": concept_labels[Concept.INTERACTIONS],
            "video_views": concept_labels[Concept.VIDEO_VIEWS],
            "post_interactions": _("Interacciones de las publicaciones"),
            "posts": _("Publicaciones"),
        },
    }
    series = summary.series
    # The charts' data tables can hold hundreds of cells: formatted here, once.
    followers_rows = [
        (label, [_grouped(line["values"][i]) for line in series["followers"]])
        for i, label in enumerate(series["labels"])
    ]
    flow_keys = [(key, concept_labels[key]) for key in series["flows"]]
    flow_rows = [
        (label, [_grouped(series["flows"][key][i]) for key, _label in flow_keys])
        for i, label in enumerate(series["labels"])
    ]
    return render(
        request,
        "analytics/dashboard.html",
        {
            "nav": "stats",
            "filters": filters,
            "summary": summary,
            "kpis": summary.kpis,
            "posts_kpis": summary.posts_kpis,
            "chart_data": chart_data,
            "qs": filters.querystring(),
            "followers_rows": followers_rows,
            "flow_keys": flow_keys,
            "flow_rows": flow_rows,
            **_choices(org),
        },
    )


def _csv_response(filename: str, rows: Iterator[list[Any]]) -> StreamingHttpResponse:
    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


@login_required
def data(request: AuthedHttpRequest) -> HttpResponseBase:
    """The stored values behind a figure (account scope), or the posts behind a
    post figure, with the dashboard's filters."""
    org = _reader(request)
    filters = dash.parse_filters(org, request.GET)
    scope = request.GET.get("ambito", Scope.ACCOUNT)
    if scope not in Scope.values:
        scope = Scope.ACCOUNT
    concept = request.GET.get("concepto", "")
    if scope == Scope.ACCOUNT and concept not in Concept.values:
        concept = Concept.FOLLOWERS
    concept_label = (
        str(Concept(concept).label) if concept in Concept.values else _("Publicaciones")
    )
    as_csv = request.GET.get("formato") == "csv"
    stamp = timezone.localdate().isoformat()
    if scope == Scope.ACCOUNT:
        rows = dash.account_rows(filters, concept)
        if as_csv:
            header = [
                _("Fecha"),
                _("Canal"),
                _("Red"),
                _("Métrica de la red"),
                _("Valor"),
                _("Origen"),
                _("Versión de la API"),
                _("Capturado"),
            ]

            def lines() -> Iterator[list[Any]]:
                yield header
                for v in rows.iterator(chunk_size=2000):
                    yield [
                        v.date.isoformat(),
                        v.channel.name,
                        v.channel.network,
                        v.metric,
                        _num(v.value),
                        v.get_source_display(),
                        v.api_version,
                        timezone.localtime(v.captured_at).isoformat(),
                    ]

            return _csv_response(f"estadisticas-{concept}-{stamp}.csv", lines())
        page = paginate(request, rows, PER_PAGE)
        posts: list[Any] = []
    else:
        post_qs = dash.drill_posts(filters)
        if as_csv:

            def post_lines() -> Iterator[list[Any]]:
                yield [
                    _("Publicada"),
                    _("Canal"),
                    _("Red"),
                    _("Enlace"),
                    _("Texto"),
                    *[str(c.label) for c in Concept if c != Concept.FOLLOWERS],
                ]
                ids = list(post_qs.values_list("pk", flat=True))
                for i in range(0, len(ids), 500):
                    for fig in figures_of_posts(org, ids[i : i + 500]):
                        p = fig.post
                        yield [
                            timezone.localtime(p.published_at).isoformat()
                            if p.published_at
                            else "",
                            p.channel.name,
                            p.channel.network,
                            p.permalink,
                            p.text[:280],
                            *[
                                _num(fig.totals.get(c))
                                for c in Concept
                                if c != Concept.FOLLOWERS
                            ],
                        ]

            return _csv_response(
                f"estadisticas-publicaciones-{stamp}.csv", post_lines()
            )
        page = paginate(request, post_qs, PER_PAGE)
        posts = [
            {"figures": f, **dash.post_row(f)}
            for f in figures_of_posts(org, [p.pk for p in page.object_list])
        ]
    return render(
        request,
        "analytics/dashboard_data.html",
        {
            "nav": "stats",
            "filters": filters,
            "scope": scope,
            "concept": concept,
            "concept_label": concept_label,
            "page": page,
            "posts": posts,
            "qs": filters.querystring(),
            "csv_qs": filters.querystring(
                ambito=scope, concepto=concept, formato="csv"
            ),
            "is_level": concept == Concept.FOLLOWERS,
        },
    )


urlpatterns: list[URLPattern] = [
    path("", dashboard, name="dashboard"),
    path("datos/", data, name="dashboard_data"),
]
