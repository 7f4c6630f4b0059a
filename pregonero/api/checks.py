"""The Spanish text checker over the API: plain and inclusive language,
accessibility, government brands and each network's limits.

Reads nothing and writes nothing but the organization's checker settings; any
person of the OAC who can see pieces may use it (``PIECE_VIEW``).
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from pregonero.accounts.permissions import Perm
from pregonero.checks.config import settings_for
from pregonero.checks.engine import AssetInfo, check_text
from pregonero.core.models import NetworkKind

from .base import ErrorOut, require_perm, user_of

router = Router(tags=["Revisión del lenguaje"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}
MAX_TEXT = 100_000


class AssetIn(Schema):
    kind: Literal["image", "video", "other"]
    name: str = Field("", max_length=300)
    alt_text: str = Field("", max_length=5000)
    decorative: bool = False
    captions_mode: Literal["", "sidecar", "open", "auto"] = ""
    live: bool = False
    text_in_image_confirmed: bool | None = None


class CheckTextIn(Schema):
    text: str = Field(..., max_length=MAX_TEXT)
    networks: list[NetworkKind] = Field(default_factory=list, max_length=20)
    assets: list[AssetIn] = Field(default_factory=list, max_length=50)


class FindingOut(Schema):
    rule: str
    severity: Literal["info", "warning", "error"]
    start: int
    end: int
    message: str
    suggestion: str
    replacement: str | None
    source: str
    asset: int | None


class StatsOut(Schema):
    words: int
    sentences: int
    paragraphs: int
    syllables: int
    words_per_sentence: float
    syllables_per_word: float
    readability: float | None
    readability_label: str


class CheckTextOut(Schema):
    findings: list[FindingOut]
    stats: StatsOut
    has_errors: bool
    counts: dict[str, int]


@router.post(
    "/checks/text",
    response={200: CheckTextOut, **ERRORS},
    summary="Revisar un texto: lenguaje claro e incluyente, accesibilidad, marcas de gobierno y límites de cada red",
)
def check(request: HttpRequest, payload: CheckTextIn) -> dict[str, Any]:
    user = user_of(request)
    require_perm(user, Perm.PIECE_VIEW)
    result = check_text(
        payload.text,
        networks=[str(n.value) for n in payload.networks],
        assets=[
            AssetInfo(
                kind=a.kind,
                name=a.name,
                alt_text=a.alt_text,
                decorative=a.decorative,
                captions_mode=a.captions_mode,
                live=a.live,
                text_in_image_confirmed=a.text_in_image_confirmed,
            )
            for a in payload.assets
        ],
        settings=settings_for(user.organization_id),
    )
    return result.to_dict()
