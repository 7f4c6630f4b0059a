"""Activity 14 against the practice networks over real HTTP: connecting channels
in the browser, exactly-once publication under injected faults, reconciliation,
retries, permanent failures, per-channel status, takedown and errata."""

from __future__ import annotations

import datetime
import urllib.parse
from typing import Any

import httpx
import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from pregonero.accounts.models import Notification
from pregonero.audit.models import AuditEvent
from pregonero.content import actions as content
from pregonero.content.workflow import PieceAction
from pregonero.core.errors import ConflictError, TransitionNotAllowed, ValidationFailed
from pregonero.core.models import Channel, NetworkKind
from pregonero.publishing import actions, channels
from pregonero.publishing.adapters.base import TokenSet
from pregonero.publishing.models import (
    ChannelConnection,
    ConnectionStatus,
    Publication,
    PublicationStatus,
)
from pregonero.publishing.sandbox_server import Fault, SandboxServer
from tests.conftest import CHECKS1, CHECKS2, World, add_image, approved_piece, write

pytestmark = pytest.mark.django_db

PAGE_ID = "102030405060708"


@pytest.fixture
def training(sandbox: SandboxServer, settings: Any) -> SandboxServer:
    """Training mode: every network is the practice server."""
    settings.PREGONERO_SANDBOX_URL = sandbox.url
    settings.PREGONERO_TRAINING = True
    settings.PREGONERO_HTTP_TIMEOUT = 3
    return sandbox


def network_channel(world: World, kind: str, name: str = "") -> Channel:
    return Channel.objects.create(
        organization=world.org,
        kind=kind,
        name=name or f"{kind} CVP",
        handle="",
    )


def follow_consent(world: World, response: Any, sandbox: SandboxServer) -> Any:
    """Approve on the network's consent page and come back to Pregonero."""
    assert response.status_code == 302, response.content[:500]
    authorize = response["Location"]
    assert authorize.startswith(sandbox.url)
    consent = httpx.get(f"{authorize}&approve=1", follow_redirects=False)
    assert consent.status_code == 302, consent.text
    back = urllib.parse.urlsplit(consent.headers["location"])
    assert back.path == reverse("publishing:oauth_callback")
    return world.client(world.writer).get(f"{back.path}?{back.query}")


def connect(
    world: World, channel: Channel, sandbox: SandboxServer
) -> ChannelConnection:
    """Connect a channel the way a person does, in the browser."""
    client = world.client(world.writer)
    url = reverse("publishing:channel_detail", args=[channel.pk])
    if channel.kind == NetworkKind.BLUESKY:
        client.post(
            url,
            {
                "password_connect": "",
                "identifier": "cvpbogota.bsky.social",
                "app_password": "abcd-efgh-ijkl-mnop",
            },
        )
    elif channel.kind == NetworkKind.MASTODON:
        registered = client.post(
            url, {"instance": "", "base_url": f"{sandbox.url}/mastodon"}, follow=True
        )
        server = f"{sandbox.url}/mastodon"
        assert f"Continuar en {server}" in registered.content.decode()
        connect_url = reverse("publishing:channel_connect", args=[channel.pk])
        follow_consent(world, client.get(connect_url, {"servidor": server}), sandbox)
    else:
        connect_url = reverse("publishing:channel_connect", args=[channel.pk])
        follow_consent(world, client.get(connect_url), sandbox)
    return ChannelConnection.objects.get(channel=channel)


def publish_due(publication: Publication) -> Publication:
    actions.dispatch_due()
    publication.refresh_from_db()
    return publication


# ---------------------------------------------------------------- connecting


def test_connect_facebook_in_the_browser_and_publish(
    world: World, training: SandboxServer
) -> None:
    fb = network_channel(world, NetworkKind.FACEBOOK)
    connection_ = connect(world, fb, training)
    assert connection_.status == ConnectionStatus.CONNECTED
    assert (
        connection_.account_id == PAGE_ID and connection_.connected_by == world.writer
    )
    assert connection_.expires_at is None  # a Page token does not expire
    assert AuditEvent.objects.filter(action="publishing.channel.connected").count() == 1

    piece = approved_piece(world, channels=[fb])
    publication = actions.schedule_publication(world.writer, piece, fb, timezone.now())
    publication = publish_due(publication)
    assert publication.status == PublicationStatus.PUBLISHED, publication.last_error
    posts = training.state.live_posts("facebook")
    assert len(posts) == 1 and publication.platform_id.endswith(str(posts[0]["id"]))
    assert publication.permalink.startswith(training.url)
    attempt = publication.attempts.get()
    assert attempt.outcome == "published" and "facebook" in attempt.summary
    assert "at-" not in attempt.summary  # no secret in the request summary

    page = world.client(world.writer).get(
        reverse("publishing:publication_detail", args=[publication.pk])
    )
    assert publication.permalink in page.content.decode()


