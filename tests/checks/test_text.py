"""The text analysis under the rules: syllables, sentences, folding, entities and
emojis, with Unicode edge cases; spans always point into the original text."""

from __future__ import annotations

import unicodedata

import pyphen
import pytest

from pregonero.checks.engine import check_text
from pregonero.checks.text import Document, fold, split_sentences, syllables

# Hand-counted Spanish syllables (hiatus, diphthongs, triphthongs, h, y).
SYLLABLES = {
    "casa": 2,
    "ciudadanía": 5,
    "día": 2,
    "país": 2,
    "poeta": 3,
    "aéreo": 4,
    "reasentamiento": 6,
    "leer": 2,
    "crear": 2,
    "ahora": 3,
    "prohibir": 3,
    "huir": 1,
    "guion": 1,
    "muy": 1,
    "hoy": 1,
    "y": 1,
    "ayer": 2,
    "Uruguay": 3,
    "pingüino": 3,
    "construcción": 3,
    "titulación": 4,
    "vivienda": 3,
    "beneficiarios": 5,
    "mejoramiento": 5,
    "Bogotá": 3,
    "oía": 3,
    "CVP": 1,
}


@pytest.mark.parametrize(("word", "count"), sorted(SYLLABLES.items()))
def test_syllables(word: str, count: int) -> None:
    assert syllables(word) == count


def test_syllables_never_fewer_than_pyphen_hyphenation_says() -> None:
    """pyphen's points are a lower bound (it keeps hiatus and single letters at
    the edges together); the checker counts at least that many, and more
    where pyphen under-counts."""
    dic = pyphen.Pyphen(lang="es")
    words = [w for w in SYLLABLES if w.isalpha() and w.lower() != w.upper()]
    under = []
    for word in words:
        points = len(dic.positions(word)) + 1
        assert syllables(word) >= points, word
        if syllables(word) > points:
            under.append(word)
    assert {"día", "poeta", "reasentamiento"} <= set(under)


def test_syllables_of_decomposed_accents_match_the_composed_word() -> None:
    assert syllables(unicodedata.normalize("NFD", "ciudadanía")) == 5


def test_sentences_with_abbreviations_hours_and_addresses() -> None:
    paragraph = (
        "Te esperamos a las 8:00 a. m. en la Cra. 13 # 54-13. El Sr. Pérez y la "
        "Ing. Gómez te atienden. ¿Tienes dudas? ¡Escríbenos! Hola... ¿cómo estás?"
    )
    sentences = [paragraph[a:b] for a, b in split_sentences(paragraph)]
    assert sentences == [
        "Te esperamos a las 8:00 a. m. en la Cra. 13 # 54-13.",
        "El Sr. Pérez y la Ing. Gómez te atienden.",
        "¿Tienes dudas?",
        "¡Escríbenos!",
        "Hola... ¿cómo estás?",
    ]


def test_each_line_is_a_paragraph_and_links_do_not_split_sentences() -> None:
    text = (
        "Consulta www.cajaviviendapopular.gov.co y escribe a redes@cvp.gov.co. Gracias.\n"
        "\n"
        "Segundo párrafo 1.200 familias."
    )
    doc = Document(text)
    assert [text[a:b] for a, b in doc.paragraphs] == [
        "Consulta www.cajaviviendapopular.gov.co y escribe a redes@cvp.gov.co. Gracias.",
        "Segundo párrafo 1.200 familias.",
    ]
    assert [text[s.start : s.end] for s in doc.sentences] == [
        "Consulta www.cajaviviendapopular.gov.co y escribe a redes@cvp.gov.co.",
        "Gracias.",
        "Segundo párrafo 1.200 familias.",
    ]
    assert [e.kind for e in doc.entities] == ["url", "email"]


def test_fold_keeps_the_ene_and_maps_back_to_the_original() -> None:
    assert fold("Año ÉXITO Pingüino") == ("año exito pinguino", None)
    decomposed = unicodedata.normalize("NFD", "Titulación en Engativá, año")
    folded, positions = fold(decomposed)
    assert folded == "titulacion en engativa, año"
    assert positions is not None and len(positions) == len(folded) + 1
    start = folded.index("engativa")
    original = decomposed[positions[start] : positions[start + len("engativa")]]
    assert unicodedata.normalize("NFC", original) == "Engativá"


def test_spans_point_into_the_original_text_with_combining_marks() -> None:
    text = unicodedata.normalize(
        "NFD", "Según la resolución, los beneficiarios deberán allegar."
    )
    result = check_text(text)
    pieces = {f.rule: text[f.start : f.end] for f in result.findings}
    assert unicodedata.normalize("NFC", pieces["LI-01"]) == "los beneficiarios"
    assert unicodedata.normalize("NFC", pieces["LC-04"]) == "allegar"
    for finding in result.findings:
        assert 0 <= finding.start <= finding.end <= len(text)


def test_emoji_zwj_sequences_skin_tones_flags_and_keycaps_are_one_each() -> None:
    text = "👩🏽\u200d🔧 🇨🇴 1️⃣ 🏳️\u200d🌈 ©"
    doc = Document(text)
    assert [text[a:b] for a, b in doc.emojis] == [
        "👩🏽\u200d🔧",
        "🇨🇴",
        "1️⃣",
        "🏳️\u200d🌈",
    ]


def test_spans_around_emoji_and_astral_characters() -> None:
    text = "🏠🏠 Los beneficiarios 𝐋𝐨𝐬 deberán allegar 👨\u200d👩\u200d👧 los papeles."
    result = check_text(text)
    pieces = {f.rule: text[f.start : f.end] for f in result.findings}
    assert pieces["LI-01"] == "Los beneficiarios"
    assert pieces["LC-04"] == "allegar"


def test_turkish_dotted_i_and_sharp_s_do_not_break_offsets() -> None:
    text = "İstanbul y Straße: los beneficiarios deberán allegar."
    result = check_text(text)
    pieces = {f.rule: text[f.start : f.end] for f in result.findings}
    assert pieces["LI-01"] == "los beneficiarios"
    assert pieces["LC-04"] == "allegar"


def test_empty_and_blank_texts() -> None:
    for text in ("", "   ", "\n\n\t", "🏠", "#CVP", "https://cvp.gov.co"):
        result = check_text(text)
        assert result.stats.sentences <= 1
        assert not result.has_errors


def test_stats() -> None:
    text = "La CVP entregó títulos.\n\nLas familias celebraron. Gracias."
    stats = check_text(text).stats
    assert (stats.words, stats.sentences, stats.paragraphs) == (8, 3, 2)
    assert stats.words_per_sentence == round(8 / 3, 1)
    assert stats.syllables == sum(
        syllables(w)
        for w in [
            "La",
            "CVP",
            "entregó",
            "títulos",
            "Las",
            "familias",
            "celebraron",
            "Gracias",
        ]
    )
    assert stats.readability is not None
    assert stats.to_dict()["readability_label"] == stats.readability_label
