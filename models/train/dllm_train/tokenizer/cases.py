"""The texts check_tokenizer.mjs encodes with the JavaScript tokenizer: edge cases, seeded fuzz strings and
corpus lines, with the Python ids, a round-trip check and the fill-in-the-middle stability count.
"""
from __future__ import annotations

import hashlib
import json
import sys
import time

from dllm_train.tokenizer.bpe import Tokenizer

EDGE_CASES = [
    "", " ", "\n", "\r", "\r\n", "\n\n\n", "\r\r\n\n\r", "a\rb", "x = 1\r\ny = 2\r\n", "\t\tindented\ttabs\t\n",
    " " * 1000, "\t" * 100, " \t" * 300 + "x", "    for i in range(10):\n        pass\n",
    "if (a) {\n\treturn b;\n}\r\n", "héllo wörld naïve café", "日本語のテキスト 中文 한국어", "مرحبا بالعالم",
    "emoji 🙂🚀👨‍👩‍👧‍👦 flags 🇫🇷 skin 👍🏽", "e\u0301 combining a\u0308", "x² y³ ¼ Ⅻ １２３ ٣٤٥",
    "1234567890 3.14159 0xDEADBEEF 1e-10",
    "nbsp\u00a0here\u2028ls\u2029ps\u0085nel\ufeffbom\u200bzwsp", "\x0c form feed \x0b vtab \x1c\x1d\x1e\x1f\x00\x01\x7f",
    "literal <|mask|> and <|eos|><|pad|> specials <|lang:python|> <|notspecial|>", "<|", "|>", "a<|bos|>",
    "s = 'it\\'s' + \"q\\\"x\" # comment  \n", "=== ---- **** ///// <<<>>> !== ?? ?. => -> :: ...",
    "_private __dunder__ _1 a_b_c",
    "ﬁ ligature ß ǅ İstanbul", "\ud7ff\ue000\uffff\U0001F600\U0010FFFD", "tab\tafter\t\t\tmany", "trailing spaces   \n  \n",
    "    " * 40 + "deep", "a" * 5000, "\u0600\u0601 format chars \u00ad soft hyphen",
]


def fuzz_cases(count: int = 200, seed: int = 1234) -> list[str]:
    """Deterministic random strings mixing ASCII code, whitespace/newline variants and random code points."""
    import random
    rng = random.Random(seed)
    pool = list("abcXYZ_019 \t\t\n\r(){}[]<>|=+-*/#'\".,;:!?@$%^&~`\\") + ["\r\n", "    ", "<|", "|>", "<|pad|>"]
    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 60)):
            r = rng.random()
            if r < 0.7:
                parts.append(rng.choice(pool))
            elif r < 0.85:
                parts.append(chr(rng.randint(0x80, 0x2FFF)))
            elif r < 0.95:
                cp = rng.randint(0x3000, 0xFFFD)
                parts.append(chr(cp) if not 0xD800 <= cp <= 0xDFFF else "x")
            else:
                parts.append(chr(rng.randint(0x10000, 0x10FFFF)))
        out.append("".join(parts))
    return out


def write_cases(tok_path: str, corpus: str, n: int, out: str) -> None:
    tok = Tokenizer.from_file(tok_path)
    texts = list(EDGE_CASES) + fuzz_cases()
    with open(corpus, encoding="utf-8") as f:
        lines = f.readlines()
    step = max(1, len(lines) // max(1, n))
    texts += [json.loads(line)["text"] for line in lines[::step][:n]]
    ids = [tok.encode(t) for t in texts]
    tok.cache.clear()
    t0 = time.time()
    for t in texts:
        tok.encode(t)
    dt_cold = time.time() - t0
    # fill-in-the-middle stability: cut at two line boundaries, encode pieces separately
    fim_bad = 0
    fim_n = 0
    for k, t in enumerate(texts):
        starts = [0] + [i + 1 for i, ch in enumerate(t) if ch == "\n"]
        if len(starts) < 3:
            continue
        h = int(hashlib.md5(t.encode()).hexdigest(), 16)
        a = starts[h % len(starts)]
        b = starts[(h // 7919) % len(starts)]
        a, b = min(a, b), max(a, b)
        pieces = tok.encode(t[:a]) + tok.encode(t[a:b]) + tok.encode(t[b:])
        fim_n += 1
        if pieces != ids[k]:
            fim_bad += 1
        if tok.decode(ids[k]) != t:
            raise SystemExit(f"python decode(encode(x)) != x for case {k}")
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"texts": texts, "ids": ids, "python_seconds": dt_cold, "python_chars": sum(map(len, texts)),
                   "fim_checked": fim_n, "fim_mismatch": fim_bad}, f, ensure_ascii=False)
    print(f"[cases] {len(texts)} texts, python {sum(map(len, texts)) / dt_cold / 1e6:.2f} MB/s (cold cache), "
          f"FIM line-cut mismatches {fim_bad}/{fim_n}", file=sys.stderr)
