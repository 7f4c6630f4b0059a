"""The Facebook Pages adapter against the sandbox Graph API, over real HTTP."""

from __future__ import annotations

import dataclasses
import datetime
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
import pytest

from pregonero.lib.http import HttpClient
from pregonero.publishing.adapters.base import (
    ChannelCredentials,
    MediaRef,
    OutboundPost,
)
from pregonero.publishing.adapters.errors import (
    AdapterError,
    AuthError,
    ContentRejected,
    Duplicate,
    RateLimited,
)
from pregonero.publishing.adapters.facebook import FacebookAdapter
from pregonero.publishing.sandbox_server import Fault, SandboxServer
from pregonero.publishing.sandbox_server.meta import PAGE_ID, USER_ID
from tests.adapters.conftest import media_file

FEED = f"/facebook/v26.0/{PAGE_ID}/feed"
REDIRECT = "https://pregonero.example/conectar/facebook/"


def make_adapter(
    sandbox: SandboxServer,
    *,
    token: str | None = None,
    account_id: str = PAGE_ID,
    timeout: float = 2,
) -> FacebookAdapter:
    if token is None:
        token, _ = sandbox.state.issue_tokens(
            "facebook", PAGE_ID, expires_in=None, with_refresh=False
        )
    settings = FacebookAdapter.defaults.rebased(f"{sandbox.url}/facebook").merged(
        {"client_id": "app-1", "client_secret": "s3cret"}
    )
    adapter = FacebookAdapter(
        ChannelCredentials(
            channel_id=1, handle="CVPBogota", account_id=account_id, access_token=token
        ),
        settings,
        HttpClient(timeout=timeout),
    )
    adapter.poll_interval = 0.01
    return adapter


def post(
    text: str = "Subsidios de vivienda: inscripciones abiertas.", **kwargs: object
) -> OutboundPost:
    return OutboundPost(text=text, idempotency_key="k-1", **kwargs)  # type: ignore[arg-type]


def image(tmp_path: Path, name: str = "a.png", **extra: Any) -> MediaRef:
    return media_file(
        tmp_path,
        name,
        alt_text=extra.pop("alt_text", "Familia frente a su casa"),
        **extra,
    )


# ---------------------------------------------------------------- publishing


def test_text_post_is_published_with_its_permalink(sandbox: SandboxServer) -> None:
    receipt = make_adapter(sandbox).publish(post())
    [stored] = sandbox.state.live_posts("facebook")
    assert stored["text"] == "Subsidios de vivienda: inscripciones abiertas."
    assert stored["kind"] == "status" and stored["media"] == []
    assert receipt.platform_id == stored["id"] and receipt.platform_id.startswith(
        f"{PAGE_ID}_"
    )
    assert receipt.permalink == f"{sandbox.url}/facebook/web/{stored['id']}"
    assert receipt.published_at.tzinfo is not None
    assert abs((receipt.published_at - stored["created_at"]).total_seconds()) < 1
    page = httpx.get(receipt.permalink)
    assert page.status_code == 200 and "Red de práctica de Pregonero" in page.text
    assert "Subsidios de vivienda" in page.text