def test_tokens_are_encrypted_at_rest_and_keys_rotate(
    world: World, training: SandboxServer, settings: Any
) -> None:
    from cryptography.fernet import Fernet

    from pregonero.publishing import crypto

    x = network_channel(world, NetworkKind.X)
    stored = connect(world, x, training)
    token, refresh = stored.access_token, stored.refresh_token
    assert token and refresh and training.state.token("x", token) is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token_encrypted, refresh_token_encrypted FROM publishing_channelconnection"
        )
        raw = " ".join(cursor.fetchone())
    assert token not in raw and refresh not in raw and "x-at-" not in raw

    old = settings.PREGONERO_TOKEN_KEYS[0]
    new = Fernet.generate_key().decode()
    settings.PREGONERO_TOKEN_KEYS = [new, old]
    assert channels.rotate_keys() == 1
    settings.PREGONERO_TOKEN_KEYS = [new]
    stored.refresh_from_db()
    assert stored.access_token == token and stored.refresh_token == refresh
    settings.PREGONERO_TOKEN_KEYS = [old]
    with pytest.raises(crypto.TokenKeyError):
        _ = stored.access_token
    assert AuditEvent.objects.filter(action="publishing.channel.keys_rotated").exists()


def test_every_connect_method_and_per_channel_status(
    world: World, training: SandboxServer
) -> None:
    """OAuth (Facebook), OAuth with PKCE (X), instance registration (Mastodon),
    app password (Bluesky), organization page (LinkedIn); one channel left
    unconnected fails alone and the piece shows four of five published."""
    kinds = [
        NetworkKind.FACEBOOK,
        NetworkKind.X,
        NetworkKind.MASTODON,
        NetworkKind.BLUESKY,
        NetworkKind.LINKEDIN,
    ]
    chans = [network_channel(world, k) for k in kinds]
    for channel in chans:
        assert connect(world, channel, training).status == ConnectionStatus.CONNECTED, (
            channel
        )
    linkedin = chans[4]
    piece = approved_piece(world, channels=chans)
    pubs = [
        actions.schedule_publication(world.writer, piece, c, timezone.now())
        for c in chans
    ]
    # The LinkedIn account is disconnected between scheduling and publishing.
    channels.disconnect(
        world.writer, linkedin, reason="Cambio de administrador de la página"
    )
    actions.dispatch_due()
    statuses = {p.channel.kind: Publication.objects.get(pk=p.pk) for p in pubs}
    for kind in kinds[:4]:
        assert statuses[kind].status == PublicationStatus.PUBLISHED, (
            kind,
            statuses[kind].last_error,
        )
        assert statuses[kind].permalink
    failed = statuses[NetworkKind.LINKEDIN]
    assert (
        failed.status == PublicationStatus.FAILED
        and failed.failure_code == "not_connected"
    )
    assert "Conecte el canal" in failed.last_error
    # The Profesional hears about it with a link to the publication.
    message = Notification.objects.get(
        kind="publication.failed", recipient=world.writer
    )
    assert linkedin.name in message.subject
    assert message.link == reverse("publishing:publication_detail", args=[failed.pk])
    html = (
        world.client(world.writer).get(reverse("content:piece_list")).content.decode()
    )
    assert "publicada en 4 de 5" in html and "1 con problema" in html
    # Mastodon remembered Pregonero's app on the instance; Bluesky keeps no password.
    mastodon = ChannelConnection.objects.get(channel=chans[2])
    assert mastodon.base_url == f"{training.url}/mastodon" and mastodon.extra.get(
        "max_characters"
    )
    bluesky = ChannelConnection.objects.get(channel=chans[3])
    assert "abcd-efgh" not in str(bluesky.extra) and bluesky.account_id.startswith(
        "did:"
    )


