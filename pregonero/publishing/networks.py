"""From a channel to a ready adapter: the network's settings (production or the
practice server), the channel's decrypted credentials, the adapter class.

This is the only place that decrypts tokens for use; nothing else hands a
token to code outside the adapter that calls the network.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.conf import settings

from pregonero.core.models import Channel, NetworkKind

from .adapters.base import Adapter, ChannelCredentials, NetworkSettings
from .adapters.registry import get_adapter_class, has_adapter
from .models import ChannelConnection, InstanceApp

# The OAuth client Pregonero uses with the practice networks (they accept any).
TRAINING_CLIENT = {
    "client_id": "pregonero-entrenamiento",
    "client_secret": "entrenamiento",
}


def adapter_slug(channel: Channel) -> str:
    """The adapter of the channel's kind; kinds without one are published by hand."""
    return channel.kind if has_adapter(channel.kind) else NetworkKind.MANUAL


def adapter_class(channel: Channel) -> type[Adapter]:
    return get_adapter_class(adapter_slug(channel))


def training() -> bool:
    return bool(settings.PREGONERO_SANDBOX_URL)


def network_settings(
    slug: str, *, instance_app: InstanceApp | None = None
) -> NetworkSettings:
    """The network's endpoints and OAuth client, rebased onto the practice server
    in training mode."""
    cls = get_adapter_class(slug)
    configured: dict[str, Any] = dict(settings.PREGONERO_NETWORKS.get(slug, {}))
    network = cls.defaults.merged(configured)
    if training() and cls.sandbox_prefix:
        network = network.rebased(
            f"{settings.PREGONERO_SANDBOX_URL}/{cls.sandbox_prefix}"
        )
        if not configured.get("client_id"):
            network = network.merged(TRAINING_CLIENT)
    if instance_app is not None:
        network = replace(
            network,
            client_id=instance_app.client_id,
            client_secret=instance_app.client_secret,
        )
    return network


def default_base_url(slug: str) -> str:
    """The host of a per-channel-host network when the person gives none."""
    cls = get_adapter_class(slug)
    if not cls.per_channel_host:
        return ""
    if training():
        return f"{settings.PREGONERO_SANDBOX_URL}/{cls.sandbox_prefix}"
    return cls.defaults.api_url


def credentials_for(
    channel: Channel, connection: ChannelConnection | None
) -> ChannelCredentials:
    if connection is None:
        return ChannelCredentials(
            channel_id=channel.pk, handle=channel.handle, imitates=channel.network
        )
    extra = {k: str(v) for k, v in (connection.extra or {}).items()}
    return ChannelCredentials(
        channel_id=channel.pk,
        handle=connection.account_handle or channel.handle,
        imitates=channel.network,
        account_id=connection.account_id,
        access_token=connection.access_token
        if connection.access_token_encrypted
        else "",
        base_url=connection.base_url or default_base_url(adapter_slug(channel)),
        extra=extra,
    )


def connection_of(channel: Channel) -> ChannelConnection | None:
    try:
        return channel.connection
    except ChannelConnection.DoesNotExist:
        return None


def instance_app_for(connection: ChannelConnection | None) -> InstanceApp | None:
    if connection is None or not connection.base_url:
        return None
    return (
        InstanceApp.objects.filter(
            organization_id=connection.organization_id,
            base_url=connection.base_url,
        )
        .order_by("-pk")
        .first()
    )


def adapter_for(
    channel: Channel,
    connection: ChannelConnection | None = None,
    *,
    http: Any = None,
    with_credentials: bool = True,
) -> Adapter:
    """The channel's adapter, with its credentials when ``with_credentials``."""
    slug = adapter_slug(channel)
    cls = get_adapter_class(slug)
    if with_credentials and connection is None:
        connection = connection_of(channel)
    credentials = credentials_for(channel, connection if with_credentials else None)
    if cls.connect_method == "none":
        return cls(credentials, http=http)
    app = instance_app_for(connection) if cls.connect_method == "register" else None
    return cls(credentials, network_settings(slug, instance_app=app), http=http)


def needs_connection(channel: Channel) -> bool:
    cls = adapter_class(channel)
    return cls.publishes_automatically and cls.connect_method != "none"