def test_one_photo_goes_to_photos_with_caption_and_alt_text(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    photo = image(tmp_path)
    receipt = make_adapter(sandbox).publish(post(media=(photo,)))
    [stored] = sandbox.state.live_posts("facebook")
    assert receipt.platform_id == stored["id"] and stored["kind"] == "photo"
    assert stored["text"] == "Subsidios de vivienda: inscripciones abiertas."
    [sent] = stored["media"]
    assert sent["sha256"] == photo.sha256 and sent["size"] == photo.size  # type: ignore[attr-defined]
    assert sent["alt_text"] == "Familia frente a su casa"
    assert sent["content_type"] == "image/png"


def test_several_photos_are_uploaded_unpublished_then_attached(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    photos = tuple(image(tmp_path, f"{n}.png", alt_text=f"Foto {n}") for n in range(3))
    receipt = make_adapter(sandbox).publish(post(media=photos))
    [stored] = sandbox.state.live_posts("facebook")
    assert receipt.platform_id == stored["id"] and stored["kind"] == "photos"
    assert [m["alt_text"] for m in stored["media"]] == ["Foto 0", "Foto 1", "Foto 2"]
    uploaded = sandbox.state.media["facebook"].values()
    assert all(not m["published"] and m["post_id"] == stored["id"] for m in uploaded)
    assert len(uploaded) == 3


def test_video_is_uploaded_then_polled_until_ready(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.config["facebook"] = {"processing_polls": 2}
    video = media_file(tmp_path, "v.mp4", kind="video", content_type="video/mp4")
    receipt = make_adapter(sandbox).publish(
        post(title="Entrega de viviendas", media=(video,))
    )
    [stored] = sandbox.state.live_posts("facebook")
    assert stored["kind"] == "video" and stored["title"] == "Entrega de viviendas"
    assert stored["text"] == "Subsidios de vivienda: inscripciones abiertas."
    assert stored["media"][0]["sha256"] == video.sha256
    assert (
        receipt.platform_id == stored["id"] and receipt.permalink == stored["permalink"]
    )
    polls = [
        r
        for r in sandbox.state.requests
        if r[1] == "GET" and r[2].endswith(f"/{stored['video_id']}")
    ]
    assert len(polls) == 3  # two "processing" answers, then "ready"


def test_video_processing_error_is_content_rejected(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.config["facebook"] = {"video_fails": True}
    video = media_file(tmp_path, "v.mp4", kind="video", content_type="video/mp4")
    with pytest.raises(ContentRejected) as caught:
        make_adapter(sandbox).publish(post(media=(video,)))
    assert caught.value.permanent and caught.value.code == "video_error"
    assert sandbox.state.live_posts("facebook") == []


def test_video_still_processing_gives_up_with_outcome_unknown(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.config["facebook"] = {"processing_polls": 1000}
    adapter = make_adapter(sandbox)
    adapter.max_polls = 3
    video = media_file(tmp_path, "v.mp4", kind="video", content_type="video/mp4")
    with pytest.raises(AdapterError) as caught:
        adapter.publish(post(media=(video,)))
    assert caught.value.outcome_unknown and not caught.value.permanent
    assert caught.value.code == "processing"


# ---------------------------------------------------------------- errors


def test_expired_token_is_not_revoked(sandbox: SandboxServer) -> None:
    adapter = make_adapter(sandbox)
    sandbox.state.expire_tokens("facebook")
    with pytest.raises(AuthError) as caught:
        adapter.publish(post())
    assert caught.value.revoked is False and caught.value.code == "token_expired"
    assert sandbox.state.live_posts("facebook") == []


def test_revoked_token_needs_a_person(sandbox: SandboxServer) -> None:
    adapter = make_adapter(sandbox)
    sandbox.state.revoke("facebook")
    with pytest.raises(AuthError) as caught:
        adapter.publish(post())
    assert caught.value.revoked is True and caught.value.permanent


def test_token_of_another_page_lacks_permission(sandbox: SandboxServer) -> None:
    other, _ = sandbox.state.issue_tokens(
        "facebook", "999", expires_in=None, with_refresh=False
    )
    with pytest.raises(AuthError) as caught:
        make_adapter(sandbox, token=other).publish(post())
    assert caught.value.revoked and caught.value.code == "permission"


def test_rate_limit_reads_the_business_use_case_header(sandbox: SandboxServer) -> None:
    sandbox.state.config["facebook"] = {"regain_minutes": 3}
    sandbox.state.inject(
        Fault(kind="status", network="facebook", path=FEED, status=429, retry_after=7)
    )
    with pytest.raises(RateLimited) as caught:
        make_adapter(sandbox).publish(post())
    assert caught.value.retry_after == 180  # 3 minutes from X-Business-Use-Case-Usage
    assert sandbox.state.live_posts("facebook") == []


def test_page_throttling_code_without_429_is_rate_limited(
    sandbox: SandboxServer,
) -> None:
    sandbox.state.config["facebook"] = {"regain_minutes": 2}
    sandbox.state.inject(
        Fault(kind="status", network="facebook", path=FEED, status=400, code="32")
    )
    with pytest.raises(RateLimited) as caught:
        make_adapter(sandbox).publish(post())
    assert caught.value.retry_after == 120


def test_server_error_is_transient(sandbox: SandboxServer) -> None:
    sandbox.state.inject(
        Fault(kind="status", network="facebook", path=FEED, status=500)
    )
    with pytest.raises(AdapterError) as caught:
        make_adapter(sandbox).publish(post())
    assert not caught.value.permanent and not caught.value.outcome_unknown
    assert caught.value.code == "graph_1"


def test_invalid_parameter_is_content_rejected(sandbox: SandboxServer) -> None:
    sandbox.state.inject(
        Fault(
            kind="status",
            network="facebook",
            path=FEED,
            status=400,
            code="100",
            message="(#100) Invalid parameter",
        )
    )
    with pytest.raises(ContentRejected) as caught:
        make_adapter(sandbox).publish(post())
    assert caught.value.permanent and "Invalid parameter" in caught.value.message


def test_the_sandbox_refuses_text_over_the_limit(sandbox: SandboxServer) -> None:
    with pytest.raises(ContentRejected):
        make_adapter(sandbox).publish(post("a" * 63_207))
    assert sandbox.state.live_posts("facebook") == []


def test_consecutive_duplicate_is_refused(sandbox: SandboxServer) -> None:
    adapter = make_adapter(sandbox)
    adapter.publish(post())
    with pytest.raises(Duplicate) as caught:
        adapter.publish(post())
    assert caught.value.permanent and caught.value.code == "duplicate"
    assert len(sandbox.state.live_posts("facebook")) == 1


def test_timeout_after_commit_is_reconciled_with_find_post(
    sandbox: SandboxServer,
) -> None:
    since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=5)
    sandbox.state.inject(
        Fault(
            kind="timeout_after_commit", network="facebook", path=FEED, hang_seconds=1
        )
    )
    adapter = make_adapter(sandbox, timeout=0.5)
    with pytest.raises(AdapterError) as caught:
        adapter.publish(post())
    assert caught.value.outcome_unknown and not caught.value.permanent
    [stored] = sandbox.state.live_posts("facebook")
    found = adapter.find_post(post(), since)
    assert found is not None and found.platform_id == stored["id"]
    assert found.permalink == stored["permalink"]


# ---------------------------------------------------------------- delete and read back


def test_delete_takes_the_post_down_and_tolerates_a_second_time(
    sandbox: SandboxServer,
) -> None:
    adapter = make_adapter(sandbox)
    receipt = adapter.publish(post())
    adapter.delete(receipt.platform_id)
    assert sandbox.state.live_posts("facebook") == []
    adapter.delete(receipt.platform_id)  # already gone: nothing to do
    assert (
        "facebook",
        "DELETE",
        f"/facebook/v26.0/{receipt.platform_id}",
    ) in sandbox.state.requests


def test_delete_with_a_revoked_token_fails(sandbox: SandboxServer) -> None:
    adapter = make_adapter(sandbox)
    receipt = adapter.publish(post())
    sandbox.state.revoke("facebook")
    with pytest.raises(AuthError):
        adapter.delete(receipt.platform_id)
    assert len(sandbox.state.live_posts("facebook")) == 1


def test_recent_posts_are_newest_first(sandbox: SandboxServer) -> None:
    adapter = make_adapter(sandbox)
    ids = [adapter.publish(post(f"Aviso {n}")).platform_id for n in range(3)]
    recent = adapter.recent_posts()
    assert [r.platform_id for r in recent] == ids[::-1]
    assert [r.text for r in recent] == ["Aviso 2", "Aviso 1", "Aviso 0"]
    assert all(
        r.created_at is not None and r.created_at.tzinfo is not None for r in recent
    )
    assert recent[0].permalink.endswith(f"/facebook/web/{ids[2]}")
    assert [r.platform_id for r in adapter.recent_posts(limit=2)] == ids[:0:-1]


# ---------------------------------------------------------------- connect


def _authorize(sandbox: SandboxServer, url: str) -> dict[str, str]:
    response = httpx.get(url + "&approve=1")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT)
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def test_full_oauth_flow_yields_the_page_token(sandbox: SandboxServer) -> None:
    adapter = make_adapter(sandbox, token="", account_id="")
    url = adapter.authorization_url(state="st-1", redirect_uri=REDIRECT)
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    assert parts.path == "/facebook/v26.0/dialog/oauth"
    assert query["client_id"] == "app-1" and "pages_manage_posts" in query[
        "scope"
    ].split(",")
    consent = httpx.get(url)
    assert consent.status_code == 200 and "Autorizar" in consent.text
    returned = _authorize(sandbox, url)
    assert returned["state"] == "st-1"
    tokens = adapter.exchange_code(code=returned["code"], redirect_uri=REDIRECT)
    assert tokens.account_id == PAGE_ID and tokens.handle == "CVPBogota"
    assert tokens.expires_at is None and tokens.refresh_token is None
    assert "pages_manage_posts" in tokens.scopes
    record = sandbox.state.tokens[tokens.access_token]
    assert record.account_id == PAGE_ID and record.expires_at is None
    # The Page token publishes.
    make_adapter(sandbox, token=tokens.access_token).publish(post())
    assert len(sandbox.state.live_posts("facebook")) == 1
    # The short-lived user token was exchanged for a long-lived one.
    user_tokens = [t for t in sandbox.state.tokens.values() if t.account_id == USER_ID]
    assert len(user_tokens) == 2
    lifetimes = sorted(
        (t.expires_at - datetime.datetime.now(datetime.UTC)).days
        for t in user_tokens
        if t.expires_at
    )
    assert lifetimes[0] == 0 and lifetimes[-1] >= 59
    # A code is good once.
    with pytest.raises(AuthError) as reused:
        adapter.exchange_code(code=returned["code"], redirect_uri=REDIRECT)
    assert reused.value.revoked and reused.value.code == "invalid_grant"


def test_pkce_mismatch_is_refused(sandbox: SandboxServer) -> None:
    from pregonero.publishing.adapters.base import pkce_pair

    verifier, challenge = pkce_pair()
    adapter = make_adapter(sandbox, token="", account_id="")
    returned = _authorize(
        sandbox,
        adapter.authorization_url(
            state="s", redirect_uri=REDIRECT, code_challenge=challenge
        ),
    )
    with pytest.raises(AuthError) as caught:
        adapter.exchange_code(
            code=returned["code"], redirect_uri=REDIRECT, code_verifier=verifier + "x"
        )
    assert caught.value.revoked and caught.value.code == "invalid_grant"
    returned = _authorize(
        sandbox,
        adapter.authorization_url(
            state="s", redirect_uri=REDIRECT, code_challenge=challenge
        ),
    )
    assert (
        adapter.exchange_code(
            code=returned["code"], redirect_uri=REDIRECT, code_verifier=verifier
        ).account_id
        == PAGE_ID
    )


def test_connect_refuses_a_page_the_person_does_not_manage(
    sandbox: SandboxServer,
) -> None:
    adapter = make_adapter(sandbox, token="", account_id="555")
    returned = _authorize(
        sandbox, adapter.authorization_url(state="s", redirect_uri=REDIRECT)
    )
    with pytest.raises(ContentRejected) as caught:
        adapter.exchange_code(code=returned["code"], redirect_uri=REDIRECT)
    assert "555" in caught.value.message and caught.value.code == "no_page"


def test_connect_without_pages_is_refused(sandbox: SandboxServer) -> None:
    sandbox.state.config["facebook"] = {"pages": []}
    adapter = make_adapter(sandbox, token="", account_id="")
    returned = _authorize(
        sandbox, adapter.authorization_url(state="s", redirect_uri=REDIRECT)
    )
    with pytest.raises(ContentRejected) as caught:
        adapter.exchange_code(code=returned["code"], redirect_uri=REDIRECT)
    assert "ninguna página" in caught.value.message


def test_connect_without_the_publishing_permission_is_refused(
    sandbox: SandboxServer,
) -> None:
    adapter = make_adapter(sandbox, token="", account_id="")
    url = adapter.authorization_url(state="s", redirect_uri=REDIRECT).replace(
        "pages_manage_posts", "pages_manage_ads"
    )
    returned = _authorize(sandbox, url)
    with pytest.raises(AuthError) as caught:
        adapter.exchange_code(code=returned["code"], redirect_uri=REDIRECT)
    assert (
        caught.value.code == "permission"
        and "pages_manage_posts" in caught.value.message
    )


def test_token_endpoint_outage_is_transient(sandbox: SandboxServer) -> None:
    adapter = make_adapter(sandbox, token="", account_id="")
    returned = _authorize(
        sandbox, adapter.authorization_url(state="s", redirect_uri=REDIRECT)
    )
    sandbox.state.inject(
        Fault(
            kind="status",
            network="facebook",
            path="/facebook/v26.0/oauth/access_token",
            status=503,
        )
    )
    with pytest.raises(AdapterError) as caught:
        adapter.exchange_code(code=returned["code"], redirect_uri=REDIRECT)
    assert not caught.value.permanent and not isinstance(caught.value, AuthError)


def test_page_tokens_do_not_refresh(sandbox: SandboxServer) -> None:
    assert (
        FacebookAdapter.supports_refresh is False and FacebookAdapter.uses_pkce is False
    )
    with pytest.raises(NotImplementedError):
        make_adapter(sandbox).refresh("anything")


def test_account_names_the_page(sandbox: SandboxServer) -> None:
    info = make_adapter(sandbox).account()
    assert (info.account_id, info.handle, info.name) == (
        PAGE_ID,
        "CVPBogota",
        "Caja de la Vivienda Popular",
    )
    assert httpx.get(info.url).status_code == 200
    sandbox.state.revoke("facebook")
    with pytest.raises(AuthError):
        make_adapter(sandbox, token=next(iter(sandbox.state.tokens))).account()


# ---------------------------------------------------------------- validation


def fields_of(adapter: FacebookAdapter, item: OutboundPost) -> list[str]:
    return [issue.field for issue in adapter.validate(item)]


def test_text_limit_is_exact_and_counts_code_points(sandbox: SandboxServer) -> None:
    adapter = make_adapter(sandbox)
    emoji = "🏠" * 63_206
    assert adapter.validate(post(emoji)) == []
    [issue] = adapter.validate(post(emoji + "a"))
    assert (
        issue.field == "text" and "63207" in issue.message and "63206" in issue.message
    )
    combining = "e\u0301" * 31_603  # 63,206 code points, 31,603 letters as seen
    assert adapter.validate(post(combining)) == []
    assert fields_of(adapter, post(combining + "\u0301")) == ["text"]
    prefix = "https://www.cajaviviendapopular.gov.co/?q="
    url = prefix + "x" * (63_206 - len(prefix))
    assert len(url) == 63_206 and adapter.validate(post(url)) == []
    assert fields_of(adapter, post("")) == ["text"]


def test_photo_rules(sandbox: SandboxServer, tmp_path: Path) -> None:
    adapter = make_adapter(sandbox)
    ten = tuple(image(tmp_path, f"{n}.png") for n in range(10))
    assert adapter.validate(post(media=ten)) == []
    eleven = (*ten, image(tmp_path, "x.png"))
    [issue] = adapter.validate(post(media=eleven))
    assert issue.field == "media" and "11" in issue.message and "10" in issue.message
    no_alt = image(tmp_path, "n.png", alt_text="  ")
    [issue] = adapter.validate(post(media=(ten[0], no_alt)))
    assert issue.field == "media[1].alt_text" and "texto alternativo" in issue.message
    big = dataclasses.replace(ten[0], size=4 * 1024 * 1024)  # type: ignore[type-var]
    assert adapter.validate(post(media=(big,))) == []
    too_big = dataclasses.replace(ten[0], size=4 * 1024 * 1024 + 1)  # type: ignore[type-var]
    [issue] = adapter.validate(post(media=(too_big,)))
    assert issue.field == "media[0]" and "4 MB" in issue.message
    svg = image(tmp_path, "s.svg", content_type="image/svg+xml")
    assert fields_of(adapter, post(media=(svg,))) == ["media[0]"]


def test_video_rules(sandbox: SandboxServer, tmp_path: Path) -> None:
    adapter = make_adapter(sandbox)
    video = media_file(
        tmp_path, "v.mp4", kind="video", content_type="video/mp4", duration=240 * 60.0
    )
    assert adapter.validate(post(media=(video,))) == []
    longer = dataclasses.replace(video, duration=240 * 60 + 1.0)
    [issue] = adapter.validate(post(media=(longer,)))
    assert issue.field == "media[0]" and "14400" in issue.message
    webm = dataclasses.replace(video, content_type="video/webm")
    assert fields_of(adapter, post(media=(webm,))) == ["media[0]"]
    mixed = adapter.validate(post(media=(image(tmp_path), video)))
    assert [i.field for i in mixed] == ["media"] and "mezcla" in mixed[0].message
    two = adapter.validate(post(media=(video, video)))
    assert [i.field for i in two] == ["media"]
    document = media_file(
        tmp_path, "d.pdf", kind="document", content_type="application/pdf"
    )
    assert fields_of(adapter, post(media=(document,))) == ["media[0]"]


def test_find_post_counts_a_post_made_in_the_same_second_as_since(
    sandbox: SandboxServer,
) -> None:
    adapter = make_adapter(sandbox)
    receipt = adapter.publish(post())
    [stored] = sandbox.state.live_posts("facebook")
    since = stored["created_at"].replace(
        microsecond=999_999
    )  # Graph says whole seconds
    found = adapter.find_post(post(), since)
    assert found is not None and found.platform_id == receipt.platform_id
    assert adapter.find_post(post("Otro texto"), since) is None
    later = since + datetime.timedelta(seconds=1)
    assert adapter.find_post(post(), later) is None


def test_find_post_reads_back_past_many_newer_posts(sandbox: SandboxServer) -> None:
    """A busy page: the uncertain post lies under 130 newer ones (Graph pages of
    at most 100, followed by the ``after`` cursor)."""
    since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=5)
    adapter = make_adapter(sandbox)
    target = adapter.publish(post("La publicación incierta"))
    for n in range(130):
        adapter.publish(post(f"Publicación posterior número {n}"))
    found = adapter.find_post(post("La publicación incierta"), since)
    assert found is not None and found.platform_id == target.platform_id
    assert adapter.find_post(post("Nunca publicada"), since) is None
    assert len(adapter.recent_posts(120)) == 120