def test_reconnecting_keeps_the_refresh_token_and_refuses_another_account(
    world: World, db: Any
) -> None:
    channel = network_channel(world, NetworkKind.X)
    channels.store_connection(
        world.writer, channel, TokenSet("a1", "r1", account_id="42", handle="cvp")
    )
    again = channels.store_connection(
        world.writer, channel, TokenSet("a2", None, account_id="42", handle="cvp")
    )
    assert again.access_token == "a2" and again.refresh_token == "r1"
    event = AuditEvent.objects.filter(action="publishing.channel.reconnected").get()
    assert event.data["kept_refresh_token"] is True
    with pytest.raises(ConflictError):
        channels.store_connection(
            world.writer, channel, TokenSet("a3", "r3", account_id="99", handle="otra")
        )


def test_recovery_email_must_be_institutional(world: World) -> None:
    world.org.email_domains = "cajaviviendapopular.gov.co"
    world.org.save()
    client = world.client(world.writer)
    data = {
        "name": "Facebook CVP",
        "kind": "facebook",
        "handle": "CVPBogota",
        "recovery_email": "alguien@gmail.com",
        "active": "on",
    }
    response = client.post(reverse("publishing:channel_create"), data)
    assert response.status_code == 200
    assert (
        "institucional" in response.content.decode()
        and "alguien@gmail.com" in response.content.decode()
    )
    data["recovery_email"] = "redessociales@cajaviviendapopular.gov.co"
    response = client.post(reverse("publishing:channel_create"), data)
    assert response.status_code == 302
    channel = Channel.objects.get(name="Facebook CVP")
    assert AuditEvent.objects.filter(
        action="core.channel.created", target_id=str(channel.pk)
    ).exists()
    # A stale form is refused, not written over someone else's change.
    page = client.get(
        reverse("publishing:channel_edit", args=[channel.pk])
    ).content.decode()
    snapshot = page.split('name="snapshot" value="')[1].split('"')[0]
    Channel.objects.filter(pk=channel.pk).update(handle="OtroUsuario")
    response = client.post(
        reverse("publishing:channel_edit", args=[channel.pk]),
        {**data, "snapshot": snapshot},
    )
    assert response.status_code == 200 and "Otra persona" in response.content.decode()


def test_oauth_state_is_bound_to_the_person(
    world: World, training: SandboxServer
) -> None:
    fb = network_channel(world, NetworkKind.FACEBOOK)
    response = world.client(world.writer).get(
        reverse("publishing:channel_connect", args=[fb.pk])
    )
    consent = httpx.get(f"{response['Location']}&approve=1", follow_redirects=False)
    back = urllib.parse.urlsplit(consent.headers["location"])
    # Someone else's session cannot use the code.
    other = world.client(world.jefe).get(f"{back.path}?{back.query}", follow=True)
    assert "no corresponde" in other.content.decode()
    assert not ChannelConnection.objects.filter(channel=fb).exists()


# ---------------------------------------------------------------- exactly once


@pytest.fixture
def fb_piece(world: World, training: SandboxServer) -> tuple[Channel, Any]:
    fb = network_channel(world, NetworkKind.FACEBOOK)
    connect(world, fb, training)
    return fb, approved_piece(world, channels=[fb])


def test_timeout_after_the_post_was_created_is_reconciled_not_resent(
    world: World, training: SandboxServer, fb_piece: tuple[Channel, Any], settings: Any
) -> None:
    fb, piece = fb_piece
    settings.PREGONERO_HTTP_TIMEOUT = 0.5
    training.state.inject(
        Fault(
            kind="timeout_after_commit",
            network="facebook",
            method="POST",
            hang_seconds=1.5,
        )
    )
    publication = actions.schedule_publication(world.writer, piece, fb, timezone.now())
    publication = publish_due(publication)
    assert publication.status == PublicationStatus.UNCONFIRMED
    assert publication.attempts.get().outcome == "unknown"
    assert len(training.state.live_posts("facebook")) == 1  # it did go out
    # Never retried blindly: dispatching again sends nothing.
    assert actions.dispatch_due() == 0
    assert (
        actions.dispatch_reconciliations() == 1
    )  # the test settings reconcile at once
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.PUBLISHED
    posts = training.state.live_posts("facebook")
    assert len(posts) == 1 and publication.platform_id.endswith(str(posts[0]["id"]))
    assert [a.outcome for a in publication.attempts.order_by("started_at")] == [
        "unknown",
        "found",
    ]
    assert AuditEvent.objects.filter(
        action="publishing.publication.reconciled", data__found=True
    ).exists()


