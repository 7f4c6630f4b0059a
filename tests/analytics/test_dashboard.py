"""Estadísticas: the dashboard's figures worked out by hand, its filters, the
rows behind each figure (page and CSV), constant queries, permissions and
organization isolation, and the metrics API."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pregonero.accounts.actions import create_api_token
from pregonero.analytics.models import (
    FillState,
    MetricSource,
    MetricValue,
    NetworkPost,
)
from pregonero.analytics.queries import account_figures, account_series
from pregonero.core.models import Campaign
from pregonero.publishing.actions import record_manual_publication
from tests.conftest import World, approved_piece

D = datetime.date
BOGOTA = datetime.timezone(datetime.timedelta(hours=-5))
OCTOBER = {"periodo": "rango", "desde": "2026-10-01", "hasta": "2026-10-31"}
URL = "/estadisticas/"
DATA = "/estadisticas/datos/"


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


def post(w: World, channel: Any, pid: str, when: datetime.datetime, **kw: Any) -> Any:
    return NetworkPost.objects.create(
        organization=w.org,
        channel=channel,
        platform_id=pid,
        published_at=when,
        permalink=f"https://example.org/{pid}",
        text=f"Publicación {pid}",
        **kw,
    )


@pytest.fixture
def fig(world: World) -> World:
    """October 2026, by hand.

    Facebook: followers 1000 (30 Sep) → 1040 (31 Oct); reach 100 + 200; views 500;
    its own interactions 30 + 20 = 50. Instagram: followers 200 → 210; reach 50.
    X: followers 300 (only before October: start = end = 300).
    Accounts: followers 1500 → 1550 (net +50); reach 350; views 500;
    interactions 50; rate 50 / 350 = 14.29 %.
    Posts: a Facebook post (reach 10 then 40; reactions 4, comments 1, shares 1
    → 6) and an X post (likes 5 then 7, replies 2, reposts 1 → 10; impressions
    100): 2 posts, interactions 16, reach 40. A November post does not count.
    """
    w = world
    value(w, w.fb, "page_follows", D(2026, 9, 30), 1000)
    value(w, w.fb, "page_follows", D(2026, 10, 15), 1020)
    value(w, w.fb, "page_follows", D(2026, 10, 31), 1040)
    value(w, w.fb, "page_total_media_view_unique", D(2026, 10, 1), 100)
    value(w, w.fb, "page_total_media_view_unique", D(2026, 10, 31), 200)
    value(w, w.fb, "page_total_media_view_unique", D(2026, 11, 1), 999)
    value(w, w.fb, "page_media_view", D(2026, 10, 5), 500)
    value(w, w.fb, "page_post_engagements", D(2026, 10, 2), 30)
    value(w, w.fb, "page_post_engagements", D(2026, 10, 3), 20)
    value(w, w.ig, "followers_count", D(2026, 9, 30), 200)
    value(w, w.ig, "followers_count", D(2026, 10, 31), 210)
    value(w, w.ig, "reach", D(2026, 10, 10), 50)
    value(w, w.x, "followers_count", D(2026, 9, 10), 300)
    p1 = post(w, w.fb, "fb1", datetime.datetime(2026, 10, 5, 10, tzinfo=BOGOTA))
    value(w, w.fb, "post_total_media_view_unique", D(2026, 10, 6), 10, p1)
    value(w, w.fb, "post_total_media_view_unique", D(2026, 10, 20), 40, p1)
    value(w, w.fb, "post_reactions_by_type_total", D(2026, 10, 20), 4, p1)
    value(w, w.fb, "comments", D(2026, 10, 20), 1, p1)
    value(w, w.fb, "shares", D(2026, 10, 20), 1, p1)
    p2 = post(w, w.x, "x1", datetime.datetime(2026, 10, 10, 9, tzinfo=BOGOTA))
    value(w, w.x, "like_count", D(2026, 10, 11), 5, p2)
    value(w, w.x, "like_count", D(2026, 10, 15), 7, p2)
    value(w, w.x, "reply_count", D(2026, 10, 15), 2, p2)
    value(w, w.x, "retweet_count", D(2026, 10, 15), 1, p2)
    value(w, w.x, "impression_count", D(2026, 10, 15), 100, p2)
    p3 = post(w, w.x, "x2", datetime.datetime(2026, 11, 1, 0, 30, tzinfo=BOGOTA))
    value(w, w.x, "like_count", D(2026, 11, 2), 99, p3)
    # 31 Oct 23:30 in Bogotá is already 1 Nov in UTC: it belongs to October.
    p4 = post(w, w.ig, "ig1", datetime.datetime(2026, 10, 31, 23, 30, tzinfo=BOGOTA))
    value(w, w.ig, "reach", D(2026, 11, 1), 0, p4)
    return w


def get(client: Client, url: str = URL, **params: str) -> Any:
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return response


def test_october_figures_by_hand(fig: World) -> None:
    response = get(fig.client(fig.writer), **OCTOBER)
    kpis = response.context["kpis"]
    assert kpis["followers_start"] == 1500
    assert kpis["followers_end"] == 1550
    assert kpis["followers_net"] == 50
    assert kpis["reach"] == 350
    assert kpis["views"] == 500
    assert kpis["interactions"] == 50
    assert kpis["engagement_rate"] == 14.29
    assert kpis["engagement_base"] == "reach"
    posts = response.context["posts_kpis"]
    assert posts["count"] == 3  # fb1, x1 and ig1 (31 Oct in Bogotá)
    assert posts["interactions"] == 16
    assert posts["reach"] == 40
    networks = {n["network"]: n for n in response.context["summary"].networks}
    assert networks["facebook"]["followers_net"] == 40
    assert networks["x"]["followers_start"] == networks["x"]["followers_end"] == 300
    assert networks["x"]["post_interactions"] == 10
    top = response.context["summary"].top
    assert [p["id"] for p in top][:2] == [
        NetworkPost.objects.get(platform_id="x1").pk,
        NetworkPost.objects.get(platform_id="fb1").pk,
    ]
    assert top[0]["interactions"] == 10
    html = response.content.decode()
    assert "Tasa de interacción = interacciones ÷ alcance × 100" in html
    assert 'id="estadisticas-data"' in html
    assert "chart.umd.min.js" in html and "js/estadisticas.js" in html
    # The daily series: reach on 1 and 10 October.
    series = response.context["summary"].series
    assert series["bucket"] == "day" and len(series["labels"]) == 31
    assert series["flows"]["reach"][0] == 100 and series["flows"]["reach"][9] == 50


def test_account_series_agrees_with_account_figures(fig: World) -> None:
    """The dashboard's database sums mean what the report's reader means."""
    for bucket in ("day", "month"):
        mine = {
            f.channel.pk: f
            for f in account_series(
                fig.org, D(2026, 10, 1), D(2026, 10, 31), bucket=bucket
            )
        }
        for theirs in account_figures(fig.org, D(2026, 10, 1), D(2026, 10, 31)):
            ours = mine[theirs.channel.pk]
            assert ours.totals == theirs.totals
            assert ours.followers_start == theirs.followers_start
            assert ours.followers_end == theirs.followers_end


def test_twelve_months_are_drawn_by_month(fig: World) -> None:
    response = get(fig.client(fig.writer), periodo="12m")
    series = response.context["summary"].series
    assert series["bucket"] == "month"
    october = series["labels"].index("2026-10-01")
    assert series["flows"]["reach"][october] == 350
    november = series["labels"].index("2026-11-01")
    assert series["flows"]["reach"][november] == 999


def test_filters_network_channel_dependency(fig: World) -> None:
    client = fig.client(fig.writer)
    kpis = get(client, **OCTOBER, red="instagram").context["kpis"]
    assert (kpis["followers_end"], kpis["reach"], kpis["interactions"]) == (
        210,
        50,
        None,
    )
    kpis = get(client, **OCTOBER, canal=str(fig.fb.pk)).context["kpis"]
    assert (kpis["followers_net"], kpis["reach"]) == (40, 300)
    fig.ig.owner_dependency = fig.dmv
    fig.ig.save()
    response = get(client, **OCTOBER, dependencia=str(fig.dmv.pk))
    assert response.context["kpis"]["reach"] == 50
    assert response.context["posts_kpis"]["count"] == 1  # ig1, on the DMV channel


def test_campaign_filters_posts(fig: World) -> None:
    campaign = Campaign.objects.create(organization=fig.org, name="#TítuloEnMano")
    piece = approved_piece(fig, campaign=campaign)
    publication = record_manual_publication(
        fig.writer,
        piece,
        fig.x,
        permalink="https://example.org/x1",
        published_at=timezone.now(),
        note="",
    )
    NetworkPost.objects.filter(platform_id="x1").update(publication=publication)
    response = get(fig.client(fig.writer), **OCTOBER, campana=str(campaign.pk))
    assert response.context["posts_kpis"]["count"] == 1
    assert response.context["posts_kpis"]["interactions"] == 10
    assert [p["permalink"] for p in response.context["summary"].top] == [
        "https://example.org/x1"
    ]
    # Account figures are not attributed to campaigns.
    assert response.context["kpis"]["reach"] == 350
    assert "La campaña filtra las publicaciones" in response.content.decode()


def test_bad_filters_are_explained_not_fatal(fig: World, other_world: World) -> None:
    response = get(
        fig.client(fig.writer),
        periodo="rango",
        desde="2026-10-31",
        hasta="2026-10-01",
    )
    assert "posterior" in response.content.decode()
    response = get(fig.client(fig.writer), **OCTOBER, canal=str(other_world.fb.pk))
    assert "no existe en su entidad" in response.content.decode()
    assert response.context["kpis"]["reach"] == 350


def test_drill_down_rows_add_up_to_the_figure(fig: World) -> None:
    client = fig.client(fig.writer)
    response = get(client, DATA, **OCTOBER, ambito="account", concepto="reach")
    rows = list(response.context["page"].object_list)
    assert sum(v.value for v in rows) == 350
    assert {v.metric for v in rows} == {"page_total_media_view_unique", "reach"}
    # Followers: the levels of the period and the last one before it.
    response = get(client, DATA, **OCTOBER, ambito="account", concepto="followers")
    days = sorted(
        (v.channel.name, v.date) for v in response.context["page"].object_list
    )
    assert ("Facebook práctica", D(2026, 9, 30)) in days
    assert ("X práctica", D(2026, 9, 10)) in days
    assert ("Facebook práctica", D(2026, 10, 31)) in days
    # Posts: the three October posts with their latest figures.
    response = get(client, DATA, **OCTOBER, ambito="post")
    posts = response.context["posts"]
    assert sorted(p["text"] for p in posts) == [
        "Publicación fb1",
        "Publicación ig1",
        "Publicación x1",
    ]
    assert sum(p["interactions"] or 0 for p in posts) == 16
    # The dashboard links to these pages with its filters.
    html = get(client, **OCTOBER).content.decode()
    assert "/estadisticas/datos/?periodo=rango&amp;desde=2026-10-01" in html


def test_csv_download(fig: World) -> None:
    client = fig.client(fig.writer)
    response = client.get(
        DATA, {**OCTOBER, "ambito": "account", "concepto": "reach", "formato": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Fecha"
    assert sum(float(r[4]) for r in rows[1:]) == 350
    response = client.get(DATA, {**OCTOBER, "ambito": "post", "formato": "csv"})
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert len(list(csv.reader(io.StringIO(text)))) == 4


def grow(w: World, days: int, posts: int, start: datetime.date) -> None:
    rows = []
    now = timezone.now()
    for channel, metrics in (
        (w.fb, ["page_follows", "page_total_media_view_unique", "page_media_view"]),
        (w.ig, ["followers_count", "reach", "views", "total_interactions"]),
    ):
        for i in range(days):
            for m in metrics:
                rows.append(
                    MetricValue(
                        organization=w.org,
                        channel=channel,
                        metric=m,
                        date=start + datetime.timedelta(days=i),
                        value=100 + i,
                        captured_at=now,
                        source=MetricSource.DEMO,
                    )
                )
    MetricValue.objects.bulk_create(rows, ignore_conflicts=True)
    for i in range(posts):
        p = post(
            w,
            w.x,
            f"grow{start}{i}",
            datetime.datetime.combine(
                start + datetime.timedelta(days=i % days), datetime.time(12), BOGOTA
            ),
        )
        for d in (1, 7):
            value(w, w.x, "like_count", start + datetime.timedelta(days=d), i + d, p)
    FillState.objects.create(
        organization=w.org, channel=w.fb, stream=f"s{start}", last_error="Token vencido"
    )


def count(client: Client, url: str, **params: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"periodo": "12m"},
        OCTOBER,
        {**OCTOBER, "red": "facebook", "campana": ""},
    ],
)
def test_constant_queries(fig: World, params: dict[str, str]) -> None:
    client = fig.client(fig.writer)
    urls = [
        (URL, params),
        (DATA, {**params, "ambito": "account", "concepto": "reach"}),
        (DATA, {**params, "ambito": "account", "concepto": "followers"}),
        (DATA, {**params, "ambito": "post"}),
    ]
    get(client)  # warm the session and caches
    before = [count(client, url, **p) for url, p in urls]
    grow(fig, 60, 30, D(2026, 9, 15))
    grow(fig, 30, 40, D(2026, 10, 20))
    after = [count(client, url, **p) for url, p in urls]
    assert before == after
    assert max(after) <= 25


def test_permission_and_isolation(fig: World, other_world: World) -> None:
    assert fig.client(fig.liaison).get(URL).status_code == 403
    assert fig.client(fig.liaison).get(DATA).status_code == 403
    assert fig.client(fig.director).get(URL, OCTOBER).status_code == 200
    # Another organization sees none of these figures, and nothing links to them.
    response = get(other_world.client(other_world.writer), **OCTOBER)
    assert response.context["kpis"]["reach"] is None
    assert response.context["posts_kpis"]["count"] == 0
    response = get(
        other_world.client(other_world.writer),
        DATA,
        **OCTOBER,
        ambito="account",
        concepto="reach",
    )
    assert response.context["page"].paginator.count == 0


def test_navigation_link(fig: World) -> None:
    html = get(fig.client(fig.writer), reverse("core:my_work")).content.decode()
    assert 'href="/estadisticas/"' in html
    html = fig.client(fig.liaison).get(reverse("core:my_work")).content.decode()
    assert 'href="/estadisticas/"' not in html


# ---------------------------------------------------------------- API


def api(w: World, user: Any) -> tuple[Client, dict[str, str]]:
    from django.db import transaction

    with transaction.atomic():
        _token, secret = create_api_token(
            user,
            name="prueba",
            expires_at=timezone.now() + datetime.timedelta(days=1),
        )
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_api_summary(fig: World) -> None:
    client, headers = api(fig, fig.writer)
    response = client.get(
        "/api/v1/metrics/summary",
        {"start": "2026-10-01", "end": "2026-10-31"},
        **headers,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == {
        "start": "2026-10-01",
        "end": "2026-10-31",
        "period": "rango",
        "bucket": "day",
    }
    assert body["kpis"]["followers_net"] == 50
    assert body["kpis"]["engagement_rate"] == 14.29
    assert body["posts"]["interactions"] == 16
    assert body["top_posts"][0]["interactions"] == 10
    response = client.get(
        "/api/v1/metrics/summary",
        {"start": "2026-10-01", "end": "2026-10-31", "network": "instagram"},
        **headers,
    )
    assert response.json()["kpis"]["reach"] == 50


def test_api_values_and_posts(fig: World, other_world: World) -> None:
    client, headers = api(fig, fig.writer)
    response = client.get(
        "/api/v1/metrics/values",
        {
            "concept": "reach",
            "scope": "account",
            "start": "2026-10-01",
            "end": "2026-10-31",
        },
        **headers,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 3
    assert sum(v["value"] for v in body["items"]) == 350
    assert {v["concept"] for v in body["items"]} == {"reach"}
    response = client.get(
        "/api/v1/metrics/values",
        {"channel_id": fig.x.pk, "metric": "like_count", "limit": 1},
        **headers,
    )
    body = response.json()
    assert body["count"] == 3 and len(body["items"]) == 1
    # Another organization's channel is unknown here.
    response = client.get(
        "/api/v1/metrics/values", {"channel_id": other_world.fb.pk}, **headers
    )
    assert response.status_code == 422
    response = client.get("/api/v1/metrics/summary", {"campaign_id": 999999}, **headers)
    assert response.status_code == 422
    response = client.get(
        "/api/v1/metrics/posts",
        {"start": "2026-10-01", "end": "2026-10-31", "network": "x"},
        **headers,
    )
    body = response.json()
    assert body["count"] == 1
    assert body["items"][0]["figures"]["reactions"] == 7
    assert body["items"][0]["interactions"] == 10


def test_api_permission_and_isolation(fig: World, other_world: World) -> None:
    client, headers = api(fig, fig.liaison)
    assert client.get("/api/v1/metrics/summary", **headers).status_code == 403
    client, headers = api(other_world, other_world.writer)
    body = client.get(
        "/api/v1/metrics/values", {"start": "2026-01-01"}, **headers
    ).json()
    assert body["count"] == 0
    body = client.get(
        "/api/v1/metrics/posts", {"start": "2026-10-01", "end": "2026-10-31"}, **headers
    ).json()
    assert body["count"] == 0


def test_values_follow_their_post_and_protect_their_channel(fig: World) -> None:
    """The values carry no database constraints (bulk imports); Django's
    ``on_delete`` keeps them consistent: deleting a post deletes its values, and
    a channel with values cannot be deleted."""
    from django.db.models import ProtectedError

    w = fig
    doomed = post(w, w.fb, "doomed", datetime.datetime(2026, 10, 20, 9, tzinfo=BOGOTA))
    value(w, w.fb, "post_reactions_by_type_total", D(2026, 10, 21), 7, post=doomed)
    value(w, w.fb, "post_reactions_by_type_total", D(2026, 10, 28), 9, post=doomed)
    assert MetricValue.objects.filter(post=doomed).count() == 2
    doomed_pk = doomed.pk
    doomed.delete()
    assert not MetricValue.objects.filter(post_id=doomed_pk).exists()
    with pytest.raises(ProtectedError):
        w.fb.delete()
    assert MetricValue.objects.filter(channel=w.fb).exists()
