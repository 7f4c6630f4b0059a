"""The Bluesky adapter against the sandbox PDS, over real HTTP."""

from __future__ import annotations

import dataclasses
import datetime
import re
from pathlib import Path

import httpx
import pytest

from pregonero.lib.http import HttpClient
from pregonero.publishing.adapters.base import (
    ChannelCredentials,
    MediaRef,
    OutboundPost,
)
from pregonero.publishing.adapters.bluesky import BlueskyAdapter, entities, rkey_for
from pregonero.publishing.adapters.errors import (
    AdapterError,
    AuthError,
    ContentRejected,
    RateLimited,
)
from pregonero.publishing.sandbox_server import Fault, SandboxServer
from pregonero.publishing.sandbox_server.bluesky import (
    DEFAULT_DID,
    DEFAULT_HANDLE,
    DIRECTORY,
)

from .conftest import media_file

PASSWORD = "abcd-efgh-ijkl-mnop"
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # one grapheme, 25 bytes
FLAG = "🇨🇴"  # one grapheme, 8 bytes
PUT = "/bluesky/xrpc/com.atproto.repo.putRecord"


def adapter_for(
    sandbox: SandboxServer, token: str = "", *, timeout: float = 2.0
) -> BlueskyAdapter:
    base = f"{sandbox.url}/bluesky"
    return BlueskyAdapter(
        ChannelCredentials(
            channel_id=2,
            handle=DEFAULT_HANDLE,
            account_id=DEFAULT_DID,
            access_token=token,
            base_url=base,
        ),
        BlueskyAdapter.defaults.rebased(base),
        http=HttpClient(timeout=timeout),
    )


def logged_in(sandbox: SandboxServer, *, timeout: float = 2.0) -> BlueskyAdapter:
    tokens = adapter_for(sandbox).login(DEFAULT_HANDLE, PASSWORD)
    return adapter_for(sandbox, tokens.access_token, timeout=timeout)


def post(
    text: str = "Plan Terrazas: inscripciones abiertas.",
    *,
    key: str = "k-1",
    media: tuple[MediaRef, ...] = (),
) -> OutboundPost:
    return OutboundPost(text=text, idempotency_key=key, media=media)


def records(sandbox: SandboxServer) -> list[dict[str, object]]:
    return sandbox.state.live_posts("bluesky", DEFAULT_DID)


def puts(sandbox: SandboxServer) -> int:
    return sum(1 for r in sandbox.state.requests if r[2] == PUT)


# ---------------------------------------------------------------- sessions


def test_login_with_app_password(sandbox: SandboxServer) -> None:
    before = datetime.datetime.now(datetime.UTC)
    tokens = adapter_for(sandbox).login("@cvpbogota.bsky.social", PASSWORD)
    assert (tokens.account_id, tokens.handle) == (DEFAULT_DID, DEFAULT_HANDLE)
    assert tokens.refresh_token and tokens.refresh_token != tokens.access_token
    assert tokens.expires_at is not None
    assert abs((tokens.expires_at - before).total_seconds() - 7200) < 5
    assert tokens.refresh_expires_at is not None
    assert tokens.refresh_expires_at - before > datetime.timedelta(days=89)
    assert tokens.scopes == ("com.atproto.appPass",)
    assert tokens.extra == {}  # the account's PDS is the host we called
    info = adapter_for(sandbox, tokens.access_token).account()
    assert (info.account_id, info.handle) == (DEFAULT_DID, DEFAULT_HANDLE)
    assert info.url == f"{sandbox.url}/bluesky/profile/{DEFAULT_HANDLE}"


def test_wrong_app_password_is_refused(sandbox: SandboxServer) -> None:
    with pytest.raises(AuthError) as caught:
        adapter_for(sandbox).login(DEFAULT_HANDLE, "zzzz-zzzz-zzzz-zzzz")
    assert caught.value.code == "bad_password" and caught.value.permanent


def test_a_session_on_another_pds_says_so(sandbox: SandboxServer) -> None:
    sandbox.state.config["bluesky"] = {
        "pds_endpoint": "https://morel.us-east.host.bsky.network"
    }
    tokens = adapter_for(sandbox).login(DEFAULT_HANDLE, PASSWORD)
    assert tokens.extra == {"pds": "https://morel.us-east.host.bsky.network"}


def test_refresh_rotates_and_a_spent_refresh_token_is_revoked(
    sandbox: SandboxServer,
) -> None:
    adapter = adapter_for(sandbox)
    first = adapter.login(DEFAULT_HANDLE, PASSWORD)
    assert first.refresh_token
    second = adapter.refresh(first.refresh_token)
    assert second.access_token != first.access_token
    assert second.refresh_token and second.refresh_token != first.refresh_token
    assert second.account_id == DEFAULT_DID
    assert adapter_for(sandbox, second.access_token).account().handle == DEFAULT_HANDLE
    with pytest.raises(AuthError) as caught:
        adapter.refresh(first.refresh_token)
    assert caught.value.revoked is True


