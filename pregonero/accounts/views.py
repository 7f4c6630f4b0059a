"""Delegations (encargos) of the Jefe's approval power."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from pregonero.core.errors import DomainError
from pregonero.core.forms import apply_domain_error
from pregonero.core.viewutils import AuthedHttpRequest, flash_error, get_for_org

from . import actions
from .forms import DelegationForm
from .models import Delegation
from .permissions import Perm, has_perm


@login_required
def delegations(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    if not (has_perm(user, Perm.DELEGATION_MANAGE) or has_perm(user, Perm.READ_ALL)):
        raise PermissionDenied
    can_manage = has_perm(user, Perm.DELEGATION_MANAGE)
    form = DelegationForm(
        request.POST or None,
        organization_id=user.organization_id,
        initial={"delegator": user.pk if user.has_role("jefe") else None},
    )
    if request.method == "POST" and can_manage:
        if "revoke" in request.POST:
            delegation = get_for_org(
                Delegation.objects.all(), request, pk=request.POST.get("revoke")
            )
            try:
                actions.revoke_delegation(user, delegation)
            except DomainError as exc:
                flash_error(request, exc)
            else:
                messages.success(request, _("Encargo revocado."))
            return redirect("accounts:delegations")
        if form.is_valid():
            try:
                actions.create_delegation(user, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Encargo registrado."))
                return redirect("accounts:delegations")
    items = Delegation.objects.for_org(user.organization_id).select_related(
        "delegator", "delegate", "created_by", "revoked_by"
    )
    return render(
        request,
        "accounts/delegations.html",
        {
            "form": form,
            "items": items,
            "can_manage": can_manage,
            "nav": "delegations",
        },
    )
