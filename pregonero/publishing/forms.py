from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pregonero.core.forms import DATETIME_FORMATS, DateTimeInput, StyledFormMixin
from pregonero.core.models import Channel, Dependency


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


class ChannelForm(StyledFormMixin, forms.ModelForm):
    """The inventory record of a channel; ``snapshot`` refuses conflicting edits."""

    snapshot = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Channel
        fields = [
            "name",
            "kind",
            "imitates",
            "handle",
            "url",
            "owner_dependency",
            "recovery_email",
            "active",
        ]

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_dependency"].queryset = Dependency.objects.for_org(  # type: ignore[attr-defined]
            organization_id
        ).filter(active=True)
        self.fields["recovery_email"].help_text = _(
            "Buzón institucional con el que se recupera la cuenta (SEC-01); nunca un correo personal."
        )
        if self.instance.pk and not self.is_bound:
            self.initial["snapshot"] = channel_snapshot(self.instance)


def channel_snapshot(channel: Channel) -> str:
    """A fingerprint of the editable fields, to detect someone else's edit."""
    import hashlib

    values = "|".join(
        str(getattr(channel, f"{name}_id" if name == "owner_dependency" else name))
        for name in ChannelForm.Meta.fields
    )
    return hashlib.sha256(values.encode()).hexdigest()[:16]


class InstanceForm(StyledFormMixin, forms.Form):
    base_url = forms.CharField(
        label=_("Servidor (instancia)"),
        max_length=300,
        help_text=_(
            "Por ejemplo https://mastodon.social o la instancia de la entidad."
        ),
    )


class AppPasswordForm(StyledFormMixin, forms.Form):
    identifier = forms.CharField(
        label=_("Usuario"),
        max_length=200,
        help_text=_("Por ejemplo entidad.bsky.social."),
    )
    app_password = forms.CharField(
        label=_("Contraseña de aplicación"),
        max_length=100,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Créela en Bluesky → Configuración → Contraseñas de aplicación. Pregonero no la guarda: "
            "solo guarda la sesión que abre, cifrada."
        ),
    )
    base_url = forms.CharField(
        label=_("Servidor (PDS)"),
        max_length=300,
        required=False,
        help_text=_("Déjelo vacío para bsky.social."),
    )


class ReasonForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Motivo"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class WithdrawForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Motivo del retiro"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
    removed_by_hand = forms.BooleanField(
        label=_("Ya la retiré directamente en la red"), required=False
    )


class ResolveForm(StyledFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=_("¿Quedó publicada?"),
        choices=[
            ("published", _("Sí, está publicada")),
            ("not_published", _("No, no está: reenviarla")),
        ],
        widget=forms.RadioSelect,
    )
    permalink = forms.URLField(
        label=_("Enlace de la publicación"), required=False, max_length=500
    )
    note = forms.CharField(
        label=_("Observaciones"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
