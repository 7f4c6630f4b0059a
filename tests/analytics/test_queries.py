"""The figures query layer, worked out by hand on a small fixture."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from pregonero.analytics.mapping import mapper_for
from pregonero.analytics.models import (
    Concept,
    MetricMapping,
    MetricSource,
    MetricValue,
    NetworkPost,
    Scope,
)
from pregonero.analytics.queries import account_figures, engagement_rate, post_figures
from tests.conftest import World

D = datetime.date
BOGOTA = datetime.timezone(datetime.timedelta(hours=-5))


def value(
    w: World, channel: Any, metric: str, day: datetime.date, v: float, post: Any = None
) -> None:
    MetricValue.objects.create(
        organization=w.org,
        channel=channel,
        post=post,
        metric=metric,
        date=day,
        value=v,
        captured_at=timezone.now(),
        source=MetricSource.API,
    )


@pytest.fixture
def figures_world(world: World) -> World:
    # Facebook: followers 1000 on 30 Sep, 1040 on 31 Oct; reach 100 + 200 in October,
    # 999 on 1 Nov (outside the period); explicit interactions 30 + 20.
    value(world, world.fb, "page_follows", D(2026, 9, 30), 1000)
    value(world, world.fb, "page_follows", D(2026, 10, 15), 1020)
    value(world, world.fb, "page_follows", D(2026, 10, 31), 1040)
    value(world, world.fb, "page_total_media_view_unique", D(2026, 10, 1), 100)
    value(world, world.fb, "page_total_media_view_unique", D(2026, 10, 31), 200)
    value(world, world.fb, "page_total_media_view_unique", D(2026, 11, 1), 999)
    value(world, world.fb, "page_post_engagements", D(2026, 10, 2), 30)
    value(world, world.fb, "page_post_engagements", D(2026, 10, 3), 20)
    value(world, world.fb, "a_metric_nobody_maps", D(2026, 10, 3), 7)
    # X: followers only known mid-September (last value on or before each bound).
    value(world, world.x, "followers_count", D(2026, 9, 10), 500)
    return world


def test_account_flows_levels_and_interactions(figures_world: World) -> None:
    w = figures_world
    figures = {
        f.channel.pk: f
        for f in account_figures(w.org, D(2026, 10, 1), D(2026, 10, 31), daily=True)
    }
    fb = figures[w.fb.pk]
    assert fb.totals[Concept.REACH] == 300
    assert fb.totals[Concept.INTERACTIONS] == 50
    assert "a_metric_nobody_maps" not in fb.totals
    assert (fb.followers_start, fb.followers_end, fb.followers_net) == (1000, 1040, 40)
    assert fb.daily[Concept.REACH] == {D(2026, 10, 1): 100, D(2026, 10, 31): 200}
    x = figures[w.x.pk]
    assert (x.followers_start, x.followers_end, x.followers_net) == (500, 500, 0)
    assert w.web.pk not in figures  # manual channels hold no network figures
    assert engagement_rate(fb.totals) == (round(100 * 50 / 300, 2), "reach")


def test_organization_mapping_overrides_the_default(figures_world: World) -> None:
    w = figures_world
    MetricMapping.objects.create(
        organization=w.org,
        network="facebook",
        scope=Scope.ACCOUNT,
        metric="a_metric_nobody_maps",
        concept=Concept.CLICKS,
        factor=2,
    )
    fb = next(
        f
        for f in account_figures(w.org, D(2026, 10, 1), D(2026, 10, 31))
        if f.channel.pk == w.fb.pk
    )
    assert fb.totals[Concept.CLICKS] == 14
    assert mapper_for(w.org).concept("facebook", Scope.ACCOUNT, "page_follows") == (
        Concept.FOLLOWERS,
        1,
    )


def test_posts_by_bogota_day_with_latest_snapshot(world: World) -> None:
    w = world
    late = NetworkPost.objects.create(
        organization=w.org,
        channel=w.ig,
        platform_id="late-october",
        # 23:30 in Bogotá on 31 October is 04:30 UTC on 1 November.
        published_at=datetime.datetime(2026, 10, 31, 23, 30, tzinfo=BOGOTA),
    )
    november = NetworkPost.objects.create(
        organization=w.org,
        channel=w.ig,
        platform_id="november",
        published_at=datetime.datetime(2026, 11, 1, 0, 30, tzinfo=BOGOTA),
    )
    value(w, w.ig, "reach", D(2026, 11, 2), 50, post=late)
    value(w, w.ig, "reach", D(2026, 11, 9), 80, post=late)
    value(w, w.ig, "reach", D(2026, 11, 20), 95, post=late)
    value(w, w.ig, "likes", D(2026, 11, 9), 6, post=late)
    value(w, w.ig, "comments", D(2026, 11, 9), 2, post=late)
    value(w, w.ig, "reach", D(2026, 11, 9), 10, post=november)

    posts = post_figures(w.org, D(2026, 10, 1), D(2026, 10, 31), as_of=D(2026, 11, 10))
    assert [p.post.pk for p in posts] == [late.pk]
    totals = posts[0].totals
    assert totals[Concept.REACH] == 80  # the snapshot of 9 Nov, not 20 Nov
    assert totals[Concept.INTERACTIONS] == 8  # 6 likes + 2 comments
