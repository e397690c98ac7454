import { strict as assert } from 'node:assert';
import { documentSkipReason, looksBinary } from '../../../src/completion/documentGuards';

describe('documentSkipReason', () => {
  it('accepts ordinary code', () =>
    assert.equal(documentSkipReason({ length: 100, sample: 'def f():\n\tpass\n', lineLength: 10 }), undefined));
  it('skips huge documents', () =>
    assert.match(documentSkipReason({ length: 5_000_000, sample: 'x', lineLength: 1 }) ?? '', /too large/));
  it('skips minified lines', () =>
    assert.match(documentSkipReason({ length: 100_000, sample: 'x', lineLength: 90_000 }) ?? '', /too long/));
  it('skips binary-looking text', () => {
    assert.ok(looksBinary('abc\u0000def'));
    assert.ok(looksBinary('\u0001\u0002\u0003abc'));
    assert.ok(!looksBinary('plain text\r\n\twith tabs'));
    assert.match(documentSkipReason({ length: 10, sample: 'a\u0000', lineLength: 2 }) ?? '', /binary/);
  });
});
