"""The collection engine against the practice networks over real HTTP:
checkpoints, idempotent re-runs, resuming after a failure, one channel failing
while the others succeed, the per-channel claim, the scheduler hook, the
"Recolectar ahora" button and the shell command."""

from __future__ import annotations

import datetime
import io
import zoneinfo
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from pregonero.analytics import collect
from pregonero.analytics.collect import ACCOUNT, POSTS, collect_channel, collect_due
from pregonero.analytics.models import FillState, MetricSource, MetricValue, NetworkPost
from pregonero.audit.models import AuditEvent
from pregonero.core.management.commands.scheduler import upkeep
from pregonero.core.models import Channel, NetworkKind
from pregonero.publishing import channels
from pregonero.publishing.adapters.base import TokenSet
from pregonero.publishing.models import Publication, PublicationStatus
from pregonero.publishing.sandbox_server import Fault, SandboxServer, figures
from pregonero.publishing.sandbox_server.meta import PAGE_ID
from pregonero.publishing.sandbox_server.x import DEFAULT_USER_ID as X_USER
from tests.conftest import World, make_piece

BOGOTA = zoneinfo.ZoneInfo("America/Bogota")
INSIGHTS = f"/facebook/v26.0/{PAGE_ID}/insights"
PAGE_METRICS = 6  # facebook.PAGE_METRICS


def at(hour: int, minute: int = 0) -> datetime.datetime:
    """Today at this hour in Bogotá (aware)."""
    today = timezone.localdate()
    return datetime.datetime.combine(today, datetime.time(hour, minute), BOGOTA)


def connect(world: World, sandbox: SandboxServer, kind: str, account: str) -> Channel:
    channel = Channel.objects.create(
        organization=world.org, kind=kind, name=f"{kind} CVP", handle="CVPBogota"
    )
    network = (
        "facebook" if kind in (NetworkKind.FACEBOOK, NetworkKind.INSTAGRAM) else kind
    )
    token, _ = sandbox.state.issue_tokens(
        network, account, expires_in=None, with_refresh=False
    )
    channels.store_connection(
        world.writer,
        channel,
        TokenSet(token, None, account_id=account, handle="CVPBogota"),
    )
    return channel


@pytest.fixture
def training(settings: Any, sandbox: SandboxServer) -> SandboxServer:
    settings.PREGONERO_SANDBOX_URL = sandbox.url
    settings.PREGONERO_METRICS_BACKFILL_DAYS = 10
    return sandbox


@pytest.fixture
def fb(world: World, training: SandboxServer) -> Channel:
    return connect(world, training, NetworkKind.FACEBOOK, PAGE_ID)


def fb_post(sandbox: SandboxServer, text: str, number: int) -> dict[str, Any]:
    post_id = f"{PAGE_ID}_{number}"
    return sandbox.state.add_post(
        "facebook",
        PAGE_ID,
        text,
        id=post_id,
        kind="status",
        permalink=f"{sandbox.url}/facebook/web/{post_id}",
    )


def account_values(channel: Channel) -> dict[tuple[str, datetime.date], float]:
    return {
        (v.metric, v.date): v.value
        for v in MetricValue.objects.filter(channel=channel, post__isnull=True)
    }


def state(channel: Channel, stream: str) -> FillState:
    return FillState.objects.get(channel=channel, stream=stream)


# ---------------------------------------------------------------- first run


def test_first_run_backfills_the_days_and_links_posts(
    world: World, training: SandboxServer, fb: Channel
) -> None:
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    post = fb_post(training, "Inscripciones abiertas", 77)
    publication = Publication.objects.create(
        organization=world.org,
        piece=make_piece(world, channels=[fb]),
        channel=fb,
        status=PublicationStatus.PUBLISHED,
        seal_hash="0" * 64,
        platform_id=post["id"],
        published_at=timezone.now(),
        created_by=world.writer,
    )

    result = collect_channel(fb, now=at(7))

    assert result.ok, result.errors
    values = account_values(fb)
    assert len(values) == 10 * PAGE_METRICS
    first = today - datetime.timedelta(days=10)
    assert min(day for _m, day in values) == first
    assert max(day for _m, day in values) == yesterday
    # Exactly the practice network's figures, under Facebook's own names.
    assert values[("page_follows", yesterday)] == figures.followers(
        "facebook", PAGE_ID, yesterday
    )
    assert ("page_impressions", yesterday) not in values
    assert state(fb, ACCOUNT).filled_through == yesterday
    assert state(fb, ACCOUNT).last_success_at is not None
    assert state(fb, ACCOUNT).claimed_until is None

    network_post = NetworkPost.objects.get(channel=fb, platform_id=post["id"])
    assert network_post.publication_id == publication.pk
    assert network_post.text == "Inscripciones abiertas"
    metrics = {
        v.metric: v.value
        for v in MetricValue.objects.filter(post=network_post, date=today)
    }
    assert set(metrics) >= {
        "post_media_view",
        "post_total_media_view_unique",
        "post_reactions_by_type_total",
        "comments",
        "shares",
    }
    assert all(v.source == MetricSource.API for v in MetricValue.objects.all())
    assert state(fb, POSTS).filled_through == today


