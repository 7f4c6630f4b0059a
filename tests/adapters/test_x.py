"""The X adapter against the sandbox X, over real HTTP, and X's text weighing."""

from __future__ import annotations

import dataclasses
import datetime
import time
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
from pregonero.publishing.adapters.x import (
    XAdapter,
    comparable_text,
    weighted_length,
    x_retry_after,
)
from pregonero.publishing.sandbox_server import Fault, SandboxServer
from pregonero.publishing.sandbox_server.x import DEFAULT_USER_ID, DEFAULT_USERNAME

from .conftest import media_file

REDIRECT = "http://pregonero.test/canales/x/callback"
URL = "https://www.cajaviviendapopular.gov.co/noticias/plan-terrazas-inscripciones-2026"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
MIB = 1024 * 1024


def token_for(sandbox: SandboxServer, **kw: object) -> str:
    access, _refresh = sandbox.state.issue_tokens("x", DEFAULT_USER_ID, **kw)  # type: ignore[arg-type]
    return access


def adapter_for(
    sandbox: SandboxServer,
    token: str = "",
    *,
    timeout: float = 2.0,
    account_id: str = DEFAULT_USER_ID,
) -> XAdapter:
    adapter = XAdapter(
        ChannelCredentials(
            channel_id=1,
            handle=DEFAULT_USERNAME,
            account_id=account_id,
            access_token=token,
        ),
        XAdapter.defaults.rebased(f"{sandbox.url}/x").merged(
            {"client_id": "app-1", "client_secret": "s3cret"}
        ),
        http=HttpClient(timeout=timeout),
    )
    adapter.poll_interval = 0.01
    return adapter


def post(
    text: str = "Plan Terrazas: inscripciones abiertas.",
    media: tuple[MediaRef, ...] = (),
) -> OutboundPost:
    return OutboundPost(text=text, idempotency_key="k-1", media=media)


def image(tmp_path: Path, name: str = "pieza.png", **kw: object) -> MediaRef:
    kw.setdefault("alt_text", "Familia frente a su casa con terraza nueva")
    return media_file(tmp_path, name, **kw)  # type: ignore[arg-type]


def video(tmp_path: Path, name: str = "video.mp4", **kw: object) -> MediaRef:
    kw.setdefault("content_type", "video/mp4")
    return media_file(tmp_path, name, kind="video", **kw)  # type: ignore[arg-type]


def sized(media: MediaRef, size: int) -> MediaRef:
    return dataclasses.replace(media, size=size)


def fields(issues: list[object]) -> list[str]:
    return [i.field for i in issues if getattr(i, "severity", "error") == "error"]  # type: ignore[attr-defined]


# ---------------------------------------------------------------- publishing


