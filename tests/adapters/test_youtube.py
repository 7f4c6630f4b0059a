"""The YouTube adapter against the sandbox Google over real HTTP."""

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
    Duplicate,
    RateLimited,
)
from pregonero.publishing.adapters.youtube import (
    CHUNK_UNIT,
    MAX_VIDEO_BYTES,
    YouTubeAdapter,
    key_tag,
    seconds_until_quota_reset,
)
from pregonero.publishing.sandbox_server import Fault, SandboxServer
from pregonero.publishing.sandbox_server.google import CHANNEL_ID
from tests.adapters.conftest import media_file

UPLOAD = "/google/upload/youtube/v3/videos"
KEY = "3f2a9c1e-7b44-4d2a-9f00-1c2d3e4f5a6b"


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(YouTubeAdapter, "chunk_size", CHUNK_UNIT)
    monkeypatch.setattr(YouTubeAdapter, "poll_interval", 0.01)
    monkeypatch.setattr(YouTubeAdapter, "resume_backoff", 0.01)


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
    account_id: str = CHANNEL_ID,
) -> YouTubeAdapter:
    if token is None:
        token, _ = sandbox.state.issue_tokens("google", CHANNEL_ID)
    return YouTubeAdapter(
        ChannelCredentials(
            channel_id=1, handle="@CVPBogota", account_id=account_id, access_token=token
        ),
        YouTubeAdapter.defaults.rebased(f"{sandbox.url}/google").merged(
            {"client_id": "app-1", "client_secret": "s3cret"}
        ),
        http=client(timeout),
    )


