import * as assert from 'assert';
import { completionSummary, progressLine, statsLines } from '../../../src/cli/report';
import { statsOfUnrunInfill, type InfillRequest, type InfillStats } from '../../../src/protocol/protocol';

function result(text: string, finishReason: InfillRequest.Result['finishReason'], stats: Partial<InfillStats>): InfillRequest.Result {
  return { text, finishReason, stats: { ...statsOfUnrunInfill('cpu'), ...stats } };
}

describe('npm run complete: statistics', () => {
  it('says an empty completion is empty and why, and never calls padding tokens of the completion', () => {
    // 64 positions decided in 27 passes, every one of them padding.
    const empty = result('', 'stop', { tokens: 0, forwardPasses: 27, tokensPerForward: 64 / 27, canvasTokens: 64 });
    const [first, canvas] = statsLines(empty);
    assert.strictEqual(first, 'finish stop · empty completion: the model put the end mark (<pad>) first · 27 forward passes');
    assert.strictEqual(canvas, 'canvas 64/64 positions decided (tokens and padding) · 2.4 per pass · 0 re-masked');
    assert.doesNotMatch(statsLines(empty).slice(0, 2).join('\n'), /tokens\/pass|0 tokens/);
  });

  it('counts the completion\'s tokens apart from the canvas positions the sampler decided', () => {
    const some = result('return a + b', 'stop', { tokens: 5, forwardPasses: 14, tokensPerForward: 32 / 14, canvasTokens: 32, remasked: 3 });
    const [first, canvas] = statsLines(some);
    assert.strictEqual(first, 'finish stop · completion 5 tokens · 14 forward passes');
    assert.strictEqual(canvas, 'canvas 32/32 positions decided (tokens and padding) · 2.3 per pass · 3 re-masked');
  });

  it('names a full canvas and a cancelled run, in the singular where it is one', () => {
    assert.match(statsLines(result('x', 'length', { tokens: 1, forwardPasses: 1, tokensPerForward: 1, canvasTokens: 1 }))[0]!, /^finish length \(canvas full\) · completion 1 token · 1 forward pass$/);
    const cancelled = result('', 'cancelled', { tokens: 0, forwardPasses: 2, tokensPerForward: 0, canvasTokens: 32 });
    assert.strictEqual(completionSummary(cancelled), 'empty completion: cancelled before any token was decided');
    assert.match(statsLines(cancelled)[1]!, /^canvas 0\/32 positions decided/);
  });

  it('ends with where the time went', () => {
    const timed = result('x', 'stop', { tokens: 1, forwardPasses: 1, tokensPerForward: 1, canvasTokens: 8, promptTokens: 15, tokenizeMs: 3.2, encodeMs: 2, denoiseMs: 125.4, totalMs: 130.6 });
    assert.strictEqual(statsLines(timed)[2], 'prompt 15 tokens · tokenize 3 ms · encode 2 ms · denoise 125 ms · total 131 ms · cpu');
  });

  it('shows progress as decided positions with the canvas on one line', () => {
    const line = progressLine({ text: 'a\n\tb', forwardPasses: 3, committed: 12, canvasTokens: 64 }, 48, 100);
    assert.strictEqual(line, 'pass 3/48 · 12/64 positions decided │ a⏎→b');
    assert.ok(progressLine({ text: 'y'.repeat(500), forwardPasses: 1, committed: 1, canvasTokens: 64 }, 48, 80).length <= 80);
  });
});
