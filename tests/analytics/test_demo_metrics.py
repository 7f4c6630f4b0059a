"""The demo holds fourteen months of figures for each practice channel, and
Estadísticas shows them."""

from __future__ import annotations

import datetime
import time
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count, Max, Min
from django.test import Client
from django.utils import timezone

from pregonero.accounts.models import User
from pregonero.analytics.demo import MONTHS, PROFILES, load_demo_metrics
from pregonero.analytics.models import MetricSource, MetricValue, NetworkPost
from pregonero.core.models import Channel, NetworkKind, Organization


@pytest.fixture
def demo(db: Any, sandbox: Any) -> tuple[Organization, float]:
    from pregonero.analytics import demo as analytics_demo
    from pregonero.core.management.commands.demo import build_demo

    seconds: list[float] = []
    original = analytics_demo.load_demo_metrics

    def timed(org: Organization, today: datetime.date | None = None) -> Any:
        began = time.perf_counter()
        result = original(org, today)
        seconds.append(time.perf_counter() - began)
        return result

    import pregonero.analytics.demo as module

    module.load_demo_metrics = timed  # type: ignore[assignment]
    try:
        with transaction.atomic():
            build_demo()
    finally:
        module.load_demo_metrics = original  # type: ignore[assignment]
    return Organization.objects.get(slug="cvp"), seconds[0]


def test_fourteen_months_for_each_practice_channel(
    demo: tuple[Organization, float],
) -> None:
    org, seconds = demo
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    channels = Channel.objects.for_org(org).filter(kind=NetworkKind.SANDBOX)
    assert channels.count() == 5
    for channel in channels:
        profile = PROFILES[channel.imitates]
        span = MetricValue.objects.filter(
            channel=channel, post__isnull=True, metric=profile.followers
        ).aggregate(first=Min("date"), last=Max("date"), days=Count("id"))
        assert span["last"] == yesterday
        first = span["first"]
        months = (yesterday.year - first.year) * 12 + yesterday.month - first.month + 1
        assert months == MONTHS and first.day == 1
        assert span["days"] == (yesterday - first).days + 1
        monthly_posts = NetworkPost.objects.filter(
            channel=channel, publication__isnull=True
        ).values_list("published_at", flat=True)
        per_month: dict[tuple[int, int], int] = {}
        for when in monthly_posts:
            local = timezone.localtime(when)
            per_month[(local.year, local.month)] = (
                per_month.get((local.year, local.month), 0) + 1
            )
        full = [
            n
            for (y, m), n in per_month.items()
            if (y, m) != (yesterday.year, yesterday.month)
        ]
        assert full and all(8 <= n <= 20 for n in full)
        assert NetworkPost.objects.filter(
            channel=channel, metric_values__isnull=False
        ).exists()
    # Only the practice channels: real-network accounts are not connected.
    assert not MetricValue.objects.filter(
        organization=org, channel__kind__in=["facebook", "x"]
    ).exists()
    assert set(
        MetricValue.objects.filter(organization=org).values_list("source", flat=True)
    ) == {MetricSource.DEMO}
    # The demo's published publications are linked to their network posts.
    assert NetworkPost.objects.filter(
        organization=org, publication__status="published"
    ).exists()
    assert seconds < 5, f"the demo's figures took {seconds:.1f} s"


def test_deterministic(db: Any) -> None:
    """Same day, same figures."""
    totals = []
    for slug in ("uno", "dos"):
        org = Organization.objects.create(slug=slug, name=slug)
        Channel.objects.create(
            organization=org,
            kind=NetworkKind.SANDBOX,
            imitates=NetworkKind.INSTAGRAM,
            name="Instagram",
        )
        load_demo_metrics(org, datetime.date(2026, 11, 28))
        totals.append(
            sorted(
                MetricValue.objects.filter(organization=org).values_list(
                    "metric", "date", "value"
                )
            )
        )
    assert totals[0] == totals[1]


def test_dashboard_renders_the_demo(demo: tuple[Organization, float]) -> None:
    org, _seconds = demo
    jefe = User.objects.get(username="jefe", organization=org)
    client = Client()
    client.force_login(jefe)
    for params in ({}, {"periodo": "12m"}, {"periodo": "mes_anterior"}):
        response = client.get("/estadisticas/", params)
        assert response.status_code == 200
        kpis = response.context["kpis"]
        assert kpis["followers_end"] and kpis["followers_end"] > 30_000
        assert kpis["reach"] and kpis["reach"] > 0
        assert kpis["engagement_rate"] is not None
        assert response.context["posts_kpis"]["count"] > 0
        assert response.context["summary"].top
        series = response.context["summary"].series
        assert {line["network"] for line in series["followers"]} == {
            "facebook",
            "instagram",
            "x",
            "youtube",
            "tiktok",
        }
    response = client.get(
        "/estadisticas/datos/",
        {"periodo": "12m", "ambito": "account", "concepto": "reach"},
    )
    assert response.status_code == 200
    assert response.context["page"].paginator.count > 600
