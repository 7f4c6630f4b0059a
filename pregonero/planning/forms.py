from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pregonero.accounts.models import User
from pregonero.content.models import Piece
from pregonero.core.forms import (
    DATETIME_FORMATS,
    DateInput,
    DateTimeInput,
    StyledFormMixin,
)
from pregonero.core.models import Audience, Campaign, Channel, Dependency
from pregonero.intake.models import Need

from .models import PartnerEntity


def _users(org: int) -> Any:
    return User.objects.filter(organization_id=org, is_active=True).order_by(
        "first_name", "last_name"
    )


class OrgFormMixin(StyledFormMixin):
    """Limit every model choice to the user's organization."""

    org_querysets: dict[str, Any] = {}

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization_id = organization_id
        self.setup_querysets(organization_id)

    def setup_querysets(self, org: int) -> None:
        fields: Any = self.fields  # type: ignore[attr-defined]
        for _name, field in fields.items():
            queryset = getattr(field, "queryset", None)
            if queryset is None:
                continue
            model = queryset.model
            if model is User:
                field.queryset = _users(org)
            elif model is Need:
                field.queryset = Need.objects.for_org(org).order_by("-created_at")
            elif hasattr(model, "organization_id"):
                field.queryset = model.objects.filter(organization_id=org)


