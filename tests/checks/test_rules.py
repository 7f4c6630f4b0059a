"""Each rule of the checker with Spanish texts written like the CVP's posts: what
it must mark (with a better wording when there is one) and what it must leave
alone."""

from __future__ import annotations

from typing import Any

import pytest

from pregonero.checks.config import build_settings
from pregonero.checks.engine import AssetInfo, Finding, check_text


def found(text: str, rule: str, **options: Any) -> list[Finding]:
    return [f for f in check_text(text, **options).findings if f.rule == rule]


def marked(text: str, rule: str, **options: Any) -> list[str]:
    return [text[f.start : f.end] for f in found(text, rule, **options)]


def applied(text: str, finding: Finding) -> str:
    assert finding.replacement is not None
    return text[: finding.start] + finding.replacement + text[finding.end :]


# -- the example of the issue ------------------------------------------------------------


def test_beneficiarios_deberan_allegar_so_pena_de() -> None:
    text = (
        "Los beneficiarios deberán allegar los documentos so pena de perder el "
        "subsidio de mejoramiento de vivienda."
    )
    findings = check_text(text).findings
    by_rule = {(f.rule, text[f.start : f.end]): f for f in findings}
    generic = by_rule["LI-01", "Los beneficiarios"]
    assert generic.replacement == "Las personas beneficiarias"
    assert generic.source == "Acuerdo 381 de 2009"
    allegar = by_rule["LC-04", "allegar"]
    assert allegar.replacement == "entregar" and "entregar" in allegar.suggestion
    so_pena = by_rule["LC-04", "so pena de"]
    assert "para no perder" in so_pena.suggestion
    assert so_pena.source == "DNP, Lenguaje claro: 10 pasos"
    fixed = text
    for finding in sorted(
        (f for f in findings if f.replacement is not None), key=lambda f: -f.start
    ):
        fixed = applied(fixed, finding)
    assert fixed.startswith(
        "Las personas beneficiarias deberán entregar los documentos"
    )


# -- LC-01 sentence length -----------------------------------------------------------------


def test_lc01_long_sentences_warn_over_20_words_and_fail_over_30() -> None:
    short = "La CVP entregó 120 títulos de propiedad en Ciudad Bolívar."
    twenty_three = (
        "Las familias del barrio Caracolí que se inscribieron en el Plan Terrazas "
        "recibieron la visita técnica de la CVP durante la semana pasada."
    )
    thirty_five = (
        "Las familias que viven en zonas de alto riesgo de Ciudad Bolívar y Usme "
        "pueden acercarse al punto de atención de la Caja de la Vivienda Popular "
        "para conocer los pasos del reasentamiento y los documentos que deben "
        "presentar antes del cierre."
    )
    assert found(short, "LC-01") == []
    [warning] = found(twenty_three, "LC-01")
    assert warning.severity == "warning" and "23 palabras" in warning.message
    [error] = found(thirty_five, "LC-01")
    assert error.severity == "error"
    assert (error.start, error.end) == (0, len(thirty_five))


# -- LC-02 paragraph length ------------------------------------------------------------------


LONG_PARAGRAPH = " ".join(
    ["La CVP acompaña a las familias durante todo el proceso de reasentamiento."] * 7
)


def test_lc02_long_paragraphs_warn_except_on_short_networks() -> None:
    assert len(found(LONG_PARAGRAPH, "LC-02")) == 1
    assert len(found(LONG_PARAGRAPH, "LC-02", networks=["facebook"])) == 1
    assert found(LONG_PARAGRAPH, "LC-02", networks=["x"]) == []
    assert found(LONG_PARAGRAPH, "LC-02", networks=["x", "bluesky"]) == []
    short_paragraphs = "\n\n".join(
        ["La CVP acompaña a las familias durante el reasentamiento."] * 7
    )
    assert found(short_paragraphs, "LC-02") == []


# -- LC-03 acronyms ----------------------------------------------------------------------------


def test_lc03_known_acronym_gets_its_expansion_once() -> None:
    text = "La CVP visitó la UPZ Lucero. La CVP volverá el sábado."
    findings = found(text, "LC-03")
    assert [text[f.start : f.end] for f in findings] == ["CVP", "UPZ"]
    assert findings[0].replacement == "Caja de la Vivienda Popular (CVP)"
    assert findings[1].replacement == "Unidad de Planeamiento Zonal (UPZ)"
    assert all(f.severity == "warning" for f in findings)


