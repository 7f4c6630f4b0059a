from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pregonero.accounts.permissions import Perm, has_perm
from pregonero.core.errors import DomainError
from pregonero.core.viewutils import AuthedHttpRequest, get_for_org

from . import actions
from .models import Mailbox, Outcome, ProcessedMessage


@login_required
def status(request: AuthedHttpRequest) -> HttpResponse:
    """The institutional mailbox in the Bandeja: last reading, last error, the
    messages it could not register, and the "Leer el buzón ahora" button."""
    organization_id = request.user.organization_id
    return render(
        request,
        "mailbox/status.html",
        {
            "mailboxes": Mailbox.objects.filter(organization_id=organization_id),
            "rejected": ProcessedMessage.objects.filter(
                organization_id=organization_id, outcome=Outcome.REJECTED
            ).select_related("mailbox")[:50],
            "can_manage": has_perm(request.user, Perm.INBOX_MANAGE),
            "nav": "inbox",
        },
    )


@login_required
@require_POST
def read_now(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    mailbox = get_for_org(Mailbox.objects.all(), request, pk=pk)
    try:
        actions.request_poll(request.user, mailbox)
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Lectura del buzón en cola; los correos nuevos aparecen al terminar."),
        )
    return redirect("mailbox:status")
