"""API for the channels' custody (SEC-01): inventory, connect, test, disconnect.

Tokens never leave the server: no endpoint returns or accepts one, except the
Bluesky app password, which opens a session and is not stored.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema, Status

from pregonero.accounts.models import User
from pregonero.accounts.permissions import Perm, has_perm, require
from pregonero.core.errors import ConflictError, PermissionDeniedError
from pregonero.core.models import Channel, Dependency
from pregonero.publishing import channels
from pregonero.publishing.forms import channel_snapshot
from pregonero.publishing.networks import adapter_class, connection_of

from .base import ErrorOut, in_org, user_of

router = Router(tags=["Canales (custodia de cuentas)"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ConnectionOut(Schema):
    status: str
    status_label: str
    account_id: str
    account_handle: str
    server: str
    scopes: str
    expires_at: datetime.datetime | None
    refresh_expires_at: datetime.datetime | None
    refreshes_itself: bool
    connected_by: str
    connected_at: datetime.datetime | None
    last_success_at: datetime.datetime | None
    last_error: str


class ChannelOut(Schema):
    id: int
    name: str
    kind: str
    imitates: str
    handle: str
    url: str
    owner_dependency_id: int | None
    recovery_email: str
    active: bool
    connect_method: str
    version: str
    connection: ConnectionOut | None


def channel_out(channel: Channel) -> dict[str, Any]:
    connection = connection_of(channel)
    cls = adapter_class(channel)
    return {
        "id": channel.pk,
        "name": channel.name,
        "kind": channel.kind,
        "imitates": channel.imitates,
        "handle": channel.handle,
        "url": channel.url,
        "owner_dependency_id": channel.owner_dependency_id,
        "recovery_email": channel.recovery_email,
        "active": channel.active,
        "connect_method": cls.connect_method
        if cls.publishes_automatically
        else "manual",
        "version": channel_snapshot(channel),
        "connection": None
        if connection is None
        else {
            "status": connection.status,
            "status_label": connection.get_status_display(),
            "account_id": connection.account_id,
            "account_handle": connection.account_handle,
            "server": connection.base_url,
            "scopes": connection.scopes,
            "expires_at": connection.expires_at,
            "refresh_expires_at": connection.refresh_expires_at,
            "refreshes_itself": bool(connection.refresh_token_encrypted),
            "connected_by": connection.connected_by.username
            if connection.connected_by
            else "",
            "connected_at": connection.connected_at,
            "last_success_at": connection.last_success_at,
            "last_error": connection.last_error,
        },
    }


def _reader(user: User) -> None:
    if not (has_perm(user, Perm.CHANNEL_MANAGE) or has_perm(user, Perm.READ_ALL)):
        raise PermissionDeniedError("No puede ver los canales.")


def _channel(user: User, channel_id: int) -> Channel:
    channel = in_org(Channel, user, channel_id, "channel_id")
    assert channel is not None
    return channel


@router.get(
    "/channels",
    response={200: list[ChannelOut], **ERRORS},
    summary="Inventario de canales",
)
def list_channels(request: HttpRequest) -> list[dict[str, Any]]:
    user = user_of(request)
    _reader(user)
    rows = (
        Channel.objects.for_org(user.organization_id)
        .select_related("connection", "connection__connected_by")
        .order_by("name")
    )
    return [channel_out(c) for c in rows]


@router.get(
    "/channels/{channel_id}",
    response={200: ChannelOut, **ERRORS},
    summary="Ver un canal",
)
def get_channel(request: HttpRequest, channel_id: int) -> dict[str, Any]:
    user = user_of(request)
    _reader(user)
    return channel_out(_channel(user, channel_id))


class ChannelIn(Schema):
    name: str
    kind: str
    imitates: str = ""
    handle: str = ""
    url: str = ""
    owner_dependency_id: int | None = None
    recovery_email: str = ""
    active: bool = True
    version: str = ""


def _apply(user: User, channel: Channel, payload: ChannelIn) -> Channel:
    from pregonero.core.errors import ValidationFailed

    for field in (
        "name",
        "kind",
        "imitates",
        "handle",
        "url",
        "recovery_email",
        "active",
    ):
        setattr(channel, field, getattr(payload, field))
    channel.owner_dependency = in_org(
        Dependency, user, payload.owner_dependency_id, "owner_dependency_id"
    )
    try:
        channel.full_clean(exclude=["organization"])
    except Exception as exc:  # ValidationError from the model fields
        errors = getattr(exc, "message_dict", {"__all__": [str(exc)]})
        raise ValidationFailed("Revise los datos del canal.", errors=errors) from exc
    return channels.save_channel(user, channel)


@router.post(
    "/channels", response={201: ChannelOut, **ERRORS}, summary="Crear un canal"
)
def create_channel(request: HttpRequest, payload: ChannelIn) -> Status[dict[str, Any]]:
    user = user_of(request)
    require(user, Perm.CHANNEL_MANAGE)
    channel = _apply(user, Channel(organization_id=user.organization_id), payload)
    return Status(201, channel_out(channel))


@router.put(
    "/channels/{channel_id}",
    response={200: ChannelOut, **ERRORS},
    summary="Actualizar un canal",
)
def update_channel(
    request: HttpRequest, channel_id: int, payload: ChannelIn
) -> dict[str, Any]:
    user = user_of(request)
    require(user, Perm.CHANNEL_MANAGE)
    channel = _channel(user, channel_id)
    if payload.version and payload.version != channel_snapshot(channel):
        raise ConflictError(
            "Otra persona cambió este canal: lea la versión actual y vuelva a intentarlo."
        )
    return channel_out(_apply(user, channel, payload))


class ConnectIn(Schema):
    base_url: str = ""


class ConnectOut(Schema):
    authorization_url: str


@router.post(
    "/channels/{channel_id}/connect",
    response={200: ConnectOut, **ERRORS},
    summary="Empezar a conectar (OAuth): abra la dirección devuelta en el navegador",
)
def connect(
    request: HttpRequest, channel_id: int, payload: ConnectIn
) -> dict[str, Any]:
    user = user_of(request)
    channel = _channel(user, channel_id)
    redirect_uri = request.build_absolute_uri(reverse("publishing:oauth_callback"))
    url = channels.begin_oauth(
        user, channel, redirect_uri=redirect_uri, base_url=payload.base_url
    )
    return {"authorization_url": url}


class PasswordIn(Schema):
    identifier: str
    app_password: str
    base_url: str = ""


@router.post(
    "/channels/{channel_id}/connect-password",
    response={200: ChannelOut, **ERRORS},
    summary="Conectar con contraseña de aplicación (Bluesky)",
)
def connect_password(
    request: HttpRequest, channel_id: int, payload: PasswordIn
) -> dict[str, Any]:
    user = user_of(request)
    channel = _channel(user, channel_id)
    channels.connect_with_password(
        user,
        channel,
        identifier=payload.identifier,
        app_password=payload.app_password,
        base_url=payload.base_url,
    )
    channel.refresh_from_db()
    return channel_out(channel)


class AccountOut(Schema):
    account_id: str
    handle: str
    name: str


@router.post(
    "/channels/{channel_id}/test",
    response={200: AccountOut, **ERRORS},
    summary="Probar la conexión",
)
def test(request: HttpRequest, channel_id: int) -> dict[str, Any]:
    user = user_of(request)
    info = channels.test_connection(user, _channel(user, channel_id))
    return {"account_id": info.account_id, "handle": info.handle, "name": info.name}


class ReasonIn(Schema):
    reason: str


@router.post(
    "/channels/{channel_id}/disconnect",
    response={200: ChannelOut, **ERRORS},
    summary="Desconectar",
)
def disconnect(
    request: HttpRequest, channel_id: int, payload: ReasonIn
) -> dict[str, Any]:
    user = user_of(request)
    channel = _channel(user, channel_id)
    channels.disconnect(user, channel, reason=payload.reason)
    channel.refresh_from_db()
    return channel_out(channel)