def test_refresh_after_revocation_and_with_the_server_down(
    sandbox: SandboxServer,
) -> None:
    adapter = adapter_for(sandbox)
    tokens = adapter.login(DEFAULT_HANDLE, PASSWORD)
    assert tokens.refresh_token
    sandbox.state.inject(
        Fault(kind="status", network="bluesky",
              path="/bluesky/xrpc/com.atproto.server.refreshSession", status=503)
    )  # fmt: skip
    with pytest.raises(AdapterError) as down:
        adapter.refresh(tokens.refresh_token)
    assert not down.value.permanent and not isinstance(down.value, AuthError)
    sandbox.state.revoke("bluesky")
    with pytest.raises(AuthError) as revoked:
        adapter.refresh(tokens.refresh_token)
    assert revoked.value.revoked is True


# ---------------------------------------------------------------- publishing


def test_text_post_uses_the_key_derived_record_key(sandbox: SandboxServer) -> None:
    adapter = logged_in(sandbox)
    receipt = adapter.publish(post("Hola Bogotá", key="pub-1"))

    rkey = rkey_for("pub-1")
    [stored] = records(sandbox)
    assert stored["id"] == f"at://{DEFAULT_DID}/app.bsky.feed.post/{rkey}"
    record = stored["record"]
    assert isinstance(record, dict)
    assert record["text"] == "Hola Bogotá" and record["langs"] == ["es"]
    assert record["$type"] == "app.bsky.feed.post" and "facets" not in record
    assert receipt.platform_id == stored["id"]
    assert (
        receipt.permalink
        == f"{sandbox.url}/bluesky/profile/{DEFAULT_HANDLE}/post/{rkey}"
    )
    assert receipt.published_at.tzinfo is not None
    page = httpx.get(receipt.permalink)
    assert page.status_code == 200 and "Hola Bogotá" in page.text
    assert "Red de práctica" in page.text


def test_facets_use_utf8_byte_offsets(sandbox: SandboxServer) -> None:
    url = "https://www.cajaviviendapopular.gov.co/terrazas"
    text = (
        f"¡Atención! {FAMILY} Inscríbase en {url}. Con @bogota.gov.co, "
        f"@nadie.example y #PlanTerrazas, {FLAG} #2026"
    )
    logged_in(sandbox).publish(post(text))

    [stored] = records(sandbox)
    record = stored["record"]
    assert isinstance(record, dict)
    raw = text.encode("utf-8")
    found = {}
    for facet in record["facets"]:
        start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
        [feature] = facet["features"]
        found[feature["$type"].rsplit("#", 1)[1]] = (
            raw[start:end].decode(),
            feature,
            start,
        )
    assert set(found) == {
        "link",
        "mention",
        "tag",
    }  # @nadie.example does not resolve; #2026 is a number
    assert found["link"][0] == url and found["link"][1]["uri"] == url
    assert found["link"][2] == raw.index(b"https://")  # bytes, not characters
    assert found["link"][2] != text.index("https://")
    assert found["mention"][0] == "@bogota.gov.co"
    assert found["mention"][1]["did"] == DIRECTORY["bogota.gov.co"]
    assert (
        found["tag"][0] == "#PlanTerrazas" and found["tag"][1]["tag"] == "PlanTerrazas"
    )


def test_entities_skip_trailing_punctuation_and_overlaps() -> None:
    text = "Vea (https://x.co/a_(b)). y https://x.co/#no-tag @ana.bsky.social."
    kinds = [(e.kind, e.value) for e in entities(text)]
    assert kinds == [
        ("link", "https://x.co/a_(b)"),
        ("link", "https://x.co/#no-tag"),
        ("mention", "ana.bsky.social"),
    ]


