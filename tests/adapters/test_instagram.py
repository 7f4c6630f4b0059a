"""The Instagram adapter (Graph API with Facebook Login) against the sandbox."""

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
    pkce_pair,
)
from pregonero.publishing.adapters.errors import (
    AdapterError,
    AuthError,
    ContentRejected,
    RateLimited,
)
from pregonero.publishing.adapters.instagram import InstagramAdapter
from pregonero.publishing.sandbox_server import Fault, SandboxServer
from pregonero.publishing.sandbox_server.meta import IG_USER_ID, PAGE_ID
from tests.adapters.conftest import media_file

MEDIA = f"/facebook/v26.0/{IG_USER_ID}/media"
PUBLISH = f"/facebook/v26.0/{IG_USER_ID}/media_publish"
REDIRECT = "https://pregonero.example/conectar/instagram/"
CAPTION = "Nuevas viviendas en Usme #CVP #Bogotá"


def make_adapter(
    sandbox: SandboxServer,
    *,
    token: str | None = None,
    account_id: str = IG_USER_ID,
    timeout: float = 2,
) -> InstagramAdapter:
    if token is None:
        token, _ = sandbox.state.issue_tokens(
            "facebook", PAGE_ID, expires_in=None, with_refresh=False
        )
    settings = InstagramAdapter.defaults.rebased(f"{sandbox.url}/facebook").merged(
        {"client_id": "app-1", "client_secret": "s3cret"}
    )
    adapter = InstagramAdapter(
        ChannelCredentials(
            channel_id=2, handle="cvpbogota", account_id=account_id, access_token=token
        ),
        settings,
        HttpClient(timeout=timeout),
    )
    adapter.poll_interval = 0.01
    return adapter


def jpeg(tmp_path: Path, name: str = "a.jpg", **extra: Any) -> MediaRef:
    extra.setdefault("alt_text", "Fachada de las viviendas nuevas")
    extra.setdefault("public_url", f"https://cdn.pregonero.example/firmado/{name}")
    return media_file(tmp_path, name, content_type="image/jpeg", **extra)


def reel(tmp_path: Path, name: str = "v.mp4", **extra: Any) -> MediaRef:
    extra.setdefault("public_url", f"https://cdn.pregonero.example/firmado/{name}")
    return media_file(tmp_path, name, kind="video", content_type="video/mp4", **extra)


def post(*media: MediaRef, text: str = CAPTION) -> OutboundPost:
    return OutboundPost(text=text, idempotency_key="k-1", media=media)


def ig_posts(sandbox: SandboxServer) -> list[dict[str, Any]]:
    return sandbox.state.live_posts("instagram")


# ---------------------------------------------------------------- publishing


