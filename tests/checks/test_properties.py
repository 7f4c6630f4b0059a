"""Properties: whatever the text, the checker never raises, every span lies inside
the text, and a replacement never lies about what it replaces; very long texts
stay fast."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pregonero.checks.engine import AssetInfo, check_text

SPANISH_WORDS = [
    "Los",
    "beneficiarios",
    "deberán",
    "allegar",
    "so pena de",
    "CVP",
    "UPZ",
    "tod@s",
    "todxs",
    "#titulaciondepredios",
    "🏠",
    "👨\u200d👩\u200d👧",
    "🇨🇴",
    "clic aquí",
    "No",
    "nunca",
    "fueron",
    "entregadas",
    "por",
    "la",
    "se",
    "entregarán",
    "Bogotá Humana",
    "crimen pasional",
    "discapacitados",
    "la director",
    "ciudadanos",
    "y",
    "ciudadanas",
    "www.cajaviviendapopular.gov.co",
    "redes@cvp.gov.co",
    "@CVPBogota",
    "a. m.",
    "Sr.",
    "¡ATENCIÓN!",
    "¿Vives",
    "en",
    "Usme?",
    "1.200",
    "...",
    "\n",
    "\n\n",
    "a\u0301",
    "n\u0303",
    "İ",
    "ß",
    "\u200d",
    "\ufe0f",
    "\U0001f3fd",
    "(",
    ")",
    "«",
    "»",
]

texts = st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from(SPANISH_WORDS), max_size=80).map(" ".join),
    st.lists(
        st.one_of(st.sampled_from(SPANISH_WORDS), st.text(max_size=5)), max_size=60
    ).map("".join),
)
networks = st.lists(
    st.sampled_from(["x", "bluesky", "facebook", "mastodon", "website"]), max_size=3
)
assets = st.lists(
    st.builds(
        AssetInfo,
        kind=st.sampled_from(["image", "video", "other"]),
        name=st.text(max_size=10),
        alt_text=st.text(max_size=20),
        decorative=st.booleans(),
        captions_mode=st.sampled_from(["", "sidecar", "open", "auto"]),
        live=st.booleans(),
        text_in_image_confirmed=st.sampled_from([None, True, False]),
    ),
    max_size=3,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, nets=networks, files=assets)
def test_never_raises_and_spans_lie_inside_the_text(
    text: str, nets: list[str], files: list[AssetInfo]
) -> None:
    result = check_text(text, networks=nets, assets=files)
    previous = (-1, -1)
    for finding in result.findings:
        assert 0 <= finding.start <= finding.end <= len(text)
        assert finding.severity in ("info", "warning", "error")
        assert finding.message and finding.rule
        assert (finding.start, finding.end) >= previous
        previous = (finding.start, finding.end)
        if finding.asset is not None:
            assert 0 <= finding.asset < len(files)
        if finding.replacement is not None:
            assert finding.end > finding.start
    data = result.to_dict()
    assert data["has_errors"] == result.has_errors
    assert sum(data["counts"].values()) == len(result.findings)


@settings(max_examples=150, deadline=None)
@given(text=texts)
def test_replacements_apply_cleanly(text: str) -> None:
    """Applying every one-click replacement, right to left, gives a text the
    checker still reads, and the replaced problems are gone."""
    result = check_text(text)
    fixed = text
    last_start = len(text) + 1
    for finding in sorted(
        (f for f in result.findings if f.replacement is not None),
        key=lambda f: (-f.start, -f.end),
    ):
        if finding.end > last_start:
            continue  # overlaps one already applied
        fixed = (
            fixed[: finding.start] + (finding.replacement or "") + fixed[finding.end :]
        )
        last_start = finding.start
    check_text(fixed)


def test_a_very_long_text_is_checked_quickly() -> None:
    paragraph = (
        "Los beneficiarios deberán allegar los documentos so pena de perder el turno. "
        "La CVP entregó 120 títulos en Ciudad Bolívar 🏠 #TitulaciónCVP. "
        "Las viviendas fueron entregadas por la entidad el 3 de marzo a las 8:00 a. m."
    )
    text = "\n\n".join(
        paragraph.replace("120", str(n)) for n in range(800)
    )  # ~30,000 words
    started = time.perf_counter()
    result = check_text(text, networks=["facebook"])
    elapsed = time.perf_counter() - started
    assert result.stats.words > 25_000
    assert len([f for f in result.findings if f.rule == "LI-01"]) == 800
    assert len([f for f in result.findings if f.rule == "LC-03"]) == 1  # first use only
    assert elapsed < 5, elapsed


def test_a_single_enormous_paragraph_and_sentence() -> None:
    text = "palabra " * 50_000
    result = check_text(text)
    [sentence] = [f for f in result.findings if f.rule == "LC-01"]
    assert sentence.severity == "error" and sentence.end == len(text.rstrip())
    assert len([f for f in result.findings if f.rule == "LC-02"]) == 1


def test_doubtful_stops_everywhere_stay_linear() -> None:
    """pysbd slows down with the square of its input; a huge paragraph full of
    abbreviations must not take a worker hostage."""
    for unit in (
        "El Sr. Pérez llegó a las 8 a. m. y se fue ",
        "visitó 1.200 casas en la Cra. 13 ",
    ):
        text = unit * 1500
        started = time.perf_counter()
        result = check_text(text)
        assert time.perf_counter() - started < 3
        assert result.stats.sentences == 1
    long_tag = "#" + "titulacion" * 1000
    started = time.perf_counter()
    check_text(long_tag + " " + "🏠" * 5000)
    assert time.perf_counter() - started < 3
