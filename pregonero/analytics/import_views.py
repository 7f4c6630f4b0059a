"""Estadísticas → Importar archivos: upload, preview, column mapping, import.

Requirement IDs: REC-01, REC-02 (every import is a kept, audited record).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pregonero.accounts.permissions import Perm, has_perm
from pregonero.core.errors import DomainError
from pregonero.core.forms import StyledFormMixin, apply_domain_error
from pregonero.core.models import Channel
from pregonero.core.viewutils import (
    AuthedHttpRequest,
    download,
    flash_error,
    get_for_org,
    paginate,
)

from . import imports
from .models import ImportBatch, ImportStatus


class UploadForm(StyledFormMixin, forms.Form):
    channel = forms.ModelChoiceField(
        label=gettext_lazy("Canal al que pertenecen las cifras"),
        queryset=Channel.objects.none(),
    )
    file = forms.FileField(
        label=gettext_lazy("Archivo exportado"),
        help_text=gettext_lazy(
            "CSV de Meta Business Suite, X Analytics o TikTok; ZIP de YouTube Studio; "
            "libro de LinkedIn (.xls o .xlsx)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.zip,.xls,.xlsx"}),
    )

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.for_org(  # type: ignore[attr-defined]
            organization_id
        ).filter(active=True)


class MappingForm(StyledFormMixin, forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Nombre de este formato (opcional)"),
        max_length=120,
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        headers: list[str],
        choices: list[tuple[str, str]],
        samples: list[list[str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        for index, header in enumerate(headers):
            example = ", ".join(
                row[index] for row in samples if index < len(row) and row[index]
            )[:80]
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header,
                choices=choices,
                initial=imports.IGNORE,
                required=False,
                help_text=_("Ejemplo: %(example)s") % {"example": example}
                if example
                else "",
                widget=forms.Select(attrs={"class": "form-select"}),
            )

    def assignments(self) -> dict[str, str]:
        return {
            header: self.cleaned_data.get(f"col_{index}") or imports.IGNORE
            for index, header in enumerate(self.headers)
        }


def _can_view(request: AuthedHttpRequest) -> None:
    user = request.user
    if not (has_perm(user, Perm.METRICS_IMPORT) or has_perm(user, Perm.STATS_VIEW)):
        raise PermissionDenied


def _batch(request: AuthedHttpRequest, pk: int) -> ImportBatch:
    return get_for_org(
        ImportBatch.objects.select_related("channel", "uploaded_by", "column_mapping"),
        request,
        pk=pk,
    )


@login_required
def import_list(request: AuthedHttpRequest) -> HttpResponse:
    _can_view(request)
    page = paginate(request, imports.imports_for(request.user))
    return render(
        request,
        "analytics/imports/list.html",
        {
            "page": page,
            "batches": page.object_list,
            "can_import": has_perm(request.user, Perm.METRICS_IMPORT),
        },
    )


@login_required
def import_upload(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    if not has_perm(user, Perm.METRICS_IMPORT):
        raise PermissionDenied
    assert user.organization_id is not None
    initial = {}
    if request.GET.get("canal", "").isdigit():
        initial["channel"] = int(request.GET["canal"])
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        organization_id=user.organization_id,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = imports.preview_export(
                user, form.cleaned_data["channel"], upload, upload.name
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            if batch.status == ImportStatus.NEEDS_MAPPING:
                messages.info(
                    request,
                    _(
                        "No se reconocieron las columnas: indique qué contiene cada una."
                    ),
                )
                return redirect("analytics:import_mapping", batch.pk)
            return redirect("analytics:import_detail", batch.pk)
    return render(request, "analytics/imports/upload.html", {"form": form})


@login_required
def import_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _can_view(request)
    batch = _batch(request, pk)
    preview = batch.preview or {}
    can_import = has_perm(request.user, Perm.METRICS_IMPORT)
    metric_names = preview.get("metrics") or []
    return render(
        request,
        "analytics/imports/detail.html",
        {
            "batch": batch,
            "preview": preview,
            "result": preview.get("result"),
            "metric_names": metric_names,
            "first_rows": [
                {
                    **row,
                    "values": [row.get("metrics", {}).get(m, "") for m in metric_names],
                }
                for row in preview.get("first_rows") or []
            ],
            "can_confirm": can_import and batch.status == ImportStatus.PREVIEW,
            "can_discard": can_import
            and batch.status in (ImportStatus.PREVIEW, ImportStatus.NEEDS_MAPPING),
            "can_map": can_import and batch.status == ImportStatus.NEEDS_MAPPING,
        },
    )


@login_required
def import_mapping(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    if not has_perm(user, Perm.METRICS_IMPORT):
        raise PermissionDenied
    batch = _batch(request, pk)
    if batch.status != ImportStatus.NEEDS_MAPPING:
        return redirect("analytics:import_detail", batch.pk)
    unknown = batch.preview.get("unknown") or {}
    form = MappingForm(
        request.POST or None,
        headers=list(unknown.get("headers") or []),
        choices=imports.mapping_choices(batch.channel),
        samples=list(unknown.get("sample") or []),
    )
    if request.method == "POST" and form.is_valid():
        try:
            imports.save_column_mapping(
                user, batch, form.assignments(), form.cleaned_data.get("name", "")
            )
        except DomainError as error:
            for key, errors in error.errors.items():
                index = form.headers.index(key) if key in form.headers else None
                for message in errors:
                    form.add_error(
                        f"col_{index}" if index is not None else None, message
                    )
            if not error.errors:
                form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _(
                    "Asignación guardada: los próximos archivos con estas columnas se "
                    "leerán solos."
                ),
            )
            return redirect("analytics:import_detail", batch.pk)
    return render(
        request,
        "analytics/imports/mapping.html",
        {"batch": batch, "form": form, "unknown": unknown},
    )


@login_required
@require_POST
def import_confirm(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    try:
        imports.confirm_import(request.user, batch)
    except DomainError as error:
        flash_error(request, error)
    else:
        messages.success(
            request,
            _("Importación terminada: %(values)s valores guardados.")
            % {"values": batch.values_written},
        )
    return redirect("analytics:import_detail", batch.pk)


@login_required
@require_POST
def import_discard(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    try:
        imports.discard_import(request.user, batch)
    except DomainError as error:
        flash_error(request, error)
        return redirect("analytics:import_detail", batch.pk)
    messages.success(request, _("Vista previa descartada; no se importó nada."))
    return redirect("analytics:import_list")


@login_required
def import_file(request: AuthedHttpRequest, pk: int) -> FileResponse:
    _can_view(request)
    return download(_batch(request, pk))


urlpatterns: list[URLPattern] = [
    path("importaciones/", import_list, name="import_list"),
    path("importaciones/nueva/", import_upload, name="import_upload"),
    path("importaciones/<int:pk>/", import_detail, name="import_detail"),
    path("importaciones/<int:pk>/columnas/", import_mapping, name="import_mapping"),
    path("importaciones/<int:pk>/importar/", import_confirm, name="import_confirm"),
    path("importaciones/<int:pk>/descartar/", import_discard, name="import_discard"),
    path("importaciones/<int:pk>/archivo/", import_file, name="import_file"),
]
