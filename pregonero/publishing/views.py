"""Activity 14 in the browser: schedule per channel, record manual publications,
see each publication's attempts, and the practice network's feed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from pregonero.accounts.permissions import Perm, has_perm
from pregonero.audit.timeline import timeline_for
from pregonero.content.models import Asset, Piece
from pregonero.content.permissions import visible_pieces
from pregonero.content.workflow import PieceState
from pregonero.core.errors import DomainError
from pregonero.core.forms import apply_domain_error
from pregonero.core.models import Channel, NetworkKind
from pregonero.core.viewutils import AuthedHttpRequest, get_for_org, paginate

from . import actions
from .forms import (
    CancelForm,
    ManualForm,
    RescheduleForm,
    ResolveForm,
    ScheduleForm,
    WithdrawForm,
)
from .media_links import read_media_link
from .models import Publication, PublicationStatus
from .networks import adapter_class


@login_required
def piece_publish(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Schedule the sealed piece on its channels, or record a manual publication."""
    user = request.user
    if not has_perm(user, Perm.PUBLISH):
        raise PermissionDenied
    piece = get_for_org(
        visible_pieces(user).select_related("approved_text_version"), request, pk=pk
    )
    channels = Channel.objects.for_org(user.organization_id).filter(active=True)
    taken = set(
        piece.publications.filter(
            status__in=[
                s
                for s in PublicationStatus.values
                if s not in ("cancelled", "failed", "withdrawn")
            ]
        ).values_list("channel_id", flat=True)
    )
    free = channels.exclude(pk__in=taken)
    schedule_form = ScheduleForm(
        request.POST if "schedule" in request.POST else None,
        channels=free,
        initial={"channels": list(piece.channels.exclude(pk__in=taken))},
    )
    manual_form = ManualForm(
        request.POST if "manual" in request.POST else None,
        channels=channels.exclude(
            pk__in=piece.publications.filter(status="published").values("channel_id")
        ),
        initial={"published_at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    if (
        request.method == "POST"
        and "schedule" in request.POST
        and schedule_form.is_valid()
    ):
        data = schedule_form.cleaned_data
        when = timezone.now() if data["when"] == "now" else data["scheduled_at"]
        done, failed = [], []
        for channel in data["channels"]:
            try:
                actions.schedule_publication(user, piece, channel, when)
                done.append(channel.name)
            except DomainError as exc:
                failed.append(f"{channel.name}: {exc.message}")
        if done:
            messages.success(
                request, _("Programada en: %(list)s.") % {"list": ", ".join(done)}
            )
        if failed:
            for line in failed:
                messages.error(request, line)
        else:
            return redirect("content:piece_detail", piece.pk)
    if request.method == "POST" and "manual" in request.POST and manual_form.is_valid():
        data = manual_form.cleaned_data
        try:
            actions.record_manual_publication(
                user,
                piece,
                data["channel"],
                permalink=data["permalink"],
                published_at=data["published_at"],
                note=data["note"],
            )
        except DomainError as exc:
            apply_domain_error(manual_form, exc)
        else:
            messages.success(request, _("Publicación manual registrada."))
            return redirect("content:piece_detail", piece.pk)
    return render(
        request,
        "publishing/piece_publish.html",
        {
            "piece": piece,
            "schedule_form": schedule_form,
            "manual_form": manual_form,
            "sealed": piece.state == PieceState.APPROVED and bool(piece.seal_hash),
            "nav": "pieces",
        },
    )


@login_required
def publication_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    publication = get_for_org(
        Publication.objects.select_related(
            "piece",
            "channel",
            "recorded_by",
            "created_by",
            "withdrawn_by",
            "erratum_of",
        ),
        request,
        pk=pk,
    )
    if not visible_pieces(user).filter(pk=publication.piece_id).exists():
        raise PermissionDenied
    can_manage = has_perm(user, Perm.PUBLISH)
    reschedule = RescheduleForm(
        request.POST if "reschedule" in request.POST else None,
        initial={
            "scheduled_at": timezone.localtime(publication.scheduled_at)
            if publication.scheduled_at
            else None,
            "lock_version": publication.lock_version,
        },
    )
    cancel = CancelForm(request.POST if "cancel" in request.POST else None)
    withdraw = WithdrawForm(
        request.POST if "withdraw" in request.POST else None, prefix="withdraw"
    )
    resolve = ResolveForm(
        request.POST if "resolve" in request.POST else None, prefix="resolve"
    )
    if request.method == "POST" and not can_manage:
        raise PermissionDenied
    if request.method == "POST" and can_manage:
        try:
            if "reschedule" in request.POST and reschedule.is_valid():
                actions.reschedule_publication(
                    user,
                    publication,
                    reschedule.cleaned_data["scheduled_at"],
                    lock_version=reschedule.cleaned_data["lock_version"],
                )
                messages.success(request, _("Publicación reprogramada."))
                return redirect("publishing:publication_detail", pk)
            if "cancel" in request.POST and cancel.is_valid():
                actions.cancel_publication(
                    user, publication, reason=cancel.cleaned_data["reason"]
                )
                messages.success(request, _("Publicación cancelada."))
                return redirect("publishing:publication_detail", pk)
            if "withdraw" in request.POST and withdraw.is_valid():
                actions.withdraw_publication(
                    user,
                    publication,
                    reason=withdraw.cleaned_data["reason"],
                    removed_by_hand=withdraw.cleaned_data["removed_by_hand"],
                )
                messages.success(request, _("Publicación retirada de la red."))
                return redirect("publishing:publication_detail", pk)
            if "resolve" in request.POST and resolve.is_valid():
                data = resolve.cleaned_data
                actions.resolve_unconfirmed(
                    user,
                    publication,
                    published=data["outcome"] == "published",
                    permalink=data["permalink"],
                    note=data["note"],
                )
                messages.success(request, _("Gracias: quedó registrado."))
                return redirect("publishing:publication_detail", pk)
        except DomainError as exc:
            target = {
                "reschedule": reschedule,
                "withdraw": withdraw,
                "resolve": resolve,
            }
            form = next((f for k, f in target.items() if k in request.POST), cancel)
            apply_domain_error(form, exc)
    return render(
        request,
        "publishing/publication_detail.html",
        {
            "publication": publication,
            "attempts": publication.attempts.all(),
            "withdraw_form": withdraw,
            "resolve_form": resolve,
            "can_withdraw": can_manage
            and publication.status == PublicationStatus.PUBLISHED,
            "can_resolve": can_manage
            and publication.status == PublicationStatus.UNCONFIRMED,
            "network_deletes": adapter_class(publication.channel).supports_delete
            and not actions.is_manual(publication.channel),
            "reschedule_form": reschedule,
            "cancel_form": cancel,
            "can_manage": can_manage
            and publication.status == PublicationStatus.SCHEDULED,
            "can_cancel": can_manage
            and publication.status
            in (PublicationStatus.SCHEDULED, PublicationStatus.FAILED),
            "held": publication.status == PublicationStatus.SCHEDULED
            and publication.piece.state != PieceState.APPROVED,
            "manual": actions.is_manual(publication.channel),
            "timeline": timeline_for(publication),
            "nav": "pieces",
        },
    )


@login_required
def sandbox_index(request: AuthedHttpRequest) -> HttpResponse:
    if not has_perm(request.user, Perm.READ_ALL):
        raise PermissionDenied
    channels = Channel.objects.for_org(request.user.organization_id).filter(
        kind=NetworkKind.SANDBOX
    )
    return render(
        request,
        "publishing/sandbox_index.html",
        {"channels": channels, "nav": "sandbox"},
    )


@login_required
def sandbox_feed(request: AuthedHttpRequest, channel_id: int) -> HttpResponse:
    """The practice network's feed: what was published on a sandbox channel."""
    if not has_perm(request.user, Perm.READ_ALL):
        raise PermissionDenied
    channel = get_for_org(
        Channel.objects.filter(kind=NetworkKind.SANDBOX), request, pk=channel_id
    )
    posts = (
        Publication.objects.filter(channel=channel, status=PublicationStatus.PUBLISHED)
        .select_related("piece__approved_asset_set")
        .prefetch_related("piece__approved_asset_set__assets")
        .order_by("-published_at")
    )
    return render(
        request,
        "publishing/sandbox_feed.html",
        {
            "channel": channel,
            "page": paginate(request, posts, 20),
            "nav": "sandbox",
        },
    )


def media_link_view(request: HttpRequest, token: str) -> FileResponse:
    """A signed, expiring link to an approved design file (networks fetch it)."""
    found = read_media_link(token)
    if found is None:
        raise Http404
    asset_id, digest = found
    asset = Asset.objects.filter(pk=asset_id, sha256__startswith=digest).first()
    if (
        asset is None
        or not asset.file
        or not Piece.objects.filter(approved_asset_set_id=asset.asset_set_id).exists()
    ):
        raise Http404
    response = FileResponse(asset.file.open("rb"), content_type=asset.content_type)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response