def test_a_duplicate_refusal_after_an_unknown_outcome_never_fails_nor_reposts(
    world: World, training: SandboxServer, settings: Any
) -> None:
    """Reconciliation could not see the post (here: its time on the network is
    outside the window read back), so the publication went back to the queue; the
    network then refuses the same text as a duplicate. That proves the earlier
    attempt published it: the publication is *sin confirmar* again, not failed."""
    x = network_channel(world, NetworkKind.X)
    connect(world, x, training)
    piece = approved_piece(world, channels=[x])
    settings.PREGONERO_HTTP_TIMEOUT = 0.5
    training.state.inject(
        Fault(
            kind="timeout_after_commit",
            network="x",
            path="/x/2/tweets",
            method="POST",
            hang_seconds=1.5,
        )
    )
    publication = publish_due(
        actions.schedule_publication(world.writer, piece, x, timezone.now())
    )
    assert publication.status == PublicationStatus.UNCONFIRMED
    [stored] = training.state.live_posts("x")
    stored["created_at"] -= datetime.timedelta(hours=1)
    actions.dispatch_reconciliations()
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.SCHEDULED
    actions.dispatch_due()
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.UNCONFIRMED
    assert "ya existe" in publication.last_error
    assert len(training.state.live_posts("x")) == 1
    assert [a.outcome for a in publication.attempts.order_by("started_at")] == [
        "unknown",
        "not_found",
        "unknown",
    ]


def test_connection_dropped_before_the_network_acted_is_sent_again(
    world: World, training: SandboxServer, fb_piece: tuple[Channel, Any]
) -> None:
    fb, piece = fb_piece
    training.state.inject(Fault(kind="reset_before", network="facebook", method="POST"))
    publication = publish_due(
        actions.schedule_publication(world.writer, piece, fb, timezone.now())
    )
    assert publication.status == PublicationStatus.UNCONFIRMED
    assert training.state.live_posts("facebook") == []
    actions.dispatch_reconciliations()  # not on the account → back to the queue
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.SCHEDULED
    actions.dispatch_due()
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.PUBLISHED
    assert len(training.state.live_posts("facebook")) == 1
    assert [a.outcome for a in publication.attempts.order_by("started_at")] == [
        "unknown",
        "not_found",
        "published",
    ]


def test_rate_limit_waits_what_the_network_asks(
    world: World, training: SandboxServer, fb_piece: tuple[Channel, Any]
) -> None:
    fb, piece = fb_piece
    training.state.inject(
        Fault(
            kind="status",
            network="facebook",
            method="POST",
            status=429,
            code="4",
            retry_after=120,
        )
    )
    publication = publish_due(
        actions.schedule_publication(world.writer, piece, fb, timezone.now())
    )
    assert publication.status == PublicationStatus.SCHEDULED
    assert publication.attempts.get().outcome == "retry"
    wait = (publication.next_attempt_at - timezone.now()).total_seconds()
    assert (
        60 <= wait <= 7300
    )  # Retry-After or the Business Use Case header, never a blind hammer
    assert actions.dispatch_due() == 0
    with time_machine.travel(
        publication.next_attempt_at + datetime.timedelta(seconds=1)
    ):
        actions.dispatch_due()
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.PUBLISHED
    assert len(training.state.live_posts("facebook")) == 1


def test_server_errors_back_off_with_jitter(
    world: World, training: SandboxServer, fb_piece: tuple[Channel, Any]
) -> None:
    fb, piece = fb_piece
    training.state.inject(
        Fault(kind="status", network="facebook", method="POST", status=500, code="2")
    )
    before = timezone.now()
    publication = publish_due(
        actions.schedule_publication(world.writer, piece, fb, timezone.now())
    )
    assert (
        publication.status == PublicationStatus.SCHEDULED
        and publication.attempt_count == 1
    )
    delay = (publication.next_attempt_at - before).total_seconds()
    assert 15 <= delay <= 31  # first backoff: 30 s with full jitter in its upper half
    assert (
        actions.backoff_seconds(4, None) <= 240
        and actions.backoff_seconds(20, None) <= 3600
    )
    assert actions.backoff_seconds(3, 7.0) == 7.0


