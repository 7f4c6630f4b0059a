"""Institutional custody of the entity's accounts (SEC-01).

Connecting, reconnecting, testing, refreshing and disconnecting a channel are
actions: each writes its audit event in the same transaction as the change.
Network calls happen outside transactions, except the token refresh, which
holds the connection's row lock so two workers never spend the same rotating
refresh token.
"""

from __future__ import annotations

import datetime
import json
import logging
import secrets
import urllib.parse
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pregonero.accounts.models import User
from pregonero.accounts.notify import notify
from pregonero.accounts.permissions import Perm, require, users_with_role
from pregonero.audit.actions import record
from pregonero.core.errors import ConflictError, TransitionNotAllowed, ValidationFailed
from pregonero.core.models import Channel, NetworkKind

from . import crypto
from .adapters.base import AccountInfo, TokenSet, pkce_pair
from .adapters.errors import AdapterError, AuthError
from .models import ChannelConnection, ConnectionStatus, InstanceApp
from .networks import (
    adapter_class,
    adapter_for,
    adapter_slug,
    connection_of,
    default_base_url,
    network_settings,
)

logger = logging.getLogger(__name__)

CHANNEL_FIELDS = (
    "name",
    "kind",
    "imitates",
    "handle",
    "url",
    "owner_dependency",
    "recovery_email",
    "active",
)


def channel_url(channel: Channel) -> str:
    return reverse("publishing:channel_detail", args=[channel.pk])


def custodians(organization_id: int) -> list[User]:
    """Who hears about a channel's tokens: the Profesionales, the Jefe, the admins."""
    people: dict[int, User] = {}
    for role in ("profesional", "jefe", "admin"):
        for user in users_with_role(organization_id, role):
            people[user.pk] = user
    return list(people.values())


# ---------------------------------------------------------------- inventory


def _check_recovery_email(channel: Channel) -> None:
    """SEC-01: the recovery mailbox is the entity's, not a person's private one."""
    email = (channel.recovery_email or "").strip().lower()
    if not email:
        return
    domains = channel.organization.institutional_domains
    domain = email.rsplit("@", 1)[-1]
    if domains and domain not in domains:
        raise ValidationFailed(
            _(
                "El correo de recuperación debe ser institucional (%(domains)s), no personal."
            )
            % {"domains": ", ".join(domains)},
            errors={"recovery_email": [_("Use un buzón de la entidad.")]},
        )


@transaction.atomic
def save_channel(
    user: User,
    channel: Channel,
    *,
    lock_version: int | None = None,
) -> Channel:
    """Create or update a channel of the inventory (not its credentials)."""
    require(user, Perm.CHANNEL_MANAGE)
    if channel.organization_id != user.organization_id:
        raise ValidationFailed(_("Canal desconocido."))
    _check_recovery_email(channel)
    if channel.kind == NetworkKind.SANDBOX and not channel.imitates:
        raise ValidationFailed(
            _("Un canal de práctica debe indicar qué red imita."),
            errors={"imitates": [_("Elija la red.")]},
        )
    creating = channel.pk is None
    before: dict[str, Any] = {}
    if not creating:
        stored = Channel.objects.select_for_update().get(pk=channel.pk)
        connection = connection_of(stored)
        if (
            connection is not None
            and connection.status == ConnectionStatus.CONNECTED
            and stored.kind != channel.kind
        ):
            raise ConflictError(_("Desconecte el canal antes de cambiar su red."))
        before = {f: str(getattr(stored, f)) for f in CHANNEL_FIELDS}
    channel.save()
    after = {f: str(getattr(channel, f)) for f in CHANNEL_FIELDS}
    record(
        user,
        "core.channel.created" if creating else "core.channel.updated",
        channel,
        {
            "changes": {
                k: [before.get(k), v] for k, v in after.items() if before.get(k) != v
            }
        },
    )
    return channel


# ---------------------------------------------------------------- connecting


CONNECT_WINDOW = datetime.timedelta(minutes=20)


def _pack_state(data: dict[str, Any]) -> str:
    """The OAuth ``state``: the pending connect itself, encrypted, so no server-side
    storage is needed and the PKCE verifier never travels in the clear."""
    return crypto.encrypt(json.dumps(data, separators=(",", ":")))


