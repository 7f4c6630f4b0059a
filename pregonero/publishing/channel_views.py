"""Channel management in the browser: the inventory, connecting (OAuth, app
password, instance registration), testing and disconnecting (SEC-01)."""

from __future__ import annotations

import urllib.parse

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from pregonero.accounts.permissions import Perm, has_perm
from pregonero.audit.timeline import timeline_for
from pregonero.core.errors import ConflictError, DomainError
from pregonero.core.forms import apply_domain_error
from pregonero.core.models import Channel
from pregonero.core.viewutils import AuthedHttpRequest, get_for_org

from . import channels
from .adapters.base import Adapter
from .forms import (
    AppPasswordForm,
    ChannelForm,
    InstanceForm,
    ReasonForm,
    channel_snapshot,
)
from .models import Publication, PublicationStatus
from .networks import adapter_class, connection_of, training


def _require(request: AuthedHttpRequest, perm: Perm) -> None:
    if not has_perm(request.user, perm):
        raise PermissionDenied


def callback_uri(request: AuthedHttpRequest) -> str:
    return request.build_absolute_uri(reverse("publishing:oauth_callback"))


@login_required
def channel_list(request: AuthedHttpRequest) -> HttpResponse:
    if not (
        has_perm(request.user, Perm.CHANNEL_MANAGE)
        or has_perm(request.user, Perm.READ_ALL)
    ):
        raise PermissionDenied
    org = request.user.organization_id
    rows = (
        Channel.objects.for_org(org)
        .select_related("owner_dependency", "connection", "connection__connected_by")
        .annotate(
            published=Count(
                "publications",
                filter=Q(publications__status=PublicationStatus.PUBLISHED),
            ),
            failed=Count(
                "publications", filter=Q(publications__status=PublicationStatus.FAILED)
            ),
        )
        .order_by("-active", "name")
    )
    return render(
        request,
        "publishing/channel_list.html",
        {
            "channels": rows,
            "can_manage": has_perm(request.user, Perm.CHANNEL_MANAGE),
            "training": training(),
            "nav": "channels",
        },
    )


@login_required
def channel_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    _require(request, Perm.CHANNEL_MANAGE)
    org = request.user.organization_id
    channel = (
        get_for_org(Channel.objects.all(), request, pk=pk)
        if pk
        else Channel(organization_id=org)
    )
    form = ChannelForm(request.POST or None, instance=channel, organization_id=org)
    if request.method == "POST" and form.is_valid():
        try:
            if pk:
                current = Channel.objects.get(pk=pk)
                if form.cleaned_data.get("snapshot") != channel_snapshot(current):
                    raise ConflictError(
                        _(
                            "Otra persona cambió este canal mientras usted lo editaba. Revise los datos actuales."
                        )
                    )
            saved = channels.save_channel(request.user, form.save(commit=False))
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Canal guardado."))
            return redirect("publishing:channel_detail", saved.pk)
    return render(
        request,
        "publishing/channel_form.html",
        {"form": form, "channel": channel if pk else None, "nav": "channels"},
    )


@login_required
def channel_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    if not (has_perm(user, Perm.CHANNEL_MANAGE) or has_perm(user, Perm.READ_ALL)):
        raise PermissionDenied
    channel = get_for_org(
        Channel.objects.select_related("owner_dependency"), request, pk=pk
    )
    connection = connection_of(channel)
    cls = adapter_class(channel)
    can_manage = has_perm(user, Perm.CHANNEL_MANAGE)
    instance_form = InstanceForm(request.POST if "instance" in request.POST else None)
    password_form = AppPasswordForm(
        request.POST if "password_connect" in request.POST else None
    )
    disconnect_form = ReasonForm(
        request.POST if "disconnect" in request.POST else None, prefix="disconnect"
    )
    if request.method == "POST" and "collect_metrics" in request.POST:
        return _collect_metrics(request, channel)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        response = _handle_post(
            request, channel, instance_form, password_form, disconnect_form
        )
        if response is not None:
            return response
    publications = (
        Publication.objects.filter(channel=channel)
        .select_related("piece")
        .order_by("-scheduled_at", "-pk")[:20]
    )
    return render(
        request,
        "publishing/channel_detail.html",
        {
            "channel": channel,
            "connection": connection,
            "adapter": cls,
            "connect_method": cls.connect_method
            if cls.publishes_automatically
            else "none",
            "can_manage": can_manage,
            "instance_form": instance_form,
            "password_form": password_form,
            "disconnect_form": disconnect_form,
            "publications": publications,
            "timeline": timeline_for(
                channel, related=[connection] if connection else []
            ),
            "training": training(),
            "registered_server": request.GET.get("servidor", ""),
            "alert_days": settings.PREGONERO_TOKEN_ALERT_DAYS,
            **_metrics_context(request, channel, cls),
            "nav": "channels",
        },
    )


