from __future__ import annotations

import pytest

from pregonero.inbox.personal_data import find_personal_data


@pytest.mark.parametrize(
    ("text", "kind", "span"),
    [
        ("Su cédula 1.023.456.789 quedó registrada", "cedula", "1.023.456.789"),
        ("CC 52345678, ya revisamos", "cedula", "52345678"),
        ("con c.c. No. 80.123.456 de Bogotá", "cedula", "80.123.456"),
        ("el documento 1023456789 aparece", "cedula", "1023456789"),
        ("llámenos al 310 555 1234", "phone", "310 555 1234"),
        ("su celular +57 3105551234 está", "phone", "+57 3105551234"),
        ("marque (601) 349 4520 ext 1", "phone", "(601) 349 4520"),
        ("o al 601-3494520", "phone", "601-3494520"),
        ("escriba a maria.perez@gmail.com", "email", "maria.perez@gmail.com"),
        ("vive en la Cra 7 # 12-34 barrio", "address", "Cra 7 # 12-34"),
        ("Calle 26 Sur No. 45-10", "address", "Calle 26 Sur No. 45-10"),
        ("Diagonal 48 bis # 5-20", "address", "Diagonal 48 bis # 5-20"),
        ("Transversal 3A # 60-15", "address", "Transversal 3A # 60-15"),
        ("Av. 68 # 22-40 sur", "address", "Av. 68 # 22-40 sur"),
    ],
)
def test_finds_personal_data(text: str, kind: str, span: str) -> None:
    found = find_personal_data(text)
    assert [(f.kind, f.text) for f in found] == [(kind, span)]
    assert text[found[0].start : found[0].end] == span


@pytest.mark.parametrize(
    "text",
    [
        "Hola, las inscripciones abren el 15 de marzo de 2026.",
        "Consulte www.cajaviviendapopular.gov.co y el Decreto 371 de 2010.",
        "Atendemos de 7:00 a 16:30 en la sede de la Calle 54.",
        "La Resolución 2026 de 12 páginas; 3 subsidios entregados.",
        "Escríbanos por mensaje privado y le damos la respuesta.",
        "Más de 1.500 familias beneficiadas en 2025.",
        "El radicado 20261234 fue recibido.",
    ],
)
def test_plain_replies_pass(text: str) -> None:
    assert find_personal_data(text) == []


def test_several_findings_in_order() -> None:
    text = "Ana (ana@x.co), cel 3001234567, CC 1.023.456.789"
    assert [f.kind for f in find_personal_data(text)] == ["email", "phone", "cedula"]