def test_lc03_explained_acronyms_are_not_marked() -> None:
    for text in (
        "La Caja de la Vivienda Popular (CVP) entregó títulos. La CVP sigue.",
        "La CVP (Caja de la Vivienda Popular) entregó títulos.",
        "La caja de la vivienda popular entregó títulos; después la CVP volvió.",
        "El Valor Único de Reconocimiento (VUR) se paga a las familias.",
    ):
        assert found(text, "LC-03") == [], text


def test_lc03_unknown_acronyms_are_info_and_shouting_is_not_an_acronym() -> None:
    [unknown] = found("Las familias deben ir a la ABCD del barrio.", "LC-03")
    assert unknown.severity == "info" and unknown.replacement is None
    assert (
        found("Vea el capítulo IV del POT (Plan de Ordenamiento Territorial).", "LC-03")
        == []
    )
    assert found("IMPORTANTE: la jornada es mañana.", "LC-03") == []
    assert found("¡ATENCIÓN FAMILIAS DE CIUDAD BOLÍVAR Y USME!", "LC-03") == []
    assert found("Descargue el PDF con los requisitos.", "LC-03") == []


# -- LC-04 jargon ----------------------------------------------------------------------------------


def test_lc04_jargon_accent_and_case_insensitive_on_word_boundaries() -> None:
    text = "CONFORME A LO DISPUESTO EN la resolución, en virtud de la ley se podrá surtir el trámite."
    assert marked(text, "LC-04") == [
        "CONFORME A LO DISPUESTO EN",
        "en virtud de",
        "surtir",
    ]
    [first, by, fulfil] = found(text, "LC-04")
    assert first.replacement == "SEGÚN"
    assert by.replacement == "por"
    assert fulfil.replacement == "cumplir"
    # Inside other words, and spaced differently, it behaves.
    assert found("La familia es allegada a la comunidad.", "LC-04") == []
    assert marked("en   virtud\nde", "LC-04") == ["en   virtud\nde"]


def test_lc04_program_names_are_explained_not_replaced() -> None:
    [titulacion] = found("Jornada de titulación en Usme.", "LC-04")
    assert titulacion.severity == "info" and titulacion.replacement is None
    assert "escritura" in titulacion.suggestion
    [predio] = found("Visitamos el predio de la familia.", "LC-04")
    assert predio.replacement == "terreno"


# -- LC-05 double negation -------------------------------------------------------------------------


def test_lc05_double_negation() -> None:
    assert marked("No es imposible terminar la obra este año.", "LC-05") == [
        "No es imposible"
    ]
    assert marked("No se entregará el subsidio sin la firma.", "LC-05") == [
        "No se entregará el subsidio sin"
    ]
    [concord] = found("No hay ningún costo por el trámite.", "LC-05")
    assert concord.severity == "info"
    assert found("La jornada es gratuita y no requiere inscripción.", "LC-05") == []
    # Punctuation ends the clause.
    assert found("No, gracias. Nunca es tarde para inscribirse.", "LC-05") == []


# -- LC-06 passive voice -----------------------------------------------------------------------------


def test_lc06_periphrastic_passive_is_a_warning_reflexive_is_info() -> None:
    text = "Las viviendas fueron entregadas por la CVP en Bosa."
    [passive] = found(text, "LC-06")
    assert text[passive.start : passive.end] == "fueron entregadas por la CVP"
    assert passive.severity == "warning"
    [reflexive] = found("Se entregarán 300 títulos en Kennedy.", "LC-06")
    assert reflexive.severity == "info"
    assert found("La CVP entregó las viviendas en Bosa.", "LC-06") == []
    assert found("El proceso es adecuado y la vivienda es segura.", "LC-06") == []
    assert found("La obra fue hecha por la comunidad.", "LC-06") != []


# -- LC-07 important message first ---------------------------------------------------------------------


def test_lc07_first_sentence_without_what_when_where_is_info() -> None:
    vague = (
        "Queremos contarles algo. Este sábado 15 de marzo entregamos títulos en Usme."
    )
    [lead] = found(vague, "LC-07")
    assert (
        lead.severity == "info"
        and vague[lead.start : lead.end] == "Queremos contarles algo."
    )
    assert (
        found(
            "Este sábado 15 de marzo entregamos títulos en Usme. ¡Te esperamos!",
            "LC-07",
        )
        == []
    )
    assert found("Inscríbete en el Plan Terrazas. Hay cupos.", "LC-07") == []
    assert (
        found("Queremos contarles algo.", "LC-07") == []
    )  # one sentence: nothing to move


# -- LC-08 readability ---------------------------------------------------------------------------------


