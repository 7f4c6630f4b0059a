"""The LinkedIn adapter against the sandbox LinkedIn, over real HTTP."""

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
    TokenSet,
)
from pregonero.publishing.adapters.errors import (
    AdapterError,
    AuthError,
    ContentRejected,
    Duplicate,
    RateLimited,
)
from pregonero.publishing.adapters.linkedin import (
    LinkedInAdapter,
    from_little_text,
    to_little_text,
)
from pregonero.publishing.sandbox_server import Fault, SandboxServer
from pregonero.publishing.sandbox_server.linkedin import (
    DEFAULT_MEMBER,
    DEFAULT_NAME,
    DEFAULT_ORGANIZATION,
    plain_text,
)

from .conftest import media_file

ORG = f"urn:li:organization:{DEFAULT_ORGANIZATION}"
REDIRECT = "http://pregonero.test/canales/linkedin/callback"
TEXT = "Convocatoria (2026) para #Vivienda_Digna: requisitos [aquí] en https://www.cajaviviendapopular.gov.co/plan_terrazas."


def token_for(sandbox: SandboxServer, member: str = DEFAULT_MEMBER) -> str:
    access, _refresh = sandbox.state.issue_tokens(
        "linkedin", member, expires_in=5_184_000
    )
    return access


def adapter_for(
    sandbox: SandboxServer,
    token: str = "",
    *,
    timeout: float = 2.0,
    account_id: str = ORG,
    version: str = "",
) -> LinkedInAdapter:
    network = LinkedInAdapter.defaults.rebased(f"{sandbox.url}/linkedin").merged(
        {"client_id": "app-1", "client_secret": "s3cret", "api_version": version}
    )
    adapter = LinkedInAdapter(
        ChannelCredentials(
            channel_id=1, handle=DEFAULT_NAME, account_id=account_id, access_token=token
        ),
        network,
        http=HttpClient(timeout=timeout),
    )
    adapter.poll_interval = 0.01
    return adapter


def post(text: str = TEXT, media: tuple[MediaRef, ...] = ()) -> OutboundPost:
    return OutboundPost(text=text, idempotency_key="k-1", media=media)


def image(tmp_path: Path, name: str = "pieza.png", **kw: object) -> MediaRef:
    kw.setdefault("alt_text", f"Pieza gráfica {name}")
    return media_file(tmp_path, name, **kw)  # type: ignore[arg-type]


def errors(issues: list[object]) -> list[str]:
    return [i.field for i in issues if i.severity == "error"]  # type: ignore[attr-defined]


# ---------------------------------------------------------------- publishing


def test_text_post_keeps_reserved_characters_and_links(sandbox: SandboxServer) -> None:
    receipt = adapter_for(sandbox, token_for(sandbox)).publish(post())
    [stored] = sandbox.state.live_posts("linkedin", ORG)
    assert stored["text"] == TEXT  # nothing cut at "(" or "["
    assert stored["commentary"].startswith(
        "Convocatoria \\(2026\\) para #Vivienda_Digna"
    )
    assert receipt.platform_id == stored["id"] and receipt.platform_id.startswith(
        "urn:li:share:"
    )
    assert (
        receipt.permalink
        == f"{sandbox.url}/linkedin/feed/update/{receipt.platform_id}/"
    )
    page = httpx.get(receipt.permalink)
    assert page.status_code == 200 and "Red de práctica de Pregonero" in page.text
    assert "Convocatoria (2026)" in page.text


def test_every_rest_call_sends_the_version_headers(sandbox: SandboxServer) -> None:
    with pytest.raises(AdapterError) as caught:
        adapter_for(sandbox, token_for(sandbox), version="202401").publish(post())
    assert caught.value.code == "api_version" and caught.value.permanent
    assert sandbox.state.live_posts("linkedin") == []