def test_rerunning_a_day_replaces_its_values(
    world: World, training: SandboxServer, fb: Channel
) -> None:
    fb_post(training, "Hola", 5)
    collect_channel(fb, now=at(7))
    count = MetricValue.objects.count()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    tampered = MetricValue.objects.get(
        channel=fb, post__isnull=True, metric="page_follows", date=yesterday
    )
    MetricValue.objects.filter(pk=tampered.pk).update(value=-1)

    again = collect_channel(fb, now=at(9))
    # And once more with a repair range over days already stored.
    repair = collect_channel(
        fb, now=at(10), since=timezone.localdate() - datetime.timedelta(days=5)
    )

    assert again.ok and repair.ok
    assert MetricValue.objects.count() == count
    restored = MetricValue.objects.get(
        channel=fb, post__isnull=True, metric="page_follows", date=yesterday
    )
    assert restored.value == figures.followers("facebook", PAGE_ID, yesterday)
    assert NetworkPost.objects.filter(channel=fb).count() == 1


# ---------------------------------------------------------------- failures


def test_a_failure_mid_way_keeps_the_checkpoint_and_resumes(
    world: World, training: SandboxServer, fb: Channel, settings: Any
) -> None:
    settings.PREGONERO_METRICS_BACKFILL_DAYS = 100  # two 90-day windows
    today = timezone.localdate()
    # The first insights request goes through; the second fails.
    training.state.inject(Fault(kind="latency", path=INSIGHTS, latency_ms=0))
    training.state.inject(Fault(kind="status", path=INSIGHTS, status=500))

    failed = collect_channel(fb, now=at(7))

    first_window_end = (
        today - datetime.timedelta(days=100) + datetime.timedelta(days=89)
    )
    account = state(fb, ACCOUNT)
    assert ACCOUNT in failed.errors
    assert account.filled_through == first_window_end
    assert account.failures == 1
    assert "No se pudieron recolectar" in account.last_error
    assert "Facebook" in account.last_error  # the network's own words
    assert max(day for _m, day in account_values(fb)) == first_window_end
    # The posts stream ran all the same.
    assert state(fb, POSTS).last_success_at is not None

    resumed = collect_channel(fb, now=at(8, 30))

    assert resumed.ok
    account.refresh_from_db()
    assert account.filled_through == today - datetime.timedelta(days=1)
    assert account.failures == 0 and account.last_error == ""
    assert len(account_values(fb)) == 100 * PAGE_METRICS


def test_one_channel_failing_does_not_stop_the_others(
    world: World, training: SandboxServer, fb: Channel
) -> None:
    x = connect(world, training, NetworkKind.X, X_USER)
    training.state.revoke("x")

    with time_machine.travel(at(7)):  # the workers' clock too
        queued = collect_due()

    assert queued == 2
    assert state(fb, ACCOUNT).filled_through is not None
    assert state(fb, ACCOUNT).last_error == ""
    x_state = state(x, ACCOUNT)
    assert x_state.failures == 1
    assert "X rechazó el token" in x_state.last_error
    assert not MetricValue.objects.filter(channel=x).exists()
    # Not due again within the hour; due again after it.
    assert collect_due(now=at(7, 30)) == 0
    assert [c.pk for c in collect.due_channels(at(8, 5))] == [x.pk]


def test_rate_limit_holds_the_channel_until_retry_after(
    world: World, training: SandboxServer, fb: Channel
) -> None:
    training.state.inject(
        Fault(kind="status", path=INSIGHTS, status=400, code="4", retry_after=120)
    )
    result = collect_channel(fb, now=at(7))

    assert ACCOUNT in result.errors and POSTS not in result.errors
    held = state(fb, ACCOUNT).claimed_until
    assert held is not None and held > at(7)
    assert collect_channel(fb, now=at(7, 1)).claimed is False


