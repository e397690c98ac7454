#!/usr/bin/env node
// Checks that @huggingface/tokenizers (the runtime's tokenizer, the reference) loads our tokenizer.json
// and gives exactly the ids of the Python encoder (bpe.py) on corpus files and edge cases, that
// decode(encode(x)) == x, and that cutting at line boundaries does not change the ids (FIM stability).
//
// usage: node models/train/dllm_train/tokenizer/check_tokenizer.mjs [--tiny] [--tokenizer work/tokenizer/tokenizer.json]
//                                             [--corpus work/corpus/val.jsonl] [--n 300]
import { execFileSync } from "node:child_process";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", ".."); // models/train
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const work = args.includes("--tiny") ? path.join(here, "work", "tiny") : path.join(here, "work");
const tokPath = path.resolve(opt("tokenizer", path.join(work, "tokenizer", "tokenizer.json")));
const corpus = path.resolve(opt("corpus", path.join(work, "corpus", "val.jsonl")));
const n = opt("n", "300");

// the package is ESM; resolve it from the repository's node_modules
const require = createRequire(path.join(here, "..", "..", "package.json"));
let entry;
try {
  entry = require.resolve("@huggingface/tokenizers");
} catch {
  entry = path.join(here, "..", "..", "node_modules", "@huggingface", "tokenizers", "dist", "tokenizers.mjs");
}
const { Tokenizer } = await import(pathToFileURL(entry.replace(/tokenizers\.cjs$/, "tokenizers.mjs")).href);

const tmp = mkdtempSync(path.join(tmpdir(), "tokcheck-"));
const casesPath = path.join(tmp, "cases.json");
execFileSync("python3", ["-m", "dllm_train.tokenizer.bpe", "cases", "--tokenizer", tokPath, "--corpus", corpus, "--n", n, "--out", casesPath], {
  cwd: here,
  stdio: ["ignore", "inherit", "inherit"],
});
const cases = JSON.parse(readFileSync(casesPath, "utf-8"));
rmSync(tmp, { recursive: true, force: true });

const tokJson = JSON.parse(readFileSync(tokPath, "utf-8"));
const cfgPath = path.join(path.dirname(tokPath), "tokenizer_config.json");
let cfg = {};
try {
  cfg = JSON.parse(readFileSync(cfgPath, "utf-8"));
} catch {
  cfg = { clean_up_tokenization_spaces: false };
}
const tok = new Tokenizer(tokJson, cfg);
const encode = (s) => (s.length === 0 ? [] : tok.encode(s, { add_special_tokens: false }).ids);
const decode = (ids) => (ids.length === 0 ? "" : tok.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false }));

let mismatches = 0;
let roundtripBad = 0;
let fimBad = 0;
let fimN = 0;
const show = (s) => JSON.stringify(s.length > 80 ? s.slice(0, 80) + "…" : s);
// warm-up then timing
for (const t of cases.texts.slice(0, 5)) encode(t);
const t0 = performance.now();
const jsIds = cases.texts.map(encode);
const jsSeconds = (performance.now() - t0) / 1000;

cases.texts.forEach((text, k) => {
  const a = jsIds[k];
  const b = cases.ids[k];
  if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
    mismatches++;
    if (mismatches <= 5) {
      let i = 0;
      while (i < a.length && a[i] === b[i]) i++;
      console.error(`MISMATCH case ${k} ${show(text)} at token ${i}: js ${JSON.stringify(a.slice(i, i + 8))} py ${JSON.stringify(b.slice(i, i + 8))}`);
      console.error(`   js tokens ${JSON.stringify(a.slice(i, i + 8).map((x) => tok.id_to_token(x)))}`);
      console.error(`   py tokens ${JSON.stringify(b.slice(i, i + 8).map((x) => tok.id_to_token(x)))}`);
    }
  }
  const back = decode(a);
  if (back !== text) {
    roundtripBad++;
    if (roundtripBad <= 5) console.error(`ROUNDTRIP case ${k} ${show(text)} -> ${show(back)}`);
  }
  // FIM: two cuts at line boundaries
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  if (starts.length >= 3) {
    const c1 = starts[(k * 7 + 3) % starts.length];
    const c2 = starts[(k * 13 + 5) % starts.length];
    const [x, y] = [Math.min(c1, c2), Math.max(c1, c2)];
    const pieces = [...encode(text.slice(0, x)), ...encode(text.slice(x, y)), ...encode(text.slice(y))];
    fimN++;
    if (pieces.length !== a.length || pieces.some((v, i) => v !== a[i])) {
      fimBad++;
      if (fimBad <= 5) console.error(`FIM case ${k}: piecewise ids differ`);
    }
  }
});

const chars = cases.texts.reduce((s, t) => s + t.length, 0);
const tokens = jsIds.reduce((s, t) => s + t.length, 0);
console.log(
  JSON.stringify(
    {
      cases: cases.texts.length,
      chars,
      tokens,
      charsPerToken: +(chars / tokens).toFixed(3),
      idMismatches: mismatches,
      roundtripFailures: roundtripBad,
      fimChecked: fimN,
      fimMismatches: fimBad,
      pythonFimMismatches: cases.fim_mismatch,
      jsMBps: +(chars / jsSeconds / 1e6).toFixed(3),
      pythonMBpsColdCache: +(cases.python_chars / cases.python_seconds / 1e6).toFixed(3),
    },
    null,
    1,
  ),
);
process.exit(mismatches || roundtripBad || fimBad || cases.fim_mismatch ? 1 : 0);