def _metrics_context(
    request: AuthedHttpRequest, channel: Channel, cls: type[Adapter]
) -> dict[str, object]:
    """The collection status of the channel's statistics (activity 15)."""
    from pregonero.analytics.collect import status_for

    if not cls.supports_metrics:
        return {"metrics_status": None}
    user = request.user
    return {
        "metrics_status": status_for(channel),
        "can_collect": has_perm(user, Perm.CHANNEL_MANAGE)
        or has_perm(user, Perm.METRICS_IMPORT),
    }


def _collect_metrics(request: AuthedHttpRequest, channel: Channel) -> HttpResponse:
    """The "Recolectar ahora" button."""
    from pregonero.analytics.collect import request_collection

    try:
        request_collection(request.user, channel)
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "Recolección de estadísticas en cola; el estado se actualiza al terminar."
            ),
        )
    return redirect("publishing:channel_detail", channel.pk)


def _handle_post(
    request: AuthedHttpRequest,
    channel: Channel,
    instance_form: InstanceForm,
    password_form: AppPasswordForm,
    disconnect_form: ReasonForm,
) -> HttpResponse | None:
    user = request.user
    try:
        if "instance" in request.POST and instance_form.is_valid():
            # Register Pregonero on the instance (a change, hence POST); the
            # authorization itself starts from a link, because a form's redirect
            # to another site is blocked by the page's CSP (form-action 'self').
            server = channels.register_instance(
                user,
                channel,
                base_url=instance_form.cleaned_data["base_url"],
                redirect_uri=callback_uri(request),
            )
            query = urllib.parse.urlencode({"servidor": server})
            return redirect(
                f"{reverse('publishing:channel_detail', args=[channel.pk])}?{query}"
            )
        if "password_connect" in request.POST and password_form.is_valid():
            data = password_form.cleaned_data
            channels.connect_with_password(
                user,
                channel,
                identifier=data["identifier"],
                app_password=data["app_password"],
                base_url=data["base_url"],
            )
            messages.success(request, _("Canal conectado."))
            return redirect("publishing:channel_detail", channel.pk)
        if "test" in request.POST:
            info = channels.test_connection(user, channel)
            messages.success(
                request,
                _("La conexión funciona: la red responde como «%(handle)s».")
                % {"handle": info.handle or info.account_id},
            )
            return redirect("publishing:channel_detail", channel.pk)
        if "disconnect" in request.POST and disconnect_form.is_valid():
            channels.disconnect(
                user, channel, reason=disconnect_form.cleaned_data["reason"]
            )
            messages.success(request, _("Canal desconectado; los tokens se borraron."))
            return redirect("publishing:channel_detail", channel.pk)
    except DomainError as exc:
        target = (
            password_form
            if "password_connect" in request.POST
            else disconnect_form
            if "disconnect" in request.POST
            else instance_form
            if "instance" in request.POST
            else None
        )
        if target is not None and target.is_bound:
            apply_domain_error(target, exc)
        else:
            messages.error(request, exc.message)
    return None


@login_required
def channel_connect(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Send the browser to the network to grant access (a link, not a form)."""
    _require(request, Perm.CHANNEL_MANAGE)
    channel = get_for_org(Channel.objects.all(), request, pk=pk)
    try:
        url = channels.begin_oauth(
            request.user,
            channel,
            redirect_uri=callback_uri(request),
            base_url=request.GET.get("servidor", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("publishing:channel_detail", channel.pk)
    return redirect(url)


@login_required
def oauth_callback(request: AuthedHttpRequest) -> HttpResponse:
    """Where the networks send the browser back with the authorization code."""
    _require(request, Perm.CHANNEL_MANAGE)
    state = request.GET.get("state", "")
    try:
        channel = channels.channel_of_state(request.user, state)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("publishing:channel_list")
    if request.GET.get("error"):
        messages.error(
            request,
            _("La red no concedió el permiso: %(error)s.")
            % {"error": request.GET.get("error_description") or request.GET["error"]},
        )
        return redirect("publishing:channel_detail", channel.pk)
    try:
        connection = channels.complete_oauth(
            request.user, code=request.GET.get("code", ""), state=state
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Canal conectado a la cuenta «%(account)s».")
            % {"account": connection.account_handle or connection.account_id},
        )
    return redirect("publishing:channel_detail", channel.pk)
