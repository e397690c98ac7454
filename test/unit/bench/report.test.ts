import { strict as assert } from 'node:assert';
import { summarizeRecords } from '../../../bench/lib/evalRun';
import { breakdownTable, languageTable, samplerTable } from '../../../bench/lib/report';
import { record } from './fixtures';

describe('eval report', () => {
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