def test_revoked_token_fails_at_once_with_an_explanation(
    world: World, training: SandboxServer, fb_piece: tuple[Channel, Any]
) -> None:
    fb, piece = fb_piece
    training.state.revoke("facebook")
    publication = publish_due(
        actions.schedule_publication(world.writer, piece, fb, timezone.now())
    )
    assert publication.status == PublicationStatus.FAILED
    assert publication.attempt_count == 1
    assert "Reconecte el canal" in publication.last_error
    stored = ChannelConnection.objects.get(channel=fb)
    assert (
        stored.status == ConnectionStatus.REVOKED
        and stored.access_token_encrypted == ""
    )
    subjects = list(Notification.objects.values_list("subject", flat=True))
    assert any("Se perdió la conexión" in s for s in subjects)
    assert any("No se pudo publicar" in s for s in subjects)
    assert AuditEvent.objects.filter(action="publishing.channel.revoked").exists()


def test_moved_cancelled_or_unsealed_publications_are_not_sent(
    world: World, training: SandboxServer, fb_piece: tuple[Channel, Any]
) -> None:
    fb, piece = fb_piece
    publication = actions.schedule_publication(
        world.writer, piece, fb, timezone.now() + datetime.timedelta(seconds=30)
    )
    # A task for the old time arrives after the publication was moved later.
    actions.reschedule_publication(
        world.writer, publication, timezone.now() + datetime.timedelta(hours=2)
    )
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=1)):
        assert actions.publish_now(publication.pk).status == "skipped"
    actions.cancel_publication(world.writer, publication, reason="Cambio de agenda")
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=3)):
        assert actions.publish_now(publication.pk).status == "skipped"
    assert training.state.live_posts("facebook") == []
    with pytest.raises(ConflictError):
        again = actions.schedule_publication(world.writer, piece, fb, timezone.now())
        actions.schedule_publication(world.writer, piece, fb, timezone.now())
    assert again.status == PublicationStatus.SCHEDULED


def test_a_worker_lost_mid_call_is_reconciled(
    world: World, training: SandboxServer, fb_piece: tuple[Channel, Any], settings: Any
) -> None:
    fb, piece = fb_piece
    publication = actions.schedule_publication(world.writer, piece, fb, timezone.now())
    # The worker claimed it, the post went out, and the worker died before writing.
    Publication.objects.filter(pk=publication.pk).update(
        status=PublicationStatus.PUBLISHING,
        claimed_at=timezone.now() - datetime.timedelta(minutes=1),
        claimed_by="worker:muerto:1",
        attempt_count=1,
    )
    training.state.add_post(
        "facebook",
        PAGE_ID,
        publication.text,
        id=f"{PAGE_ID}_777",
        permalink="https://facebook.example/777",
    )
    actions.beat("worker:vivo:2", "worker")
    assert actions.reap_lost_claims() == 1
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.UNCONFIRMED
    actions.dispatch_reconciliations()
    publication.refresh_from_db()
    assert (
        publication.status == PublicationStatus.PUBLISHED
        and publication.platform_id.endswith("777")
    )
    assert len(training.state.live_posts("facebook")) == 1
    # A claim held by a live worker is left alone.
    other = approved_piece(world, channels=[fb], title="Otra pieza")
    held = actions.schedule_publication(world.writer, other, fb, timezone.now())
    Publication.objects.filter(pk=held.pk).update(
        status=PublicationStatus.PUBLISHING,
        claimed_at=timezone.now() - datetime.timedelta(minutes=1),
        claimed_by="worker:vivo:2",
    )
    assert actions.reap_lost_claims() == 0


def test_a_network_that_cannot_tell_asks_a_person(
    world: World, training: SandboxServer, settings: Any
) -> None:
    tiktok = network_channel(world, NetworkKind.TIKTOK)
    channels.store_connection(
        world.writer,
        tiktok,
        TokenSet(
            training.state.issue_tokens("tiktok", "cvp-open-id-0001")[0],
            "r",
            account_id="cvp-open-id-0001",
        ),
    )
    piece = approved_piece(world, channels=[tiktok])
    publication = Publication.objects.create(
        organization=world.org, piece=piece, channel=tiktok, seal_hash=piece.seal_hash, created_by=world.writer,
        status=PublicationStatus.UNCONFIRMED, unconfirmed_at=timezone.now(), text="Video",
    )  # fmt: skip
    actions.dispatch_reconciliations()
    publication.refresh_from_db()
    assert (
        publication.needs_review and publication.status == PublicationStatus.UNCONFIRMED
    )
    assert Notification.objects.filter(
        kind="publication.unconfirmed", subject__contains="¿Se publicó"
    ).exists()
    client = world.client(world.writer)
    url = reverse("publishing:publication_detail", args=[publication.pk])
    response = client.post(
        url, {"resolve": "", "resolve-outcome": "published", "resolve-permalink": ""}
    )
    assert "Empieza por https://" in response.content.decode()
    client.post(
        url,
        {
            "resolve": "",
            "resolve-outcome": "published",
            "resolve-permalink": "https://www.tiktok.com/@cvpbogota/video/1",
        },
    )
    publication.refresh_from_db()
    assert (
        publication.status == PublicationStatus.PUBLISHED
        and publication.recorded_by == world.writer
    )


