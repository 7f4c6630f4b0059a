from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pregonero.core.forms import DATETIME_FORMATS, DateTimeInput, StyledFormMixin
from pregonero.core.models import Channel


class ScheduleForm(StyledFormMixin, forms.Form):
    channels = forms.ModelMultipleChoiceField(
        label=_("Canales"),
        queryset=Channel.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    when = forms.ChoiceField(
        label=_("Cuándo"),
        choices=[("now", _("Publicar ahora")), ("at", _("Programar para"))],
        widget=forms.RadioSelect,
        initial="at",
    )
    scheduled_at = forms.DateTimeField(
        label=_("Fecha y hora (hora de Bogotá)"),
        required=False,
        widget=DateTimeInput(),
        input_formats=DATETIME_FORMATS,
    )

    def __init__(self, *args: Any, channels: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = channels  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("when") == "at" and not data.get("scheduled_at"):
            self.add_error(
                "scheduled_at", _("Indique la fecha y hora, o elija «Publicar ahora».")
            )
        return data


class ManualForm(StyledFormMixin, forms.Form):
    channel = forms.ModelChoiceField(label=_("Canal"), queryset=Channel.objects.none())
    permalink = forms.URLField(
        label=_("Enlace de la publicación"), max_length=500, assume_scheme="https"
    )
    published_at = forms.DateTimeField(
        label=_("Publicada el (hora de Bogotá)"),
        widget=DateTimeInput(),
        input_formats=DATETIME_FORMATS,
    )
    note = forms.CharField(
        label=_("Observaciones"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, channels: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = channels  # type: ignore[attr-defined]


class RescheduleForm(StyledFormMixin, forms.Form):
    scheduled_at = forms.DateTimeField(
        label=_("Nueva fecha y hora"),
        widget=DateTimeInput(),
        input_formats=DATETIME_FORMATS,
    )
    lock_version = forms.IntegerField(widget=forms.HiddenInput)


class CancelForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Motivo"), widget=forms.Textarea(attrs={"rows": 2})
    )
