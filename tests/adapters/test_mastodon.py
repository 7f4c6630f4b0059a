"""The Mastodon adapter against the sandbox instance, over real HTTP."""

from __future__ import annotations

import dataclasses
import datetime
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
from pregonero.publishing.adapters.mastodon import (
    MastodonAdapter,
    countable_length,
    html_to_text,
)
from pregonero.publishing.sandbox_server import Fault, SandboxServer
from pregonero.publishing.sandbox_server.mastodon import DEFAULT_ACCOUNT_ID

from .conftest import media_file

REDIRECT = "http://pregonero.test/canales/mastodon/callback"
URL = "https://www.cajaviviendapopular.gov.co/noticias/plan-terrazas-inscripciones-2026"


def token_for(sandbox: SandboxServer, account_id: str = DEFAULT_ACCOUNT_ID) -> str:
    access, _refresh = sandbox.state.issue_tokens(
        "mastodon", account_id, expires_in=None, with_refresh=False
    )
    return access


def adapter_for(
    sandbox: SandboxServer,
    token: str = "",
    *,
    timeout: float = 2.0,
    account_id: str = DEFAULT_ACCOUNT_ID,
    extra: dict[str, str] | None = None,
    client: tuple[str, str] = ("", ""),
) -> MastodonAdapter:
    base = f"{sandbox.url}/mastodon"
    adapter = MastodonAdapter(
        ChannelCredentials(
            channel_id=1,
            handle="cvpbogota",
            account_id=account_id,
            access_token=token,
            base_url=base,
            extra=extra or {},
        ),
        MastodonAdapter.defaults.rebased(base).merged(
            {"client_id": client[0], "client_secret": client[1]}
        ),
        http=HttpClient(timeout=timeout),
    )
    adapter.poll_interval = 0.01
    return adapter


def post(
    text: str = "Plan Terrazas: inscripciones abiertas.",
    *,
    key: str = "k-1",
    media: tuple[MediaRef, ...] = (),
) -> OutboundPost:
    return OutboundPost(text=text, idempotency_key=key, media=media)


def image(
    tmp_path: Path, name: str = "pieza.png", alt: str = "Familia frente a su casa."
) -> MediaRef:
    return media_file(tmp_path, name, alt_text=alt)


def video(
    tmp_path: Path, name: str = "video.mp4", alt: str = "Video de la jornada."
) -> MediaRef:
    return media_file(
        tmp_path, name, kind="video", content_type="video/mp4", alt_text=alt
    )


# ---------------------------------------------------------------- publishing


def test_text_only_status_is_public_spanish_and_has_a_page(
    sandbox: SandboxServer,
) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    receipt = adapter.publish(post("Hola Bogotá & vecinos #PlanTerrazas"))

    [stored] = sandbox.state.live_posts("mastodon")
    assert stored["id"] == receipt.platform_id
    assert stored["text"] == "Hola Bogotá & vecinos #PlanTerrazas"
    assert (stored["visibility"], stored["language"]) == ("public", "es")
    assert stored["idempotency_key"] == "k-1"
    assert receipt.published_at.tzinfo is not None
    assert (
        receipt.permalink == f"{sandbox.url}/mastodon/@cvpbogota/{receipt.platform_id}"
    )
    page = httpx.get(receipt.permalink)
    assert page.status_code == 200
    assert "Hola Bogotá &amp; vecinos" in page.text and "Red de práctica" in page.text


