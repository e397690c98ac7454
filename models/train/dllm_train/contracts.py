"""The product's contracts that the pipeline shares with the TypeScript side, read from the files
the product reads: src/protocol/decoding.json (the decoder's names, defaults and rule constants)
and src/modelFolder/graphs.json (the graphs' tensor names). Keys that start with `$` are the files'
comments and are left out. The GPU machine gets the whole working tree, so both files are there.
"""
from __future__ import annotations

import os
from functools import cache
from typing import Any

from dllm_train.jsonfile import read_json
from dllm_train.paths import REPO

DECODING_FILE = os.path.join(REPO, "src", "protocol", "decoding.json")
GRAPHS_FILE = os.path.join(REPO, "src", "modelFolder", "graphs.json")


def _without_comments(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_comments(v) for k, v in value.items() if not k.startswith("$")}
    return value


def read(path: str) -> dict[str, Any]:
    """A contract file as a dict, its comments left out."""
    return _without_comments(read_json(path))


@cache
def decoding() -> dict[str, Any]:
    """src/protocol/decoding.json, read once per process."""
    return read(DECODING_FILE)


@cache
def _graphs() -> dict[str, Any]:
    return read(GRAPHS_FILE)


def graph_names(graph: str, side: str) -> list[str]:
    """A graph's input or output names in order (`graph_names("splitDenoise", "inputs")`)."""
    return list(_graphs()[graph][side].values())