# ---------------------------------------------------------------- takedown and errata


def test_withdraw_deletes_through_the_network_with_a_reason(
    world: World, training: SandboxServer, fb_piece: tuple[Channel, Any]
) -> None:
    fb, piece = fb_piece
    publication = publish_due(
        actions.schedule_publication(world.writer, piece, fb, timezone.now())
    )
    with pytest.raises(ValidationFailed):
        actions.withdraw_publication(world.writer, publication, reason=" ")
    client = world.client(world.writer)
    client.post(
        reverse("publishing:publication_detail", args=[publication.pk]),
        {"withdraw": "", "withdraw-reason": "Dato equivocado en la fecha"},
    )
    publication.refresh_from_db()
    assert (
        publication.status == PublicationStatus.WITHDRAWN
        and publication.withdrawn_by == world.writer
    )
    assert training.state.live_posts("facebook") == []
    event = AuditEvent.objects.get(action="publishing.publication.withdrawn")
    assert (
        event.data["reason"] == "Dato equivocado en la fecha"
        and event.data["through_network"] is True
    )
    assert publication.attempts.filter(kind="delete", outcome="deleted").exists()


def test_an_erratum_passes_both_control_points_and_publishes_again(
    world: World, training: SandboxServer, fb_piece: tuple[Channel, Any]
) -> None:
    fb, piece = fb_piece
    original = publish_due(
        actions.schedule_publication(world.writer, piece, fb, timezone.now())
    )
    assert original.status == PublicationStatus.PUBLISHED
    content.reopen(
        world.writer,
        piece,
        PieceAction.REOPEN_TEXT,
        reason="Fe de erratas: la fecha era el 12",
    )
    piece.refresh_from_db()
    with pytest.raises(TransitionNotAllowed):  # no visto bueno, nothing to publish
        actions.schedule_publication(world.writer, piece, fb, timezone.now())
    write(world, piece, "FE DE ERRATAS: la jornada es el 12 de diciembre.")
    content.submit_text(world.writer, piece)
    content.decide_text(world.jefe, piece, PieceAction.APPROVE_TEXT, checklist=CHECKS1)
    piece.refresh_from_db()
    add_image(world, piece, alt="Afiche corregido.")
    content.submit_design(world.designer, piece)
    content.decide_design(
        world.jefe, piece, PieceAction.APPROVE_DESIGN, checklist=CHECKS2
    )
    piece.refresh_from_db()
    erratum = publish_due(
        actions.schedule_publication(world.writer, piece, fb, timezone.now())
    )
    assert (
        erratum.status == PublicationStatus.PUBLISHED
        and erratum.erratum_of_id == original.pk
    )
    assert erratum.seal_hash != original.seal_hash
    assert len(training.state.live_posts("facebook")) == 2


# ---------------------------------------------------------------- tokens


@pytest.fixture
def x_channel(world: World, training: SandboxServer) -> Channel:
    x = network_channel(world, NetworkKind.X)
    connect(world, x, training)
    return x


def test_tokens_are_refreshed_before_they_expire(
    world: World, training: SandboxServer, x_channel: Channel
) -> None:
    stored = ChannelConnection.objects.get(channel=x_channel)
    old_access, old_refresh = stored.access_token, stored.refresh_token
    assert stored.expires_at is not None
    ChannelConnection.objects.filter(pk=stored.pk).update(
        expires_at=timezone.now() + datetime.timedelta(minutes=2)
    )
    assert (
        channels.dispatch_token_upkeep() >= 1
    )  # the test settings run the task at once
    stored.refresh_from_db()
    assert (
        stored.access_token != old_access and stored.refresh_token != old_refresh
    )  # X rotates
    assert stored.expires_at > timezone.now() + datetime.timedelta(minutes=30)
    assert AuditEvent.objects.filter(
        action="publishing.channel.token_refreshed"
    ).exists()
    # The old refresh token is spent: a second refresh with it would be refused.
    assert training.state.token("x", old_refresh, "refresh") is None


