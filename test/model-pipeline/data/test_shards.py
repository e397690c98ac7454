"""shards.py: verify, pack/unpack, merge; encode.py with the shipped tokenizer."""
import io
import json
import os
import shutil
import tarfile
import tempfile
import unittest

import numpy as np

from dllm_train.data import encode, shards
from dllm_train.jsonfile import read_json
from dllm_train.paths import REPO
from dllm_train.tokenizer import bpe

SHIPPED = os.path.join(REPO, "models", "dllm-code-tiny", "tokenizer.json")


def make_data_dir(d: str, docs: dict, vocab_size: int = 4096) -> None:
    """docs: split -> [(language, [ids])]; writes what encode.py writes."""
    os.makedirs(d, exist_ok=True)
    specials = bpe.special_tokens_json()
    meta = {"vocab_size": vocab_size, "tokenizer": "test",
            "special_tokens": {k: specials[k] for k in ("mask", "pad", "bos", "eos", "file_sep")},
            "languages": bpe.LANGUAGES, "language_token_ids": specials["languageTokens"],
            "newline_token_ids": [42], "dtype": shards.DTYPES, "splits": {},
            "corpus": {"sources": {"root-" + os.path.basename(d): {"root": "/x", "licences": {"MIT": len(docs)}}}}}
    for split, items in docs.items():
        ids = [np.asarray(t, dtype=np.uint16) for _, t in items]
        offsets = np.concatenate([[0], np.cumsum([len(t) for t in ids])]).astype(np.int64)
        (np.concatenate(ids) if ids else np.zeros(0, np.uint16)).tofile(os.path.join(d, f"{split}.tokens.u16"))
        offsets.tofile(os.path.join(d, f"{split}.docs.i64"))
        np.asarray([bpe.LANGUAGES.index(l) for l, _ in items], dtype=np.uint8).tofile(os.path.join(d, f"{split}.lang.u8"))
        per = {}
        for l, t in items:
            c = per.setdefault(l, {"docs": 0, "tokens": 0, "chars": 0})
            c["docs"] += 1
            c["tokens"] += len(t)
            c["chars"] += 3 * len(t)
        meta["splits"][split] = {"tokens": int(offsets[-1]), "docs": len(items), "chars": 3 * int(offsets[-1]),
                                 "per_language": per}
    write_json(os.path.join(d, "meta.json"), meta)


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def write_json(path: str, obj) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f)


def read_all(d: str) -> dict:
    return {n: read_bytes(os.path.join(d, n)) for n in sorted(os.listdir(d))}


