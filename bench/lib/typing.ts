/**
 * The typing benchmark: a real file typed into, one character at a time at a steady rate, with the
 * requests the extension would send — `debounceMs` after a keystroke that no other keystroke
 * followed within the debounce, cut by the extension's own window (src/completion/contextWindow.ts),
 * `mode: inline` (a newer request supersedes an older one still running) and the document's URI
 * (so a model that can extend its context reuses what the document's last request encoded).
 * Every answer's latency, and the context tokens it encoded and reused, are kept.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EngineClient } from '../../src/client/types';
import { cutWindow, windowChars } from '../../src/completion/contextWindow';
import { infillRequest } from '../../src/completion/infillRequest';
import type { InfillRequest, InfillStats, SamplerOptions } from '../../src/protocol/protocol';
import { startEngine, type EngineOptions } from './engine';
import { fmt, markdownTable } from './markdown';
import { summarize, type Summary } from './stats';
import { repoRoot } from './tasks';

/** The text typed: `span` is cut out of `file` at `cursor` and typed back in. */
export interface TypingText {
  file: string;
  language: string;
  before: string;
  span: string;
  after: string;
}

/** Typed into: the start of `pack_rows` in the training pipeline's batch builder, a long Python file. */
export function typingText(characters: number): TypingText {
  const file = path.join(repoRoot, 'models', 'train', 'dllm_train', 'data', 'examples.py');
  const text = fs.readFileSync(file, 'utf8');
  const cursor = text.indexOf('def pack_rows(');
  if (cursor < 0) throw new Error(`${file} no longer has "def pack_rows(": choose another place to type`);
  return { file, language: 'python', before: text.slice(0, cursor), span: text.slice(cursor, cursor + characters), after: text.slice(cursor + characters) };
}

export interface TypingSettings {
  intervalMs: number;
  debounceMs: number;
  maxTokens: number;
  stepBudget: number;
  sampler: SamplerOptions;
}

/**
 * When each keystroke's request is sent, if it is: keystroke i (0-based) lands at i × interval and
 * its request goes `debounce` later unless the next keystroke lands first.
 */
export function requestTimes(keystrokes: number, intervalMs: number, debounceMs: number): { keystroke: number; atMs: number }[] {
  const out: { keystroke: number; atMs: number }[] = [];
  for (let i = 0; i < keystrokes; i++) {
    const fire = i * intervalMs + debounceMs;
    if (i === keystrokes - 1 || (i + 1) * intervalMs > fire) out.push({ keystroke: i, atMs: fire });
  }
  return out;
}

export interface TypedRequest {
  keystroke: number;
  /** Client round trip. */
  ms: number;
  finishReason: InfillRequest.Result['finishReason'];
  stats: InfillStats;
}

/** Types `text.span` into a fresh document in real time; resolves with every request's answer. */
export async function typeInto(client: EngineClient, maxContextTokens: number, text: TypingText, settings: TypingSettings, document: string): Promise<TypedRequest[]> {
  const chars = windowChars(maxContextTokens);
  const params = (typed: number): InfillRequest.Params => {
    const window = cutWindow(text.before + text.span.slice(0, typed), text.after, chars);
    return infillRequest({ window, language: text.language, budget: settings, mode: 'inline', document });
  };
  // The document as opened, before the first keystroke: not timed.
  await client.infill(params(0));
  const started = performance.now();
  const pending: Promise<TypedRequest>[] = [];
  for (const { keystroke, atMs } of requestTimes(text.span.length, settings.intervalMs, settings.debounceMs)) {
    const wait = started + atMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const sent = performance.now();
    pending.push(client.infill(params(keystroke + 1)).then((r) => ({ keystroke, ms: performance.now() - sent, finishReason: r.finishReason, stats: r.stats })));
  }
  return Promise.all(pending);
}

export interface TypingRun {
  label: string;
  model: string;
  maxContextTokens: number;
  cache: boolean;
  settings: TypingSettings;
  keystrokes: number;
  requests: number;
  answered: number;
  superseded: number;
  /** Answered requests that found nothing to reuse (a fresh window). */
  fresh: number;
  latencyMs: Summary;
  serverMs: Summary;
  /** Answered requests that reused their document's context. */
  reusingMs: Summary;
  freshMs: Summary;
  promptTokens: Summary;
  contextEncoded: Summary;
  contextReused: Summary;
  encodeMs: Summary;
  denoiseMs: Summary;
  forwardPasses: Summary;
}

export function summarizeTyping(label: string, model: string, maxContextTokens: number, cache: boolean, settings: TypingSettings, keystrokes: number, requests: TypedRequest[]): TypingRun {
  const answered = requests.filter((r) => r.finishReason !== 'cancelled');
  const of = (pick: (s: InfillStats) => number, rs = answered) => summarize(rs.map((r) => pick(r.stats)));
  const fresh = answered.filter((r) => r.stats.contextReused === 0);
  return {
    label,
    model,
    maxContextTokens,
    cache,
    settings,
    keystrokes,
    requests: requests.length,
    answered: answered.length,
    superseded: requests.length - answered.length,
    fresh: fresh.length,
    latencyMs: summarize(answered.map((r) => r.ms)),
    serverMs: of((s) => s.totalMs),
    reusingMs: summarize(answered.filter((r) => r.stats.contextReused > 0).map((r) => r.ms)),
    freshMs: summarize(fresh.map((r) => r.ms)),
    promptTokens: of((s) => s.promptTokens),
    contextEncoded: of((s) => s.contextEncoded),
    contextReused: of((s) => s.contextReused),
    encodeMs: of((s) => s.encodeMs),
    denoiseMs: of((s) => s.denoiseMs),
    forwardPasses: of((s) => s.forwardPasses),
  };
}

