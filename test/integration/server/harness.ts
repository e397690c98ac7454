/**
 * Shared setup of the integration suite: the built server bundle, the bundled model, and a client
 * that records its log and exits.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { startEngineClient } from '../../../src/client/engineClient';
import type { EngineClient, EngineClientOptions } from '../../../src/client/types';
import type { InfillRequest, LogNotification } from '../../../src/protocol/protocol';

export const packageRoot = path.resolve(__dirname, '../../..');
export const serverModule = path.join(packageRoot, 'dist', 'server.js');
export const bundledModelDir = path.join(packageRoot, 'models', 'dllm-code-tiny');
/**
 * The model under test: the bundled one, which the server loads when initialize names none; or
 * another exported model folder given in DLLM_TEST_MODEL_DIR (the suite then passes it explicitly).
 */
export const otherModelDir = process.env.DLLM_TEST_MODEL_DIR ? path.resolve(process.env.DLLM_TEST_MODEL_DIR) : undefined;
export const modelUnderTest = otherModelDir ?? bundledModelDir;

/** Fails the suite early with the reason, instead of many confusing failures later. */
export function requireBuildAndModel(): void {
  assert.ok(fs.existsSync(serverModule), `${serverModule} is missing: run npm run build (npm run test:integration does)`);
  assert.ok(fs.existsSync(path.join(modelUnderTest, 'dllm.json')), `the model is missing: ${modelUnderTest}/dllm.json`);
}

export interface Harness {
  client: EngineClient;
  logs: LogNotification.Params[];
  exits: { code: number | null; signal: NodeJS.Signals | null; expected: boolean }[];
}

export async function startHarness(options: Partial<EngineClientOptions> = {}): Promise<Harness> {
  const logs: LogNotification.Params[] = [];
  const exits: Harness['exits'] = [];
  const client = await startEngineClient({
    serverModule,
    onLog: (entry) => logs.push(entry),
    onExit: (info) => exits.push(info),
    ...options,
  });
  return { client, logs, exits };
}

/** A started client with the bundled model loaded on CPU. */
export async function startWithModel(options: Partial<EngineClientOptions> = {}): Promise<Harness> {
  const harness = await startHarness(options);
  await harness.client.initialize({ device: 'cpu', modelDir: otherModelDir, clientName: 'integration tests' });
  return harness;
}

export function infillParams(overrides: Partial<InfillRequest.Params> = {}): InfillRequest.Params {
  return {
    prefix: 'def add(a, b):\n    return ',
    suffix: '\n\n\nprint(add(1, 2))\n',
    language: 'python',
    maxTokens: 16,
    stepBudget: 8,
    sampler: { kind: 'saber' },
    mode: 'command',
    ...overrides,
  };
}

/** The properties every finished infill must have, whatever the model wrote. */
export function assertWellFormed(result: InfillRequest.Result, params: InfillRequest.Params): void {
  assert.ok(['stop', 'length'].includes(result.finishReason), `finishReason ${result.finishReason}`);
  assert.strictEqual(typeof result.text, 'string');
  assert.ok(!result.text.includes('░'), 'no mask glyph in a finished text');
  assert.ok(result.stats.forwardPasses >= 1 && result.stats.forwardPasses <= params.stepBudget, `forward passes ${result.stats.forwardPasses} within budget ${params.stepBudget}`);
  assert.ok(result.stats.tokens <= params.maxTokens, `tokens ${result.stats.tokens} within the canvas ${params.maxTokens}`);
  assert.ok(result.stats.promptTokens > 0);
  assert.strictEqual(result.stats.device, 'cpu');
}
