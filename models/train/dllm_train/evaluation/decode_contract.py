"""The decoder's contract, read from the file the engine reads: src/protocol/decoding.json (contracts.py).

Sampler kinds and their option defaults, the window's split and chunking, the canvas switches,
language fallbacks and context orders are stated there once, for src/protocol/decoding.ts and for
this port alike; the decode*.py modules take every such value from here and hold only the rules.
Keys that start with `$` are the file's comments and are left out.
"""
from __future__ import annotations

from dllm_train.contracts import decoding

CONTRACT = decoding()

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
