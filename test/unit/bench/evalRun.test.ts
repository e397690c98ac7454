import { strict as assert } from 'node:assert';
import type { EngineClient } from '../../../src/client/types';
import type { InfillRequest } from '../../../src/protocol/protocol';
import { windowChars } from '../../../src/completion/contextWindow';
import { configLabel, infillParams, runEval, summarizeRecords } from '../../../bench/lib/evalRun';
import { detectSandbox, Pool } from '../../../bench/lib/harness';
import type { InfillTask } from '../../../bench/lib/tasks';
import { record } from './fixtures';

const task = (id: string, solution: string): InfillTask => ({
  task_id: id,
  language: 'python',
  prompt: 'def add_one(x):\n',
  suffix: '    return y\n',
  canonical_solution: solution,
  tests: { entry_point: 'add_one', test: 'def check(candidate):\n    assert candidate(1) == 2\n' },
});

const untested = (id: string, language: string, hole: string, solution: string): InfillTask => ({ task_id: id, language, hole, prompt: 'const total = ', suffix: ';\n', canonical_solution: solution });

/** A client whose answers are scripted per prefix+id, standing in for the child process. */
function scriptedClient(answers: Map<string, string | Error>, seen: InfillRequest.Params[]): EngineClient {
  let n = 0;
  return {
    pid: 1,
    running: true,
    initialize: () => Promise.reject(new Error('not used')),
    status: () => Promise.reject(new Error('not used')),
    documentClosed: () => undefined,
    stop: () => Promise.resolve(),
    kill: () => undefined,
    infill: (params) => {
      seen.push(params);
      const answer = answers.get(String(n++));
      if (answer instanceof Error) return Promise.reject(answer);
      const text = answer ?? '';
      return Promise.resolve({
        text,
        finishReason: 'stop',
        stats: { forwardPasses: 4, tokens: 5, tokensPerForward: 8, remasked: 0, promptTokens: 20, contextEncoded: 20, contextReused: 0, canvasTokens: 32, tokenizeMs: 1, encodeMs: 3, denoiseMs: 12, totalMs: 16, device: 'cpu' },
      });
    },
  };
}

