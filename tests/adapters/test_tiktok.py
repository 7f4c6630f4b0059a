"""The TikTok adapter against the sandbox TikTok over real HTTP."""

from __future__ import annotations

import datetime
import random
import urllib.parse
from pathlib import Path

import httpx
import pytest

from pregonero.lib.http import HttpClient
from pregonero.publishing.adapters.base import (
    ChannelCredentials,
    MediaRef,
    OutboundPost,
    pkce_pair,
)
from pregonero.publishing.adapters.errors import (
    AdapterError,
    AuthError,
    ContentRejected,
    RateLimited,
)
from pregonero.publishing.adapters.tiktok import MAX_VIDEO_BYTES, TikTokAdapter
from pregonero.publishing.sandbox_server import Fault, SandboxServer
from pregonero.publishing.sandbox_server.tiktok import NICKNAME, OPEN_ID, USERNAME
from tests.adapters.conftest import media_file

UPLOAD = "/tiktok/video/"
INIT = "/tiktok/v2/post/publish/video/init/"
STATUS = "/tiktok/v2/post/publish/status/fetch/"
CAPTION = "Así quedaron las viviendas de Usme 🏡 #CVP @cvpbogota"


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch, sandbox: SandboxServer) -> None:
    """Chunk rules scaled down 100× so a 600 kB file exercises them."""
    monkeypatch.setattr(TikTokAdapter, "chunk_size", 250_000)
    monkeypatch.setattr(TikTokAdapter, "single_chunk_limit", 300_000)
    monkeypatch.setattr(TikTokAdapter, "poll_interval", 0.01)
    sandbox.state.config["tiktok"] = {
        "min_chunk_size": 100_000,
        "max_chunk_size": 300_000,
        "max_final_chunk_size": 600_000,
    }


def knobs(sandbox: SandboxServer, **values: object) -> None:
    sandbox.state.config["tiktok"].update(values)


_clients: dict[float, HttpClient] = {}


def client(timeout: float) -> HttpClient:
    """One client per timeout for the whole module (building one costs ~0.1 s)."""
    if timeout not in _clients:
        _clients[timeout] = HttpClient(timeout=timeout)
    return _clients[timeout]


def make_adapter(
    sandbox: SandboxServer,
    token: str | None = None,
    *,
    timeout: float = 2.0,
    account_id: str = OPEN_ID,
) -> TikTokAdapter:
    if token is None:
        token, _ = sandbox.state.issue_tokens("tiktok", OPEN_ID, expires_in=86400)
    return TikTokAdapter(
        ChannelCredentials(
            channel_id=2, handle="cvpbogota", account_id=account_id, access_token=token
        ),
        TikTokAdapter.defaults.rebased(f"{sandbox.url}/tiktok").merged(
            {"client_id": "app-1", "client_secret": "s3cret"}
        ),
        http=client(timeout),
    )


def video(
    tmp_path: Path,
    size: int = 50_000,
    seed: int = 1,
    content_type: str = "video/mp4",
    **extra: object,
) -> MediaRef:
    data = b"\x00\x00\x00\x18ftypmp42" + random.Random(seed).randbytes(size - 12)
    return media_file(
        tmp_path,
        f"video{seed}.mp4",
        kind="video",
        content_type=content_type,
        data=data,
        **extra,
    )


def photo(tmp_path: Path, n: int, content_type: str = "image/jpeg") -> MediaRef:
    return media_file(
        tmp_path,
        f"foto{n}.jpg",
        content_type=content_type,
        public_url=f"https://media.pregonero.test/s/{n}.jpg",
    )


def make_post(media: tuple[MediaRef, ...], **extra: object) -> OutboundPost:
    values: dict[str, object] = {
        "text": CAPTION,
        "idempotency_key": "k-1",
        "media": media,
    }
    values.update(extra)
    return OutboundPost(**values)  # type: ignore[arg-type]


def calls(sandbox: SandboxServer, path: str) -> int:
    return sum(1 for r in sandbox.state.requests if r[2] == path)


# ---------------------------------------------------------------- publishing