def test_single_image_goes_through_a_container(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    photo = jpeg(tmp_path)
    receipt = make_adapter(sandbox).publish(post(photo))
    [stored] = ig_posts(sandbox)
    assert stored["text"] == CAPTION and stored["media_type"] == "IMAGE"
    assert stored["media"] == [
        {"type": "IMAGE", "url": photo.public_url, "alt_text": photo.alt_text}
    ]
    assert receipt.platform_id == stored["id"]
    assert receipt.permalink == f"{sandbox.url}/facebook/web/instagram/{stored['id']}"
    assert receipt.published_at.tzinfo is not None
    container = sandbox.state.get_media("instagram", stored["container_id"])
    assert container is not None and container["status_code"] == "PUBLISHED"
    polls = [
        r
        for r in sandbox.state.requests
        if r[2] == f"/facebook/v26.0/{stored['container_id']}"
    ]
    assert len(polls) == 2  # one IN_PROGRESS, then FINISHED
    page = httpx.get(receipt.permalink)
    assert (
        page.status_code == 200
        and "Red de práctica de Pregonero" in page.text
        and "Usme" in page.text
    )


def test_single_video_is_a_reel(sandbox: SandboxServer, tmp_path: Path) -> None:
    video = reel(tmp_path)
    make_adapter(sandbox).publish(post(video))
    [stored] = ig_posts(sandbox)
    assert stored["media_type"] == "REELS"
    assert stored["media"] == [
        {"type": "REELS", "url": video.public_url, "alt_text": ""}
    ]


def test_carousel_of_images_and_a_video(sandbox: SandboxServer, tmp_path: Path) -> None:
    items = (
        jpeg(tmp_path, "1.jpg", alt_text="Uno"),
        jpeg(tmp_path, "2.jpg", alt_text="Dos"),
        reel(tmp_path),
    )
    receipt = make_adapter(sandbox).publish(post(*items))
    [stored] = ig_posts(sandbox)
    assert (
        receipt.platform_id == stored["id"] and stored["media_type"] == "CAROUSEL_ALBUM"
    )
    assert [(m["type"], m["url"], m["alt_text"]) for m in stored["media"]] == [
        ("IMAGE", items[0].public_url, "Uno"),
        ("IMAGE", items[1].public_url, "Dos"),
        ("VIDEO", items[2].public_url, ""),
    ]
    containers = sandbox.state.media["instagram"].values()
    assert sum(1 for c in containers if c["carousel_item"]) == 3


def test_media_without_public_url_is_refused_before_any_call(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    with pytest.raises(ContentRejected) as caught:
        make_adapter(sandbox).publish(
            post(jpeg(tmp_path), jpeg(tmp_path, "b.jpg", public_url=""))
        )
    assert caught.value.code == "no_public_url" and "archivo 2" in caught.value.message
    assert sandbox.state.requests == []


def test_the_sandbox_requires_an_http_url(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    with pytest.raises(ContentRejected) as caught:
        make_adapter(sandbox).publish(
            post(jpeg(tmp_path, public_url="ftp://cdn/a.jpg"))
        )
    assert caught.value.code == "graph_9004_2207052"
    assert ig_posts(sandbox) == []


def test_the_sandbox_refuses_a_caption_over_the_limit(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    with pytest.raises(ContentRejected):
        make_adapter(sandbox).publish(post(jpeg(tmp_path), text="a" * 2201))
    assert ig_posts(sandbox) == []


def test_container_error_is_content_rejected(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.config["facebook"] = {"container_fails": True}
    with pytest.raises(ContentRejected) as caught:
        make_adapter(sandbox).publish(post(reel(tmp_path)))
    assert caught.value.code == "container_error" and "2207026" in caught.value.message
    assert ig_posts(sandbox) == []


def test_container_still_in_progress_gives_up_transiently(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.config["facebook"] = {"processing_polls": 1000}
    adapter = make_adapter(sandbox)
    adapter.max_polls = 3
    with pytest.raises(AdapterError) as caught:
        adapter.publish(post(reel(tmp_path)))
    assert caught.value.code == "processing"
    assert not caught.value.permanent and not caught.value.outcome_unknown
    assert ig_posts(sandbox) == []
    assert not any(r[2] == PUBLISH for r in sandbox.state.requests)


def test_media_not_ready_at_publish_is_transient(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.inject(
        Fault(
            kind="status",
            network="facebook",
            path=PUBLISH,
            status=400,
            code="9007:2207027",
            message="Media ID is not available",
        )
    )
    with pytest.raises(AdapterError) as caught:
        make_adapter(sandbox).publish(post(jpeg(tmp_path)))
    assert caught.value.code == "not_ready" and not caught.value.permanent
    assert ig_posts(sandbox) == []


# ---------------------------------------------------------------- errors


def test_expired_and_revoked_tokens(sandbox: SandboxServer, tmp_path: Path) -> None:
    adapter = make_adapter(sandbox)
    sandbox.state.expire_tokens("facebook")
    with pytest.raises(AuthError) as expired:
        adapter.publish(post(jpeg(tmp_path)))
    assert expired.value.revoked is False
    adapter = make_adapter(sandbox)
    sandbox.state.revoke("facebook")
    with pytest.raises(AuthError) as revoked:
        adapter.publish(post(jpeg(tmp_path)))
    assert revoked.value.revoked is True
    assert ig_posts(sandbox) == []


def test_rate_limit_reads_the_business_use_case_header(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.config["facebook"] = {"regain_minutes": 3}
    sandbox.state.inject(
        Fault(
            kind="status",
            network="facebook",
            path=MEDIA,
            method="POST",
            status=429,
            retry_after=7,
        )
    )
    with pytest.raises(RateLimited) as caught:
        make_adapter(sandbox).publish(post(jpeg(tmp_path)))
    assert caught.value.retry_after == 180


def test_publishing_quota_is_rate_limited_for_an_hour(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.config["facebook"] = {"ig_publish_quota": 1}
    adapter = make_adapter(sandbox)
    adapter.publish(post(jpeg(tmp_path)))
    with pytest.raises(RateLimited) as caught:
        adapter.publish(post(jpeg(tmp_path), text="Otra"))
    assert caught.value.retry_after == 3600
    assert len(ig_posts(sandbox)) == 1


def test_server_error_at_publish_is_transient(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.inject(
        Fault(kind="status", network="facebook", path=PUBLISH, status=500)
    )
    with pytest.raises(AdapterError) as caught:
        make_adapter(sandbox).publish(post(jpeg(tmp_path)))
    assert not caught.value.permanent and not caught.value.outcome_unknown
    assert ig_posts(sandbox) == []


def test_timeout_after_publish_is_reconciled_with_find_post(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=5)
    sandbox.state.inject(
        Fault(
            kind="timeout_after_commit",
            network="facebook",
            path=PUBLISH,
            hang_seconds=1,
        )
    )
    adapter = make_adapter(sandbox, timeout=0.5)
    with pytest.raises(AdapterError) as caught:
        adapter.publish(post(jpeg(tmp_path)))
    assert caught.value.outcome_unknown and not caught.value.permanent
    [stored] = ig_posts(sandbox)
    found = adapter.find_post(post(jpeg(tmp_path)), since)
    assert found is not None and found.platform_id == stored["id"]


# ---------------------------------------------------------------- read back


def test_delete_is_not_offered(sandbox: SandboxServer, tmp_path: Path) -> None:
    adapter = make_adapter(sandbox)
    receipt = adapter.publish(post(jpeg(tmp_path)))
    assert InstagramAdapter.supports_delete is False
    with pytest.raises(NotImplementedError):
        adapter.delete(receipt.platform_id)
    refused = httpx.delete(
        f"{sandbox.url}/facebook/v26.0/{receipt.platform_id}",
        headers={"Authorization": f"Bearer {adapter.credentials.access_token}"},
    )
    assert refused.status_code == 400 and refused.json()["error"]["code"] == 100
    assert len(ig_posts(sandbox)) == 1


def test_recent_posts_are_newest_first(sandbox: SandboxServer, tmp_path: Path) -> None:
    adapter = make_adapter(sandbox)
    ids = [
        adapter.publish(post(jpeg(tmp_path), text=f"Aviso {n}")).platform_id
        for n in range(3)
    ]
    recent = adapter.recent_posts()
    assert [r.platform_id for r in recent] == ids[::-1]
    assert [r.text for r in recent] == ["Aviso 2", "Aviso 1", "Aviso 0"]
    assert all(
        r.created_at is not None and r.created_at.tzinfo is not None for r in recent
    )
    assert recent[0].permalink.endswith(f"/facebook/web/instagram/{ids[2]}")
    assert len(adapter.recent_posts(limit=1)) == 1


# ---------------------------------------------------------------- connect


def _authorize(url: str) -> dict[str, str]:
    response = httpx.get(url + "&approve=1")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT)
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def test_full_oauth_flow_yields_the_instagram_account(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    adapter = make_adapter(sandbox, token="", account_id="")
    url = adapter.authorization_url(state="st-9", redirect_uri=REDIRECT)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert "instagram_content_publish" in query["scope"].split(",")
    returned = _authorize(url)
    assert returned["state"] == "st-9"
    tokens = adapter.exchange_code(code=returned["code"], redirect_uri=REDIRECT)
    assert (tokens.account_id, tokens.handle) == (IG_USER_ID, "cvpbogota")
    assert tokens.extra["page_id"] == PAGE_ID and tokens.expires_at is None
    assert "instagram_content_publish" in tokens.scopes
    make_adapter(sandbox, token=tokens.access_token).publish(post(jpeg(tmp_path)))
    assert len(ig_posts(sandbox)) == 1


def test_pkce_mismatch_is_refused(sandbox: SandboxServer) -> None:
    verifier, challenge = pkce_pair()
    adapter = make_adapter(sandbox, token="", account_id="")
    returned = _authorize(
        adapter.authorization_url(
            state="s", redirect_uri=REDIRECT, code_challenge=challenge
        )
    )
    with pytest.raises(AuthError) as caught:
        adapter.exchange_code(
            code=returned["code"], redirect_uri=REDIRECT, code_verifier=verifier[:-1]
        )
    assert caught.value.revoked and caught.value.code == "invalid_grant"
    assert not [t for t in sandbox.state.tokens.values() if t.account_id == PAGE_ID]


def test_connect_without_a_linked_professional_account(sandbox: SandboxServer) -> None:
    sandbox.state.config["facebook"] = {
        "pages": [
            {
                "id": PAGE_ID,
                "name": "Caja de la Vivienda Popular",
                "username": "CVPBogota",
                "instagram": None,
            }
        ]
    }
    adapter = make_adapter(sandbox, token="", account_id="")
    returned = _authorize(adapter.authorization_url(state="s", redirect_uri=REDIRECT))
    with pytest.raises(ContentRejected) as caught:
        adapter.exchange_code(code=returned["code"], redirect_uri=REDIRECT)
    assert caught.value.code == "no_instagram" and "profesional" in caught.value.message


def test_connect_refuses_an_account_the_person_cannot_manage(
    sandbox: SandboxServer,
) -> None:
    adapter = make_adapter(sandbox, token="", account_id="17841499999999999")
    returned = _authorize(adapter.authorization_url(state="s", redirect_uri=REDIRECT))
    with pytest.raises(ContentRejected) as caught:
        adapter.exchange_code(code=returned["code"], redirect_uri=REDIRECT)
    assert "17841499999999999" in caught.value.message


def test_token_endpoint_outage_is_transient(sandbox: SandboxServer) -> None:
    adapter = make_adapter(sandbox, token="", account_id="")
    returned = _authorize(adapter.authorization_url(state="s", redirect_uri=REDIRECT))
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
    assert not caught.value.permanent


def test_no_refresh_and_account(sandbox: SandboxServer) -> None:
    adapter = make_adapter(sandbox)
    assert InstagramAdapter.supports_refresh is False
    with pytest.raises(NotImplementedError):
        adapter.refresh("x")
    info = adapter.account()
    assert (info.account_id, info.handle) == (IG_USER_ID, "cvpbogota")
    assert info.url == f"{sandbox.url}/facebook/cvpbogota/"
    profile = httpx.get(info.url, follow_redirects=True)
    assert profile.status_code == 200 and "@cvpbogota" in profile.text


# ---------------------------------------------------------------- validation


def fields_of(adapter: InstagramAdapter, item: OutboundPost) -> list[str]:
    return [issue.field for issue in adapter.validate(item)]


def test_caption_limits(sandbox: SandboxServer, tmp_path: Path) -> None:
    adapter = make_adapter(sandbox)
    photo = jpeg(tmp_path)
    assert adapter.validate(post(photo, text="🏠" * 2200)) == []
    [issue] = adapter.validate(post(photo, text="🏠" * 2201))
    assert issue.field == "text" and "2201" in issue.message and "2200" in issue.message
    tags = " ".join(f"#tema{n}" for n in range(30))
    assert (
        adapter.validate(post(photo, text=tags + " https://cvp.gov.co/a#ancla")) == []
    )
    [issue] = adapter.validate(post(photo, text=tags + " #vivienda"))
    assert issue.field == "text" and "31 hashtags" in issue.message
    people = " ".join(f"@cuenta{n}" for n in range(20))
    assert (
        adapter.validate(post(photo, text=people + " escriba a prensa@cvp.gov.co"))
        == []
    )
    [issue] = adapter.validate(post(photo, text=people + " @otra"))
    assert issue.field == "text" and "21" in issue.message and "20" in issue.message


def test_media_count_rules(sandbox: SandboxServer, tmp_path: Path) -> None:
    adapter = make_adapter(sandbox)
    [issue] = adapter.validate(post(text="Solo texto"))
    assert issue.field == "media" and "solo texto" in issue.message
    ten = tuple(jpeg(tmp_path, f"{n}.jpg") for n in range(10))
    assert adapter.validate(post(*ten)) == []
    assert fields_of(adapter, post(*ten, jpeg(tmp_path, "x.jpg"))) == ["media"]


def test_image_rules(sandbox: SandboxServer, tmp_path: Path) -> None:
    adapter = make_adapter(sandbox)
    png = media_file(tmp_path, "a.png", alt_text="x", public_url="https://c/a.png")
    [issue] = adapter.validate(post(png))
    assert issue.field == "media[0]" and "JPEG" in issue.message
    base = jpeg(tmp_path)
    assert adapter.validate(post(dataclasses.replace(base, size=8 * 1024 * 1024))) == []
    assert fields_of(
        adapter, post(dataclasses.replace(base, size=8 * 1024 * 1024 + 1))
    ) == ["media[0]"]
    for width, height, ok in (
        (1080, 1350, True),
        (1080, 1351, False),
        (1910, 1000, True),
        (1911, 1000, False),
    ):
        issues = adapter.validate(
            post(dataclasses.replace(base, width=width, height=height))
        )
        assert (issues == []) is ok, (width, height, issues)
    [issue] = adapter.validate(post(base, jpeg(tmp_path, "b.jpg", alt_text="")))
    assert issue.field == "media[1].alt_text"


def test_video_rules(sandbox: SandboxServer, tmp_path: Path) -> None:
    adapter = make_adapter(sandbox)
    video = reel(tmp_path)
    for seconds, ok in ((3.0, True), (2.9, False), (900.0, True), (900.5, False)):
        issues = adapter.validate(post(dataclasses.replace(video, duration=seconds)))
        assert (issues == []) is ok, (seconds, issues)
    in_carousel = (jpeg(tmp_path), dataclasses.replace(video, duration=60.0))
    assert adapter.validate(post(*in_carousel)) == []
    [issue] = adapter.validate(
        post(jpeg(tmp_path), dataclasses.replace(video, duration=61.0))
    )
    assert (
        issue.field == "media[1]"
        and "60" in issue.message
        and "carrusel" in issue.message
    )
    assert fields_of(
        adapter, post(dataclasses.replace(video, content_type="video/webm"))
    ) == ["media[0]"]
    assert fields_of(
        adapter, post(dataclasses.replace(video, size=300 * 1024 * 1024 + 1))
    ) == ["media[0]"]
    assert fields_of(
        adapter, post(dataclasses.replace(video, width=2000, height=100))
    ) == ["media[0]"]


def test_find_post_counts_a_post_made_in_the_same_second_as_since(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    adapter = make_adapter(sandbox)
    receipt = adapter.publish(post(jpeg(tmp_path)))
    [stored] = ig_posts(sandbox)
    since = stored["created_at"].replace(microsecond=999_999)
    found = adapter.find_post(post(jpeg(tmp_path)), since)
    assert found is not None and found.platform_id == receipt.platform_id
    assert adapter.find_post(post(jpeg(tmp_path), text="Otro"), since) is None
