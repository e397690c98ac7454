import * as assert from 'assert';
import { windowChars } from '../../../src/completion/contextWindow';
import { MAX_CONTEXT_TOKENS_LIMIT } from '../../../src/modelFolder/limits';
import { infillTextChars, infillTextProblem, maxInfillTextChars, maxMessageBytes } from '../../../src/protocol/messageSize';
import type { InfillRequest } from '../../../src/protocol/protocol';

function infill(prefix: string, over: Partial<InfillRequest.Params> = {}): InfillRequest.Params {
  return { prefix, suffix: '', maxTokens: 4096, stepBudget: 4096, sampler: { kind: 'saber', seed: Number.MAX_SAFE_INTEGER }, mode: 'command', ...over };
}

describe('message size limits', () => {
  it('leave ten times the largest window the client ever cuts', () => {
    assert.ok(maxInfillTextChars >= 10 * windowChars(MAX_CONTEXT_TOKENS_LIMIT), `${maxInfillTextChars} < 10 × ${windowChars(MAX_CONTEXT_TOKENS_LIMIT)}`);
  });

  it('an infill at the text limit fits in a message even when every character takes JSON six bytes', () => {
    const third = Math.floor(maxInfillTextChars / 3);
    const worst = infill('\u0001'.repeat(third), { suffix: '\uD800'.repeat(third), document: '"'.repeat(maxInfillTextChars - 2 * third - 40), language: 'x'.repeat(40) });
    assert.strictEqual(infillTextChars(worst), maxInfillTextChars);
    assert.strictEqual(infillTextProblem(worst), undefined);
    const body = JSON.stringify({ jsonrpc: '2.0', id: Number.MAX_SAFE_INTEGER, method: 'dllm/infill', params: worst });
    assert.ok(Buffer.byteLength(body) <= maxMessageBytes, `${Buffer.byteLength(body)} > ${maxMessageBytes}`);
  });

  it('counts every string an infill carries, and names the size and the limit', () => {
    assert.strictEqual(infillTextChars(infill('ab', { suffix: 'c', language: 'go', document: 'file:///x', progressToken: 't' })), 2 + 1 + 2 + 9 + 1);
    assert.strictEqual(
      infillTextProblem(infill('x'.repeat(maxInfillTextChars), { suffix: 'y' })),
      'its text is 524289 characters, above the limit of 524288: send the text around the cursor, not the whole document',
    );
  });
});