def _unpack_state(state: str) -> dict[str, Any] | None:
    try:
        data = json.loads(crypto.decrypt(state))
    except (crypto.TokenKeyError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _normalise_instance(url: str) -> str:
    url = url.strip().rstrip("/")
    if url and "://" not in url:
        url = f"https://{url}"
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValidationFailed(
            _("Escriba la dirección del servidor, p. ej. https://mastodon.social."),
            errors={"base_url": [_("Dirección no válida.")]},
        )
    if parts.scheme == "http" and not (
        settings.PREGONERO_SANDBOX_URL
        and url.startswith(settings.PREGONERO_SANDBOX_URL)
    ):
        raise ValidationFailed(
            _("El servidor debe usar https."), errors={"base_url": [_("Use https://.")]}
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def _adapter_error_to_domain(exc: AdapterError) -> ValidationFailed:
    return ValidationFailed(
        _("La red respondió: %(message)s") % {"message": exc.message},
        code=exc.code,
    )


def begin_oauth(
    user: User, channel: Channel, *, redirect_uri: str, base_url: str = ""
) -> str:
    """Where to send the browser to grant access (the state carries the rest)."""
    require(user, Perm.CHANNEL_MANAGE)
    cls = adapter_class(channel)
    if cls.connect_method not in ("oauth", "register"):
        raise TransitionNotAllowed(_("Esta red no se conecta con autorización OAuth."))
    slug = adapter_slug(channel)
    instance_app = None
    if cls.per_channel_host:
        base_url = _normalise_instance(base_url or default_base_url(slug))
    if cls.connect_method == "register":
        instance_app = _instance_app(user, channel, base_url, redirect_uri)
    network = network_settings(slug, instance_app=instance_app)
    if not network.client_id:
        raise TransitionNotAllowed(
            _(
                "Falta la aplicación de %(network)s: configure PREGONERO_%(upper)s_CLIENT_ID y "
                "_CLIENT_SECRET (ver docs/operations.md)."
            )
            % {"network": channel.get_kind_display(), "upper": slug.upper()}
        )
    verifier, challenge = pkce_pair() if cls.uses_pkce else ("", "")
    state = _pack_state(
        {
            "c": channel.pk,
            "u": user.pk,
            "v": verifier,
            "r": redirect_uri,
            "b": base_url,
            "t": timezone.now().timestamp(),
            "n": secrets.token_hex(8),
        }
    )
    adapter = adapter_for(channel, _transient_connection(channel, base_url))
    adapter.network = network
    return adapter.authorization_url(
        state=state, redirect_uri=redirect_uri, code_challenge=challenge
    )


def channel_of_state(user: User, state: str) -> Channel:
    """The channel a returning authorization is for, checked against its user and age."""
    data = _unpack_state(state)
    if (
        data is None
        or data.get("u") != user.pk
        or timezone.now().timestamp() - float(data.get("t", 0))
        > CONNECT_WINDOW.total_seconds()
    ):
        raise ValidationFailed(
            _(
                "La autorización no corresponde a una solicitud suya vigente (vence a los "
                "20 minutos). Vuelva a conectar."
            )
        )
    channel = Channel.objects.filter(
        pk=int(data.get("c") or 0), organization_id=user.organization_id
    ).first()
    if channel is None:
        raise ValidationFailed(_("Canal desconocido."))
    return channel


def register_instance(
    user: User, channel: Channel, *, base_url: str, redirect_uri: str
) -> str:
    """Register Pregonero's app on a Mastodon instance (once); returns the server."""
    require(user, Perm.CHANNEL_MANAGE)
    if adapter_class(channel).connect_method != "register":
        raise TransitionNotAllowed(_("Esta red no necesita registrar la aplicación."))
    server = _normalise_instance(base_url)
    _instance_app(user, channel, server, redirect_uri)
    return server


def _transient_connection(channel: Channel, base_url: str) -> ChannelConnection:
    """An unsaved connection carrying only the host, for adapters built before connecting."""
    return ChannelConnection(
        organization_id=channel.organization_id, channel=channel, base_url=base_url
    )


def _instance_app(
    user: User, channel: Channel, base_url: str, redirect_uri: str
) -> InstanceApp:
    """Pregonero's app on a Mastodon instance, registered the first time."""
    existing = InstanceApp.objects.filter(
        organization_id=channel.organization_id,
        network=adapter_slug(channel),
        base_url=base_url,
        redirect_uri=redirect_uri,
    ).first()
    if existing is not None:
        return existing
    adapter: Any = adapter_for(channel, _transient_connection(channel, base_url))
    try:
        client_id, client_secret = adapter.register_app(base_url, redirect_uri)
    except AdapterError as exc:
        raise _adapter_error_to_domain(exc) from exc
    with transaction.atomic():
        app, created = InstanceApp.objects.get_or_create(
            organization_id=channel.organization_id,
            network=adapter_slug(channel),
            base_url=base_url,
            redirect_uri=redirect_uri,
            defaults={
                "client_id": client_id,
                "client_secret_encrypted": crypto.encrypt(client_secret),
            },
        )
        if created:
            record(
                user,
                "publishing.channel.instance_registered",
                channel,
                {"server": base_url},
            )
    return app


def complete_oauth(user: User, *, code: str, state: str) -> ChannelConnection:
    """Trade the code the network sent back for tokens and store them."""
    require(user, Perm.CHANNEL_MANAGE)
    channel = channel_of_state(user, state)
    pending = _unpack_state(state) or {}
    base_url = str(pending.get("b", ""))
    redirect_uri = str(pending.get("r", ""))
    adapter = adapter_for(channel, _transient_connection(channel, base_url))
    if adapter_class(channel).connect_method == "register":
        app = InstanceApp.objects.filter(
            organization_id=channel.organization_id,
            base_url=base_url,
            redirect_uri=redirect_uri,
        ).first()
        adapter.network = network_settings(adapter_slug(channel), instance_app=app)
    try:
        tokens = adapter.exchange_code(
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=str(pending.get("v", "")),
        )
    except AdapterError as exc:
        raise _adapter_error_to_domain(exc) from exc
    extra = _account_facts(channel, base_url, tokens)
    return store_connection(user, channel, tokens, base_url=base_url, extra=extra)


def connect_with_password(
    user: User,
    channel: Channel,
    *,
    identifier: str,
    app_password: str,
    base_url: str = "",
) -> ChannelConnection:
    """Bluesky: a handle and an app password open a session; the password is not kept."""
    require(user, Perm.CHANNEL_MANAGE)
    cls = adapter_class(channel)
    if cls.connect_method != "password":
        raise TransitionNotAllowed(
            _("Esta red no se conecta con contraseña de aplicación.")
        )
    errors: dict[str, list[str]] = {}
    if not identifier.strip():
        errors["identifier"] = [_("Escriba el usuario (p. ej. entidad.bsky.social).")]
    if not app_password.strip():
        errors["app_password"] = [_("Escriba la contraseña de aplicación.")]
    if errors:
        raise ValidationFailed(_("Revise los datos de la cuenta."), errors=errors)
    base_url = _normalise_instance(base_url or default_base_url(adapter_slug(channel)))
    adapter: Any = adapter_for(channel, _transient_connection(channel, base_url))
    try:
        tokens: TokenSet = adapter.login(
            identifier.strip().lstrip("@"), app_password.strip()
        )
    except AuthError as exc:
        raise ValidationFailed(
            _("La red no aceptó el usuario o la contraseña de aplicación: %(message)s")
            % {"message": exc.message},
            errors={"app_password": [_("Revise la contraseña de aplicación.")]},
        ) from exc
    except AdapterError as exc:
        raise _adapter_error_to_domain(exc) from exc
    pds = tokens.extra.get("pds", "")
    return store_connection(
        user, channel, tokens, base_url=pds or base_url, extra=dict(tokens.extra)
    )


def _account_facts(channel: Channel, base_url: str, tokens: TokenSet) -> dict[str, Any]:
    """Non-secret facts fetched at connect time (a Mastodon instance's limits)."""
    facts: dict[str, Any] = {
        k: v for k, v in tokens.extra.items() if "token" not in k.lower()
    }
    adapter: Any = adapter_for(channel, _transient_connection(channel, base_url))
    if hasattr(adapter, "instance_limits"):
        try:
            facts.update(
                {k: v for k, v in adapter.instance_limits().items() if v is not None}
            )
        except AdapterError:
            logger.warning("could not read the instance limits of %s", base_url)
    return facts


@transaction.atomic
def store_connection(
    user: User | None,
    channel: Channel,
    tokens: TokenSet,
    *,
    base_url: str = "",
    extra: dict[str, Any] | None = None,
) -> ChannelConnection:
    """Save the tokens of a connect or reconnect, keeping the stored refresh token
    when the network sent no new one."""
    connection, created = ChannelConnection.objects.select_for_update().get_or_create(
        channel=channel, defaults={"organization_id": channel.organization_id}
    )
    if (
        connection.account_id
        and tokens.account_id
        and connection.account_id != tokens.account_id
        and connection.status != ConnectionStatus.DISCONNECTED
    ):
        raise ConflictError(
            _(
                "Este canal está conectado a la cuenta «%(old)s» y la autorización es de «%(new)s». "
                "Desconecte el canal antes de conectar otra cuenta."
            )
            % {
                "old": connection.account_handle or connection.account_id,
                "new": tokens.handle or tokens.account_id,
            },
            code="other_account",
        )
    reconnect = not created and bool(connection.connected_at)
    now = timezone.now()
    connection.status = ConnectionStatus.CONNECTED
    connection.account_id = tokens.account_id or connection.account_id
    connection.account_handle = tokens.handle or connection.account_handle
    connection.base_url = base_url or connection.base_url
    connection.scopes = " ".join(tokens.scopes) or connection.scopes
    connection.access_token_encrypted = crypto.encrypt(tokens.access_token)
    kept_refresh = False
    if tokens.refresh_token:
        connection.refresh_token_encrypted = crypto.encrypt(tokens.refresh_token)
    else:
        kept_refresh = bool(connection.refresh_token_encrypted)
    connection.expires_at = tokens.expires_at
    connection.refresh_expires_at = (
        tokens.refresh_expires_at or connection.refresh_expires_at
    )
    connection.extra = {**(connection.extra or {}), **(extra or {})}
    if user is not None:
        connection.connected_by = user
    connection.connected_at = now
    connection.last_success_at = now
    connection.last_error = ""
    connection.refresh_failures = 0
    connection.expiry_alert_for = None
    connection.lock_version += 1
    connection.save()
    if tokens.handle and not channel.handle:
        Channel.objects.filter(pk=channel.pk).update(handle=tokens.handle[:120])
    record(
        user,
        "publishing.channel.reconnected"
        if reconnect
        else "publishing.channel.connected",
        channel,
        {
            "account": connection.account_handle,
            "account_id": connection.account_id,
            "server": connection.base_url,
            "scopes": connection.scopes,
            "expires_at": connection.expires_at,
            "kept_refresh_token": kept_refresh,
        },
        organization=channel.organization_id,
    )
    return connection


def test_connection(user: User, channel: Channel) -> AccountInfo:
    """Ask the network who the stored token acts as (the "probar" button)."""
    require(user, Perm.CHANNEL_MANAGE)
    connection = connection_of(channel)
    if connection is None or not connection.access_token_encrypted:
        raise TransitionNotAllowed(_("El canal no está conectado."))
    ensure_fresh_token(connection)
    connection.refresh_from_db()
    try:
        info = adapter_for(channel, connection).account()
    except AuthError as exc:
        token_rejected(connection, exc)
        raise ValidationFailed(
            _("La red rechazó el token: %(message)s. Vuelva a conectar el canal.")
            % {"message": exc.message}
        ) from exc
    except AdapterError as exc:
        raise _adapter_error_to_domain(exc) from exc
    with transaction.atomic():
        ChannelConnection.objects.filter(pk=connection.pk).update(
            last_success_at=timezone.now()
        )
        record(
            user,
            "publishing.channel.tested",
            channel,
            {"account": info.handle, "account_id": info.account_id},
        )
    return info


@transaction.atomic
def disconnect(user: User, channel: Channel, *, reason: str) -> ChannelConnection:
    """Forget the tokens (revoking them where the network allows is left to the
    network's own settings page, which the message points to)."""
    require(user, Perm.CHANNEL_MANAGE)
    if not reason.strip():
        raise ValidationFailed(
            _("Escriba el motivo."), errors={"reason": [_("Obligatorio.")]}
        )
    connection = (
        ChannelConnection.objects.select_for_update().filter(channel=channel).first()
    )
    if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
        raise TransitionNotAllowed(_("El canal no está conectado."))
    connection.status = ConnectionStatus.DISCONNECTED
    connection.access_token_encrypted = ""
    connection.refresh_token_encrypted = ""
    connection.expires_at = None
    connection.lock_version += 1
    connection.save()
    record(
        user,
        "publishing.channel.disconnected",
        channel,
        {"reason": reason.strip(), "account": connection.account_handle},
    )
    notify(
        custodians(channel.organization_id),
        kind="channel.disconnected",
        exclude=user,
        subject=_("Canal desconectado: %(channel)s") % {"channel": channel.name},
        body=_("%(user)s desconectó %(channel)s. Motivo: %(reason)s")
        % {
            "user": user.get_full_name() or user.username,
            "channel": channel.name,
            "reason": reason.strip(),
        },
        link=channel_url(channel),
    )
    return connection


# ---------------------------------------------------------------- token upkeep


def _refresh_due(connection: ChannelConnection, now: datetime.datetime) -> bool:
    margin = datetime.timedelta(seconds=settings.PREGONERO_TOKEN_REFRESH_MARGIN_SECONDS)
    return (
        connection.is_usable
        and bool(connection.refresh_token_encrypted)
        and connection.expires_at is not None
        and connection.expires_at - margin <= now
    )


def ensure_fresh_token(connection: ChannelConnection) -> None:
    """Refresh now when the access token is about to expire (before a publish)."""
    if _refresh_due(connection, timezone.now()):
        refresh_connection(connection.pk)


def refresh_connection(connection_id: int) -> str:
    """Refresh one connection's tokens. Returns "refreshed", "skipped", "failed"
    (a passing failure: it will be tried again) or "revoked".

    The row stays locked during the call so two workers never spend the same
    rotating refresh token; the second one finds the fresh token and skips.
    """
    with transaction.atomic():
        connection = (
            ChannelConnection.objects.select_for_update()
            .select_related("channel", "channel__organization")
            .get(pk=connection_id)
        )
        if not _refresh_due(connection, timezone.now()):
            ChannelConnection.objects.filter(pk=connection_id).update(
                refresh_dispatched_at=None
            )
            return "skipped"
        channel = connection.channel
        adapter = adapter_for(channel, connection)
        try:
            tokens = adapter.refresh(connection.refresh_token)
        except AuthError as exc:
            if exc.revoked:
                _mark_revoked(connection, exc)
                return "revoked"
            _mark_refresh_failed(connection, exc)
            return "failed"
        except (AdapterError, NotImplementedError) as exc:
            _mark_refresh_failed(
                connection,
                exc if isinstance(exc, AdapterError) else AdapterError(str(exc)),
            )
            return "failed"
        now = timezone.now()
        connection.access_token_encrypted = crypto.encrypt(tokens.access_token)
        if tokens.refresh_token:
            connection.refresh_token_encrypted = crypto.encrypt(tokens.refresh_token)
        connection.expires_at = tokens.expires_at
        connection.refresh_expires_at = (
            tokens.refresh_expires_at or connection.refresh_expires_at
        )
        connection.status = ConnectionStatus.CONNECTED
        connection.refreshed_at = now
        connection.last_success_at = now
        connection.refresh_failures = 0
        connection.refresh_dispatched_at = None
        connection.last_error = ""
        connection.lock_version += 1
        connection.save()
        record(
            None,
            "publishing.channel.token_refreshed",
            channel,
            {
                "expires_at": tokens.expires_at,
                "new_refresh_token": bool(tokens.refresh_token),
            },
            organization=channel.organization_id,
        )
    return "refreshed"


def _mark_refresh_failed(connection: ChannelConnection, exc: AdapterError) -> None:
    """A passing failure: keep the tokens, say so, try again later."""
    channel = connection.channel
    first = connection.status != ConnectionStatus.REFRESH_FAILED
    ChannelConnection.objects.filter(pk=connection.pk).update(
        status=ConnectionStatus.REFRESH_FAILED,
        refresh_failures=F("refresh_failures") + 1,
        last_error=exc.message[:2000],
        last_error_at=timezone.now(),
        refresh_dispatched_at=None,
    )
    record(
        None,
        "publishing.channel.refresh_failed",
        channel,
        {
            "error": exc.message,
            "failures": connection.refresh_failures + 1,
            "revoked": False,
        },
        organization=channel.organization_id,
    )
    if first:
        notify(
            custodians(channel.organization_id),
            kind="channel.refresh_failed",
            subject=_("No se pudo renovar el acceso a %(channel)s")
            % {"channel": channel.name},
            body=_(
                "La red no respondió al renovar el token (%(error)s). Pregonero lo reintentará; "
                "si el token vence antes, habrá que reconectar el canal."
            )
            % {"error": exc.message},
            link=channel_url(channel),
        )


def _mark_revoked(connection: ChannelConnection, exc: AdapterError) -> None:
    channel = connection.channel
    ChannelConnection.objects.filter(pk=connection.pk).update(
        status=ConnectionStatus.REVOKED,
        access_token_encrypted="",
        refresh_token_encrypted="",
        last_error=exc.message[:2000],
        last_error_at=timezone.now(),
        refresh_dispatched_at=None,
        lock_version=F("lock_version") + 1,
    )
    record(
        None,
        "publishing.channel.revoked",
        channel,
        {"error": exc.message, "account": connection.account_handle},
        organization=channel.organization_id,
    )
    notify(
        custodians(channel.organization_id),
        kind="channel.revoked",
        subject=_("Se perdió la conexión con %(channel)s") % {"channel": channel.name},
        body=_(
            "La red retiró el permiso de Pregonero para publicar en %(channel)s (%(error)s). "
            "Las publicaciones programadas en ese canal fallarán hasta que alguien lo reconecte."
        )
        % {"channel": channel.name, "error": exc.message},
        link=channel_url(channel),
    )


def token_rejected(connection: ChannelConnection, exc: AuthError) -> None:
    """A publish or test call was refused for the token: revoked, or just expired."""
    with transaction.atomic():
        locked = (
            ChannelConnection.objects.select_for_update()
            .select_related("channel")
            .get(pk=connection.pk)
        )
        if not locked.is_usable:
            return
        if exc.revoked:
            _mark_revoked(locked, exc)
        elif not locked.refresh_token_encrypted:
            ChannelConnection.objects.filter(pk=locked.pk).update(
                status=ConnectionStatus.EXPIRED,
                last_error=exc.message[:2000],
                last_error_at=timezone.now(),
            )
            record(
                None,
                "publishing.channel.expired",
                locked.channel,
                {"error": exc.message},
                organization=locked.organization_id,
            )
            notify(
                custodians(locked.organization_id),
                kind="channel.expired",
                subject=_("Venció el acceso a %(channel)s")
                % {"channel": locked.channel.name},
                body=_("Reconecte el canal para seguir publicando."),
                link=channel_url(locked.channel),
            )
        else:
            # Expired but refreshable: make the next refresh happen now.
            ChannelConnection.objects.filter(pk=locked.pk).update(
                expires_at=timezone.now()
            )


def dispatch_token_upkeep(now: datetime.datetime | None = None) -> int:
    """Hand due refreshes to the workers and send expiry alerts (scheduler)."""
    from . import tasks

    now = now or timezone.now()
    margin = datetime.timedelta(seconds=settings.PREGONERO_TOKEN_REFRESH_MARGIN_SECONDS)
    count = 0
    candidates = ChannelConnection.objects.filter(
        Q(refresh_dispatched_at__isnull=True)
        | Q(refresh_dispatched_at__lt=now - datetime.timedelta(minutes=10)),
        status__in=[ConnectionStatus.CONNECTED, ConnectionStatus.REFRESH_FAILED],
        expires_at__lte=now + margin,
    ).exclude(refresh_token_encrypted="")
    for pk in candidates.values_list("pk", flat=True):
        if ChannelConnection.objects.filter(
            Q(refresh_dispatched_at__isnull=True)
            | Q(refresh_dispatched_at__lt=now - datetime.timedelta(minutes=10)),
            pk=pk,
        ).update(refresh_dispatched_at=now):
            tasks.refresh_channel_token.enqueue(pk)
            count += 1
    return count + send_expiry_alerts(now)


def alert_expiry(connection: ChannelConnection) -> datetime.datetime | None:
    """The expiry a person must act on: the refresh token's, or the access token's
    when it cannot be refreshed."""
    if connection.refresh_token_encrypted:
        return connection.refresh_expires_at
    return connection.expires_at


def send_expiry_alerts(now: datetime.datetime | None = None) -> int:
    """E-mail the custodians N days before a connection runs out (once per expiry)."""
    now = now or timezone.now()
    horizon = now + datetime.timedelta(days=settings.PREGONERO_TOKEN_ALERT_DAYS)
    sent = 0
    rows = ChannelConnection.objects.filter(
        Q(refresh_token_encrypted="", expires_at__lte=horizon)
        | (~Q(refresh_token_encrypted="") & Q(refresh_expires_at__lte=horizon)),
        status__in=[ConnectionStatus.CONNECTED, ConnectionStatus.REFRESH_FAILED],
    ).select_related("channel")
    for connection in rows:
        expiry = alert_expiry(connection)
        if expiry is None or connection.expiry_alert_for == expiry:
            continue
        with transaction.atomic():
            if (
                not ChannelConnection.objects.filter(pk=connection.pk)
                .exclude(expiry_alert_for=expiry)
                .update(expiry_alert_for=expiry)
            ):
                continue
            channel = connection.channel
            days = max(0, (expiry - now).days)
            record(
                None,
                "publishing.channel.expiry_alert",
                channel,
                {"expires_at": expiry, "days": days},
                organization=channel.organization_id,
            )
            notify(
                custodians(channel.organization_id),
                kind="channel.expiring",
                subject=_("El acceso a %(channel)s vence en %(days)s días")
                % {"channel": channel.name, "days": days},
                body=_(
                    "El permiso de Pregonero para publicar en %(channel)s vence el %(date)s. "
                    "Reconecte el canal antes de esa fecha para no interrumpir las publicaciones."
                )
                % {
                    "channel": channel.name,
                    "date": timezone.localtime(expiry).strftime("%d/%m/%Y %H:%M"),
                },
                link=channel_url(channel),
            )
            sent += 1
    return sent


def rotate_keys() -> int:
    """Re-encrypt every stored secret with the first key; returns how many rows.

    Each organization's audit chain records the rotation of its own rows.
    """
    from pregonero.core.models import Organization

    total = 0
    with transaction.atomic():
        for org_id in Organization.objects.values_list("pk", flat=True):
            count = 0
            for connection in ChannelConnection.objects.select_for_update().filter(
                organization_id=org_id
            ):
                if not (
                    connection.access_token_encrypted
                    or connection.refresh_token_encrypted
                ):
                    continue
                ChannelConnection.objects.filter(pk=connection.pk).update(
                    access_token_encrypted=crypto.rotate(
                        connection.access_token_encrypted
                    ),
                    refresh_token_encrypted=crypto.rotate(
                        connection.refresh_token_encrypted
                    ),
                )
                count += 1
            for app in InstanceApp.objects.select_for_update().filter(
                organization_id=org_id
            ):
                InstanceApp.objects.filter(pk=app.pk).update(
                    client_secret_encrypted=crypto.rotate(app.client_secret_encrypted)
                )
                count += 1
            if count:
                record(
                    None,
                    "publishing.channel.keys_rotated",
                    None,
                    {"rows": count},
                    organization=org_id,
                )
            total += count
    return total