class MeetingForm(OrgFormMixin, forms.Form):
    title = forms.CharField(label=_("Tema de la reunión"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Inicio"), widget=DateTimeInput(), input_formats=DATETIME_FORMATS
    )
    ends_at = forms.DateTimeField(
        label=_("Terminación"),
        widget=DateTimeInput(),
        input_formats=DATETIME_FORMATS,
        required=False,
    )
    place = forms.CharField(label=_("Lugar"), max_length=200)
    chaired_by = forms.ModelChoiceField(
        label=_("Preside"), queryset=User.objects.none(), required=False
    )
    objective = forms.CharField(
        label=_("Objetivo"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    development = forms.CharField(
        label=_("Desarrollo general"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Lo tratado en general, incluido el informe de comunicación estratégica."
        ),
    )
    lock_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AttendeeForm(OrgFormMixin, forms.Form):
    user = forms.ModelChoiceField(
        label=_("Servidor(a) de la entidad"),
        queryset=User.objects.none(),
        required=False,
    )
    name = forms.CharField(
        label=_("Nombre (si es externo)"), max_length=200, required=False
    )
    position = forms.CharField(label=_("Cargo"), max_length=200, required=False)
    affiliation = forms.CharField(
        label=_("Dependencia o entidad"), max_length=200, required=False
    )
    is_external = forms.BooleanField(label=_("Externo"), required=False)
    attended = forms.BooleanField(label=_("Asistió"), required=False, initial=True)


class AgendaForm(OrgFormMixin, forms.Form):
    need = forms.ModelChoiceField(
        label=_("Necesidad"), queryset=Need.objects.none(), required=False
    )
    topic = forms.CharField(label=_("Tema"), max_length=300, required=False)
    discussion = forms.CharField(
        label=_("Desarrollo"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    sources_to_consult = forms.CharField(
        label=_("Fuentes a consultar"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    products = forms.CharField(
        label=_("Productos a realizar"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    channels = forms.ModelMultipleChoiceField(
        label=_("Medios de difusión"),
        queryset=Channel.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    responsible = forms.ModelChoiceField(
        label=_("Responsable"), queryset=User.objects.none(), required=False
    )
    due_date = forms.DateField(
        label=_("Fecha de entrega"), required=False, widget=DateInput()
    )


class CommitmentForm(OrgFormMixin, forms.Form):
    description = forms.CharField(label=_("Compromiso"), max_length=500, required=False)
    responsible = forms.ModelChoiceField(
        label=_("Responsable"), queryset=User.objects.none(), required=False
    )
    responsible_name = forms.CharField(
        label=_("Responsable externo"), max_length=200, required=False
    )
    due_date = forms.DateField(label=_("Fecha"), required=False, widget=DateInput())


AttendeeFormSet = forms.formset_factory(AttendeeForm, extra=1, max_num=80)
AgendaFormSet = forms.formset_factory(AgendaForm, extra=1, max_num=80)
CommitmentFormSet = forms.formset_factory(CommitmentForm, extra=1, max_num=80)


class DocumentForm(StyledFormMixin, forms.Form):
    file = forms.FileField(label=_("Informe de comunicación estratégica u otro anexo"))
    is_strategic_report = forms.BooleanField(
        label=_("Es el informe de comunicación estratégica"),
        required=False,
        initial=True,
    )


class ReasonForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Motivo del cambio"), widget=forms.Textarea(attrs={"rows": 2})
    )


class PlanItemForm(OrgFormMixin, forms.Form):
    title = forms.CharField(label=_("Contenido a producir"), max_length=200)
    description = forms.CharField(
        label=_("Descripción"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    need = forms.ModelChoiceField(
        label=_("Necesidad"), queryset=Need.objects.none(), required=False
    )
    dependency = forms.ModelChoiceField(
        label=_("Dependencia"), queryset=Dependency.objects.none()
    )
    liaison = forms.ModelChoiceField(
        label=_("Enlace de la dependencia"),
        queryset=User.objects.none(),
        required=False,
    )
    responsible = forms.ModelChoiceField(
        label=_("Responsable en la OAC"), queryset=User.objects.none(), required=False
    )
    planned_date = forms.DateField(label=_("Fecha planeada"), widget=DateInput())
    campaign = forms.ModelChoiceField(
        label=_("Campaña"), queryset=Campaign.objects.none(), required=False
    )
    audiences = forms.ModelMultipleChoiceField(
        label=_("Públicos de interés"),
        queryset=Audience.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channels = forms.ModelMultipleChoiceField(
        label=_("Canales"),
        queryset=Channel.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    lock_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CommentForm(StyledFormMixin, forms.Form):
    body = forms.CharField(
        label=_("Comentario"), widget=forms.Textarea(attrs={"rows": 3})
    )


class JointActionForm(OrgFormMixin, forms.Form):
    title = forms.CharField(label=_("Acción conjunta"), max_length=200)
    description = forms.CharField(
        label=_("Descripción"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    coordinator = forms.CharField(
        label=_("Coordinada por"), max_length=200, required=False
    )
    partners = forms.ModelMultipleChoiceField(
        label=_("Entidades de la Red Distrital"),
        queryset=PartnerEntity.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    new_partners = forms.CharField(
        label=_("Otras entidades (una por línea)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    hashtags = forms.CharField(
        label=_("Etiquetas (hashtags)"),
        max_length=300,
        required=False,
        help_text=_("Separadas por espacios, en CamelCase: #BogotáCaminaSegura"),
    )
    starts_on = forms.DateField(label=_("Desde"), widget=DateInput())
    ends_on = forms.DateField(label=_("Hasta"), required=False, widget=DateInput())
    campaign = forms.ModelChoiceField(
        label=_("Campaña"), queryset=Campaign.objects.none(), required=False
    )
    pieces = forms.ModelMultipleChoiceField(
        label=_("Piezas relacionadas"), queryset=Piece.objects.none(), required=False
    )

    def setup_querysets(self, org: int) -> None:
        super().setup_querysets(org)
        fields: Any = self.fields
        since = timezone.now() - datetime.timedelta(days=400)
        fields["pieces"].queryset = (
            Piece.objects.for_org(org)
            .filter(created_at__gte=since)
            .order_by("-created_at")
        )


class EvidenceForm(StyledFormMixin, forms.Form):
    description = forms.CharField(label=_("Evidencia"), max_length=300)
    url = forms.CharField(
        label=_("Enlace (publicación, hilo, correo)"), max_length=500, required=False
    )
    file = forms.FileField(label=_("Archivo (captura, correo, PDF)"), required=False)