def test_publishes_a_small_video_in_one_chunk(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    media = video(tmp_path)
    receipt = make_adapter(sandbox).publish(make_post((media,)))

    [stored] = sandbox.state.live_posts("tiktok")
    assert stored["text"] == CAPTION and stored["kind"] == "video"
    assert stored["media"][0]["sha256"] == media.sha256
    assert stored["privacy_level"] == "PUBLIC_TO_EVERYONE"
    assert stored["publish_status"] == "PUBLISH_COMPLETE"
    assert receipt.platform_id == stored["id"]
    assert receipt.permalink == f"{sandbox.url}/tiktok/@{USERNAME}/video/{stored['id']}"
    assert calls(sandbox, UPLOAD) == 1
    assert calls(sandbox, "/tiktok/v2/post/publish/creator_info/query/") == 1
    page = httpx.get(receipt.permalink)
    assert (
        page.status_code == 200
        and "viviendas de Usme" in page.text
        and "Red de práctica" in page.text
    )


def test_publishes_a_larger_video_in_chunks(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    media = video(tmp_path, size=600_000)
    make_adapter(sandbox).publish(make_post((media,)))
    [stored] = sandbox.state.live_posts("tiktok")
    assert stored["media"][0]["sha256"] == media.sha256
    assert calls(sandbox, UPLOAD) == 2  # 250 000 bytes, then the remaining 350 000


def test_chunk_plan_follows_the_media_transfer_rules(sandbox: SandboxServer) -> None:
    adapter = make_adapter(sandbox)
    assert adapter.chunk_plan(300_000) == (300_000, 1)
    assert adapter.chunk_plan(600_000) == (
        250_000,
        2,
    )  # floor: the last chunk takes the rest
    assert adapter.chunk_plan(1_000_000) == (250_000, 4)


def test_publishes_photos_by_url(sandbox: SandboxServer, tmp_path: Path) -> None:
    post = make_post((photo(tmp_path, 1), photo(tmp_path, 2)), title="Entrega en Usme")
    receipt = make_adapter(sandbox).publish(post)
    [stored] = sandbox.state.live_posts("tiktok")
    assert stored["kind"] == "photo" and stored["title"] == "Entrega en Usme"
    assert [m["url"] for m in stored["media"]] == [m.public_url for m in post.media]
    assert receipt.permalink == f"{sandbox.url}/tiktok/@{USERNAME}/photo/{stored['id']}"
    assert httpx.get(receipt.permalink).status_code == 200


def test_photos_from_an_unverified_domain_are_rejected(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    knobs(sandbox, verified_url_prefixes=["https://cdn.cvp.gov.co/"])
    with pytest.raises(ContentRejected) as caught:
        make_adapter(sandbox).publish(make_post((photo(tmp_path, 1),)))
    assert caught.value.code == "url_ownership_unverified"
    assert sandbox.state.live_posts("tiktok") == []


def test_privacy_must_be_among_the_creators_options(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    knobs(sandbox, privacy_level_options=["SELF_ONLY"])
    with pytest.raises(ContentRejected) as caught:
        make_adapter(sandbox).publish(make_post((video(tmp_path),)))
    assert caught.value.code == "privacy_level" and "SELF_ONLY" in caught.value.message
    assert calls(sandbox, INIT) == 0

    receipt = make_adapter(sandbox).publish(
        make_post((video(tmp_path),), options={"privacy_level": "SELF_ONLY"})
    )
    [stored] = sandbox.state.live_posts("tiktok")
    # A private post has no public id: the receipt keeps the publish_id.
    assert receipt.platform_id == stored["publish_id"]
    assert receipt.permalink == f"{sandbox.url}/tiktok/@{USERNAME}"


def test_creator_settings_are_honoured(sandbox: SandboxServer, tmp_path: Path) -> None:
    knobs(sandbox, comment_disabled=True, max_video_post_duration_sec=60)
    with pytest.raises(ContentRejected) as caught:
        make_adapter(sandbox).publish(make_post((video(tmp_path, duration=61.0),)))
    assert caught.value.code == "duration" and "60" in caught.value.message
    make_adapter(sandbox).publish(make_post((video(tmp_path, duration=60.0),)))
    [stored] = sandbox.state.live_posts("tiktok")
    assert stored["disable_comment"] is True


# ---------------------------------------------------------------- outcomes unknown


def test_timeout_on_the_last_chunk_confirmed_by_status(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.inject(
        Fault(
            kind="timeout_after_commit", network="tiktok", path=UPLOAD, hang_seconds=1
        )
    )
    receipt = make_adapter(sandbox, timeout=0.5).publish(make_post((video(tmp_path),)))
    [stored] = sandbox.state.live_posts("tiktok")
    assert receipt.platform_id == stored["id"]


def test_timeout_on_the_last_chunk_unconfirmed_is_unknown(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    since = datetime.datetime.now(datetime.UTC)
    adapter = make_adapter(sandbox, timeout=0.5)
    post = make_post((video(tmp_path),))
    sandbox.state.inject(
        Fault(
            kind="timeout_after_commit", network="tiktok", path=UPLOAD, hang_seconds=1
        )
    )
    sandbox.state.inject(
        Fault(kind="status", network="tiktok", path=STATUS, status=503, count=0)
    )
    with pytest.raises(AdapterError) as caught:
        adapter.publish(post)
    assert caught.value.outcome_unknown and not caught.value.permanent
    assert len(sandbox.state.live_posts("tiktok")) == 1  # TikTok has it
    # TikTok offers no list of the account's posts: a person reconciles.
    assert TikTokAdapter.supports_recent_posts is False
    with pytest.raises(NotImplementedError):
        adapter.find_post(post, since)


def test_status_errors_after_the_upload_are_unknown(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.inject(
        Fault(kind="status", network="tiktok", path=STATUS, status=500)
    )
    with pytest.raises(AdapterError) as caught:
        make_adapter(sandbox).publish(make_post((video(tmp_path),)))
    assert caught.value.outcome_unknown and "v_pub_file" in caught.value.message


def test_processing_that_never_ends_is_unknown(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TikTokAdapter, "status_polls", 3)
    knobs(sandbox, processing_polls=100)
    with pytest.raises(AdapterError) as caught:
        make_adapter(sandbox).publish(make_post((video(tmp_path),)))
    assert caught.value.outcome_unknown and caught.value.code == "processing"
    assert calls(sandbox, STATUS) == 3


# ---------------------------------------------------------------- errors


def test_expired_token(sandbox: SandboxServer, tmp_path: Path) -> None:
    adapter = make_adapter(sandbox)
    sandbox.state.expire_tokens("tiktok")
    with pytest.raises(AuthError) as caught:
        adapter.publish(make_post((video(tmp_path),)))
    assert caught.value.revoked is False and caught.value.code == "access_token_invalid"


def test_revoked_grant_shows_on_refresh(sandbox: SandboxServer, tmp_path: Path) -> None:
    token, refresh = sandbox.state.issue_tokens("tiktok", OPEN_ID)
    sandbox.state.revoke("tiktok")
    with pytest.raises(AuthError) as first:
        make_adapter(sandbox, token).publish(make_post((video(tmp_path),)))
    assert first.value.revoked is False
    with pytest.raises(AuthError) as second:
        make_adapter(sandbox, token).refresh(refresh or "")
    assert second.value.revoked is True


def test_missing_publish_scope_needs_reconnecting(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    token, _ = sandbox.state.issue_tokens(
        "tiktok", OPEN_ID, scopes=("user.info.basic",)
    )
    with pytest.raises(AuthError) as caught:
        make_adapter(sandbox, token).publish(make_post((video(tmp_path),)))
    assert caught.value.revoked is True and caught.value.code == "scope_not_authorized"


def test_rate_limited(sandbox: SandboxServer, tmp_path: Path) -> None:
    sandbox.state.inject(
        Fault(kind="status", network="tiktok", path=INIT, status=429, retry_after=7)
    )
    with pytest.raises(RateLimited) as caught:
        make_adapter(sandbox).publish(make_post((video(tmp_path),)))
    assert caught.value.retry_after == 7
    # Without a Retry-After header: TikTok's windows are a minute long.
    sandbox.state.inject(Fault(kind="status", network="tiktok", path=INIT, status=429))
    with pytest.raises(RateLimited) as again:
        make_adapter(sandbox).publish(make_post((video(tmp_path),)))
    assert again.value.retry_after == 60


def test_daily_post_cap(sandbox: SandboxServer, tmp_path: Path) -> None:
    knobs(sandbox, daily_post_cap=0)
    with pytest.raises(RateLimited) as caught:
        make_adapter(sandbox).publish(make_post((video(tmp_path),)))
    assert caught.value.retry_after == 24 * 3600


def test_server_error_is_transient(sandbox: SandboxServer, tmp_path: Path) -> None:
    sandbox.state.inject(Fault(kind="status", network="tiktok", path=INIT, status=500))
    with pytest.raises(AdapterError) as caught:
        make_adapter(sandbox).publish(make_post((video(tmp_path),)))
    assert not caught.value.permanent and not caught.value.outcome_unknown
    assert caught.value.code == "internal"


def test_failed_processing_is_rejected(sandbox: SandboxServer, tmp_path: Path) -> None:
    knobs(sandbox, publish_result="FAILED:file_format_check_failed")
    with pytest.raises(ContentRejected) as caught:
        make_adapter(sandbox).publish(make_post((video(tmp_path),)))
    assert (
        caught.value.code == "file_format_check_failed"
        and "formato" in caught.value.message
    )
    assert sandbox.state.live_posts("tiktok") == []


def test_failed_internally_is_retried(sandbox: SandboxServer, tmp_path: Path) -> None:
    knobs(sandbox, publish_result="FAILED:internal")
    with pytest.raises(AdapterError) as caught:
        make_adapter(sandbox).publish(make_post((video(tmp_path),)))
    assert not caught.value.permanent and not caught.value.outcome_unknown


def test_server_refuses_an_overlong_caption(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    with pytest.raises(ContentRejected) as caught:
        make_adapter(sandbox).publish(make_post((video(tmp_path),), text="😀" * 1101))
    assert caught.value.code == "invalid_param"


def test_delete_is_not_offered(sandbox: SandboxServer) -> None:
    assert TikTokAdapter.supports_delete is False
    with pytest.raises(NotImplementedError):
        make_adapter(sandbox).delete("7300000000001000001")


# ---------------------------------------------------------------- OAuth


def connect(sandbox: SandboxServer, adapter: TikTokAdapter, challenge: str) -> str:
    url = adapter.authorization_url(
        state="st-9", redirect_uri="https://pregonero.test/cb", code_challenge=challenge
    )
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert url.startswith(f"{sandbox.url}/tiktok/v2/auth/authorize/?")
    assert query["client_key"] == ["app-1"] and "client_id" not in query
    assert query["scope"] == [
        "user.info.basic,user.info.stats,video.list,video.publish"
    ]
    response = httpx.get(url + "&approve=1")
    assert response.status_code == 302
    params = urllib.parse.parse_qs(
        urllib.parse.urlsplit(response.headers["location"]).query
    )
    assert params["state"] == ["st-9"]
    return params["code"][0]


def test_oauth_flow_with_pkce(sandbox: SandboxServer) -> None:
    adapter = make_adapter(sandbox, token="", account_id="")
    verifier, challenge = pkce_pair()
    tokens = adapter.exchange_code(
        code=connect(sandbox, adapter, challenge),
        redirect_uri="https://pregonero.test/cb",
        code_verifier=verifier,
    )
    assert tokens.account_id == OPEN_ID and tokens.handle == USERNAME
    assert tokens.extra["name"] == NICKNAME
    assert tokens.scopes == (
        "user.info.basic",
        "user.info.stats",
        "video.list",
        "video.publish",
    )
    assert tokens.refresh_token and tokens.expires_at and tokens.refresh_expires_at
    now = datetime.datetime.now(datetime.UTC)
    assert 86000 < (tokens.expires_at - now).total_seconds() <= 86400
    assert (tokens.refresh_expires_at - now).days >= 364


def test_pkce_mismatch_is_refused(sandbox: SandboxServer) -> None:
    adapter = make_adapter(sandbox, token="", account_id="")
    _, challenge = pkce_pair()
    code = connect(sandbox, adapter, challenge)
    with pytest.raises(AuthError) as caught:
        adapter.exchange_code(
            code=code, redirect_uri="https://pregonero.test/cb", code_verifier="wrong"
        )
    assert caught.value.code == "invalid_grant"


def test_connecting_another_account_is_refused(sandbox: SandboxServer) -> None:
    adapter = make_adapter(sandbox, token="", account_id="someone-else")
    verifier, challenge = pkce_pair()
    code = connect(sandbox, adapter, challenge)
    with pytest.raises(ContentRejected):
        adapter.exchange_code(
            code=code, redirect_uri="https://pregonero.test/cb", code_verifier=verifier
        )


def test_refresh_rotates_the_refresh_token(sandbox: SandboxServer) -> None:
    _, refresh = sandbox.state.issue_tokens("tiktok", OPEN_ID)
    assert refresh is not None
    tokens = make_adapter(sandbox).refresh(refresh)
    assert tokens.account_id == OPEN_ID
    assert tokens.refresh_token and tokens.refresh_token != refresh
    assert make_adapter(sandbox, tokens.access_token).account().account_id == OPEN_ID
    with pytest.raises(AuthError) as caught:  # the old one was replaced
        make_adapter(sandbox).refresh(refresh)
    assert caught.value.revoked is True


def test_refresh_during_an_outage_is_transient(sandbox: SandboxServer) -> None:
    _, refresh = sandbox.state.issue_tokens("tiktok", OPEN_ID)
    sandbox.state.inject(
        Fault(
            kind="status", network="tiktok", path="/tiktok/v2/oauth/token/", status=503
        )
    )
    with pytest.raises(AdapterError) as caught:
        make_adapter(sandbox).refresh(refresh or "")
    assert not caught.value.permanent and not isinstance(caught.value, AuthError)


def test_account(sandbox: SandboxServer) -> None:
    info = make_adapter(sandbox).account()
    assert (info.account_id, info.handle, info.name) == (OPEN_ID, USERNAME, NICKNAME)
    assert info.url == f"{sandbox.url}/tiktok/@{USERNAME}"


# ---------------------------------------------------------------- validation


def issues_for(post: OutboundPost) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for issue in TikTokAdapter(
        ChannelCredentials(channel_id=2), http=client(2.0)
    ).validate(post):
        found.setdefault(issue.field, []).append(issue.message)
    return found


def test_caption_counts_utf16_units(tmp_path: Path) -> None:
    media = (video(tmp_path),)
    assert issues_for(make_post(media, text="a" * 2200)) == {}
    assert issues_for(make_post(media, text="😀" * 1100)) == {}  # 2 units each
    over = issues_for(make_post(media, text="😀" * 1100 + "a"))
    assert "2201" in over["text"][0] and "2200" in over["text"][0]
    assert "text" in issues_for(
        make_post(media, text="e\u0301" * 1101)
    )  # combining accent: 2 units
    url = "https://www.cajaviviendapopular.gov.co/?q=" + "x" * 2158
    assert (
        issues_for(make_post(media, text=url)) == {}
    )  # a URL counts as written (2200 units)


def test_video_rules(tmp_path: Path) -> None:
    assert "media" in issues_for(make_post(()))
    assert "media" in issues_for(make_post((video(tmp_path), video(tmp_path, seed=2))))
    mixed = issues_for(make_post((video(tmp_path), photo(tmp_path, 1))))
    assert "media[1]" in mixed and "no ambos" in mixed["media[1]"][0]
    assert issues_for(make_post((video(tmp_path, duration=600.0),))) == {}
    assert (
        "600"
        in issues_for(make_post((video(tmp_path, duration=601.0),)))["media[0]"][0]
    )
    assert "media[0]" in issues_for(
        make_post((video(tmp_path, content_type="video/x-msvideo"),))
    )
    huge = MediaRef(
        path="/nope.mp4",
        kind="video",
        content_type="video/mp4",
        sha256="",
        size=MAX_VIDEO_BYTES + 1,
    )
    assert "media[0]" in issues_for(make_post((huge,)))
    assert "privacy_level" in issues_for(
        make_post((video(tmp_path),), options={"privacy_level": "PUBLIC"})
    )


def test_photo_rules(tmp_path: Path) -> None:
    photos = tuple(photo(tmp_path, n) for n in range(35))
    assert issues_for(make_post(photos, title="t" * 90, text="d" * 4000)) == {}
    over = issues_for(
        make_post((*photos, photo(tmp_path, 35)), title="t" * 91, text="d" * 4001)
    )
    assert set(over) == {"media", "title", "text"}
    assert (
        "35" in over["media"][0]
        and "90" in over["title"][0]
        and "4000" in over["text"][0]
    )
    png = issues_for(make_post((photo(tmp_path, 1, content_type="image/png"),)))
    assert "JPEG" in png["media[0]"][0]