def test_a_claimed_channel_is_refused(
    world: World, training: SandboxServer, fb: Channel
) -> None:
    collect._state(fb, ACCOUNT)
    FillState.objects.filter(channel=fb, stream=ACCOUNT).update(
        claimed_until=at(7) + datetime.timedelta(minutes=10)
    )

    refused = collect_channel(fb, now=at(7))
    assert refused.claimed is False
    assert not MetricValue.objects.exists()
    assert fb not in collect.due_channels(at(7))

    later = collect_channel(fb, now=at(7, 11))
    assert later.claimed and later.ok


# ---------------------------------------------------------------- the scheduler


def test_scheduler_hook_is_cheap_and_daily(
    world: World,
    training: SandboxServer,
    fb: Channel,
    django_assert_num_queries: Any,
    django_assert_max_num_queries: Any,
) -> None:
    with django_assert_num_queries(0):
        assert collect_due(now=at(5, 59)) == 0
    with time_machine.travel(at(6, 1)):  # the workers' clock too
        assert collect_due() == 1
    assert state(fb, ACCOUNT).filled_through is not None
    with django_assert_max_num_queries(1):
        assert collect_due(now=at(9)) == 0
    tomorrow = at(6, 30) + datetime.timedelta(days=1)
    assert [c.pk for c in collect.due_channels(tomorrow)] == [fb.pk]
    assert "metrics" in upkeep()


def test_channels_without_metrics_are_never_due(
    world: World, training: SandboxServer
) -> None:
    # The in-app practice feed and manual channels have no API figures.
    assert collect.due_channels(at(7)) == []
    assert collect_due(now=at(7)) == 0


# ---------------------------------------------------------------- the page and the button


def test_channel_page_shows_the_status_and_collects_now(
    world: World,
    training: SandboxServer,
    fb: Channel,
    client: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    url = reverse("publishing:channel_detail", args=[fb.pk])
    client.force_login(world.writer)
    page = client.get(url).content.decode()
    assert "Recolección de estadísticas" in page
    assert "Recolectar ahora" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"collect_metrics": "1"})

    assert response.status_code == 302
    assert AuditEvent.objects.filter(
        action="analytics.collection.requested", organization=world.org
    ).exists()
    assert state(fb, ACCOUNT).last_success_at is not None
    page = client.get(url).content.decode()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    assert f"{yesterday.day} " in page
    assert "Cifras diarias de la cuenta" in page


def test_collect_now_needs_permission_and_shows_errors_in_spanish(
    world: World, training: SandboxServer, fb: Channel, client: Any
) -> None:
    url = reverse("publishing:channel_detail", args=[fb.pk])
    client.force_login(world.auditor)  # reads everything, changes nothing
    assert "Recolectar ahora" not in client.get(url).content.decode()
    assert client.post(url, {"collect_metrics": "1"}).status_code == 403
    assert not AuditEvent.objects.filter(
        action="analytics.collection.requested"
    ).exists()

    training.state.revoke("facebook")
    collect_channel(fb, now=at(7))
    page = client.get(url).content.decode()
    assert "No se pudieron recolectar las estadísticas" in page


def test_other_organizations_channel_is_not_found(
    world: World, other_world: World, training: SandboxServer, fb: Channel, client: Any
) -> None:
    client.force_login(other_world.writer)
    url = reverse("publishing:channel_detail", args=[fb.pk])
    assert client.post(url, {"collect_metrics": "1"}).status_code == 404


# ---------------------------------------------------------------- the shell


def test_metrics_collect_command(
    world: World, training: SandboxServer, fb: Channel
) -> None:
    out = io.StringIO()
    call_command("metrics", "collect", "--channel", str(fb.pk), stdout=out)
    assert "valores de la cuenta" in out.getvalue()
    assert state(
        fb, ACCOUNT
    ).filled_through == timezone.localdate() - datetime.timedelta(days=1)

    since = (timezone.localdate() - datetime.timedelta(days=20)).isoformat()
    call_command("metrics", "collect", "--since", since, stdout=io.StringIO())
    days = {day for _m, day in account_values(fb)}
    assert min(days) == datetime.date.fromisoformat(since)


def test_metrics_collect_command_refuses_bad_input(world: World) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Fecha no válida"):
        call_command("metrics", "collect", "--since", "ayer")
    with pytest.raises(CommandError, match="No existe el canal"):
        call_command("metrics", "collect", "--channel", "999999")