def test_lc08_fernandez_huerta_and_its_label() -> None:
    easy = "La CVP te da la casa. Tú la pintas. Es tuya. Ven el lunes a la sede. Trae tu cédula y la de tu hijo. Te esperamos."
    result = check_text(easy)
    assert result.stats.readability is not None and result.stats.readability > 80
    assert result.stats.readability_label in ("fácil", "muy fácil")
    assert [f for f in result.findings if f.rule == "LC-08"] == []
    hard = (
        "La institucionalidad distrital, mediante procedimientos administrativos "
        "interinstitucionales, garantizará la materialización progresiva de "
        "intervenciones habitacionales integrales, priorizando comunidades "
        "históricamente vulnerabilizadas, considerando consideraciones "
        "socioeconómicas, ambientales, urbanísticas y jurídicas."
    )
    [finding] = found(hard, "LC-08")
    assert finding.severity == "warning" and "Fernández-Huerta" in finding.message
    stats = check_text(hard).stats
    assert stats.readability is not None and stats.readability < 60
    assert stats.readability_label in ("difícil", "muy difícil", "bastante difícil")


# -- LI-01 generic masculine -----------------------------------------------------------------------------


def test_li01_generic_masculine_with_alternatives() -> None:
    text = "Invitamos a los ciudadanos y a los propietarios de Usme."
    findings = found(text, "LI-01")
    assert [text[f.start : f.end] for f in findings] == [
        "los ciudadanos",
        "los propietarios",
    ]
    assert [f.replacement for f in findings] == [
        "la ciudadanía",
        "las personas propietarias",
    ]
    assert marked("TODOS LOS CIUDADANOS pueden votar.", "LI-01") == [
        "TODOS LOS CIUDADANOS"
    ]
    [upper] = found("TODOS LOS CIUDADANOS pueden votar.", "LI-01")
    assert upper.replacement == "TODA LA CIUDADANÍA"


def test_li01_paired_forms_and_neutral_nouns_are_fine() -> None:
    for text in (
        "Invitamos a los ciudadanos y las ciudadanas de Bosa.",
        "Invitamos a las ciudadanas y los ciudadanos de Bosa.",
        "Los beneficiarios y las beneficiarias firmaron el acta.",
        "La ciudadanía y las personas beneficiarias firmaron el acta.",
        "Ciudadanos/as de Suba: los esperamos.",
    ):
        assert found(text, "LI-01") == [], text


# -- LI-02 job titles ----------------------------------------------------------------------------------


def test_li02_a_woman_with_a_masculine_title() -> None:
    text = "La director de la CVP y la ingeniero de la obra visitaron el barrio."
    findings = found(text, "LI-02")
    assert [text[f.start : f.end] for f in findings] == ["director", "ingeniero"]
    assert [f.replacement for f in findings] == ["directora", "ingeniera"]
    assert (
        found("La directora de la CVP y el ingeniero visitaron el barrio.", "LI-02")
        == []
    )
    assert found("La Dirección de Reasentamientos atiende en la sede.", "LI-02") == []


# -- LI-03 stereotypes -----------------------------------------------------------------------------------


def test_li03_violence_justifying_expressions_are_errors() -> None:
    [finding] = found(
        "La comunidad rechaza el crimen pasional ocurrido en el barrio.", "LI-03"
    )
    assert finding.severity == "error" and finding.replacement == "feminicidio"
    assert check_text("Fue un crimen pasional.").has_errors
    assert (
        found("La comunidad rechaza el feminicidio ocurrido en el barrio.", "LI-03")
        == []
    )


# -- LI-04 @, x, e marks -----------------------------------------------------------------------------------


def test_li04_gender_marks_read_badly_by_screen_readers() -> None:
    text = "¡Bienvenid@s tod@s! Niñxs y todes están invitades a l@s jornadas."
    assert marked(text, "LI-04") == ["Bienvenid@s", "tod@s", "Niñxs", "todes", "l@s"]
    findings = {text[f.start : f.end]: f for f in found(text, "LI-04")}
    assert findings["tod@s"].replacement == "todas y todos"
    assert findings["Niñxs"].replacement == "Niñas y niños"
    assert findings["todes"].replacement == "todas las personas"
    assert all(f.severity == "warning" for f in findings.values())


def test_li04_leaves_e_mails_mentions_and_ordinary_x_words_alone() -> None:
    text = "Escriba a redessociales@cajaviviendapopular.gov.co o a @CVPBogota. Félix trajo el fax y el tórax. #Todxs"
    assert found(text, "LI-04") == []


