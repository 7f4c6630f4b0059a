"""Helpers for adapter tests (the ``sandbox`` fixture lives in tests/conftest.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pregonero.publishing.adapters.base import MediaRef
from tests.conftest import png_bytes


def media_file(
    tmp_path: Path,
    name: str,
    *,
    kind: str = "image",
    content_type: str = "image/png",
    data: bytes | None = None,
    **extra: Any,
) -> MediaRef:
    """A design file on disk as adapters receive it."""
    if data is None:
        data = (
            png_bytes().getvalue()
            if kind == "image"
            else b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4096
        )
    path = tmp_path / name
    path.write_bytes(data)
    defaults: dict[str, Any] = {"width": 1080, "height": 1080} if kind == "image" else {
        "width": 1080, "height": 1920, "duration": 30.0,
    }  # fmt: skip
    defaults.update(extra)
    return MediaRef(
        path=str(path),
        kind=kind,
        content_type=content_type,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        name=name,
        **defaults,
    )
