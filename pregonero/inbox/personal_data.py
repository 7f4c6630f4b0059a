"""DAT-01: personal data that must never go out in a public reply.

A pure function over the reply's text: it finds Colombian cédulas, mobile and
landline phone numbers, e-mail addresses and Bogotá street addresses, and
returns each finding with its span so the editor can mark it. No queries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

__all__ = ["Finding", "describe", "find_personal_data"]


@dataclass(frozen=True)
class Finding:
    kind: str  # "cedula", "phone", "email", "address"
    start: int
    end: int
    text: str


KIND_LABELS = {
    "cedula": _("número de cédula"),
    "phone": _("número de teléfono"),
    "email": _("correo electrónico"),
    "address": _("dirección"),
}

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)

# Mobile: 3XX XXX XXXX (optionally +57 / 57); landline: 601 XXX XXXX (the
# national plan since 2021) or the old 7-digit Bogotá numbers written with
# separators (e.g. 349 4520, 3-49-45-20).
PHONE = re.compile(
    r"(?<![\w.])(?:\+?57[\s.-]?)?(?:\(?3\d{2}\)?[\s.-]?\d{3}[\s.-]?\d{4}"
    r"|\(?60[1-8]\)?[\s.-]?\d{3}[\s.-]?\d{4}"
    r"|[2-8]\d{2}[\s.-]\d{2}[\s.-]?\d{2})(?![\w])"
)

# Cédula: 6 to 10 digits, optionally with thousands separators (1.023.456.789),
# either introduced by its name or standing alone as a long number.
CEDULA_NAMED = re.compile(
    r"(?i)\b(?:c\.?\s?c\.?|c[ée]dula(?:\s+de\s+ciudadan[íi]a)?|documento"
    r"(?:\s+de\s+identidad)?|identificaci[óo]n|n[úu]mero\s+de\s+documento)"
    r"(?:\s*(?:n[°ºo.]\.?|no\.?|número|#|:))*\s*"
    r"(\d{1,3}(?:[.,\s]\d{3}){1,3}|\d{6,10})\b"
)
CEDULA_BARE = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:\.\d{3}){2,3}|\d{7,10})(?![\w]|[.,]\d)"
)

# A long number that names a public record (radicado, resolución…) is not a cédula.
OFFICIAL_NUMBER = re.compile(
    r"(?i)\b(?:radicado|radicaci[óo]n|resoluci[óo]n|decreto|acuerdo|ley|expediente"
    r"|contrato|proceso|orfeo|n[úu]mero de solicitud)\b[^\d]{0,12}$"
)

# Bogotá nomenclature: Calle, Carrera, Diagonal, Transversal, Avenida (and
# their abbreviations) + number (+ letters, bis, sur) + "#" / "No." + NN-NN.
_VIA = (
    r"(?:calle|cl\.?|cll\.?|carrera|cra\.?|kr\.?|kra\.?|cr\.?|diagonal|dg\.?|diag\.?"
    r"|transversal|tv\.?|tr\.?|trans\.?|avenida(?:\s+calle|\s+carrera)?|av\.?|ak\.?|ac\.?)"
)
ADDRESS = re.compile(
    r"(?i)\b" + _VIA + r"\s*\d{1,3}\s?(?:[a-z]\b)?(?:\s?bis)?(?:\s?[a-z]\b)?(?:\s+sur)?"
    r"\s*(?:#|n[°ºo]\.?|no\.?|número)\s*\d{1,3}\s?[a-z]?\s*[-–]\s*\d{1,3}(?:\s+sur)?"
)


def find_personal_data(text: str) -> list[Finding]:
    """Every piece of personal data in ``text``, in order, without overlaps."""
    found: list[Finding] = []

    def add(kind: str, start: int, end: int) -> None:
        if any(start < f.end and f.start < end for f in found):
            return
        found.append(Finding(kind, start, end, text[start:end]))

    for match in EMAIL.finditer(text):
        add("email", match.start(), match.end())
    for match in ADDRESS.finditer(text):
        add("address", match.start(), match.end())
    for match in CEDULA_NAMED.finditer(text):
        add("cedula", match.start(1), match.end(1))
    for match in PHONE.finditer(text):
        add("phone", match.start(), match.end())
    for match in CEDULA_BARE.finditer(text):
        if not OFFICIAL_NUMBER.search(text[max(0, match.start() - 30) : match.start()]):
            add("cedula", match.start(1), match.end(1))
    return sorted(found, key=lambda f: f.start)


def describe(findings: list[Finding]) -> str:
    """A Spanish list of what was found, for the refusal message."""
    return ", ".join(f"{KIND_LABELS[f.kind]} «{f.text}»" for f in findings)