# -- LI-05 diversity -------------------------------------------------------------------------------------------


def test_li05_disability_ethnicity_and_victims() -> None:
    text = "Atención preferente para discapacitados, personas de la tercera edad y desplazados."
    findings = found(text, "LI-05")
    assert [text[f.start : f.end] for f in findings] == [
        "discapacitados",
        "tercera edad",
        "desplazados",
    ]
    assert findings[0].replacement == "personas con discapacidad"
    assert (
        found(
            "Atención preferente para personas con discapacidad y personas mayores.",
            "LI-05",
        )
        == []
    )
    [minus] = found("Rampa para minusválidos.", "LI-05")
    assert minus.replacement == "personas con discapacidad"


# -- ACC-01 / ACC-02 / ACC-04 the files -------------------------------------------------------------------------


def test_acc01_every_image_needs_alt_text_unless_decorative() -> None:
    assets = [
        AssetInfo(kind="image", name="afiche.png"),
        AssetInfo(kind="image", name="fondo.png", decorative=True),
        AssetInfo(kind="image", name="entrega.jpg", alt_text="entrega.jpg"),
        AssetInfo(
            kind="image",
            name="ok.jpg",
            alt_text="Familia recibe su título en Usme",
            text_in_image_confirmed=True,
        ),
    ]
    findings = found("Entrega de títulos en Usme.", "ACC-01", assets=assets)
    assert [(f.asset, f.severity) for f in findings] == [(0, "error"), (2, "warning")]
    assert all((f.start, f.end) == (0, 0) for f in findings)
    assert findings[0].source.startswith("Resolución 1519 de 2020")
    assert check_text("Hola.", assets=assets[:1]).has_errors


def test_acc02_every_video_needs_captions_unless_live() -> None:
    assets = [
        AssetInfo(kind="video", name="recorrido.mp4"),
        AssetInfo(kind="video", name="en-vivo.mp4", live=True),
        AssetInfo(kind="video", name="sub.mp4", captions_mode="sidecar"),
        AssetInfo(kind="video", name="auto.mp4", captions_mode="auto"),
    ]
    findings = found("Recorrido por las obras.", "ACC-02", assets=assets)
    assert [(f.asset, f.severity) for f in findings] == [(0, "error"), (3, "warning")]


def test_acc04_text_inside_images() -> None:
    assets = [
        AssetInfo(kind="image", name="a.png", alt_text="Afiche de la jornada"),
        AssetInfo(
            kind="image", name="b.png", alt_text="Afiche", text_in_image_confirmed=False
        ),
        AssetInfo(
            kind="image",
            name="c.png",
            alt_text="Foto del barrio",
            text_in_image_confirmed=True,
        ),
    ]
    findings = found("Jornada en Bosa.", "ACC-04", assets=assets)
    assert [(f.asset, f.severity) for f in findings] == [(0, "info"), (1, "warning")]


# -- ACC-06 the copy -------------------------------------------------------------------------------------------------


def test_acc06_hashtags_in_camel_case() -> None:
    text = "Llegamos a Usme con #titulaciondepredios y #TitulaciónCVP #Bogotá #cvp"
    findings = found(text, "ACC-06")
    assert [text[f.start : f.end] for f in findings] == ["#titulaciondepredios"]
    assert findings[0].replacement == "#TitulacionDePredios"
    # Words of the post itself help cut the hashtag.
    text = "Ferias de servicios en Kennedy #feriasdeserviciosenkennedy"
    [finding] = found(text, "ACC-06")
    assert finding.replacement == "#FeriasDeServiciosEnKennedy"
    [run_on] = found("#xqzwvbnmlkjhgfdsapoiuytrewq", "ACC-06")
    assert run_on.replacement is None


def test_acc06_emojis_counted_as_people_see_them() -> None:
    family = "👨\u200d👩\u200d👧"
    flag = "🇨🇴"
    thumbs = "👍🏽"
    text = f"Entregamos casas {family} {flag} {thumbs} ❤️ 🏠"
    assert found(text, "ACC-06") == []  # five emojis: the limit
    text_over = text + " 🎉"
    [finding] = found(text_over, "ACC-06")
    assert "6 emojis" in finding.message
    assert text_over[finding.start : finding.end] == "🎉"
    settings = build_settings(thresholds={"emoji_max": 10})
    assert [
        f
        for f in check_text(text_over, settings=settings).findings
        if f.rule == "ACC-06"
    ] == []


