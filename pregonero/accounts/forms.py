from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pregonero.core.forms import DateInput, StyledFormMixin

from .models import User, role_group_name


class DelegationForm(StyledFormMixin, forms.Form):
    delegator = forms.ModelChoiceField(
        label=_("Jefe(a) que delega"), queryset=User.objects.none()
    )
    delegate = forms.ModelChoiceField(
        label=_("Encargado(a)"), queryset=User.objects.none()
    )
    starts_on = forms.DateField(label=_("Desde"), widget=DateInput())
    ends_on = forms.DateField(label=_("Hasta (inclusive)"), widget=DateInput())
    reason = forms.CharField(label=_("Motivo"), max_length=300)
    act_reference = forms.CharField(
        label=_("Acto administrativo (opcional)"), max_length=200, required=False
    )

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = User.objects.filter(organization_id=organization_id, is_active=True)
        fields: Any = self.fields
        fields["delegator"].queryset = people.filter(
            groups__name=role_group_name("jefe")
        ).distinct()
        fields["delegate"].queryset = people.filter(
            groups__name__in=[
                role_group_name("profesional"),
                role_group_name("estrategia"),
            ]
        ).distinct()