def test_images_are_embedded_with_alt_and_aspect_ratio(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    first = media_file(
        tmp_path, "a.png", alt_text="Familia frente a su casa.", width=1280, height=760
    )
    second = media_file(tmp_path, "b.png", alt_text="Mapa de la localidad.")
    logged_in(sandbox).publish(post(media=(first, second)))

    [stored] = records(sandbox)
    record = stored["record"]
    assert isinstance(record, dict)
    embed = record["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert [i["alt"] for i in embed["images"]] == [
        "Familia frente a su casa.",
        "Mapa de la localidad.",
    ]
    assert embed["images"][0]["aspectRatio"] == {"width": 1280, "height": 760}
    blob = embed["images"][0]["image"]
    assert (
        blob["$type"] == "blob"
        and blob["mimeType"] == "image/png"
        and blob["size"] == first.size
    )
    assert sandbox.state.get_media("bluesky", blob["ref"]["$link"]) is not None


def test_blind_retry_after_a_timeout_yields_one_record(sandbox: SandboxServer) -> None:
    outbound = post("Convocatoria de titulación", key="retry-1")
    sandbox.state.inject(
        Fault(kind="timeout_after_commit", network="bluesky", path=PUT, hang_seconds=1)
    )
    with pytest.raises(AdapterError) as caught:
        logged_in(sandbox, timeout=0.5).publish(outbound)
    assert caught.value.outcome_unknown and not caught.value.permanent
    assert len(records(sandbox)) == 1

    adapter = logged_in(sandbox)
    long_ago = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    found = adapter.find_post(outbound, long_ago)  # the key decides, not the time
    [stored] = records(sandbox)
    assert found is not None and found.platform_id == stored["id"]
    assert found.text == "Convocatoria de titulación"

    receipt = adapter.publish(outbound)
    assert receipt.platform_id == stored["id"]
    assert len(records(sandbox)) == 1
    assert puts(sandbox) == 1  # the retry only read the record


def test_a_record_that_appears_meanwhile_is_not_overwritten(
    sandbox: SandboxServer,
) -> None:
    adapter = logged_in(sandbox)
    outbound = post("Primera versión", key="race-1")
    first = adapter.publish(outbound)
    cid = records(sandbox)[0]["cid"]
    # The existence check misses it (as if two workers raced): putRecord with
    # swapRecord null answers InvalidSwap and the existing record is returned.
    sandbox.state.inject(
        Fault(kind="status", network="bluesky", path="/bluesky/xrpc/com.atproto.repo.getRecord",
              status=400, code="RecordNotFound", message="Could not locate record")
    )  # fmt: skip
    again = adapter.publish(dataclasses.replace(outbound, text="Otra versión"))
    assert again.platform_id == first.platform_id
    [stored] = records(sandbox)
    assert stored["text"] == "Primera versión" and stored["cid"] == cid
    assert puts(sandbox) == 2


# ---------------------------------------------------------------- errors


def test_expired_session_is_renewable(sandbox: SandboxServer) -> None:
    adapter = logged_in(sandbox)
    sandbox.state.expire_tokens("bluesky")
    with pytest.raises(AuthError) as caught:
        adapter.publish(post())
    assert caught.value.revoked is False and caught.value.code == "token_expired"
    assert records(sandbox) == []


def test_revoked_session_needs_a_person(sandbox: SandboxServer) -> None:
    adapter = logged_in(sandbox)
    sandbox.state.revoke("bluesky")
    with pytest.raises(AuthError) as caught:
        adapter.publish(post())
    assert caught.value.revoked is True
    with pytest.raises(AuthError) as missing:
        adapter_for(sandbox).account()
    assert missing.value.revoked is True


def test_rate_limit_reads_ratelimit_reset(sandbox: SandboxServer) -> None:
    sandbox.state.config["bluesky"] = {"rate_limit_reset_seconds": 45}
    adapter = logged_in(sandbox)
    sandbox.state.inject(Fault(kind="status", network="bluesky", path=PUT, status=429))
    with pytest.raises(RateLimited) as caught:
        adapter.publish(post())
    assert caught.value.retry_after is not None and 40 <= caught.value.retry_after <= 45
    assert records(sandbox) == []


def test_server_error_is_transient(sandbox: SandboxServer) -> None:
    adapter = logged_in(sandbox)
    sandbox.state.inject(Fault(kind="status", network="bluesky", path=PUT, status=500))
    with pytest.raises(AdapterError) as caught:
        adapter.publish(post())
    assert type(caught.value) is AdapterError and not caught.value.permanent
    assert caught.value.code == "http_500"
    adapter.publish(post())  # the retry goes through: one record
    assert len(records(sandbox)) == 1


def test_the_pds_rejects_what_validation_would_have(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    adapter = logged_in(sandbox)
    with pytest.raises(ContentRejected) as long_text:
        adapter.publish(post("a" * 301))
    assert (
        long_text.value.code == "InvalidRequest"
        and "300 graphemes" in long_text.value.message
    )
    heavy = media_file(
        tmp_path, "big.png", data=b"\x89PNG" + b"\0" * 1_000_000, alt_text="Afiche."
    )
    with pytest.raises(ContentRejected) as too_big:
        adapter.publish(post(media=(heavy,), key="k-2"))
    assert too_big.value.code == "BlobTooLarge"
    assert records(sandbox) == []


# ---------------------------------------------------------------- reading and deleting


def test_delete_and_find_post(sandbox: SandboxServer) -> None:
    adapter = logged_in(sandbox)
    outbound = post(key="del-1")
    receipt = adapter.publish(outbound)
    adapter.delete(receipt.platform_id)
    assert records(sandbox) == []
    assert adapter.find_post(outbound, datetime.datetime.now(datetime.UTC)) is None
    assert httpx.get(receipt.permalink).status_code == 404
    adapter.delete(rkey_for("del-1"))  # already gone, by bare key: no error


def test_recent_posts_newest_first(sandbox: SandboxServer) -> None:
    adapter = logged_in(sandbox)
    receipts = [adapter.publish(post(f"Número {n}", key=f"r-{n}")) for n in range(4)]
    sandbox.state.add_post(
        "bluesky", "did:plc:otracuenta00000000000000", "Ajena",
        id="at://did:plc:otracuenta00000000000000/app.bsky.feed.post/3aaaaaaaaaaaa",
        rkey="3aaaaaaaaaaaa", cid="x", record={"text": "Ajena", "createdAt": "2026-01-01T00:00:00Z"},
    )  # fmt: skip
    recent = adapter.recent_posts()
    assert [r.text for r in recent] == ["Número 3", "Número 2", "Número 1", "Número 0"]
    assert [r.platform_id for r in recent] == [
        r.platform_id for r in reversed(receipts)
    ]
    assert recent[0].permalink == receipts[-1].permalink
    assert len(adapter.recent_posts(limit=2)) == 2


# ---------------------------------------------------------------- validation


def fields(outbound: OutboundPost) -> list[str]:
    adapter = BlueskyAdapter(ChannelCredentials(channel_id=2))
    return [i.field for i in adapter.validate(outbound) if i.severity == "error"]


def test_record_keys_are_stable_valid_tids() -> None:
    key = "3f1c1e9a-0d7e-4b6a-9a57-6f6c1d1e2f30"
    assert rkey_for(key) == rkey_for(key)
    assert TID.match(rkey_for(key))
    assert len({rkey_for(f"k-{n}") for n in range(500)}) == 500
    assert all(TID.match(rkey_for(f"k-{n}")) for n in range(500))


def test_text_is_measured_in_graphemes_and_bytes() -> None:
    assert fields(post("á" * 300)) == []
    [issue] = BlueskyAdapter(ChannelCredentials(channel_id=2)).validate(post("á" * 301))
    assert issue.field == "text" and "301" in issue.message and "300" in issue.message
    assert fields(post("e\u0301" * 300)) == []  # combining marks: one grapheme each
    assert fields(post("e\u0301" * 301)) == ["text"]
    assert fields(post(FLAG * 300)) == []
    assert fields(post(FLAG * 301)) == ["text"]
    assert len((FAMILY * 120).encode()) == 3000
    assert fields(post(FAMILY * 120)) == []  # 120 graphemes, exactly 3,000 bytes
    [heavy] = BlueskyAdapter(ChannelCredentials(channel_id=2)).validate(
        post(FAMILY * 120 + "a")
    )
    assert heavy.field == "text" and "3001" in heavy.message and "3000" in heavy.message
    assert fields(post("", media=())) == ["text"]


def test_long_hashtags_are_a_warning() -> None:
    adapter = BlueskyAdapter(ChannelCredentials(channel_id=2))
    [warning] = adapter.validate(post("#" + "a" * 65))
    assert warning.severity == "warning" and "64" in warning.message
    assert adapter.validate(post("#" + "a" * 64)) == []


def test_media_rules(tmp_path: Path) -> None:
    pictures = tuple(
        media_file(tmp_path, f"p{n}.png", alt_text="Foto.") for n in range(5)
    )
    assert fields(post(media=pictures[:4])) == []
    [issue] = BlueskyAdapter(ChannelCredentials(channel_id=2)).validate(
        post(media=pictures)
    )
    assert issue.field == "media" and "5" in issue.message and "4" in issue.message
    no_alt = media_file(tmp_path, "x.png")
    assert fields(post(media=(no_alt,))) == ["media[0].alt_text"]
    at_limit = dataclasses.replace(pictures[0], size=1_000_000)
    assert fields(post(media=(at_limit,))) == []
    assert fields(post(media=(dataclasses.replace(at_limit, size=1_000_001),))) == [
        "media[0]"
    ]
    bmp = dataclasses.replace(pictures[0], content_type="image/bmp")
    assert fields(post(media=(bmp,))) == ["media[0]"]
    clip = media_file(
        tmp_path, "v.mp4", kind="video", content_type="video/mp4", alt_text="Video."
    )
    [video_issue] = BlueskyAdapter(ChannelCredentials(channel_id=2)).validate(
        post(media=(clip,))
    )
    assert video_issue.field == "media[0]" and "video" in video_issue.message
