import type { TaskRecord } from '../../../bench/lib/evalRun';

/** A task record with plausible figures, overridden where a test cares. */
export const record = (over: Partial<TaskRecord>): TaskRecord => ({
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