def video(
    tmp_path: Path,
    size: int = 600_000,
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


def make_post(
    media: tuple[MediaRef, ...], *, key: str = KEY, **extra: object
) -> OutboundPost:
    values: dict[str, object] = {
        "text": "Entrega de viviendas en Usme. #CVP",
        "title": "Entregamos 120 viviendas en Usme",
        "idempotency_key": key,
        "media": media,
        "options": {"tags": "vivienda, Bogotá"},
    }
    values.update(extra)
    return OutboundPost(**values)  # type: ignore[arg-type]


def puts(sandbox: SandboxServer) -> list[tuple[str, str, str]]:
    return [r for r in sandbox.state.requests if r[1] == "PUT" and r[2] == UPLOAD]


# ---------------------------------------------------------------- publishing


def test_publishes_a_video_in_256_kib_chunks(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    media = video(tmp_path)
    receipt = make_adapter(sandbox).publish(make_post((media,)))

    [stored] = sandbox.state.live_posts("google")
    assert stored["id"] == receipt.platform_id
    assert stored["account_id"] == CHANNEL_ID
    assert stored["title"] == "Entregamos 120 viviendas en Usme"
    assert stored["text"] == "Entrega de viviendas en Usme. #CVP"
    assert stored["tags"] == ["vivienda", "Bogotá", key_tag(KEY)]
    assert stored["privacy_status"] == "public" and stored["made_for_kids"] is False
    assert stored["media"][0]["sha256"] == media.sha256
    assert stored["upload_status"] == "processed"
    assert len(puts(sandbox)) == 3  # 262144 + 262144 + the rest
    assert receipt.permalink == f"{sandbox.url}/google/watch?v={receipt.platform_id}"
    assert receipt.published_at.tzinfo is not None
    page = httpx.get(receipt.permalink)
    assert page.status_code == 200
    assert "Entregamos 120 viviendas" in page.text and "Red de práctica" in page.text


def test_captions_sidecar_is_inserted(sandbox: SandboxServer, tmp_path: Path) -> None:
    captions = tmp_path / "subtitulos.srt"
    captions.write_text(
        "1\n00:00:00,000 --> 00:00:02,000\nHola, Bogotá\n", encoding="utf-8"
    )
    media = video(tmp_path, size=100_000, captions_path=str(captions))
    receipt = make_adapter(sandbox).publish(make_post((media,)))
    stored = sandbox.state.find_post("google", receipt.platform_id)
    assert stored is not None
    [caption] = stored["captions"]
    assert caption["language"] == "es"
    assert caption["size"] == captions.stat().st_size


def test_failed_captions_do_not_fail_a_published_video(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    captions = tmp_path / "subtitulos.vtt"
    captions.write_text("WEBVTT\n", encoding="utf-8")
    sandbox.state.inject(
        Fault(
            kind="status",
            network="google",
            path="/google/upload/youtube/v3/captions",
            status=500,
        )
    )
    receipt = make_adapter(sandbox).publish(
        make_post((video(tmp_path, size=50_000, captions_path=str(captions)),))
    )
    stored = sandbox.state.find_post("google", receipt.platform_id)
    assert stored is not None and stored["captions"] == []


@pytest.mark.parametrize("kind", ["reset_after", "reset_before", "status"])
def test_interrupted_chunk_resumes_the_same_session(
    sandbox: SandboxServer, tmp_path: Path, kind: str
) -> None:
    media = video(tmp_path)
    # Let the first chunk through, break the second one.
    sandbox.state.inject(
        Fault(kind="latency", network="google", path=UPLOAD, method="PUT")
    )
    sandbox.state.inject(
        Fault(kind=kind, network="google", path=UPLOAD, method="PUT", status=503)
    )
    receipt = make_adapter(sandbox).publish(make_post((media,)))

    [stored] = sandbox.state.live_posts("google")
    assert stored["id"] == receipt.platform_id
    assert stored["media"][0]["sha256"] == media.sha256
    sessions = [
        m
        for m in sandbox.state.media["google"].values()
        if m["kind"] == "upload_session"
    ]
    assert len(sessions) == 1  # resumed, never restarted
    # chunk 1, chunk 2 (broken), the status query, then what the session lacks:
    # chunk 2 again unless the reset came after the server kept it, and chunk 3.
    assert len(puts(sandbox)) == (4 if kind == "reset_after" else 5)


def test_reset_after_the_last_byte_finds_the_video_by_asking(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.inject(
        Fault(kind="reset_after", network="google", path=UPLOAD, method="PUT")
    )
    receipt = make_adapter(sandbox).publish(make_post((video(tmp_path, size=100_000),)))
    [stored] = sandbox.state.live_posts("google")
    assert stored["id"] == receipt.platform_id


def test_expired_session_restarts_once(sandbox: SandboxServer, tmp_path: Path) -> None:
    sandbox.state.inject(
        Fault(
            kind="status",
            network="google",
            path=UPLOAD,
            method="PUT",
            status=404,
            code="notFound",
        )
    )
    receipt = make_adapter(sandbox).publish(make_post((video(tmp_path, size=100_000),)))
    assert [p["id"] for p in sandbox.state.live_posts("google")] == [
        receipt.platform_id
    ]

    sandbox.state.inject(
        Fault(
            kind="status",
            network="google",
            path=UPLOAD,
            method="PUT",
            status=404,
            code="notFound",
            count=2,
        )
    )
    with pytest.raises(AdapterError) as caught:
        make_adapter(sandbox).publish(
            make_post((video(tmp_path, size=100_000, seed=2),), key="other-key")
        )
    assert caught.value.code == "session_expired" and not caught.value.permanent
    assert len(sandbox.state.live_posts("google")) == 1


def test_timeout_on_the_last_chunk_is_unknown_and_find_post_finds_it(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    since = datetime.datetime.now(datetime.UTC)
    adapter = make_adapter(sandbox, timeout=0.5)
    post = make_post((video(tmp_path, size=100_000),))
    sandbox.state.inject(
        Fault(
            kind="timeout_after_commit",
            network="google",
            path=UPLOAD,
            method="PUT",
            hang_seconds=1,
        )
    )
    with pytest.raises(AdapterError) as caught:
        adapter.publish(post)
    assert caught.value.outcome_unknown and not caught.value.permanent

    [stored] = sandbox.state.live_posts("google")
    found = adapter.find_post(post, since)
    assert found is not None and found.platform_id == stored["id"]
    assert found.permalink.endswith(f"/google/watch?v={stored['id']}")
    assert (
        adapter.find_post(make_post(post.media, key="another-publication"), since)
        is None
    )


# ---------------------------------------------------------------- errors


def test_expired_token_is_not_revoked(sandbox: SandboxServer, tmp_path: Path) -> None:
    adapter = make_adapter(sandbox)
    sandbox.state.expire_tokens("google")
    with pytest.raises(AuthError) as caught:
        adapter.publish(make_post((video(tmp_path, size=10_000),)))
    assert caught.value.revoked is False and caught.value.code == "auth_expired"
    assert sandbox.state.live_posts("google") == []


def test_revoked_grant_shows_on_refresh(sandbox: SandboxServer, tmp_path: Path) -> None:
    token, refresh = sandbox.state.issue_tokens("google", CHANNEL_ID)
    adapter = make_adapter(sandbox, token)
    sandbox.state.revoke("google")
    # Google answers a revoked access token like an expired one …
    with pytest.raises(AuthError) as first:
        adapter.publish(make_post((video(tmp_path, size=10_000),)))
    assert first.value.revoked is False
    # … and the refresh that follows tells the truth.
    assert refresh is not None
    with pytest.raises(AuthError) as second:
        adapter.refresh(refresh)
    assert second.value.revoked is True and second.value.code == "invalid_grant"


def test_missing_upload_scope_needs_reconnecting(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    token, _ = sandbox.state.issue_tokens(
        "google",
        CHANNEL_ID,
        scopes=("https://www.googleapis.com/auth/youtube.readonly",),
    )
    with pytest.raises(AuthError) as caught:
        make_adapter(sandbox, token).publish(make_post((video(tmp_path, size=10_000),)))
    assert (
        caught.value.revoked is True and caught.value.code == "insufficientPermissions"
    )


def test_429_carries_retry_after(sandbox: SandboxServer, tmp_path: Path) -> None:
    sandbox.state.inject(
        Fault(
            kind="status",
            network="google",
            path=UPLOAD,
            method="POST",
            status=429,
            retry_after=7,
        )
    )
    with pytest.raises(RateLimited) as caught:
        make_adapter(sandbox).publish(make_post((video(tmp_path, size=10_000),)))
    assert caught.value.retry_after == 7 and not caught.value.permanent


def test_quota_exceeded_waits_until_midnight_pacific(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.inject(
        Fault(
            kind="status",
            network="google",
            path=UPLOAD,
            status=403,
            code="quotaExceeded",
        )
    )
    with pytest.raises(RateLimited) as caught:
        make_adapter(sandbox).publish(make_post((video(tmp_path, size=10_000),)))
    expected = seconds_until_quota_reset()
    assert caught.value.retry_after is not None
    assert abs(caught.value.retry_after - expected) < 60 and 0 < expected <= 25 * 3600


def test_seconds_until_quota_reset_uses_pacific_midnight() -> None:
    # 2026-07-01 06:00 UTC is 23:00 PDT: one hour to go.
    moment = datetime.datetime(2026, 7, 1, 6, 0, tzinfo=datetime.UTC)
    assert seconds_until_quota_reset(moment) == 3600
    # 2026-12-01 09:00 UTC is 01:00 PST: 23 hours to go.
    assert (
        seconds_until_quota_reset(
            datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)
        )
        == 23 * 3600
    )


def test_server_error_is_transient(sandbox: SandboxServer, tmp_path: Path) -> None:
    sandbox.state.inject(
        Fault(kind="status", network="google", path=UPLOAD, method="POST", status=500)
    )
    with pytest.raises(AdapterError) as caught:
        make_adapter(sandbox).publish(make_post((video(tmp_path, size=10_000),)))
    assert not caught.value.permanent and not caught.value.outcome_unknown
    assert caught.value.code == "http_500"


def test_daily_upload_limit_is_rejected(sandbox: SandboxServer, tmp_path: Path) -> None:
    sandbox.state.config["google"] = {"daily_upload_limit": 0}
    with pytest.raises(ContentRejected) as caught:
        make_adapter(sandbox).publish(make_post((video(tmp_path, size=10_000),)))
    assert caught.value.code == "upload_limit" and caught.value.permanent


def test_server_refuses_an_invalid_title(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    with pytest.raises(ContentRejected) as caught:
        make_adapter(sandbox).publish(
            make_post((video(tmp_path, size=10_000),), title="x" * 101)
        )
    assert caught.value.code == "invalidTitle"
    assert sandbox.state.live_posts("google") == []


def test_processing_failure_is_rejected(sandbox: SandboxServer, tmp_path: Path) -> None:
    sandbox.state.config["google"] = {
        "processing_result": "failed:codec",
        "processing_polls": 2,
    }
    with pytest.raises(ContentRejected) as caught:
        make_adapter(sandbox).publish(make_post((video(tmp_path, size=10_000),)))
    assert caught.value.code == "processing_codec"


def test_same_file_twice_is_a_duplicate(sandbox: SandboxServer, tmp_path: Path) -> None:
    media = video(tmp_path, size=10_000)
    make_adapter(sandbox).publish(make_post((media,)))
    with pytest.raises(Duplicate):
        make_adapter(sandbox).publish(make_post((media,), key="second-key"))


def test_video_still_processing_is_published(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.config["google"] = {"processing_polls": 100}
    receipt = make_adapter(sandbox).publish(make_post((video(tmp_path, size=10_000),)))
    stored = sandbox.state.find_post("google", receipt.platform_id)
    assert stored is not None and stored["upload_status"] == "uploaded"


def test_images_are_refused_before_calling(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    with pytest.raises(ContentRejected):
        make_adapter(sandbox).publish(make_post((media_file(tmp_path, "a.png"),)))
    assert sandbox.state.requests == []


# ---------------------------------------------------------------- delete and read back


def test_delete_takes_the_video_down(sandbox: SandboxServer, tmp_path: Path) -> None:
    adapter = make_adapter(sandbox)
    receipt = adapter.publish(make_post((video(tmp_path, size=10_000),)))
    adapter.delete(receipt.platform_id)
    stored = sandbox.state.find_post("google", receipt.platform_id)
    assert stored is not None and stored["deleted"] is True
    adapter.delete(receipt.platform_id)  # already gone: fine
    assert httpx.get(receipt.permalink).status_code == 404


def test_recent_posts_newest_first(sandbox: SandboxServer, tmp_path: Path) -> None:
    adapter = make_adapter(sandbox)
    first = adapter.publish(
        make_post((video(tmp_path, size=10_000, seed=1),), text="Primero")
    )
    second = adapter.publish(
        make_post((video(tmp_path, size=10_000, seed=2),), text="Segundo", key="k2")
    )
    recent = adapter.recent_posts()
    assert [p.platform_id for p in recent] == [second.platform_id, first.platform_id]
    assert [p.text for p in recent] == ["Segundo", "Primero"]
    assert recent[0].permalink == second.permalink and recent[0].created_at is not None
    assert [p.platform_id for p in adapter.recent_posts(limit=1)] == [
        second.platform_id
    ]


# ---------------------------------------------------------------- OAuth


def connect(sandbox: SandboxServer, adapter: YouTubeAdapter, challenge: str) -> str:
    url = adapter.authorization_url(
        state="st-1", redirect_uri="https://pregonero.test/cb", code_challenge=challenge
    )
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert url.startswith(f"{sandbox.url}/google/o/oauth2/v2/auth?")
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    assert query["code_challenge_method"] == ["S256"] and query["client_id"] == [
        "app-1"
    ]
    assert "https://www.googleapis.com/auth/youtube.upload" in query["scope"][0].split()
    response = httpx.get(url + "&approve=1")
    assert response.status_code == 302
    location = urllib.parse.urlsplit(response.headers["location"])
    params = urllib.parse.parse_qs(location.query)
    assert params["state"] == ["st-1"]
    return params["code"][0]


def test_oauth_flow_with_pkce(sandbox: SandboxServer) -> None:
    adapter = make_adapter(sandbox, token="", account_id="")
    verifier, challenge = pkce_pair()
    code = connect(sandbox, adapter, challenge)
    tokens = adapter.exchange_code(
        code=code, redirect_uri="https://pregonero.test/cb", code_verifier=verifier
    )
    assert tokens.account_id == CHANNEL_ID and tokens.handle == "@CVPBogota"
    assert tokens.extra["name"] == "Caja de la Vivienda Popular"
    assert tokens.refresh_token and tokens.expires_at is not None
    left = (tokens.expires_at - datetime.datetime.now(datetime.UTC)).total_seconds()
    assert 3500 < left <= 3600
    assert "https://www.googleapis.com/auth/youtube.upload" in tokens.scopes
    assert sandbox.state.token("google", tokens.access_token) is not None


def test_pkce_mismatch_is_refused(sandbox: SandboxServer) -> None:
    adapter = make_adapter(sandbox, token="", account_id="")
    _, challenge = pkce_pair()
    code = connect(sandbox, adapter, challenge)
    with pytest.raises(AuthError) as caught:
        adapter.exchange_code(
            code=code,
            redirect_uri="https://pregonero.test/cb",
            code_verifier="not-the-verifier",
        )
    assert caught.value.code == "invalid_grant"


def test_connecting_another_channel_is_refused(sandbox: SandboxServer) -> None:
    adapter = make_adapter(sandbox, token="", account_id="UCsomeoneElse00000000000")
    verifier, challenge = pkce_pair()
    code = connect(sandbox, adapter, challenge)
    with pytest.raises(ContentRejected) as caught:
        adapter.exchange_code(
            code=code, redirect_uri="https://pregonero.test/cb", code_verifier=verifier
        )
    assert "UCsomeoneElse00000000000" in caught.value.message


def test_refresh_gives_a_working_token(sandbox: SandboxServer) -> None:
    _, refresh = sandbox.state.issue_tokens("google", CHANNEL_ID)
    assert refresh is not None
    tokens = make_adapter(sandbox).refresh(refresh)
    assert tokens.refresh_token is None  # Google keeps the same refresh token
    assert tokens.expires_at is not None
    info = make_adapter(sandbox, tokens.access_token).account()
    assert info.account_id == CHANNEL_ID


def test_refresh_during_an_outage_is_transient(sandbox: SandboxServer) -> None:
    _, refresh = sandbox.state.issue_tokens("google", CHANNEL_ID)
    sandbox.state.inject(
        Fault(kind="status", network="google", path="/google/token", status=503)
    )
    with pytest.raises(AdapterError) as caught:
        make_adapter(sandbox).refresh(refresh or "")
    assert not caught.value.permanent and not isinstance(caught.value, AuthError)


def test_account(sandbox: SandboxServer) -> None:
    info = make_adapter(sandbox).account()
    assert info.account_id == CHANNEL_ID
    assert info.handle == "@CVPBogota" and info.name == "Caja de la Vivienda Popular"
    assert info.url == f"{sandbox.url}/google/@CVPBogota"


# ---------------------------------------------------------------- validation


def issues_for(post: OutboundPost) -> dict[str, list[str]]:
    adapter = YouTubeAdapter(ChannelCredentials(channel_id=1), http=client(2.0))
    found: dict[str, list[str]] = {}
    for issue in adapter.validate(post):
        found.setdefault(f"{issue.field}:{issue.severity}", []).append(issue.message)
    return found


def test_title_limits(tmp_path: Path) -> None:
    media = (video(tmp_path, size=1000, captions_path="x.srt"),)
    assert issues_for(make_post(media, title="á" * 100)) == {}
    over = issues_for(make_post(media, title="á" * 101))
    assert "101" in over["title:error"][0] and "100" in over["title:error"][0]
    assert "título" in issues_for(make_post(media, title="  "))["title:error"][0]
    assert "title:error" in issues_for(make_post(media, title="Vivienda <nueva>"))


def test_description_is_measured_in_utf8_bytes(tmp_path: Path) -> None:
    media = (video(tmp_path, size=1000, captions_path="x.srt"),)
    assert (
        issues_for(make_post(media, text="á" * 2500)) == {}
    )  # 2 500 characters, 5 000 bytes
    assert issues_for(make_post(media, text="😀" * 1250)) == {}  # 4 bytes each
    over = issues_for(make_post(media, text="á" * 2500 + "a"))
    assert "5001" in over["text:error"][0] and "5000" in over["text:error"][0]
    assert "text:error" in issues_for(make_post(media, text="a > b"))
    # Combining accents are separate code points: "é" written as e + U+0301 takes 3 bytes.
    assert "text:error" in issues_for(make_post(media, text="e\u0301" * 1667))
    many = " ".join(f"#tag{i}" for i in range(61))
    assert "text:warning" in issues_for(make_post(media, text=many))


def test_tags_count_commas_quotes_and_the_key_tag(tmp_path: Path) -> None:
    media = (video(tmp_path, size=1000, captions_path="x.srt"),)
    key_part = len(key_tag(KEY)) + 1  # the key tag and its comma
    fits = "a" * (500 - key_part)
    assert issues_for(make_post(media, options={"tags": fits})) == {}
    assert "tags:error" in issues_for(make_post(media, options={"tags": fits + "a"}))
    # A tag with a space counts its quotes.
    spaced = "a b" + "c" * (500 - key_part - 3)
    assert "tags:error" in issues_for(make_post(media, options={"tags": spaced}))


def test_media_rules(tmp_path: Path) -> None:
    ok = video(tmp_path, size=1000, captions_path="x.srt")
    assert "media:error" in issues_for(make_post(()))
    assert "media:error" in issues_for(
        make_post((ok, video(tmp_path, size=1000, seed=2)))
    )
    mixed = issues_for(make_post((ok, media_file(tmp_path, "foto.png"))))
    assert (
        "media[1]:error" in mixed and "solo publica video" in mixed["media[1]:error"][0]
    )
    assert (
        issues_for(
            make_post(
                (video(tmp_path, size=1000, captions_path="x.srt", duration=43200.0),)
            )
        )
        == {}
    )
    long = issues_for(
        make_post(
            (video(tmp_path, size=1000, captions_path="x.srt", duration=43201.0),)
        )
    )
    assert "43200" in long["media[0]:error"][0]
    huge = MediaRef(
        path="/nope.mp4",
        kind="video",
        content_type="video/mp4",
        sha256="",
        size=MAX_VIDEO_BYTES + 1,
        captions_path="x.srt",
    )
    assert "media[0]:error" in issues_for(make_post((huge,)))
    gif = issues_for(
        make_post(
            (
                video(
                    tmp_path, size=1000, captions_path="x.srt", content_type="image/gif"
                ),
            )
        )
    )
    assert "media[0]:error" in gif


def test_missing_captions_is_a_warning(tmp_path: Path) -> None:
    found = issues_for(make_post((video(tmp_path, size=1000),)))
    assert list(found) == ["media[0].captions:warning"]
    assert "subtítulos" in found["media[0].captions:warning"][0]