def test_acc06_emoji_inside_a_word() -> None:
    text = "Mejoramos tu vi🏠enda y tu casa 🏠."
    [finding] = found(text, "ACC-06")
    assert text[finding.start : finding.end] == "🏠" and finding.start == 15


def test_acc06_all_caps_sentences_and_click_here() -> None:
    text = "¡ATENCIÓN FAMILIAS DE CIUDAD BOLÍVAR! Para inscribirse haga clic aquí. CVP y SDHT."
    findings = found(text, "ACC-06")
    assert [text[f.start : f.end] for f in findings] == [
        "¡ATENCIÓN FAMILIAS DE CIUDAD BOLÍVAR!",
        "haga clic aquí",
    ]
    assert marked("Para más información dé click aqui.", "ACC-06") == ["dé click aqui"]
    assert (
        found("Consulte los requisitos en cajaviviendapopular.gov.co.", "ACC-06") == []
    )


# -- BRD-03 slogans ---------------------------------------------------------------------------------------------------


def test_brd03_government_slogans_are_errors_citing_ley_2345() -> None:
    [finding] = found(
        "Seguimos construyendo una Bogotá Humana para las familias.", "BRD-03"
    )
    assert finding.severity == "error" and finding.source == "Ley 2345 de 2023"
    assert found("Gracias al Pacto Histórico llegan las obras.", "BRD-03") != []
    assert found("Bogotá es la casa de todas las personas.", "BRD-03") == []


def test_brd03_blocklist_is_configurable() -> None:
    from pregonero.checks.config import WordEntry

    settings = build_settings(
        added={"slogans": [WordEntry("Mi Casa en Bogotá")]},
        removed={"slogans": ["Bogotá Humana"]},
    )
    result = check_text("Mi casa en Bogotá. Bogotá Humana.", settings=settings)
    assert [(f.rule, f.start) for f in result.findings if f.rule == "BRD-03"] == [
        ("BRD-03", 0)
    ]


# -- NET: the networks' own limits ---------------------------------------------------------------------------------------


def test_network_limits_come_from_the_publishing_adapters() -> None:
    from pregonero.publishing.adapters.bluesky import graphemes
    from pregonero.publishing.adapters.x import weighted_length

    text = "Entrega de títulos en Usme. " * 11  # 308 characters
    assert weighted_length(text) > 280 and graphemes(text) > 300
    rules = {
        f.rule for f in check_text(text, networks=["x", "bluesky", "facebook"]).findings
    }
    assert {"NET-x", "NET-bluesky"} <= rules and "NET-facebook" not in rules
    [x] = found(text, "NET-x", networks=["x"])
    assert x.severity == "error" and "280" in x.message
    # A URL weighs 23 on X: a long link does not make a short post too long.
    post = "Requisitos: https://www.cajaviviendapopular.gov.co/" + "a" * 300
    assert found(post, "NET-x", networks=["x"]) == []
    # Emoji count as two on X and as one grapheme on Bluesky.
    emoji = "🏠" * 150
    assert found(emoji, "NET-x", networks=["x"]) != []
    assert found(emoji, "NET-bluesky", networks=["bluesky"]) == []
    assert found(text, "NET-website", networks=["website"]) == []


# -- switching rules off ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", ["LI-01", "LC-04", "NET-x"])
def test_a_rule_switched_off_says_nothing(rule: str) -> None:
    text = "Los beneficiarios deberán allegar los documentos. " * 7
    assert found(text, rule, networks=["x"]) != []
    settings = build_settings(disabled=[rule])
    assert [
        f
        for f in check_text(text, networks=["x"], settings=settings).findings
        if f.rule == rule
    ] == []
    off = build_settings(disabled=["NET"])
    assert [
        f
        for f in check_text(text, networks=["x"], settings=off).findings
        if f.rule.startswith("NET")
    ] == []


def test_brd03_slogans_inside_hashtags() -> None:
    text = "Entregamos títulos #BogotáMejorParaTodos #TítuloEnMano"
    [finding] = found(text, "BRD-03")
    assert text[finding.start : finding.end] == "#BogotáMejorParaTodos"
    assert found("Entregamos títulos #TítuloEnMano #Bogotá", "BRD-03") == []


def test_lc03_words_in_capitals_are_not_acronyms() -> None:
    text = (
        "TIPO: jornada. FECHA: 3 de marzo. Responsable: JUAN PABLO BARROS. "
        "Formato 208-SADM-Ft-06. SI NO"
    )
    assert found(text, "LC-03") == []
    [sadm] = found("Diligencie el formato SADM.", "LC-03")
    assert sadm.severity == "info"