def test_a_passing_refresh_failure_is_not_a_revocation(
    world: World, training: SandboxServer, x_channel: Channel
) -> None:
    stored = ChannelConnection.objects.get(channel=x_channel)
    ChannelConnection.objects.filter(pk=stored.pk).update(expires_at=timezone.now())
    training.state.inject(
        Fault(kind="status", network="x", path="/x/2/oauth2/token", status=503, count=1)
    )
    assert channels.refresh_connection(stored.pk) == "failed"
    stored.refresh_from_db()
    assert (
        stored.status == ConnectionStatus.REFRESH_FAILED
        and stored.refresh_token_encrypted
    )
    assert AuditEvent.objects.filter(
        action="publishing.channel.refresh_failed", data__revoked=False
    ).exists()
    assert channels.refresh_connection(stored.pk) == "refreshed"
    stored.refresh_from_db()
    assert stored.status == ConnectionStatus.CONNECTED
    # A revocation is told apart: the channel is disconnected and people are told.
    ChannelConnection.objects.filter(pk=stored.pk).update(expires_at=timezone.now())
    training.state.revoke("x")
    assert channels.refresh_connection(stored.pk) == "revoked"
    stored.refresh_from_db()
    assert stored.status == ConnectionStatus.REVOKED
    assert Notification.objects.filter(
        kind="channel.revoked", subject__contains="Se perdió la conexión"
    ).exists()


def test_expiry_alert_is_sent_once_days_before(
    world: World, db: Any, settings: Any
) -> None:
    settings.PREGONERO_TOKEN_ALERT_DAYS = 7
    channel = network_channel(world, NetworkKind.LINKEDIN)
    channels.store_connection(
        world.writer,
        channel,
        TokenSet(
            "a", "r", account_id="urn:li:organization:1",
            expires_at=timezone.now() + datetime.timedelta(days=50),
            refresh_expires_at=timezone.now() + datetime.timedelta(days=30),
        ),
    )  # fmt: skip
    assert channels.send_expiry_alerts() == 0
    with time_machine.travel(timezone.now() + datetime.timedelta(days=24)):
        assert channels.send_expiry_alerts() == 1
        assert channels.send_expiry_alerts() == 0
    alert = Notification.objects.get(kind="channel.expiring", recipient=world.writer)
    assert channel.name in alert.subject and "Reconecte" in alert.body


# ---------------------------------------------------------------- pages, API, media links


def test_channel_pages_and_api(world: World, training: SandboxServer) -> None:
    fb = network_channel(world, NetworkKind.FACEBOOK)
    connect(world, fb, training)
    client = world.client(world.writer)
    listing = client.get(reverse("publishing:channel_list")).content.decode()
    assert "CVPBogota" in listing or "Caja de la Vivienda Popular" in listing
    detail = client.post(
        reverse("publishing:channel_detail", args=[fb.pk]), {"test": ""}, follow=True
    )
    assert "La conexión funciona" in detail.content.decode()
    # The auditor reads the inventory but cannot change it.
    assert (
        world.client(world.auditor).get(reverse("publishing:channel_list")).status_code
        == 200
    )
    assert (
        world.client(world.auditor)
        .post(reverse("publishing:channel_detail", args=[fb.pk]), {"test": ""})
        .status_code
        == 403
    )
    # The API: the same inventory, never a token.
    api = world.client(world.writer)
    rows = api.get("/api/v1/channels").json()
    row = next(r for r in rows if r["id"] == fb.pk)
    assert row["connection"]["status"] == "connected" and "token" not in str(
        row
    ).replace("refreshes_itself", "")
    x = network_channel(world, NetworkKind.X)
    started = api.post(
        f"/api/v1/channels/{x.pk}/connect", {}, content_type="application/json"
    ).json()
    assert (
        started["authorization_url"].startswith(training.url)
        and "code_challenge" in started["authorization_url"]
    )
    gone = api.post(
        f"/api/v1/channels/{fb.pk}/disconnect",
        {"reason": "Cambio de administrador"},
        content_type="application/json",
    )
    assert (
        gone.status_code == 200
        and gone.json()["connection"]["status"] == "disconnected"
    )
    assert ChannelConnection.objects.get(channel=fb).access_token_encrypted == ""
    other_org = world.client(world.writer).get("/api/v1/channels/999999")
    assert other_org.status_code in (404, 422)


