from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pregonero.core.forms import DateInput, StyledFormMixin
from pregonero.core.models import Audience, Dependency

from .models import NeedSource, Urgency


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class NeedForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Asunto"), max_length=200)
    description = forms.CharField(
        label=_("¿Qué se necesita comunicar?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Contexto, datos clave, a quién va dirigido y qué se espera lograr."
        ),
    )
    source = forms.ChoiceField(label=_("Origen"), choices=NeedSource.choices)
    dependency = forms.ModelChoiceField(
        label=_("Dependencia solicitante"), queryset=Dependency.objects.none()
    )
    requester_name = forms.CharField(
        label=_("Solicitante (si no es usted)"), max_length=200, required=False
    )
    audiences = forms.ModelMultipleChoiceField(
        label=_("Públicos de interés"),
        queryset=Audience.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    desired_date = forms.DateField(
        label=_("Fecha deseada de publicación"), required=False, widget=DateInput()
    )
    event_date = forms.DateField(
        label=_("Fecha del evento"), required=False, widget=DateInput()
    )
    urgency = forms.ChoiceField(
        label=_("Urgencia"), choices=Urgency.choices, initial=Urgency.NORMAL
    )
    attachments = MultipleFileField(
        label=_("Adjuntos"),
        required=False,
        help_text=_(
            "Imágenes, documentos, audio o video. Se revisa el tipo real de cada archivo."
        ),
    )

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dependency"].queryset = Dependency.objects.for_org(  # type: ignore[attr-defined]
            organization_id
        ).filter(active=True)
        self.fields["audiences"].queryset = Audience.objects.for_org(  # type: ignore[attr-defined]
            organization_id
        ).filter(active=True)


class EmailImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Correo guardado (.eml)"),
        help_text=_(
            "En Outlook o Gmail: «Guardar como» o «Descargar mensaje». Se registran el "
            "texto, el remitente y los adjuntos."
        ),
    )
    dependency = forms.ModelChoiceField(
        label=_("Dependencia solicitante"), queryset=Dependency.objects.none()
    )
    urgency = forms.ChoiceField(
        label=_("Urgencia"), choices=Urgency.choices, initial=Urgency.NORMAL
    )
    desired_date = forms.DateField(
        label=_("Fecha deseada de publicación"), required=False, widget=DateInput()
    )

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dependency"].queryset = Dependency.objects.for_org(  # type: ignore[attr-defined]
            organization_id
        ).filter(active=True)


class TriageForm(StyledFormMixin, forms.Form):
    note = forms.CharField(
        label=_("Observación (obligatoria para descartar)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    lock_version = forms.IntegerField(widget=forms.HiddenInput)


class AttachmentForm(StyledFormMixin, forms.Form):
    attachments = MultipleFileField(label=_("Agregar adjuntos"))
