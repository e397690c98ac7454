import { strict as assert } from 'node:assert';
import { windowChars } from '../../../src/completion/contextWindow';
import { infillRequest, modelWindow } from '../../../src/completion/infillRequest';
import { validateInfillParams } from '../../../src/protocol/validate';

const budget = { maxTokens: 32, stepBudget: 8, sampler: { kind: 'saber' as const } };

describe('completion/infillRequest', () => {
  it('builds the parameters the server validates, with only the fields given', () => {
    const params = infillRequest({ window: { prefix: 'def f(x):\n    return ', suffix: '\n' }, language: 'python', budget, mode: 'inline', document: 'file:///a.py' });
    assert.deepEqual(params, { prefix: 'def f(x):\n    return ', suffix: '\n', language: 'python', maxTokens: 32, stepBudget: 8, sampler: { kind: 'saber' }, mode: 'inline', document: 'file:///a.py' });
    assert.deepEqual(validateInfillParams(params), params);
    const bare = infillRequest({ window: { prefix: 'a', suffix: 'b' }, language: undefined, budget, mode: 'command' });
    assert.deepEqual(Object.keys(bare).sort(), ['maxTokens', 'mode', 'prefix', 'sampler', 'stepBudget', 'suffix']);
  });

  it('sends the window\'s text alone, not how it was cut', () => {
    const window = modelWindow('x'.repeat(10_000), 'y'.repeat(10_000), 100);
    assert.ok(window.prefixCut && window.suffixCut);
    assert.equal(window.prefix.length + window.suffix.length, windowChars(100));
    const params = infillRequest({ window, budget, mode: 'command', dumpFirstPass: true });
    assert.equal(params.prefix, window.prefix);
    assert.equal(params.dumpFirstPass, true);
    assert.ok(!('prefixCut' in params));
  });
});
