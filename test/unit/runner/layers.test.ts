import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { closingLine, layers, selectLayers, summaryTable, tallyOf, type LayerResult } from '../../runner/layers';

const closing = /^\d+ passed, \d+ failed(, \d+ skipped)?$/;

describe('npm test: counting each layer', () => {
  it('runs the layers in order, each through an npm script that runs it alone', () => {
    assert.deepStrictEqual(layers.map((l) => l.name), ['lint', 'typecheck', 'unit', 'integration', 'convert', 'model-pipeline', 'package', 'vscode-server']);
    const scripts = (JSON.parse(fs.readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const layer of layers) assert.ok(scripts[layer.script], `no npm script ${layer.script}`);
    assert.strictEqual(scripts.test, 'tsx test/run-all.ts');
  });

  it('selects layers by name, in run order, and names the layers when one is unknown', () => {
    assert.deepStrictEqual(selectLayers(['unit', 'lint']).map((l) => l.name), ['lint', 'unit']);
    assert.strictEqual(selectLayers([]).length, layers.length);
    assert.throws(() => selectLayers(['units']), /no layer units; the layers are lint, typecheck, unit/);
  });

  it('counts mocha\'s closing summary, colours and all', () => {
    const output = '  ✔ a\n  ✔ b\n\n\n  \x1b[92m 12 passing\x1b[0m (80ms)\n  \x1b[36m 2 pending\x1b[0m\n  \x1b[31m 1 failing\x1b[0m\n\n  1) x:\n';
    assert.deepStrictEqual(tallyOf('mocha', output, 1), { passed: 12, failed: 1, skipped: 2 });
    assert.deepStrictEqual(tallyOf('mocha', '  3 passing (1s)\n', 0), { passed: 3, failed: 0, skipped: 0 });
  });

  it('counts one failure for a layer that failed before reporting any', () => {
    assert.deepStrictEqual(tallyOf('mocha', 'Error: Cannot find module', 1), { passed: 0, failed: 1, skipped: 0 });
    assert.deepStrictEqual(tallyOf('exit', 'src/a.ts(1,1): error TS2304', 2), { passed: 0, failed: 1, skipped: 0 });
    assert.deepStrictEqual(tallyOf('exit', '', 0), { passed: 1, failed: 0, skipped: 0 });
  });

  it('counts the converter layer\'s Python self-tests and its mocha parity tests together', () => {
    const out = '.....\n----------------------------------------------------------------------\nRan 5 tests in 5.8s\n\nOK\n\n  converter parity\n    ✔ a\n\n  12 passing (30s)\n  1 pending\n';
    assert.deepStrictEqual(tallyOf('reference', out, 0), { passed: 17, failed: 0, skipped: 1 });
    const failed = 'Ran 5 tests in 5.8s\n\nFAILED (failures=1)\n';
    assert.deepStrictEqual(tallyOf('reference', failed, 1), { passed: 4, failed: 1, skipped: 0 });
  });

  it('counts the model pipeline\'s Python unit tests and its smoke run as one more check', () => {
    const ok = '== unit tests (0s)\n.....s\n------\nRan 59 tests in 12.1s\n\nOK (skipped=2)\n\n== carried shards (tiny) (13s)\n';
    assert.deepStrictEqual(tallyOf('pipeline', ok, 0), { passed: 58, failed: 0, skipped: 2 });
    const failed = 'Ran 59 tests in 12.1s\n\nFAILED (failures=2, errors=1, skipped=2)\n';
    // The smoke run stops after failed unit tests: that is one more failure.
    assert.deepStrictEqual(tallyOf('pipeline', failed, 1), { passed: 54, failed: 4, skipped: 2 });
    assert.deepStrictEqual(tallyOf('pipeline', 'Ran 1 test in 0.1s\n\nOK\n', 1), { passed: 1, failed: 1, skipped: 0 });
  });

  it('reads the VS Code harness\'s own tally, which is not shaped like the closing line', () => {
    const output = '  suite: 40 passing, 0 failing, 1 pending (9000 ms)\n\nvscode: 46 passed, 0 failed, 1 pending\n';
    assert.deepStrictEqual(tallyOf('vscode', output, 0), { passed: 46, failed: 0, skipped: 1 });
    assert.ok(output.split('\n').every((line) => !closing.test(line)));
  });

  it('ends with one closing line and a table none of whose lines looks like it', () => {
    const results: LayerResult[] = [
      { layer: layers[0]!, tally: { passed: 1, failed: 0, skipped: 0 }, exitCode: 0, seconds: 9.6 },
      { layer: layers[2]!, tally: { passed: 300, failed: 2, skipped: 1 }, exitCode: 1, seconds: 30 },
      { layer: layers[3]! },
    ];
    const table = summaryTable(results);
    assert.match(table[0]!, /^layer\s+passed\s+failed\s+skipped\s+time$/);
    assert.match(table[2]!, /^unit\s+300\s+2\s+1\s+30 s\s+FAILED \(exit 1\)$/);
    assert.match(table[3]!, /^integration\s+-\s+-\s+-\s+-\s+not run$/);
    assert.match(table[4]!, /^total\s+301\s+2\s+1\s+40 s$/);
    assert.ok(table.every((line) => !closing.test(line)));
    assert.strictEqual(closingLine({ passed: 301, failed: 2, skipped: 1 }), '301 passed, 2 failed, 1 skipped');
    assert.strictEqual(closingLine({ passed: 5, failed: 0, skipped: 0 }), '5 passed, 0 failed');
  });
});