export function typingMarkdown(runs: readonly TypingRun[]): string {
  if (runs.length === 0) return '';
  const s = runs[0]!.settings;
  const table = markdownTable(
    ['model', 'context ≤', 'cache', 'requests', 'superseded', 'latency p50 ms', 'p95 ms', 'reusing p50 ms', 'fresh p50 ms (n)', 'prompt tokens p50', 'encoded per request p50', 'mean', 'context pass p50 ms', 'denoise p50 ms', 'passes p50'],
    runs.map((r) => [
      r.model,
      String(r.maxContextTokens),
      r.cache ? 'on' : 'off',
      String(r.requests),
      String(r.superseded),
      fmt(r.latencyMs.p50),
      fmt(r.latencyMs.p95),
      r.reusingMs.n > 0 ? fmt(r.reusingMs.p50) : '–',
      `${r.freshMs.n > 0 ? fmt(r.freshMs.p50) : '–'} (${r.fresh})`,
      fmt(r.promptTokens.p50, 0),
      fmt(r.contextEncoded.p50, 0),
      fmt(r.contextEncoded.mean, 1),
      fmt(r.encodeMs.p50),
      fmt(r.denoiseMs.p50),
      fmt(r.forwardPasses.p50, 0),
    ]),
  );
  return [
    `${runs[0]!.keystrokes} characters of a real Python file typed at one every ${s.intervalMs} ms; a request ${s.debounceMs} ms after each keystroke (the extension's debounce), \`mode: inline\`, canvas ${s.maxTokens}, step budget ${s.stepBudget}, ${s.sampler.kind}; the document's URI goes with each request. Latency is the client's round trip of the answered requests (a request still running when the next is sent is superseded). "Reusing": requests that extended their document's cached context; "fresh": requests that cut a new window (the cache off: all). Encoded: context tokens run through the context graph per answered request.`,
    '',
    table,
  ].join('\n');
}

/** One line per run, for the log. */
export function typingLine(r: TypingRun): string {
  return `${r.label}: p50 ${fmt(r.latencyMs.p50)} ms, p95 ${fmt(r.latencyMs.p95)} ms, ${fmt(r.contextEncoded.mean, 1)} context tokens encoded per request, ${r.superseded}/${r.requests} superseded`;
}

/** The extension's defaults (package.json), so the benchmark sends what a user's editor sends. */
export function extensionDefaults(intervalMs: number): TypingSettings {
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { default?: unknown }> }[] } };
  const setting = (key: string): unknown => manifest.contributes.configuration.find((section) => key in section.properties)?.properties[key]?.default;
  return {
    intervalMs,
    debounceMs: Number(setting('dllm.inline.debounceMs')),
    maxTokens: Number(setting('dllm.inline.maxTokens')),
    stepBudget: Number(setting('dllm.inline.stepBudget')),
    sampler: { kind: setting('dllm.sampler.kind') as SamplerOptions['kind'] },
  };
}

/** Where `randomModels` writes; under test-results/, never committed. */
export const randomModelsDir = path.join(repoRoot, 'test-results', 'random-models');

/**
 * Randomly initialised model folders of the shipped training config's shape (models/train/
 * configs/gpu.json), one per context length: timings before a trained model of that shape exists.
 * Needs /usr/bin/python3 with torch; undefined (and why) without it.
 */
export function randomModels(contexts: readonly number[]): { dirs: string[] } | { skipped: string } {
  const python = '/usr/bin/python3';
  if (!fs.existsSync(python) || spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) {
    return { skipped: `${python} has no torch, so no model of the shipped shape can be exported` };
  }
  const script = path.join(repoRoot, 'bench', 'lib', 'random_model.py');
  const config = path.join(repoRoot, 'models', 'train', 'configs', 'gpu.json');
  const args = [script, randomModelsDir, '--config', config, ...contexts.flatMap((c) => ['--max-context', String(c)])];
  const run = spawnSync(python, args, { encoding: 'utf8', env: { ...process.env, PYTHONPATH: path.join(repoRoot, 'models', 'train') } });
  if (run.status !== 0) throw new Error(`${script} failed:\n${run.stderr}`);
  return { dirs: contexts.map((c) => path.join(randomModelsDir, `ctx${c}`)) };
}

/** Types into each model with the cache on, then off, each in its own child process. */
export async function runTyping(modelDirs: readonly string[], engine: Omit<EngineOptions, 'modelDir'>, text: TypingText, settings: TypingSettings, log: (line: string) => void): Promise<TypingRun[]> {
  const runs: TypingRun[] = [];
  for (const modelDir of modelDirs) {
    for (const cache of [true, false]) {
      const { client, init } = await startEngine({ ...engine, modelDir, contextCacheMiB: cache ? undefined : 0 });
      try {
        const label = `${init.model.name} ≤${init.model.maxContextTokens} cache ${cache ? 'on' : 'off'}`;
        log(`typing: ${label}, ${text.span.length} characters`);
        const requests = await typeInto(client, init.model.maxContextTokens, text, settings, `file://${text.file}`);
        const run = summarizeTyping(label, init.model.name, init.model.maxContextTokens, cache, settings, text.span.length, requests);
        log(`  ${typingLine(run)}`);
        runs.push(run);
      } finally {
        await client.stop();
      }
    }
  }
  return runs;
}