def test_text_post_is_published_with_its_permalink(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    receipt = adapter.publish(post())
    [stored] = sandbox.state.live_posts("x", DEFAULT_USER_ID)
    assert stored["text"] == "Plan Terrazas: inscripciones abiertas."
    assert receipt.platform_id == stored["id"] and len(stored["id"]) == 19
    assert (
        receipt.permalink == f"{sandbox.url}/x/{DEFAULT_USERNAME}/status/{stored['id']}"
    )
    assert receipt.published_at.tzinfo is not None
    page = httpx.get(receipt.permalink)
    assert page.status_code == 200
    assert "Plan Terrazas" in page.text and "Red de práctica de Pregonero" in page.text


def test_images_are_uploaded_with_alt_text(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    media = (
        image(tmp_path, "a.png", alt_text="Primera"),
        image(tmp_path, "b.png", alt_text="Segunda"),
    )
    assert adapter.validate(post(media=media)) == []
    adapter.publish(post(media=media))
    [stored] = sandbox.state.live_posts("x")
    assert [m["alt_text"] for m in stored["media"]] == ["Primera", "Segunda"]
    assert {m["kind"] for m in stored["media"]} == {"tweet_image"}


def test_video_goes_through_chunks_and_status_polling(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.config["x"] = {"processing_polls": 2}
    adapter = adapter_for(sandbox, token_for(sandbox))
    adapter.chunk_size = 1000
    clip = video(tmp_path)
    adapter.publish(post(media=(clip,)))
    [stored] = sandbox.state.live_posts("x")
    assert stored["media"] == [
        {
            "id": stored["media_ids"][0],
            "kind": "tweet_video",
            "alt_text": "",
            "size": clip.size,
        }
    ]
    appends = [p for _n, m, p in sandbox.state.requests if p.endswith("/append")]
    statuses = [
        p
        for _n, m, p in sandbox.state.requests
        if m == "GET" and p == "/x/2/media/upload"
    ]
    assert len(appends) == -(-clip.size // 1000)
    assert len(statuses) == 3  # in_progress, in_progress, succeeded


def test_gif_is_chunked_and_keeps_its_alt_text(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    gif = image(
        tmp_path,
        "animacion.gif",
        content_type="image/gif",
        data=b"GIF89a" + b"\x00" * 300,
        alt_text="Animación",
    )
    adapter.publish(post(media=(gif,)))
    [stored] = sandbox.state.live_posts("x")
    assert (
        stored["media"][0]["kind"] == "tweet_gif"
        and stored["media"][0]["alt_text"] == "Animación"
    )


def test_failed_media_processing_is_rejected(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.config["x"] = {"processing_result": "failed"}
    with pytest.raises(ContentRejected) as caught:
        adapter_for(sandbox, token_for(sandbox)).publish(post(media=(video(tmp_path),)))
    assert (
        caught.value.code == "media_failed"
        and "Unsupported video format" in caught.value.message
    )
    assert sandbox.state.live_posts("x") == []


def test_endless_processing_gives_up_transiently(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.config["x"] = {"processing_polls": 50}
    adapter = adapter_for(sandbox, token_for(sandbox))
    adapter.max_polls = 3
    with pytest.raises(AdapterError) as caught:
        adapter.publish(post(media=(video(tmp_path),)))
    assert caught.value.code == "media_processing"
    assert not caught.value.permanent and not caught.value.outcome_unknown
    assert sandbox.state.live_posts("x") == []


# ---------------------------------------------------------------- errors


def test_expired_token_asks_for_a_refresh(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    sandbox.state.expire_tokens("x")
    with pytest.raises(AuthError) as caught:
        adapter.publish(post())
    assert caught.value.revoked is False and caught.value.code == "expired"


def test_revoked_token_needs_a_person(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    sandbox.state.revoke("x")
    with pytest.raises(AuthError) as caught:
        adapter.publish(post())
    assert caught.value.revoked is True


def test_missing_scope_is_a_permission_error(sandbox: SandboxServer) -> None:
    token = token_for(sandbox, scopes=("tweet.read", "users.read"))
    with pytest.raises(AuthError) as caught:
        adapter_for(sandbox, token).publish(post())
    assert caught.value.revoked is True and caught.value.code == "forbidden"
    assert sandbox.state.live_posts("x") == []


def test_rate_limit_reads_x_rate_limit_reset(sandbox: SandboxServer) -> None:
    sandbox.state.inject(
        Fault(
            kind="status",
            network="x",
            path="/x/2/tweets",
            status=429,
            code="about:blank",
            message="Too Many Requests",
        )
    )
    with pytest.raises(RateLimited) as caught:
        adapter_for(sandbox, token_for(sandbox)).publish(post())
    assert (
        caught.value.retry_after is not None and 890 <= caught.value.retry_after <= 900
    )


def test_the_24_hour_window_wins_when_it_is_exhausted() -> None:
    reset = time.time() + 5000
    response = httpx.Response(
        429,
        headers={
            "x-rate-limit-reset": str(int(time.time() + 60)),
            "x-user-limit-24hour-remaining": "0",
            "x-user-limit-24hour-reset": str(int(reset)),
        },
    )
    assert 4990 <= (x_retry_after(response) or 0) <= 5000


def test_server_error_is_transient(sandbox: SandboxServer) -> None:
    sandbox.state.inject(
        Fault(kind="status", network="x", path="/x/2/tweets", status=503)
    )
    with pytest.raises(AdapterError) as caught:
        adapter_for(sandbox, token_for(sandbox)).publish(post())
    assert not caught.value.permanent and not isinstance(
        caught.value, AuthError | ContentRejected
    )


def test_text_refused_by_x_is_content_rejected(sandbox: SandboxServer) -> None:
    sandbox.state.config["x"] = {"max_weighted_length": 10}
    with pytest.raises(ContentRejected) as caught:
        adapter_for(sandbox, token_for(sandbox)).publish(
            post("Un texto de más de diez caracteres")
        )
    assert "too long" in caught.value.message and caught.value.permanent


def test_duplicate_text_is_reported(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    adapter.publish(post())
    with pytest.raises(Duplicate):
        adapter.publish(post())
    assert len(sandbox.state.live_posts("x")) == 1


def test_timeout_after_creation_is_reconciled(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    text = f"Inscripciones & requisitos: {URL} #PlanTerrazas"
    since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
    sandbox.state.inject(
        Fault(
            kind="timeout_after_commit",
            network="x",
            path="/x/2/tweets",
            method="POST",
            hang_seconds=1,
        )
    )
    adapter = adapter_for(sandbox, token_for(sandbox), timeout=0.5)
    outbound = post(text, media=(image(tmp_path),))
    with pytest.raises(AdapterError) as caught:
        adapter.publish(outbound)
    assert caught.value.outcome_unknown and not caught.value.permanent
    [stored] = sandbox.state.live_posts("x")
    adapter.publish(post("Otra publicación del día"))
    found = adapter.find_post(outbound, since)
    assert found is not None and found.platform_id == stored["id"]
    assert "t.co" in found.text and "&amp;" in found.text  # X's own rendering
    assert adapter.find_post(post("Nunca publicada"), since) is None


def test_delete_takes_the_post_down_and_tolerates_a_second_time(
    sandbox: SandboxServer,
) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    receipt = adapter.publish(post())
    adapter.delete(receipt.platform_id)
    assert sandbox.state.live_posts("x") == []
    assert sandbox.state.find_post("x", receipt.platform_id)["deleted"] is True  # type: ignore[index]
    adapter.delete(receipt.platform_id)


def test_recent_posts_are_newest_first_across_pages(sandbox: SandboxServer) -> None:
    for number in range(105):
        sandbox.state.add_post(
            "x", DEFAULT_USER_ID, f"Publicación {number}", id=f"1{number:018d}"
        )
    adapter = adapter_for(sandbox, token_for(sandbox))
    recent = adapter.recent_posts(limit=103)
    assert len(recent) == 103
    assert recent[0].text == "Publicación 104" and recent[-1].text == "Publicación 2"
    assert recent[0].created_at is not None and recent[0].created_at.tzinfo is not None
    assert recent[0].permalink.endswith(
        f"/{DEFAULT_USERNAME}/status/{recent[0].platform_id}"
    )


# ---------------------------------------------------------------- accounts


def connect(
    sandbox: SandboxServer, adapter: XAdapter, verifier_override: str = ""
) -> object:
    verifier, challenge = pkce_pair()
    url = adapter.authorization_url(
        state="st-1", redirect_uri=REDIRECT, code_challenge=challenge
    )
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["scope"] == [
        "tweet.read tweet.write users.read media.write offline.access"
    ]
    response = httpx.get(url + "&approve=1")
    assert response.status_code == 302
    location = urllib.parse.urlsplit(response.headers["location"])
    returned = urllib.parse.parse_qs(location.query)
    assert returned["state"] == ["st-1"]
    return adapter.exchange_code(
        code=returned["code"][0],
        redirect_uri=REDIRECT,
        code_verifier=verifier_override or verifier,
    )


def test_oauth_flow_with_pkce_gives_the_account(sandbox: SandboxServer) -> None:
    tokens = connect(sandbox, adapter_for(sandbox, account_id=""))
    assert tokens.account_id == DEFAULT_USER_ID and tokens.handle == DEFAULT_USERNAME  # type: ignore[attr-defined]
    assert tokens.refresh_token and "tweet.write" in tokens.scopes  # type: ignore[attr-defined]
    lifetime = tokens.expires_at - datetime.datetime.now(datetime.UTC)  # type: ignore[attr-defined]
    assert (
        datetime.timedelta(hours=1, minutes=59)
        < lifetime
        <= datetime.timedelta(hours=2)
    )
    assert sandbox.state.token("x", tokens.access_token) is not None  # type: ignore[attr-defined]


def test_pkce_mismatch_is_refused(sandbox: SandboxServer) -> None:
    with pytest.raises(AuthError) as caught:
        connect(
            sandbox,
            adapter_for(sandbox, account_id=""),
            verifier_override="otro-verificador",
        )
    assert caught.value.revoked is True and "PKCE" in caught.value.message


def test_connecting_another_account_than_the_channels_is_refused(
    sandbox: SandboxServer,
) -> None:
    with pytest.raises(ContentRejected) as caught:
        connect(sandbox, adapter_for(sandbox, account_id="42"))
    assert "@CVPBogota" in caught.value.message


def test_refresh_rotates_the_refresh_token(sandbox: SandboxServer) -> None:
    _access, refresh = sandbox.state.issue_tokens("x", DEFAULT_USER_ID)
    adapter = adapter_for(sandbox)
    tokens = adapter.refresh(refresh or "")
    assert tokens.refresh_token and tokens.refresh_token != refresh
    assert sandbox.state.token("x", tokens.access_token) is not None
    with pytest.raises(AuthError) as caught:
        adapter.refresh(refresh or "")  # the old one is spent
    assert caught.value.revoked is True


def test_refresh_of_a_revoked_grant_needs_a_person(sandbox: SandboxServer) -> None:
    _access, refresh = sandbox.state.issue_tokens("x", DEFAULT_USER_ID)
    sandbox.state.revoke("x")
    with pytest.raises(AuthError) as caught:
        adapter_for(sandbox).refresh(refresh or "")
    assert caught.value.revoked is True


def test_refresh_during_an_outage_is_transient(sandbox: SandboxServer) -> None:
    _access, refresh = sandbox.state.issue_tokens("x", DEFAULT_USER_ID)
    sandbox.state.inject(
        Fault(kind="status", network="x", path="/x/2/oauth2/token", status=503)
    )
    with pytest.raises(AdapterError) as caught:
        adapter_for(sandbox).refresh(refresh or "")
    assert not caught.value.permanent and not isinstance(caught.value, AuthError)


def test_account_is_the_token_user(sandbox: SandboxServer) -> None:
    info = adapter_for(sandbox, token_for(sandbox)).account()
    assert (info.account_id, info.handle, info.name) == (
        DEFAULT_USER_ID,
        "CVPBogota",
        "Caja de la Vivienda Popular",
    )
    assert info.url == f"{sandbox.url}/x/CVPBogota"


# ---------------------------------------------------------------- text weight


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi http://test.co", 26),
        ("ÁB", 2),
        ("A\ufb2c", 4),  # NFC turns it into three code points
        (
            "randomurlrandomurlrandomurlrandomurlrandomurlrandomurlrandomurls.com",
            68,
        ),  # label > 63
        ("Unicode 9.0 emoji: 🤠; 💃; 💃🏾", 29),
        (
            "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f 🇨🇴 1️⃣",
            2 + 1 + 2 + 1 + 2,
        ),
        ("\u2066\u202ahttp://foobar.پاکستان/\u202c\u2069", 31),
        ("Visite cvp.gov.co.", 7 + 23 + 1),
        ("ver ejemplo.es", 14),  # a bare name.ccTLD without a path is not a link
        ("ver ejemplo.es/tramites", 4 + 23),
        ("correo@cvp.gov.co", 17),
        ("(detalles: https://cvp.gov.co/a)", 11 + 23 + 1),
    ],
)
def test_weighted_length_follows_twitter_text(text: str, expected: int) -> None:
    assert weighted_length(text) == expected


def test_text_limit_is_280_weighted_characters(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox)
    assert adapter.validate(post("a" * 280)) == []
    [issue] = adapter.validate(post("a" * 281))
    assert (
        issue.field == "text"
        and "281" in issue.message
        and "X admite 280" in issue.message
    )


def test_cjk_weighs_two(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox)
    assert adapter.validate(post("住" * 140)) == []
    assert fields(adapter.validate(post("住" * 140 + "a"))) == ["text"]


def test_an_emoji_zwj_sequence_weighs_two(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox)
    assert weighted_length(FAMILY) == 2
    assert adapter.validate(post(FAMILY * 140)) == []
    assert fields(adapter.validate(post(FAMILY * 140 + "a"))) == ["text"]


def test_combining_characters_are_normalised(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox)
    decomposed = "e\u0301" * 280  # 560 code points, 280 once NFC-composed
    assert weighted_length(decomposed) == 280
    assert adapter.validate(post(decomposed)) == []
    assert fields(adapter.validate(post(decomposed + "e\u0301"))) == ["text"]


def test_a_long_url_counts_23(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox)
    long_url = f"{URL}?utm_source=pregonero&utm_campaign={'x' * 200}"
    assert adapter.validate(post("a" * 256 + " " + long_url)) == []
    assert fields(adapter.validate(post("a" * 257 + " " + long_url))) == ["text"]
    assert weighted_length("Ver example.gov.co") == 4 + 23


def test_text_or_media_is_required(sandbox: SandboxServer, tmp_path: Path) -> None:
    adapter = adapter_for(sandbox)
    assert fields(adapter.validate(post("  "))) == ["text"]
    assert adapter.validate(post("", media=(image(tmp_path),))) == []


def test_timeline_text_matches_after_normalising() -> None:
    assert comparable_text(
        "Hola &amp; chao https://t.co/abc https://t.co/m"
    ) == comparable_text(f"Hola & chao {URL}")


# ---------------------------------------------------------------- media rules


def test_up_to_four_images(sandbox: SandboxServer, tmp_path: Path) -> None:
    adapter = adapter_for(sandbox)
    four = tuple(image(tmp_path, f"{n}.png") for n in range(4))
    assert adapter.validate(post(media=four)) == []
    [issue] = adapter.validate(post(media=(*four, image(tmp_path, "5.png"))))
    assert issue.field == "media" and "hasta 4 imágenes" in issue.message


def test_video_or_gif_cannot_be_mixed(sandbox: SandboxServer, tmp_path: Path) -> None:
    adapter = adapter_for(sandbox)
    gif = image(tmp_path, "a.gif", content_type="image/gif")
    assert fields(adapter.validate(post(media=(image(tmp_path), video(tmp_path))))) == [
        "media"
    ]
    assert fields(adapter.validate(post(media=(gif, gif)))) == ["media"]
    assert adapter.validate(post(media=(gif,))) == []


def test_alt_text_is_required_and_at_most_1000(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    adapter = adapter_for(sandbox)
    [issue] = adapter.validate(post(media=(image(tmp_path, alt_text=""),)))
    assert issue.field == "media[0].alt_text" and "texto alternativo" in issue.message
    assert adapter.validate(post(media=(image(tmp_path, alt_text="a" * 1000),))) == []
    [long] = adapter.validate(post(media=(image(tmp_path, alt_text="a" * 1001),)))
    assert (
        long.field == "media[0].alt_text"
        and "1001" in long.message
        and "1000" in long.message
    )


def test_file_sizes_at_their_limits(sandbox: SandboxServer, tmp_path: Path) -> None:
    adapter = adapter_for(sandbox)
    png, gif, mp4 = (
        image(tmp_path),
        image(tmp_path, "a.gif", content_type="image/gif"),
        video(tmp_path),
    )
    assert adapter.validate(post(media=(sized(png, 5 * MIB),))) == []
    assert fields(adapter.validate(post(media=(sized(png, 5 * MIB + 1),)))) == [
        "media[0]"
    ]
    assert adapter.validate(post(media=(sized(gif, 15 * MIB),))) == []
    assert fields(adapter.validate(post(media=(sized(gif, 15 * MIB + 1),)))) == [
        "media[0]"
    ]
    assert adapter.validate(post(media=(sized(mp4, 512 * MIB),))) == []
    [issue] = adapter.validate(post(media=(sized(mp4, 512 * MIB + 1),)))
    assert issue.field == "media[0]" and "512 MB" in issue.message


def test_video_duration_and_aspect_ratio(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    adapter = adapter_for(sandbox)
    assert adapter.validate(post(media=(video(tmp_path, duration=140.0),))) == []
    [issue] = adapter.validate(post(media=(video(tmp_path, duration=140.5),)))
    assert (
        issue.field == "media[0]"
        and "140,5" in issue.message
        and "140" in issue.message
    )
    assert fields(adapter.validate(post(media=(video(tmp_path, duration=0.4),)))) == [
        "media[0]"
    ]
    assert (
        adapter.validate(post(media=(video(tmp_path, width=360, height=1080),))) == []
    )
    assert fields(
        adapter.validate(post(media=(video(tmp_path, width=359, height=1080),)))
    ) == ["media[0]"]
    assert fields(
        adapter.validate(post(media=(video(tmp_path, width=3241, height=1080),)))
    ) == ["media[0]"]
    [warning] = adapter.validate(post(media=(video(tmp_path, duration=None),)))
    assert warning.severity == "warning"


def test_unsupported_file_types(sandbox: SandboxServer, tmp_path: Path) -> None:
    adapter = adapter_for(sandbox)
    pdf = media_file(
        tmp_path,
        "informe.pdf",
        kind="document",
        content_type="application/pdf",
        data=b"%PDF-1.7",
    )
    mov = video(tmp_path, "clip.mov", content_type="video/quicktime")
    [issue] = adapter.validate(post(media=(pdf,)))
    assert issue.field == "media[0]" and "informe.pdf" in issue.message
    assert fields(adapter.validate(post(media=(mov,)))) == ["media[0]"]


def test_find_post_reads_back_past_many_newer_posts(sandbox: SandboxServer) -> None:
    since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=5)
    adapter = adapter_for(sandbox, token_for(sandbox))
    target = adapter.publish(post("La publicación incierta"))
    for n in range(130):
        adapter.publish(post(f"Publicación posterior número {n}"))
    found = adapter.find_post(post("La publicación incierta"), since)
    assert found is not None and found.platform_id == target.platform_id
    assert adapter.find_post(post("Nunca publicada"), since) is None