describe('runEval', function () {
  this.timeout(20000);

  it('sends command requests and scores each answer with the harness', async () => {
    const tasks = [task('a', '    y = x + 1\n'), task('b', '    y = x + 1\n'), task('c', '    y = x + 1\n')];
    const seen: InfillRequest.Params[] = [];
    const client = scriptedClient(new Map<string, string | Error>([['0', '    y = x + 1\n'], ['1', '    y = x - 1\n'], ['2', new Error('canvas too long')]]), seen);
    const config = { sampler: { kind: 'saber' as const, seed: 0 }, canvas: 32, steps: 16 };
    const progress: number[] = [];
    const [run] = await runEval(client, tasks, [config], { maxContextTokens: 448, pool: new Pool(2), sandbox: await detectSandbox(), onProgress: (done) => progress.push(done) });
    assert.ok(run, 'one run per configuration');
    const { records, summary } = run;

    assert.deepEqual(seen[0], infillParams(tasks[0]!, config, 448));
    assert.equal(seen[0].mode, 'command');
    assert.equal(seen[0].maxTokens, 32);
    assert.equal(seen[0].stepBudget, 16);
    assert.equal(seen[0].language, 'python');
    assert.deepEqual(records.map((r) => [r.task_id, r.status, r.exactMatch]), [
      ['a', 'passed', true],
      ['b', 'failed', false],
      ['c', 'error', false],
    ]);
    assert.match(records[2]?.detail ?? '', /canvas too long/);
    assert.equal(summary.pass1, 1 / 3);
    assert.equal(summary.errors, 1);
    assert.equal(summary.config, 'saber S=16');
    assert.deepEqual([...progress].sort(), [1, 2, 3]);
  });

  it('scores tasks without tests by exact match and edit similarity, per language and hole', async () => {
    const tasks = [untested('t1', 'typescript', 'line', 'a + b'), untested('t2', 'typescript', 'lineRest', 'a + b'), untested('g1', 'go', 'line', 'a + b'), task('p', '    y = x + 1\n')];
    const seen: InfillRequest.Params[] = [];
    const client = scriptedClient(new Map<string, string | Error>([['0', 'a + b\n'], ['1', 'a - b'], ['2', new Error('boom')], ['3', '    y = x + 1\n']]), seen);
    const config = { sampler: { kind: 'saber' as const }, canvas: 32, steps: 32 };
    const [run] = await runEval(client, tasks, [config], { maxContextTokens: 448, pool: new Pool(1), sandbox: await detectSandbox() });
    assert.ok(run, 'one run per configuration');
    const { records, summary } = run;

    assert.deepEqual(seen.map((p) => p.language), ['typescript', 'typescript', 'go', 'python']);
    assert.deepEqual(records.map((r) => [r.task_id, r.status, r.tested, r.exactMatch, r.editSimilarity]), [
      ['t1', 'untested', false, true, 1],
      ['t2', 'untested', false, false, 0.8],
      ['g1', 'error', false, false, 0],
      ['p', 'passed', true, true, 1],
    ]);
    assert.equal(summary.tested, 1);
    assert.equal(summary.pass1, 1);
    assert.equal(summary.exactMatch, 0.5);
    assert.equal(summary.editSimilarity, (1 + 0.8 + 0 + 1) / 4);
    assert.deepEqual(summary.byLanguage.typescript, { tasks: 2, tested: 0, pass1: null, passedBlank: 0, exactMatch: 0.5, editSimilarity: 0.9 });
    assert.deepEqual(Object.keys(summary.byLanguage), ['go', 'python', 'typescript']);
    assert.deepEqual(Object.keys(summary.byHole), ['line', 'lineRest']);
    assert.equal(summary.byHole.line?.tasks, 2);
  });

  it('sends the context window a command infill of the extension would send: LF text, sized from the model', () => {
    const long: InfillTask = { task_id: 'w', language: 'javascript', prompt: `${'x\r\n'.repeat(5000)}let a = `, suffix: `;\r\n${'y\n'.repeat(5000)}`, canonical_solution: '1' };
    const params = infillParams(long, { sampler: { kind: 'saber' }, canvas: 16, steps: 16 }, 100);
    const chars = windowChars(100);
    assert.ok(params.prefix.length <= chars * 0.75 && params.prefix.length > chars * 0.5, `prefix of ${params.prefix.length}`);
    assert.ok(params.prefix.endsWith('x\nlet a = ') && !params.prefix.includes('\r'));
    assert.ok(params.suffix.length <= chars * 0.25 && params.suffix.startsWith(';\ny\n') && !params.suffix.includes('\r'));
    assert.ok(infillParams(long, { sampler: { kind: 'saber' }, canvas: 16, steps: 16 }, 200).prefix.length > params.prefix.length);
  });

  it('runs the configurations task by task and keeps their records apart', async () => {
    const seen: InfillRequest.Params[] = [];
    const client = scriptedClient(new Map([['0', '    y = x + 1\n'], ['1', 'bad'], ['2', '    y = x + 1\n'], ['3', 'bad']]), seen);
    const saber = { sampler: { kind: 'saber' as const }, canvas: 32, steps: 32 };
    const lowConf = { sampler: { kind: 'lowConfidence' as const }, canvas: 32, steps: 8 };
    const runs = await runEval(client, [task('a', ''), task('b', '')], [saber, lowConf], { maxContextTokens: 448, pool: new Pool(2), sandbox: await detectSandbox() });
    assert.deepEqual(seen.map((p) => [p.sampler.kind, p.stepBudget]), [['saber', 32], ['lowConfidence', 8], ['saber', 32], ['lowConfidence', 8]]);
    assert.deepEqual(runs.map((r) => [r.summary.config, r.summary.pass1, r.records.map((x) => x.task_id).join()]), [
      ['saber', 1, 'a,b'],
      ['lowConfidence S=8', 0, 'a,b'],
    ]);
  });

  it('stops when the child process has died', async () => {
    const client = scriptedClient(new Map([['0', new Error('exited')]]), []);
    const dead = { ...client, running: false };
    await assert.rejects(
      runEval(dead, [task('a', '')], [{ sampler: { kind: 'saber' }, canvas: 32, steps: 32 }], { maxContextTokens: 448, pool: new Pool(1), sandbox: await detectSandbox() }),
      /exited/,
    );
  });
});

describe('eval summaries', () => {
  it('names configurations briefly', () => {
    assert.equal(configLabel({ sampler: { kind: 'saber' }, canvas: 32, steps: 32 }), 'saber');
    assert.equal(configLabel({ sampler: { kind: 'saber', remask: 'onDrop' }, canvas: 32, steps: 32 }), 'saber remask=onDrop');
    assert.equal(configLabel({ sampler: { kind: 'saber' }, canvas: 32, steps: 8 }), 'saber S=8');
    assert.equal(configLabel({ sampler: { kind: 'lowConfidence' }, canvas: 32, steps: 32 }), 'lowConfidence S=32');
    assert.equal(configLabel({ sampler: { kind: 'threshold', threshold: 0.9 }, canvas: 32, steps: 32 }), 'threshold 0.9');
  });

  it('counts failed requests as failures but keeps them out of the timing figures', () => {
    const config = { sampler: { kind: 'saber' as const }, canvas: 32, steps: 32 };
    const s = summarizeRecords(
      [
        record({ exactMatch: true, completion: '    y = 1\n' }),
        record({ passed: false, status: 'failed', forwardPasses: 20, latencyMs: 210 }),
        record({ passed: false, status: 'timeout', forwardPasses: 30, latencyMs: 310 }),
        record({ passed: false, status: 'error', finishReason: 'error', forwardPasses: 0, latencyMs: 5 }),
      ],
      config,
    );
    assert.equal(s.tasks, 4);
    assert.equal(s.pass1, 0.25);
    assert.equal(s.passedBlank, 0);
    assert.equal(s.exactMatch, 0.25);
    assert.equal(s.timeouts, 1);
    assert.equal(s.errors, 1);
    assert.equal(s.forwardPasses.mean, 20);
    assert.equal(s.latencyMs.p50, 210);
    assert.deepEqual(s.finishReasons, { stop: 3, error: 1 });
  });
});