def test_signed_media_links(world: World, db: Any, settings: Any) -> None:
    from django.test import Client

    from pregonero.publishing.media_links import media_link

    piece = approved_piece(world)
    asset = piece.approved_asset_set.assets.get()
    url = media_link(asset)
    path = urllib.parse.urlsplit(url).path
    anonymous = Client()
    response = anonymous.get(path)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert anonymous.get(path[:-3] + "xx/").status_code == 404
    with time_machine.travel(
        timezone.now()
        + datetime.timedelta(seconds=settings.PREGONERO_MEDIA_LINK_SECONDS + 5)
    ):
        assert anonymous.get(path).status_code == 404


def test_scheduling_on_an_unconnected_channel_is_refused(
    world: World, training: SandboxServer
) -> None:
    fb = network_channel(world, NetworkKind.FACEBOOK)
    piece = approved_piece(world, channels=[fb])
    with pytest.raises(ValidationFailed) as refused:
        actions.schedule_publication(world.writer, piece, fb, timezone.now())
    assert "no está conectado" in refused.value.message
    assert not Publication.objects.filter(channel=fb).exists()


def test_withdraw_and_resolve_through_the_api(
    world: World, training: SandboxServer, fb_piece: tuple[Channel, Any]
) -> None:
    fb, piece = fb_piece
    api = world.client(world.writer)
    created = api.post(
        f"/api/v1/pieces/{piece.pk}/publications",
        {"channel_id": fb.pk},
        content_type="application/json",
    )
    assert created.status_code == 201
    publication = publish_due(Publication.objects.get(pk=created.json()["id"]))
    body = api.get(f"/api/v1/publications/{publication.pk}").json()
    assert body["status"] == "published" and body["attempts"][0]["kind"] == "publish"
    refused = api.post(
        f"/api/v1/publications/{publication.pk}/withdraw",
        {"reason": ""},
        content_type="application/json",
    )
    assert refused.status_code == 422
    gone = api.post(
        f"/api/v1/publications/{publication.pk}/withdraw",
        {"reason": "Se publicó con un dato errado"},
        content_type="application/json",
    )
    assert gone.status_code == 200 and gone.json()["status"] == "withdrawn"
    assert training.state.live_posts("facebook") == []
    wrong_state = api.post(
        f"/api/v1/publications/{publication.pk}/resolve",
        {"published": False},
        content_type="application/json",
    )
    assert wrong_state.status_code == 409


def test_a_post_that_cannot_be_recorded_is_reconciled(
    world: World,
    training: SandboxServer,
    fb_piece: tuple[Channel, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db import DatabaseError

    fb, piece = fb_piece
    original = actions._record_success

    def broken(*args: Any, **kwargs: Any) -> None:
        raise DatabaseError("la base no respondió")

    monkeypatch.setattr(actions, "_record_success", broken)
    monkeypatch.setattr(actions.time, "sleep", lambda seconds: None)
    publication = publish_due(
        actions.schedule_publication(world.writer, piece, fb, timezone.now())
    )
    assert publication.status == PublicationStatus.UNCONFIRMED
    assert len(training.state.live_posts("facebook")) == 1
    monkeypatch.setattr(actions, "_record_success", original)
    actions.dispatch_reconciliations()
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.PUBLISHED
    assert len(training.state.live_posts("facebook")) == 1


def test_a_claim_stuck_in_a_live_worker_is_released_after_the_limit(
    world: World, training: SandboxServer, fb_piece: tuple[Channel, Any], settings: Any
) -> None:
    fb, piece = fb_piece
    publication = actions.schedule_publication(world.writer, piece, fb, timezone.now())
    actions.beat("worker:vivo:9", "worker")
    Publication.objects.filter(pk=publication.pk).update(
        status=PublicationStatus.PUBLISHING,
        claimed_by="worker:vivo:9",
        claimed_at=timezone.now() - datetime.timedelta(hours=7),
    )
    assert actions.reap_lost_claims() == 1
    publication.refresh_from_db()
    assert publication.status == PublicationStatus.UNCONFIRMED