class Shards(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.t = self.tmp.name
        self.a = os.path.join(self.t, "a")
        self.b = os.path.join(self.t, "b")
        make_data_dir(self.a, {"train": [("python", [40, 41, 42, 43]), ("javascript", [50, 51]), ("python", [60])],
                               "val": [("python", [70, 71, 72])]})
        make_data_dir(self.b, {"train": [("rust", [100, 101, 102]), ("python", [4095, 300])]})

    def tearDown(self):
        self.tmp.cleanup()

    def test_verify_ok(self):
        self.assertEqual(shards.verify(self.a), {"train": {"tokens": 7, "docs": 3}, "val": {"tokens": 3, "docs": 1}})

    def test_pack_unpack_round_trip(self):
        arch = os.path.join(self.t, "a.tar.xz")
        info = shards.pack(self.a, arch, preset=1)
        self.assertEqual(info["splits"]["train"]["tokens"], 7)
        out = os.path.join(self.t, "unpacked")
        shards.unpack(arch, out)
        self.assertEqual(read_all(out), read_all(self.a))
        again = os.path.join(self.t, "again.tar.xz")
        shards.pack(self.a, again, preset=1)
        self.assertEqual(read_bytes(arch), read_bytes(again))  # reproducible archives
        with tarfile.open(arch) as tar:  # a plain tar.xz
            self.assertEqual(tar.getnames()[0], "meta.json")

    def test_unpack_rejects_foreign_members(self):
        arch = os.path.join(self.t, "evil.tar.xz")
        with tarfile.open(arch, "w:xz") as tar:
            for name in ("meta.json", "../evil.txt"):
                data = read_bytes(os.path.join(self.a, "meta.json"))
                ti = tarfile.TarInfo(name)
                ti.size = len(data)
                tar.addfile(ti, io.BytesIO(data))
        with self.assertRaises(shards.ShardError):
            shards.unpack(arch, os.path.join(self.t, "evil"))
        self.assertFalse(os.path.exists(os.path.join(self.t, "evil.txt")))

    def test_merge_counts(self):
        arch_b = os.path.join(self.t, "b.tar.xz")
        shards.pack(self.b, arch_b, preset=1)
        out = os.path.join(self.t, "merged")
        res = shards.merge([self.a, arch_b], out)  # a data dir and an archive
        self.assertEqual(res, {"train": {"tokens": 12, "docs": 5}, "val": {"tokens": 3, "docs": 1}})
        meta = read_json(os.path.join(out, "meta.json"))
        per = meta["splits"]["train"]["per_language"]
        self.assertEqual({l: (c["docs"], c["tokens"]) for l, c in per.items()},
                         {"python": (3, 7), "javascript": (1, 2), "rust": (1, 3)})
        self.assertEqual(np.fromfile(os.path.join(out, "train.docs.i64"), dtype=np.int64).tolist(), [0, 4, 6, 7, 10, 12])
        self.assertEqual(np.fromfile(os.path.join(out, "train.tokens.u16"), dtype=np.uint16).tolist(),
                         [40, 41, 42, 43, 50, 51, 60, 100, 101, 102, 4095, 300])
        self.assertEqual(len(meta["merged_from"]), 2)
        self.assertEqual(set(meta["corpus"]["sources"]), {"root-a", "root-b"})

    def test_merge_refuses_other_vocabularies(self):
        c = os.path.join(self.t, "c")
        make_data_dir(c, {"train": [("python", [1, 2, 3])]}, vocab_size=1024)
        with self.assertRaises(shards.ShardError):
            shards.merge([self.a, c], os.path.join(self.t, "m"))
        meta = read_json(os.path.join(self.b, "meta.json"))
        meta["languages"] = list(reversed(meta["languages"]))
        write_json(os.path.join(self.b, "meta.json"), meta)
        with self.assertRaises(shards.ShardError):
            shards.merge([self.a, self.b], os.path.join(self.t, "m2"))

    def test_verify_rejects_corrupted_offsets(self):
        path = os.path.join(self.a, "train.docs.i64")
        good = np.fromfile(path, dtype=np.int64)
        for bad in ([0, 4, 2, 7], [0, 4, 6, 8], [1, 4, 6, 7], [0, 4, 6]):
            np.asarray(bad, dtype=np.int64).tofile(path)
            with self.assertRaises(shards.ShardError, msg=str(bad)):
                shards.verify(self.a)
        good.tofile(path)
        shards.verify(self.a)
        with open(path, "ab") as f:
            f.write(b"\0")
        with self.assertRaises(shards.ShardError):
            shards.verify(self.a)

    def test_verify_rejects_ids_and_languages(self):
        make_data_dir(self.b, {"train": [("python", [4096])]})
        with self.assertRaises(shards.ShardError):
            shards.verify(self.b)
        make_data_dir(self.b, {"train": [("python", [5])]})
        np.asarray([200], dtype=np.uint8).tofile(os.path.join(self.b, "train.lang.u8"))
        with self.assertRaises(shards.ShardError):
            shards.verify(self.b)


class EncodeWithShippedTokenizer(unittest.TestCase):
    def test_encode_and_refuse_other_specials(self):
        with tempfile.TemporaryDirectory() as t:
            tok = os.path.join(t, "tok", "tokenizer.json")  # alone: no special_tokens.json next to it
            os.makedirs(os.path.dirname(tok))
            shutil.copyfile(SHIPPED, tok)
            os.makedirs(os.path.join(t, "corpus"))
            with open(os.path.join(t, "corpus", "train.jsonl"), "w") as f:
                for lang, text in (("python", "def f(x):\n    return x + 1\n"), ("rust", "fn main() {}\n"),
                                   ("javascript", "const a = <|pad|> 1;\n")):
                    f.write(json.dumps({"lang": lang, "path": "/x", "text": text}) + "\n")
            out = os.path.join(t, "data")
            encode.main(["--corpus", os.path.join(t, "corpus"), "--tokenizer", tok, "--out", out, "--procs", "1"])
            res = shards.verify(out)
            self.assertEqual(res["train"]["docs"], 3)
            meta = read_json(os.path.join(out, "meta.json"))
            self.assertEqual(meta["vocab_size"], 4096)
            self.assertEqual(meta["special_tokens"]["pad"], 1)
            ids = np.fromfile(os.path.join(out, "train.tokens.u16"), dtype=np.uint16)
            self.assertIn(1, ids.tolist())  # a literal special-token string becomes its id, as in the runtime
            tj = read_json(tok)
            tj["added_tokens"][0]["content"], tj["added_tokens"][1]["content"] = "<|pad|>", "<|mask|>"
            write_json(tok, tj)
            with self.assertRaises(SystemExit):
                encode.main(["--corpus", os.path.join(t, "corpus"), "--tokenizer", tok, "--out", out, "--procs", "1"])


if __name__ == "__main__":
    unittest.main()
