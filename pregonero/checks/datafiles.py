"""The shipped data files (``data/*.json``), read once per process."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def load(name: str) -> dict[str, Any]:
    """``data/<name>.json`` as a dict."""
    with (
        resources.files(__package__)
        .joinpath("data", f"{name}.json")
        .open(encoding="utf-8") as handle
    ):
        data: dict[str, Any] = json.load(handle)
    return data