def test_image_is_uploaded_with_its_alt_text(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    adapter.publish(post(media=(image(tmp_path),)))

    [stored] = sandbox.state.live_posts("mastodon")
    [media_id] = stored["media_ids"]
    media = sandbox.state.get_media("mastodon", media_id)
    assert media is not None
    assert media["description"] == "Familia frente a su casa."
    assert media["type"] == "image" and media["status_id"] == stored["id"]
    # Images are processed synchronously: no polling.
    assert not [
        r for r in sandbox.state.requests if r[1] == "GET" and "/api/v1/media/" in r[2]
    ]


def test_video_is_polled_until_processed(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.config["mastodon"] = {"processing_polls": 2}
    adapter = adapter_for(sandbox, token_for(sandbox))
    adapter.publish(post(media=(video(tmp_path),)))

    polls = [
        r for r in sandbox.state.requests if r[1] == "GET" and "/api/v1/media/" in r[2]
    ]
    assert len(polls) == 3  # 206, 206, 200
    [stored] = sandbox.state.live_posts("mastodon")
    assert len(stored["media_ids"]) == 1


def test_media_processing_failure_is_rejected(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.config["mastodon"] = {"processing_fails": True}
    adapter = adapter_for(sandbox, token_for(sandbox))
    with pytest.raises(ContentRejected) as caught:
        adapter.publish(post(media=(video(tmp_path),)))
    assert caught.value.code == "media_failed" and caught.value.permanent
    assert "video.mp4" in caught.value.message
    assert sandbox.state.live_posts("mastodon") == []


def test_media_that_never_finishes_is_a_passing_failure(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.config["mastodon"] = {"processing_polls": 50}
    adapter = adapter_for(sandbox, token_for(sandbox))
    adapter.poll_attempts = 3
    with pytest.raises(AdapterError) as caught:
        adapter.publish(post(media=(video(tmp_path),)))
    error = caught.value
    assert error.code == "media_processing"
    assert not error.permanent and not error.outcome_unknown
    assert sandbox.state.live_posts("mastodon") == []


def test_blind_retry_after_a_timeout_returns_the_same_status(
    sandbox: SandboxServer,
) -> None:
    token = token_for(sandbox)
    since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
    sandbox.state.inject(
        Fault(kind="timeout_after_commit", network="mastodon",
              path="/mastodon/api/v1/statuses", method="POST", hang_seconds=1)
    )  # fmt: skip
    outbound = post("Convocatoria de titulación", key="retry-1")
    with pytest.raises(AdapterError) as caught:
        adapter_for(sandbox, token, timeout=0.5).publish(outbound)
    assert caught.value.outcome_unknown and not caught.value.permanent

    adapter = adapter_for(sandbox, token)
    found = adapter.find_post(outbound, since)
    [stored] = sandbox.state.live_posts("mastodon")
    assert found is not None and found.platform_id == stored["id"]

    # The Idempotency-Key makes the blind retry safe: same status, still one post.
    receipt = adapter.publish(outbound)
    assert receipt.platform_id == stored["id"]
    assert len(sandbox.state.live_posts("mastodon")) == 1
    # A different publication (another key) is a new status.
    adapter.publish(post("Convocatoria de titulación", key="retry-2"))
    assert len(sandbox.state.live_posts("mastodon")) == 2


# ---------------------------------------------------------------- errors


def test_expired_token_is_not_revoked(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    sandbox.state.expire_tokens("mastodon")
    with pytest.raises(AuthError) as caught:
        adapter.publish(post())
    assert caught.value.revoked is False and caught.value.code == "token_expired"


def test_revoked_token_needs_a_person(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    sandbox.state.revoke("mastodon")
    with pytest.raises(AuthError) as caught:
        adapter.publish(post())
    assert caught.value.revoked is True and caught.value.permanent
    with pytest.raises(AuthError):
        adapter_for(sandbox, "made-up-token").account()


def test_rate_limit_reads_the_iso_reset_header(sandbox: SandboxServer) -> None:
    sandbox.state.config["mastodon"] = {"rate_limit_reset_seconds": 90}
    sandbox.state.inject(Fault(kind="status", network="mastodon", status=429))
    with pytest.raises(RateLimited) as caught:
        adapter_for(sandbox, token_for(sandbox)).publish(post())
    assert caught.value.retry_after is not None
    assert 80 <= caught.value.retry_after <= 90
    assert sandbox.state.live_posts("mastodon") == []


def test_server_error_is_transient(sandbox: SandboxServer) -> None:
    sandbox.state.inject(Fault(kind="status", network="mastodon", status=502))
    with pytest.raises(AdapterError) as caught:
        adapter_for(sandbox, token_for(sandbox)).publish(post())
    assert type(caught.value) is AdapterError
    assert not caught.value.permanent and caught.value.code == "http_502"


def test_instance_refuses_a_status_over_its_limit(sandbox: SandboxServer) -> None:
    with pytest.raises(ContentRejected) as caught:
        adapter_for(sandbox, token_for(sandbox)).publish(post("x" * 501))
    assert "character limit of 500" in caught.value.message
    assert sandbox.state.live_posts("mastodon") == []


# ---------------------------------------------------------------- reading and deleting


def test_delete_and_delete_again(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    receipt = adapter.publish(post())
    adapter.delete(receipt.platform_id)
    assert sandbox.state.live_posts("mastodon") == []
    adapter.delete(receipt.platform_id)  # already gone: no error
    assert httpx.get(receipt.permalink).status_code == 404


def test_recent_posts_newest_first_in_plain_text(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    first = adapter.publish(post("Primera", key="a"))
    second = adapter.publish(
        post(f"Segunda: lea {URL} & comparta\n\nCon @ana@otra.social #CVP", key="b")
    )
    other = token_for(sandbox, "109000000000000999")
    adapter_for(sandbox, other, account_id="109000000000000999").publish(post("Ajena"))

    recent = adapter.recent_posts()
    assert [r.platform_id for r in recent] == [second.platform_id, first.platform_id]
    assert recent[0].text == f"Segunda: lea {URL} & comparta\n\nCon @ana #CVP"
    assert recent[0].permalink == second.permalink
    assert recent[0].created_at is not None


def test_recent_posts_pages_past_forty(sandbox: SandboxServer) -> None:
    for number in range(45):
        sandbox.state.add_post(
            "mastodon", DEFAULT_ACCOUNT_ID, f"Publicación {number}",
            id=str(110_000_000_000_000_000 + number), media_ids=[],
            visibility="public", language="es",
        )  # fmt: skip
    recent = adapter_for(sandbox, token_for(sandbox)).recent_posts(limit=43)
    assert len(recent) == 43
    assert recent[0].text == "Publicación 44" and recent[-1].text == "Publicación 2"


def test_find_post_matches_remote_mentions_and_respects_since(
    sandbox: SandboxServer,
) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    outbound = post("Gracias @ana@otra.social por venir", key="m-1")
    receipt = adapter.publish(outbound)
    before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)
    found = adapter.find_post(outbound, before)
    assert found is not None and found.platform_id == receipt.platform_id
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=1)
    assert adapter.find_post(outbound, later) is None
    assert adapter.find_post(post("Otro texto"), before) is None


def test_html_content_is_read_back_as_text() -> None:
    content = (
        '<p>Hola &amp; chao<br />línea</p><p><a href="https://x.co/a"><span class="invisible">'
        'https://</span><span class="">x.co/a</span></a> <a class="mention hashtag">#<span>CVP</span></a></p>'
    )
    assert html_to_text(content) == "Hola & chao\nlínea\n\nhttps://x.co/a #CVP"


# ---------------------------------------------------------------- connecting


def test_register_authorize_and_exchange_with_pkce(sandbox: SandboxServer) -> None:
    base = f"{sandbox.url}/mastodon"
    client_id, secret = adapter_for(sandbox).register_app(base, REDIRECT)
    app = sandbox.state.accounts[("mastodon-apps", client_id)]
    assert app["name"] == "Pregonero" and app["redirect_uris"] == [REDIRECT]
    assert "write:statuses" in app["scopes"]

    adapter = adapter_for(sandbox, account_id="", client=(client_id, secret))
    verifier, challenge = pkce_pair()
    url = adapter.authorization_url(
        state="st-1", redirect_uri=REDIRECT, code_challenge=challenge
    )
    assert url.startswith(f"{base}/oauth/authorize?")
    assert "code_challenge_method=S256" in url
    consent = httpx.get(url)
    assert consent.status_code == 200 and "Autorizar" in consent.text
    approved = httpx.get(url + "&approve=1")
    location = urllib.parse.urlsplit(approved.headers["Location"])
    query = urllib.parse.parse_qs(location.query)
    assert query["state"] == ["st-1"]

    tokens = adapter.exchange_code(
        code=query["code"][0], redirect_uri=REDIRECT, code_verifier=verifier
    )
    assert (tokens.account_id, tokens.handle) == (DEFAULT_ACCOUNT_ID, "cvpbogota")
    assert tokens.refresh_token is None and tokens.expires_at is None
    assert "write:media" in tokens.scopes
    info = adapter_for(sandbox, tokens.access_token).account()
    assert (info.account_id, info.handle, info.name) == (
        DEFAULT_ACCOUNT_ID, "cvpbogota", "Caja de la Vivienda Popular",
    )  # fmt: skip


def _code(sandbox: SandboxServer, adapter: MastodonAdapter, challenge: str) -> str:
    url = adapter.authorization_url(
        state="s", redirect_uri=REDIRECT, code_challenge=challenge
    )
    location = httpx.get(url + "&approve=1").headers["Location"]
    return urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["code"][0]


def test_pkce_mismatch_is_refused(sandbox: SandboxServer) -> None:
    client = adapter_for(sandbox).register_app(f"{sandbox.url}/mastodon", REDIRECT)
    adapter = adapter_for(sandbox, client=client)
    _verifier, challenge = pkce_pair()
    code = _code(sandbox, adapter, challenge)
    with pytest.raises(AuthError) as caught:
        adapter.exchange_code(
            code=code, redirect_uri=REDIRECT, code_verifier="otro-verificador"
        )
    assert caught.value.revoked and "PKCE" in caught.value.message


def test_the_authorized_account_must_be_the_channels(sandbox: SandboxServer) -> None:
    client = adapter_for(sandbox).register_app(f"{sandbox.url}/mastodon", REDIRECT)
    adapter = adapter_for(sandbox, account_id="109000000000000777", client=client)
    verifier, challenge = pkce_pair()
    code = _code(sandbox, adapter, challenge)
    with pytest.raises(ContentRejected) as caught:
        adapter.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier=verifier)
    assert "cvpbogota" in caught.value.message


def test_unknown_client_cannot_authorize(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox, client=("no-registrado", "x"))
    response = httpx.get(
        adapter.authorization_url(state="s", redirect_uri=REDIRECT) + "&approve=1"
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_token_endpoint_down_is_transient(sandbox: SandboxServer) -> None:
    client = adapter_for(sandbox).register_app(f"{sandbox.url}/mastodon", REDIRECT)
    adapter = adapter_for(sandbox, client=client)
    verifier, challenge = pkce_pair()
    code = _code(sandbox, adapter, challenge)
    sandbox.state.inject(
        Fault(
            kind="status", network="mastodon", path="/mastodon/oauth/token", status=503
        )
    )
    with pytest.raises(AdapterError) as caught:
        adapter.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier=verifier)
    assert not caught.value.permanent and not isinstance(caught.value, AuthError)
    # The code was not spent: the next try works.
    assert adapter.exchange_code(
        code=code, redirect_uri=REDIRECT, code_verifier=verifier
    ).access_token


def test_mastodon_has_no_refresh(sandbox: SandboxServer) -> None:
    assert MastodonAdapter.supports_refresh is False
    assert MastodonAdapter.honours_idempotency_key is True
    with pytest.raises(NotImplementedError):
        adapter_for(sandbox).refresh("anything")


def test_instance_limits_feed_validation(sandbox: SandboxServer) -> None:
    sandbox.state.config["mastodon"] = {
        "max_characters": 1000,
        "description_limit": 800,
    }
    limits = adapter_for(sandbox).instance_limits()
    assert limits["max_characters"] == "1000"
    assert limits["max_media_attachments"] == "4"
    assert limits["characters_reserved_per_url"] == "23"
    assert limits["description_limit"] == "800"
    assert "image/png" in limits["supported_mime_types"].split(",")
    adapter = adapter_for(sandbox, extra=limits)
    assert adapter.validate(post("x" * 1000)) == []
    [issue] = adapter.validate(post("x" * 1001))
    assert issue.field == "text" and "1000" in issue.message


# ---------------------------------------------------------------- validation


def fields(adapter: MastodonAdapter, outbound: OutboundPost) -> list[str]:
    return [issue.field for issue in adapter.validate(outbound)]


def test_text_length_boundaries(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox)
    assert fields(adapter, post("á" * 500)) == []
    [issue] = adapter.validate(post("á" * 501))
    assert issue.field == "text" and "501" in issue.message and "500" in issue.message
    family = "👨\u200d👩\u200d👧\u200d👦"
    assert countable_length(family) == 1
    assert fields(adapter, post(family * 500)) == []
    assert fields(adapter, post(family * 501)) == ["text"]
    combining = "e\u0301"  # é as e + combining acute: one character for Mastodon
    assert fields(adapter, post(combining * 500)) == []
    assert fields(adapter, post(combining * 501)) == ["text"]
    assert fields(adapter, post("🇨🇴" * 500)) == []


def test_urls_count_23_and_mentions_only_their_local_part(
    sandbox: SandboxServer,
) -> None:
    adapter = adapter_for(sandbox)
    assert len(URL) > 23
    assert countable_length(f"Lea {URL}.") == 4 + 23 + 1
    assert fields(adapter, post("a" * 476 + " " + URL)) == []  # 476 + 1 + 23 = 500
    assert fields(adapter, post("a" * 477 + " " + URL)) == ["text"]
    assert countable_length("Hola @ana@mastodon.social") == len("Hola @ana")
    mention = "@cvpbogota@una-instancia-con-nombre-largo.social"
    assert fields(adapter, post("a" * (499 - len("@cvpbogota")) + " " + mention)) == []
    assert fields(adapter, post("a" * (500 - len("@cvpbogota")) + " " + mention)) == [
        "text"
    ]
    # Glued to a word it is not a mention, so it counts in full.
    assert countable_length("a" + mention) == 1 + len(mention)
    # And the instance agrees at the boundary.
    token = token_for(sandbox)
    adapter_for(sandbox, token).publish(post("a" * 476 + " " + URL))
    with pytest.raises(ContentRejected):
        adapter_for(sandbox, token).publish(post("a" * 477 + " " + URL, key="k-2"))


def test_media_rules(sandbox: SandboxServer, tmp_path: Path) -> None:
    adapter = adapter_for(sandbox)
    pictures = tuple(image(tmp_path, f"p{i}.png") for i in range(5))
    assert fields(adapter, post(media=pictures[:4])) == []
    [issue] = adapter.validate(post(media=pictures))
    assert issue.field == "media" and "5" in issue.message and "4" in issue.message
    assert fields(adapter, post(media=(video(tmp_path), pictures[0]))) == ["media"]
    assert fields(adapter, post(media=(image(tmp_path, alt=" "),))) == [
        "media[0].alt_text"
    ]
    assert fields(adapter, post(media=(image(tmp_path, alt="a" * 1500),))) == []
    [long_alt] = adapter.validate(post(media=(image(tmp_path, alt="a" * 1501),)))
    assert long_alt.field == "media[0].alt_text" and "1500" in long_alt.message
    big = dataclasses.replace(image(tmp_path), size=16 * 1024 * 1024 + 1)
    assert fields(adapter, post(media=(big,))) == ["media[0]"]
    assert (
        fields(adapter, post(media=(dataclasses.replace(big, size=16 * 1024 * 1024),)))
        == []
    )
    huge_video = dataclasses.replace(video(tmp_path), size=99 * 1024 * 1024 + 1)
    assert fields(adapter, post(media=(huge_video,))) == ["media[0]"]
    pdf = media_file(tmp_path, "a.pdf", kind="document", content_type="application/pdf",
                     data=b"%PDF-1.4", alt_text="Documento")  # fmt: skip
    assert fields(adapter, post(media=(pdf,))) == ["media[0]"]
    assert fields(adapter, post("", media=())) == ["text"]
