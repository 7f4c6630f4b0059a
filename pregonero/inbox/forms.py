from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pregonero.accounts.models import User
from pregonero.core.forms import (
    DATETIME_FORMATS,
    DateInput,
    DateTimeInput,
    StyledFormMixin,
)
from pregonero.core.models import Channel, Dependency

from .workflow import ItemKind, ItemState, TriageDecision, Typology


class Versioned(StyledFormMixin, forms.Form):
    lock_version = forms.IntegerField(widget=forms.HiddenInput)


class TriageForm(Versioned):
    decision = forms.ChoiceField(
        label=_("Decisión"), choices=TriageDecision.choices, widget=forms.RadioSelect
    )
    typology = forms.ChoiceField(
        label=_("Tipología (si es petición)"),
        choices=[("", "—"), *Typology.choices],
        required=False,
    )
    dependency = forms.ModelChoiceField(
        label=_("Dependencia que responde (si es petición)"),
        queryset=Dependency.objects.none(),
        required=False,
    )
    reason = forms.CharField(
        label=_("Motivo (obligatorio si no procede)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dependency"].queryset = Dependency.objects.for_org(  # type: ignore[attr-defined]
            organization_id
        ).filter(active=True)


class AssignForm(Versioned):
    assignee = forms.ModelChoiceField(
        label=_("Asignar a"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, staff: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        field.queryset = User.objects.filter(pk__in=[u.pk for u in staff])  # type: ignore[attr-defined]
        field.empty_label = _("Sin asignar")  # type: ignore[attr-defined]


class NoteForm(StyledFormMixin, forms.Form):
    text = forms.CharField(
        label=_("Nota interna (no la ve el ciudadano)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RespondedForm(StyledFormMixin, forms.Form):
    url = forms.URLField(
        label=_("Enlace de la respuesta (opcional)"), required=False, max_length=500
    )


class RadicadoForm(Versioned):
    radicado = forms.CharField(
        label=_("Número de radicado Bogotá te escucha"), max_length=40
    )


class PetitionDataForm(Versioned):
    dependency = forms.ModelChoiceField(
        label=_("Dependencia que responde"),
        queryset=Dependency.objects.none(),
        required=False,
    )
    petitioner_name = forms.CharField(
        label=_("Nombre del peticionario"), max_length=200, required=False
    )
    petitioner_document = forms.CharField(
        label=_("Documento de identidad"), max_length=40, required=False
    )
    petitioner_contact = forms.CharField(
        label=_("Contacto para la respuesta (teléfono, correo o dirección)"),
        max_length=300,
        required=False,
    )

    def __init__(
        self, *args: Any, organization_id: int, personal: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dependency"].queryset = Dependency.objects.for_org(  # type: ignore[attr-defined]
            organization_id
        ).filter(active=True)
        if not personal:
            for name in (
                "petitioner_name",
                "petitioner_document",
                "petitioner_contact",
            ):
                del self.fields[name]


class ReferForm(Versioned):
    entity = forms.CharField(label=_("Entidad competente"), max_length=200)
    note = forms.CharField(
        label=_("Nota (oficio, copia al peticionario)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ClarificationForm(Versioned):
    text = forms.CharField(
        label=_("Qué debe aclarar el peticionario"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ClarificationReceivedForm(Versioned):
    received_at = forms.DateTimeField(
        label=_("Fecha y hora en que llegó la aclaración"),
        input_formats=DATETIME_FORMATS,
        widget=DateTimeInput(),
    )


class ExtendForm(Versioned):
    new_due_date = forms.DateField(
        label=_("Nueva fecha de vencimiento"), widget=DateInput()
    )
    reason = forms.CharField(
        label=_("Motivos informados al peticionario"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AnswerForm(Versioned):
    text = forms.CharField(
        label=_("Respuesta dada"), widget=forms.Textarea(attrs={"rows": 4})
    )
    url = forms.URLField(
        label=_("Enlace de la respuesta (opcional)"), required=False, max_length=500
    )


class CloseForm(Versioned):
    pass


class ItemForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Tipo"), choices=ItemKind.choices)
    channel = forms.ModelChoiceField(
        label=_("Canal (si llegó por una red)"),
        queryset=Channel.objects.none(),
        required=False,
    )
    author_handle = forms.CharField(
        label=_("Quién escribió o llamó (usuario o nombre)"), max_length=200
    )
    text = forms.CharField(
        label=_("Mensaje o resumen de la llamada"),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    url = forms.URLField(label=_("Enlace (opcional)"), required=False, max_length=500)
    received_at = forms.DateTimeField(
        label=_("Fecha y hora de recibo"),
        input_formats=DATETIME_FORMATS,
        widget=DateTimeInput(),
        help_text=_("Cuando llegó a la entidad: desde ahí corren los términos."),
    )

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.for_org(  # type: ignore[attr-defined]
            organization_id
        ).filter(active=True)


STATE_FILTERS = [*ItemState.choices, ("unanswered", _("Sin responder"))]


class ReplyForm(StyledFormMixin, forms.Form):
    """The reply editor: the text, a plantilla to insert, public or private,
    and the DAT-01 confirmation."""

    text = forms.CharField(
        label=_("Respuesta"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    template = forms.ChoiceField(
        label=_("Respuesta guardada (plantilla)"), required=False
    )
    private = forms.TypedChoiceField(
        label=_("¿Cómo responder?"),
        choices=[("0", _("Respuesta pública")), ("1", _("Mensaje privado"))],
        coerce=lambda v: v == "1",
        initial="0",
        widget=forms.RadioSelect,
        required=False,
    )
    confirm_not_personal = forms.BooleanField(
        label=_(
            "Confirmo que los datos marcados no son datos personales (por ejemplo, "
            "la línea o la sede de la entidad)."
        ),
        required=False,
    )
    as_petition_answer = forms.BooleanField(
        label=_(
            "Registrar esta respuesta como la respuesta de la petición (evidencia)"
        ),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        templates: list[tuple[str, str]],
        private_allowed: bool,
        public_allowed: bool,
        petition: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [("", "—"), *templates]  # type: ignore[attr-defined]
        if not (private_allowed and public_allowed):
            del self.fields["private"]
        if not petition:
            del self.fields["as_petition_answer"]


class ResolveReplyForm(StyledFormMixin, forms.Form):
    """A person says whether a reply the network could not confirm went out."""

    reply = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=_("¿La respuesta salió en la red?"),
        choices=[
            ("sent", _("Sí salió: la veo publicada o enviada")),
            ("not_sent", _("No salió: enviarla de nuevo")),
        ],
        widget=forms.RadioSelect,
    )
    permalink = forms.CharField(
        label=_("Enlace de la respuesta en la red (si salió)"),
        required=False,
        max_length=500,
        help_text=_(
            "Obligatorio para una respuesta pública; un mensaje privado puede no "
            "tener enlace."
        ),
    )
    note = forms.CharField(
        label=_("¿Cómo lo comprobó?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Queda en el historial del mensaje."),
    )


class SavedReplyForm(StyledFormMixin, forms.Form):
    """A plantilla: short, in plain language, without personal data."""

    title = forms.CharField(label=_("Título"), max_length=120)
    body = forms.CharField(
        label=_("Texto de la respuesta"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Lenguaje claro: frases cortas, lo importante primero, sin siglas sin "
            "explicar. Nunca datos personales: la respuesta puede ser pública."
        ),
    )
    active = forms.BooleanField(
        label=_("Activa (se ofrece al responder)"), required=False, initial=True
    )
    lock_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
