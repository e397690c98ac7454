import { strict as assert } from 'node:assert';
import { configLabel, summarizeRecords, type TaskRecord } from '../../bench/lib/evalRun';
import { fmt, markdownTable, pct } from '../../bench/lib/markdown';
import { formatBar } from '../../bench/lib/progress';
import { breakdownTable, languageTable, samplerTable } from '../../bench/lib/report';

const record = (over: Partial<TaskRecord>): TaskRecord => ({
  task_id: 't',
  language: 'python',
  config: 'saber',
  completion: '',
  finishReason: 'stop',
  status: 'passed',
  tested: true,
  passed: true,
  exactMatch: false,
  editSimilarity: 0.5,
  forwardPasses: 10,
  tokens: 8,
  tokensPerForward: 3.2,
  remasked: 1,
  promptTokens: 100,
  encodeMs: 20,
  denoiseMs: 80,
  serverMs: 100,
  latencyMs: 110,
  testMs: 40,
  ...over,
});

describe('eval report', () => {
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

  it('relates forward passes to the baseline', () => {
    const config = { sampler: { kind: 'lowConfidence' as const }, canvas: 32, steps: 32 };
    const base = summarizeRecords([record({ forwardPasses: 32 })], config);
    const fast = summarizeRecords([record({ forwardPasses: 8 })], { ...config, sampler: { kind: 'saber' } });
    assert.equal(base.passedBlank, 1);
    const table = samplerTable([base, fast], base);
    const saberRow = table.split('\n').find((l) => l.startsWith('| saber'));
    assert.match(saberRow ?? '', /\| +0\.25x \|/);
    assert.match(table, /passes vs lowConfidence S=32/);
  });

  it('leaves the test columns out for a set without tests and breaks figures down by language', () => {
    const config = { sampler: { kind: 'saber' as const }, canvas: 64, steps: 64 };
    const s = summarizeRecords(
      [
        record({ language: 'typescript', status: 'untested', tested: false, passed: false, exactMatch: true, editSimilarity: 1 }),
        record({ language: 'go', status: 'untested', tested: false, passed: false, editSimilarity: 0.25 }),
      ],
      config,
    );
    assert.equal(s.pass1, null);
    const table = samplerTable([s]);
    assert.doesNotMatch(table, /pass@1|timeouts/);
    assert.match(table, /\| +50\.0% \| +0\.625 \|/);
    const byLanguage = breakdownTable(s, 'byLanguage').split('\n');
    assert.deepEqual(byLanguage.slice(2).map((l) => l.replace(/ +/g, ' ')), ['| go | 1 | 0.0% | 0.250 |', '| typescript | 1 | 100.0% | 1.000 |', '| all | 2 | 50.0% | 0.625 |']);
    assert.match(languageTable([s]), /\| saber +\| +0\.0% \| +0\.250 \| +100\.0% \| +1\.000 \|/);
  });
});

describe('markdown helpers', () => {
  it('right-aligns numeric columns and pads cells', () => {
    const t = markdownTable(['name', 'value'], [['a', '1.5'], ['bbb', '10.25']]);
    assert.equal(t, ['| name | value |', '| ---- | ----: |', '| a    |   1.5 |', '| bbb  | 10.25 |'].join('\n'));
  });

  it('formats missing numbers as n/a', () => {
    assert.equal(fmt(NaN), 'n/a');
    assert.equal(fmt(undefined), 'n/a');
    assert.equal(fmt(1.234, 2), '1.23');
    assert.equal(pct(0.4123), '41.2%');
    assert.equal(pct(NaN), 'n/a');
  });
});

describe('progress bar text', () => {
  it('shows the fraction done and an estimate of the time left', () => {
    const line = formatBar('eval', 25, 100, 10_000, 'pass@1 0.400', 120);
    assert.equal(line, 'eval [######..................] 25/100 eta 30s pass@1 0.400');
    assert.equal(formatBar('eval', 50, 100, 100_000, '', 120), 'eval [############............] 50/100 eta 1m40s ');
    assert.ok(formatBar('eval', 0, 10, 0, '', 20).length <= 19);
  });
});
