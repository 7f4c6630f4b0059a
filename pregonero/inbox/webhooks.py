"""Meta webhooks (issue 6): Page comments, Messenger messages and Instagram
comments pushed by Meta, stored like the ones the poller reads.

``GET /webhooks/meta/`` answers Meta's subscription check: ``hub.mode=subscribe``
with ``hub.verify_token`` equal to ``PREGONERO_META_VERIFY_TOKEN`` returns
``hub.challenge``. ``POST`` deliveries must carry ``X-Hub-Signature-256:
sha256=<hex>``, the HMAC-SHA256 of the raw body with the app secret
(``PREGONERO_META_APP_SECRET``), compared in constant time; without a valid
signature (or without a configured secret) nothing is read. This is the only
CSRF-exempt view: the signature is what authenticates the caller.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from pregonero.core.models import Channel
from pregonero.publishing.adapters.meta_common import webhook_items
from pregonero.publishing.models import ConnectionStatus

from .actions import receive_item

logger = logging.getLogger(__name__)


def valid_signature(body: bytes, header: str, secret: str) -> bool:
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip())


@csrf_exempt
@require_http_methods(["GET", "POST"])
def meta(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        token = str(getattr(settings, "PREGONERO_META_VERIFY_TOKEN", ""))
        given = request.GET.get("hub.verify_token", "")
        if (
            token
            and request.GET.get("hub.mode") == "subscribe"
            and hmac.compare_digest(token.encode(), given.encode())
        ):
            return HttpResponse(
                request.GET.get("hub.challenge", ""), content_type="text/plain"
            )
        return HttpResponse(status=403)
    secret = str(getattr(settings, "PREGONERO_META_APP_SECRET", ""))
    body = request.body
    if not valid_signature(
        body, request.headers.get("X-Hub-Signature-256", ""), secret
    ):
        logger.warning("Meta webhook refused: missing or invalid signature")
        return HttpResponse(status=403)
    try:
        payload = json.loads(body)
    except ValueError:
        return HttpResponse(status=400)
    stored = store(payload if isinstance(payload, dict) else {})
    return HttpResponse(f"{stored}", content_type="text/plain")


def store(payload: dict[str, object]) -> int:
    """Store the delivery's items on every connected channel of that account;
    how many were new (the others were already read by the poller or an
    earlier delivery)."""
    items = webhook_items(payload)
    if not items:
        return 0
    accounts = {(i.network, i.account_id) for i in items}
    channels: dict[tuple[str, str], list[Channel]] = {}
    for channel in Channel.objects.filter(
        active=True,
        kind__in={network for network, _ in accounts},
        connection__account_id__in={account for _, account in accounts},
        connection__status__in=(
            ConnectionStatus.CONNECTED,
            ConnectionStatus.REFRESH_FAILED,
        ),
    ).select_related("connection"):
        key = (channel.kind, channel.connection.account_id)
        channels.setdefault(key, []).append(channel)
    stored = 0
    with transaction.atomic():
        for item in items:
            for channel in channels.get((item.network, item.account_id), []):
                entry = item.entry
                _item, created = receive_item(
                    channel,
                    entry.kind,
                    entry.platform_id,
                    entry.author_handle,
                    entry.text,
                    entry.url,
                    entry.received_at,
                    entry.thread_key,
                    {"source": "webhook"},
                    author_name=entry.author_name,
                    post_url=entry.post_url,
                )
                stored += int(created)
    return stored