def test_one_image_goes_as_media_with_alt_text(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.config["linkedin"] = {"processing_polls": 3}
    adapter = adapter_for(sandbox, token_for(sandbox))
    adapter.publish(post(media=(image(tmp_path, alt_text="Familia en su terraza"),)))
    [stored] = sandbox.state.live_posts("linkedin")
    assert stored["content"]["media"]["altText"] == "Familia en su terraza"
    assert [m["alt_text"] for m in stored["media"]] == ["Familia en su terraza"]
    reads = [
        p
        for _n, m, p in sandbox.state.requests
        if m == "GET" and p.startswith("/linkedin/rest/images/")
    ]
    assert len(reads) == 4  # PROCESSING three times, then AVAILABLE


def test_several_images_go_as_multi_image(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    media = tuple(image(tmp_path, f"{n}.png") for n in range(3))
    adapter_for(sandbox, token_for(sandbox)).publish(post(media=media))
    [stored] = sandbox.state.live_posts("linkedin")
    assert [i["altText"] for i in stored["content"]["multiImage"]["images"]] == [
        "Pieza gráfica 0.png",
        "Pieza gráfica 1.png",
        "Pieza gráfica 2.png",
    ]
    assert len(stored["media"]) == 3


def test_failed_image_processing_is_rejected(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.config["linkedin"] = {"processing_result": "PROCESSING_FAILED"}
    with pytest.raises(ContentRejected) as caught:
        adapter_for(sandbox, token_for(sandbox)).publish(post(media=(image(tmp_path),)))
    assert caught.value.code == "media_failed"
    assert sandbox.state.live_posts("linkedin") == []


def test_endless_image_processing_gives_up_transiently(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.state.config["linkedin"] = {"processing_polls": 50}
    adapter = adapter_for(sandbox, token_for(sandbox))
    adapter.max_polls = 3
    with pytest.raises(AdapterError) as caught:
        adapter.publish(post(media=(image(tmp_path),)))
    assert caught.value.code == "media_processing" and not caught.value.permanent
    assert sandbox.state.live_posts("linkedin") == []


# ---------------------------------------------------------------- errors


def test_expired_token_asks_for_a_refresh(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    sandbox.state.expire_tokens("linkedin")
    with pytest.raises(AuthError) as caught:
        adapter.publish(post())
    assert (
        caught.value.revoked is False and "EXPIRED_ACCESS_TOKEN" in caught.value.message
    )


@pytest.mark.parametrize("revoke", [True, False])
def test_revoked_or_unknown_token_needs_a_person(
    sandbox: SandboxServer, revoke: bool
) -> None:
    token = token_for(sandbox) if revoke else "desconocido"
    if revoke:
        sandbox.state.revoke("linkedin")
    with pytest.raises(AuthError) as caught:
        adapter_for(sandbox, token).publish(post())
    assert caught.value.revoked is True


def test_a_member_who_does_not_administer_the_page_is_denied(
    sandbox: SandboxServer,
) -> None:
    sandbox.state.config["linkedin"] = {
        "acls": {DEFAULT_MEMBER: [("999", "ADMINISTRATOR")]}
    }
    with pytest.raises(AuthError) as caught:
        adapter_for(sandbox, token_for(sandbox)).publish(post())
    assert caught.value.revoked is True and caught.value.code == "forbidden"


def test_rate_limit_uses_retry_after_or_midnight_utc(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    sandbox.state.inject(
        Fault(
            kind="status",
            network="linkedin",
            path="/linkedin/rest/posts",
            status=429,
            retry_after=120,
        )
    )
    with pytest.raises(RateLimited) as caught:
        adapter.publish(post())
    assert caught.value.retry_after == 120
    sandbox.state.inject(
        Fault(
            kind="status", network="linkedin", path="/linkedin/rest/posts", status=429
        )
    )
    with pytest.raises(RateLimited) as daily:
        adapter.publish(post())
    now = datetime.datetime.now(datetime.UTC)
    midnight = (now + datetime.timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    assert abs((daily.value.retry_after or 0) - (midnight - now).total_seconds()) < 5


def test_server_error_is_transient(sandbox: SandboxServer) -> None:
    sandbox.state.inject(
        Fault(
            kind="status", network="linkedin", path="/linkedin/rest/posts", status=500
        )
    )
    with pytest.raises(AdapterError) as caught:
        adapter_for(sandbox, token_for(sandbox)).publish(post())
    assert not caught.value.permanent and not isinstance(
        caught.value, AuthError | ContentRejected
    )


def test_text_over_3000_is_refused_by_linkedin(sandbox: SandboxServer) -> None:
    with pytest.raises(ContentRejected) as caught:
        adapter_for(sandbox, token_for(sandbox)).publish(post("a" * 3001))
    assert "3001" in caught.value.message
    assert sandbox.state.live_posts("linkedin") == []


def test_duplicate_post_is_reported(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    first = adapter.publish(post())
    with pytest.raises(Duplicate) as caught:
        adapter.publish(post())
    assert first.platform_id in caught.value.message
    assert len(sandbox.state.live_posts("linkedin")) == 1


def test_timeout_after_creation_is_reconciled(sandbox: SandboxServer) -> None:
    since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
    sandbox.state.inject(
        Fault(
            kind="timeout_after_commit",
            network="linkedin",
            path="/linkedin/rest/posts",
            method="POST",
            hang_seconds=1,
        )
    )
    adapter = adapter_for(sandbox, token_for(sandbox), timeout=0.5)
    with pytest.raises(AdapterError) as caught:
        adapter.publish(post())
    assert caught.value.outcome_unknown and not caught.value.permanent
    [stored] = sandbox.state.live_posts("linkedin")
    adapter.publish(post("Otra publicación de la Caja"))
    found = adapter.find_post(post(), since)
    assert found is not None and found.platform_id == stored["id"]
    assert adapter.find_post(post("Nunca publicada"), since) is None


def test_delete_takes_the_post_down_and_tolerates_a_second_time(
    sandbox: SandboxServer,
) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    receipt = adapter.publish(post())
    adapter.delete(receipt.platform_id)
    assert sandbox.state.live_posts("linkedin") == []
    adapter.delete(receipt.platform_id)


def test_recent_posts_are_newest_first_with_plain_text(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox, token_for(sandbox))
    for number in range(3):
        adapter.publish(post(f"Publicación (número {number}) #CVP"))
    sandbox.state.add_post(
        "linkedin",
        "urn:li:organization:1",
        "De otra página",
        commentary="De otra página",
    )
    recent = adapter.recent_posts(limit=2)
    assert [p.text for p in recent] == [
        "Publicación (número 2) #CVP",
        "Publicación (número 1) #CVP",
    ]
    assert recent[0].created_at is not None and recent[0].created_at.tzinfo is not None
    assert recent[0].permalink == adapter.permalink(recent[0].platform_id)
    assert len(adapter.recent_posts()) == 3


# ---------------------------------------------------------------- accounts


def connect(sandbox: SandboxServer, adapter: LinkedInAdapter) -> TokenSet:
    url = adapter.authorization_url(state="st-1", redirect_uri=REDIRECT)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert "code_challenge" not in query
    assert query["scope"] == [
        "w_organization_social r_organization_social rw_organization_admin"
    ]
    response = httpx.get(url + "&approve=1")
    assert response.status_code == 302
    returned = urllib.parse.parse_qs(
        urllib.parse.urlsplit(response.headers["location"]).query
    )
    assert returned["state"] == ["st-1"]
    return adapter.exchange_code(code=returned["code"][0], redirect_uri=REDIRECT)


def test_oauth_flow_gives_the_organization(sandbox: SandboxServer) -> None:
    tokens = connect(sandbox, adapter_for(sandbox, account_id=""))
    assert tokens.account_id == ORG and tokens.handle == DEFAULT_NAME
    assert tokens.extra == {"vanity_name": "caja-de-la-vivienda-popular"}
    assert tokens.refresh_token and "w_organization_social" in tokens.scopes
    now = datetime.datetime.now(datetime.UTC)
    assert tokens.expires_at and abs(
        (tokens.expires_at - now) - datetime.timedelta(days=60)
    ) < datetime.timedelta(minutes=1)
    assert (
        tokens.refresh_expires_at
        and tokens.refresh_expires_at - now > datetime.timedelta(days=364)
    )
    assert sandbox.state.token("linkedin", tokens.access_token) is not None


def test_oauth_picks_the_first_page_with_a_posting_role(sandbox: SandboxServer) -> None:
    sandbox.state.config["linkedin"] = {
        "acls": {DEFAULT_MEMBER: [("555", "ANALYST"), ("777", "CONTENT_ADMINISTRATOR")]}
    }
    tokens = connect(sandbox, adapter_for(sandbox, account_id=""))
    assert (
        tokens.account_id == "urn:li:organization:777"
        and tokens.handle == "Organización 777"
    )


def test_oauth_refuses_a_page_the_person_does_not_administer(
    sandbox: SandboxServer,
) -> None:
    with pytest.raises(ContentRejected) as caught:
        connect(sandbox, adapter_for(sandbox, account_id="urn:li:organization:424242"))
    assert "424242" in caught.value.message and "ADMINISTRATOR" in caught.value.message


def test_apps_without_refresh_get_none(sandbox: SandboxServer) -> None:
    sandbox.state.config["linkedin"] = {"issue_refresh_tokens": False}
    tokens = connect(sandbox, adapter_for(sandbox, account_id=ORG))
    assert tokens.refresh_token is None and tokens.refresh_expires_at is None


def test_refresh_returns_a_new_access_token(sandbox: SandboxServer) -> None:
    old, refresh = sandbox.state.issue_tokens("linkedin", DEFAULT_MEMBER)
    tokens = adapter_for(sandbox).refresh(refresh or "")
    assert tokens.access_token != old and tokens.refresh_token == refresh
    assert tokens.account_id == ORG
    assert sandbox.state.token("linkedin", tokens.access_token) is not None


def test_refresh_of_a_revoked_grant_needs_a_person(sandbox: SandboxServer) -> None:
    _access, refresh = sandbox.state.issue_tokens("linkedin", DEFAULT_MEMBER)
    sandbox.state.revoke("linkedin")
    with pytest.raises(AuthError) as caught:
        adapter_for(sandbox).refresh(refresh or "")
    assert caught.value.revoked is True


def test_refresh_during_an_outage_is_transient(sandbox: SandboxServer) -> None:
    _access, refresh = sandbox.state.issue_tokens("linkedin", DEFAULT_MEMBER)
    sandbox.state.inject(
        Fault(
            kind="status",
            network="linkedin",
            path="/linkedin/oauth/v2/accessToken",
            status=503,
        )
    )
    with pytest.raises(AdapterError) as caught:
        adapter_for(sandbox).refresh(refresh or "")
    assert not caught.value.permanent and not isinstance(caught.value, AuthError)


def test_account_is_the_organization(sandbox: SandboxServer) -> None:
    info = adapter_for(sandbox, token_for(sandbox)).account()
    assert (info.account_id, info.handle) == (ORG, DEFAULT_NAME)
    assert info.url == f"{sandbox.url}/linkedin/company/caja-de-la-vivienda-popular/"
    assert httpx.get(info.url).status_code == 200


# ---------------------------------------------------------------- validation


def test_commentary_limit_is_3000(sandbox: SandboxServer) -> None:
    adapter = adapter_for(sandbox)
    assert adapter.validate(post("a" * 3000)) == []
    [issue] = adapter.validate(post("a" * 3001))
    assert (
        issue.field == "text"
        and "3001" in issue.message
        and "LinkedIn admite 3000" in issue.message
    )
    assert (
        errors(adapter.validate(post("e\u0301" * 3000))) == []
    )  # NFC: 3000 characters


def test_up_to_twenty_images_each_with_alt_text(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    adapter = adapter_for(sandbox)
    twenty = tuple(image(tmp_path, f"{n}.png") for n in range(20))
    assert adapter.validate(post(media=twenty)) == []
    [issue] = adapter.validate(post(media=(*twenty, image(tmp_path, "21.png"))))
    assert issue.field == "media" and "20" in issue.message
    [alt] = adapter.validate(post(media=(image(tmp_path, alt_text=""),)))
    assert alt.field == "media[0].alt_text"


def test_video_and_other_types_are_not_supported(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    adapter = adapter_for(sandbox)
    clip = media_file(tmp_path, "video.mp4", kind="video", content_type="video/mp4")
    webp = image(tmp_path, "a.webp", content_type="image/webp")
    [issue] = adapter.validate(post(media=(clip,)))
    assert (
        issue.field == "media[0]"
        and "LinkedIn: video no soportado aún por Pregonero" in issue.message
    )
    assert errors(adapter.validate(post(media=(image(tmp_path), webp)))) == ["media[1]"]
    huge = dataclasses.replace(image(tmp_path), width=6016, height=6016)
    assert errors(adapter.validate(post(media=(huge,)))) == ["media[0]"]


def test_little_text_round_trip() -> None:
    text = "Ver (anexo) [1] {x} <y> @cvp a_b *c* ~d~ \\ | #Hashtag en https://cvp.gov.co/a_(b)."
    little = to_little_text(text)
    assert (
        "\\(anexo\\)" in little
        and "#Hashtag" in little
        and "https://cvp.gov.co/a_(b" in little
    )
    assert from_little_text(little) == text
    assert plain_text(little) == text
    assert plain_text("antes (corte") == "antes "  # unescaped: LinkedIn cuts the text
    assert from_little_text("{hashtag|\\#|Vivienda}") == "#Vivienda"


def test_account_checks_the_member_still_administers_the_page(
    sandbox: SandboxServer,
) -> None:
    sandbox.state.config["linkedin"] = {"acls": {DEFAULT_MEMBER: []}}
    with pytest.raises(ContentRejected):
        adapter_for(sandbox, token_for(sandbox)).account()


def test_a_bare_organization_id_is_read_as_its_urn(sandbox: SandboxServer) -> None:
    adapter_for(sandbox, token_for(sandbox), account_id=DEFAULT_ORGANIZATION).publish(
        post()
    )
    assert len(sandbox.state.live_posts("linkedin", ORG)) == 1


def test_find_post_reads_back_past_many_newer_posts(sandbox: SandboxServer) -> None:
    since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=5)
    adapter = adapter_for(sandbox, token_for(sandbox))
    target = adapter.publish(post("La publicación incierta"))
    for n in range(130):
        adapter.publish(post(f"Publicación posterior número {n}"))
    found = adapter.find_post(post("La publicación incierta"), since)
    assert found is not None and found.platform_id == target.platform_id
    assert adapter.find_post(post("Nunca publicada"), since) is None
