"""The decoder's contract, read from the file the engine reads: src/protocol/decoding.json.

Sampler kinds and their option defaults, the window's split and chunking, the canvas switches,
language fallbacks and context orders are stated there once, for src/protocol/decoding.ts and for
this port alike; the decode*.py modules take every such value from here and hold only the rules.
Keys that start with `$` are the file's comments and are left out.
"""
from __future__ import annotations

import json
import os

CONTRACT_PATH = os.path.join("src", "protocol", "decoding.json")


def repository_root(start: str = os.path.dirname(os.path.abspath(__file__))) -> str:
    """The nearest folder at or above `start` holding the contract (the repository's root)."""
    folder = start
    while not os.path.isfile(os.path.join(folder, CONTRACT_PATH)):
        parent = os.path.dirname(folder)
        if parent == folder:
            raise FileNotFoundError(f"no {CONTRACT_PATH} in {start} or any folder above it")
        folder = parent
    return folder


def _without_comments(value):
    if isinstance(value, dict):
        return {k: _without_comments(v) for k, v in value.items() if not k.startswith("$")}
    return value


def load(path: str | None = None) -> dict:
    """The contract as a dict, comments left out; `path`: the file (default: the repository's)."""
    with open(path or os.path.join(repository_root(), CONTRACT_PATH), encoding="utf-8") as f:
        return _without_comments(json.load(f))


CONTRACT = load()

# The sampler kinds a request may name, in order; the first is the default where none is named.
SAMPLER_KINDS: tuple[str, ...] = tuple(CONTRACT["samplers"])
REMASK_MODES: tuple[str, ...] = tuple(CONTRACT["remaskModes"])
# Each sampler option but the kind, by its protocol (camelCase) name.
SAMPLER_DEFAULTS: dict = dict(CONTRACT["samplerDefaults"])
PREFIX_SHARE: float = CONTRACT["window"]["prefixShare"]
CHUNK_CHARS_PER_TOKEN: int = CONTRACT["window"]["chunkCharsPerToken"]
MIN_CHUNK_CHARS: int = CONTRACT["window"]["minChunkChars"]
FILL_TAIL_WITH_PAD: bool = CONTRACT["canvas"]["fillTailWithPad"]
END_AT_FRONTIER: bool = CONTRACT["canvas"]["endAtFrontier"]
LANGUAGE_DIALECTS: dict[str, str] = dict(CONTRACT["language"]["dialects"])
LANGUAGE_FALLBACK: str = CONTRACT["language"]["fallback"]
CONTEXT_ATTENTIONS: tuple[str, ...] = tuple(CONTRACT["contextAttentions"])
