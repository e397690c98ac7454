"""A JSON file read whole, its handle closed at once (a bare `json.load(open(...))` leaves that to the
garbage collector, which warns)."""
from __future__ import annotations

import json
from typing import Any


def read_json(path: str) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_json_if_any(path: str) -> Any:
    """The file's JSON, or None while it is missing or half-written (a file another process rewrites)."""
    try:
        return read_json(path)
    except (OSError, ValueError):
        return None
