/**
 * `npm run bench:inline`: inline requests on converted models as the extension sends them, one after
 * another (each answered before the next; no superseding), so every request's latency is its own.
 * Per model folder and refresh interval (0 = exact mode), in the real inference child: a request on
 * a document just opened (cold), then one per keystroke while a few characters are typed (warm: the
 * cached mode may reuse the document's keys and values). Prints per run the p50 latency of each
 * kind, the passes and context tokens reused per request, the time in refreshes, and the engine's
 * peak resident memory. A real Python file (typing.ts `typingText`), its window cut by the
 * extension's own rule, the extension's inline defaults (canvas, step budget, sampler). Not a test.
 *
 *   npm run bench:inline -- --model DIR [--model DIR…] [--every 0,4,32] [--keystrokes 8] [--threads 2]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { intOption, runMain } from '../src/cli/options';
import { cutWindow, windowChars } from '../src/completion/contextWindow';
import { infillRequest } from '../src/completion/infillRequest';
import type { InfillRequest, InfillStats } from '../src/protocol/protocol';
import { startEngine } from './lib/engine';
import { fmt, markdownTable } from './lib/markdown';
import { summarize } from './lib/stats';
import { extensionDefaults, typingText } from './lib/typing';

const usage = `npm run bench:inline -- --model DIR [options]
  --model DIR       a converted model folder (repeatable)
  --every A,B       refresh intervals (default 0,4,32; 0 = exact mode)
  --keystrokes N    characters typed after the first request (default 8)
  --threads N       CPU threads of the engine (default 2)`;

interface Answer {
  ms: number;
  stats: InfillStats;
}

/** The engine child's peak resident memory, from /proc (Linux). */
function peakRssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb === undefined ? NaN : Number(kb) / 1024;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { model: { type: 'string', multiple: true }, every: { type: 'string' }, keystrokes: { type: 'string' }, threads: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || !values.model?.length) {
    console.log(usage);
    return;
  }
  const intervals = (values.every ?? '0,4,32').split(',').map((k) => intOption(k, 'every', 0, 0));
  const keystrokes = intOption(values.keystrokes, 'keystrokes', 8, 1);
  const threads = intOption(values.threads, 'threads', 2, 1);
  const settings = extensionDefaults(1);
  const text = typingText(keystrokes);
  const rows: string[][] = [];
  for (const model of values.model) {
    for (const every of intervals) {
      // No inline deadline: a slow request is measured, not cancelled.
      const { client, init } = await startEngine({ modelDir: path.resolve(model), device: 'cpu', threads, cachedRefreshEvery: every, inlineDeadlineMs: 600_000 });
      try {
        const chars = windowChars(init.model.maxContextTokens);
        const request = async (typed: number, document: string): Promise<Answer> => {
          const window = cutWindow(text.before + text.span.slice(0, typed), text.after, chars);
          const params: InfillRequest.Params = infillRequest({ window, language: text.language, budget: settings, mode: 'inline', document });
          const sent = performance.now();
          const r = await client.infill(params);
          return { ms: performance.now() - sent, stats: r.stats };
        };
        // One untimed request on another document: the session's first run allocates and plans.
        await request(0, 'file:///warm-up.py');
        const cold = await request(0, `file://${text.file}`);
        const warm: Answer[] = [];
        for (let k = 1; k <= keystrokes; k++) warm.push(await request(k, `file://${text.file}`));
        const of = (answers: Answer[], pick: (a: Answer) => number) => summarize(answers.map(pick));
        const all = [cold, ...warm];
        const label = `${init.model.name}, ${every === 0 ? 'exact' : `k = ${every}`}`;
        const row = [
          label,
          fmt(cold.ms),
          fmt(of(warm, (a) => a.ms).p50),
          fmt(of(warm, (a) => a.ms).max),
          `${warm.filter((a) => a.stats.contextReused > 0).length}/${warm.length}`,
          fmt(of(warm, (a) => a.stats.contextReused).p50, 0),
          fmt(of(all, (a) => a.stats.promptTokens).p50, 0),
          fmt(of(all, (a) => a.stats.forwardPasses).p50, 0),
          fmt(of(all, (a) => a.stats.encodeMs).p50),
          fmt(of(all, (a) => a.stats.denoiseMs / Math.max(1, a.stats.forwardPasses)).p50),
          fmt(peakRssMiB(client.pid), 0),
        ];
        console.error(row.join(' | '));
        rows.push(row);
      } finally {
        await client.stop();
      }
    }
  }
  console.log(
    `\nInline requests one after another: a document opened, then ${keystrokes} keystrokes, each answered before the next; canvas ${settings.maxTokens}, step budget ${settings.stepBudget}, ${settings.sampler.kind}, ${threads} threads\n`,
  );
  console.log(
    markdownTable(
      ['model, mode', 'cold ms', 'warm p50 ms', 'warm max ms', 'warm reusing', 'reused tokens p50', 'prompt tokens', 'passes p50', 'refresh ms p50 (per request)', 'ms per pass p50 (all passes)', 'peak RSS MiB'],
      rows,
    ),
  );
}

runMain(main);
