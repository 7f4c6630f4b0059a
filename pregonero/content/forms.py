from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pregonero.accounts.models import Role, User, role_group_name
from pregonero.core.forms import DateInput, StyledFormMixin
from pregonero.core.models import Audience, Campaign, Channel, Dependency, Program
from pregonero.intake.models import Need

from .checking import OVERRIDE_MIN_CHARS
from .models import CHECKLISTS, CaptionsMode, PieceFormat


def _checker_field(rule: str) -> str:
    """«LC-07» → «checker_LC_07»."""
    return "checker_" + rule.replace("-", "_")


def _org_users(organization_id: int, *roles: str) -> Any:
    return (
        User.objects.filter(
            organization_id=organization_id,
            is_active=True,
            groups__name__in=[role_group_name(r) for r in roles],
        )
        .distinct()
        .order_by("first_name", "last_name")
    )


class PieceForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Título"), max_length=200)
    format = forms.ChoiceField(label=_("Formato"), choices=PieceFormat.choices)
    brief = forms.CharField(
        label=_("Enfoque e instrucciones"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    need = forms.ModelChoiceField(
        label=_("Necesidad que atiende"), queryset=Need.objects.none(), required=False
    )
    dependency = forms.ModelChoiceField(
        label=_("Dependencia"), queryset=Dependency.objects.none(), required=False
    )
    program = forms.ModelChoiceField(
        label=_("Programa"), queryset=Program.objects.none(), required=False
    )
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
        label=_("Canales previstos"),
        queryset=Channel.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    writer = forms.ModelChoiceField(
        label=_("Redactor(a)"), queryset=User.objects.none(), required=False
    )
    designer = forms.ModelChoiceField(
        label=_("Diseñador(a)"), queryset=User.objects.none(), required=False
    )
    urgent = forms.BooleanField(label=_("Urgente"), required=False)
    desired_date = forms.DateField(
        label=_("Fecha deseada (oportunidad)"), required=False, widget=DateInput()
    )
    planned_date = forms.DateField(
        label=_("Fecha planeada"), required=False, widget=DateInput()
    )
    lock_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = organization_id
        fields: Any = self.fields
        fields["need"].queryset = (
            Need.objects.for_org(org).open().order_by("-created_at")
        )
        fields["dependency"].queryset = Dependency.objects.for_org(org).filter(
            active=True
        )
        fields["program"].queryset = Program.objects.for_org(org).filter(active=True)
        fields["campaign"].queryset = Campaign.objects.for_org(org).filter(active=True)
        fields["audiences"].queryset = Audience.objects.for_org(org).filter(active=True)
        fields["channels"].queryset = Channel.objects.for_org(org).filter(active=True)
        fields["writer"].queryset = _org_users(org, Role.PROFESIONAL)
        fields["designer"].queryset = _org_users(org, Role.PROFESIONAL)


class TextForm(StyledFormMixin, forms.Form):
    body = forms.CharField(
        label=_("Texto de la pieza"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Oraciones cortas, la idea principal primero, lenguaje claro e incluyente."
        ),
    )
    note = forms.CharField(
        label=_("Qué cambió en esta versión"), required=False, max_length=300
    )
    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, channels: list[Channel], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channels = channels
        for channel in channels:
            self.fields[f"variant_{channel.pk}_title"] = forms.CharField(
                label=_("Título en %(channel)s") % {"channel": channel.name},
                required=False,
                max_length=200,
            )
            self.fields[f"variant_{channel.pk}_body"] = forms.CharField(
                label=_("Texto para %(channel)s") % {"channel": channel.name},
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
                help_text=_("Déjelo vacío para usar el texto principal."),
            )
        for field in self.fields.values():
            if isinstance(field.widget, forms.Textarea | forms.TextInput):
                field.widget.attrs["class"] = field.widget.attrs.get(
                    "class", "form-control"
                )
        # The texts the checker reads while the person types (see piece_text.html).
        for name in ("body", *(f"variant_{c.pk}_body" for c in channels)):
            widget = self.fields[name].widget
            widget.attrs["class"] = f"{widget.attrs['class']} chk-input"

    def variant_fields(self) -> list[tuple[Channel, Any, Any]]:
        return [
            (c, self[f"variant_{c.pk}_title"], self[f"variant_{c.pk}_body"])
            for c in self.channels
        ]

    def variants(self) -> dict[int, tuple[str, str]]:
        data = self.cleaned_data
        return {
            c.pk: (
                data.get(f"variant_{c.pk}_title", ""),
                data.get(f"variant_{c.pk}_body", ""),
            )
            for c in self.channels
        }


class SourceForm(StyledFormMixin, forms.Form):
    description = forms.CharField(
        label=_("Fuente consultada"), max_length=300, required=False
    )
    url = forms.CharField(label=_("Enlace"), max_length=500, required=False)


SourceFormSet = forms.formset_factory(SourceForm, extra=1, max_num=30)


class AssetForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Archivo (imagen, video, PDF o audio)"),
        help_text=_(
            "No se aceptan SVG ni programas. El tipo se comprueba por el contenido."
        ),
    )
    alt_text = forms.CharField(
        label=_("Texto alternativo / descripción"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Describa lo que muestra la imagen y el texto que contiene (Resolución 1519 "
            "de 2020). Para audio, la transcripción."
        ),
    )
    decorative = forms.BooleanField(
        label=_("Imagen decorativa (no necesita descripción)"), required=False
    )
    captions_mode = forms.ChoiceField(
        label=_("Subtítulos del video"), choices=CaptionsMode.choices, required=False
    )
    captions_file = forms.FileField(
        label=_("Archivo de subtítulos (SRT o WebVTT)"), required=False
    )
    captions_reviewed = forms.BooleanField(
        label=_("Subtítulos revisados por una persona (no automáticos)"), required=False
    )


class AssetEditForm(AssetForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["file"]


class TransitionForm(StyledFormMixin, forms.Form):
    comment = forms.CharField(
        label=_("Comentario"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    lock_version = forms.IntegerField(widget=forms.HiddenInput)


class ReviewForm(StyledFormMixin, forms.Form):
    comment = forms.CharField(
        label=_("Observaciones (obligatorias para devolver)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    override_justification = forms.CharField(
        label=_("Justificación para aprobar con errores"),
        required=False,
        max_length=4000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    lock_version = forms.IntegerField(widget=forms.HiddenInput)
    reviewed_number = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        control_point: int,
        checker_questions: list[tuple[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.control_point = control_point
        self.checker_questions = checker_questions or []
        self.fields["override_justification"].help_text = _(
            "Solo si aprueba una versión con errores de lenguaje o accesibilidad: "
            "diga por qué (al menos %(min)s caracteres). Queda en la revisión y en "
            "la auditoría."
        ) % {"min": OVERRIDE_MIN_CHARS}
        for key, label in CHECKLISTS[control_point]:
            self.fields[f"check_{key}"] = forms.BooleanField(
                label=label, required=False
            )
            self.fields[f"check_{key}"].widget.attrs["class"] = "form-check-input"
        for rule, label in self.checker_questions:
            name = _checker_field(rule)
            self.fields[name] = forms.BooleanField(label=label, required=False)
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def checker_checklist(self) -> dict[str, bool]:
        return {
            rule: bool(self.cleaned_data.get(_checker_field(rule)))
            for rule, _label in self.checker_questions
        }

    def checker_fields(self) -> list[Any]:
        return [self[_checker_field(rule)] for rule, _label in self.checker_questions]

    def checklist(self) -> dict[str, bool]:
        return {
            key: bool(self.cleaned_data.get(f"check_{key}"))
            for key, _label in CHECKLISTS[self.control_point]
        }

    def checklist_fields(self) -> list[Any]:
        return [self[f"check_{key}"] for key, _label in CHECKLISTS[self.control_point]]
