/**
 * Command dependencies with a scripted engine client in place of the inference process, and a
 * proposal controller of the test's own (under its own URI scheme), for tests where when things
 * happen matters more than what the model writes.
 */
import * as vscode from 'vscode';
import type { CancelSignal, EngineClient } from '../../../src/client/types';
import { Activity } from '../../../src/editor/activity';
import type { CommandOutcome, InfillDeps } from '../../../src/extension/infillCommands';
import type { EngineState } from '../../../src/supervision/engineState';
import { Proposals } from '../../../src/extension/proposals';
import type { InfillRequest } from '../../../src/protocol/protocol';
import { waitFor } from './helpers';

export type Answer = (params: InfillRequest.Params, cancel: CancelSignal | undefined) => Promise<string>;

export const log = vscode.window.createOutputChannel('dLLM scripted command tests', { log: true });

/** The engine state a ready host reports: the model's context length sizes each request. */
const readyState: EngineState = {
  kind: 'ready',
  pid: 1,
  model: { name: 'scripted', path: '/scripted', contract: 'split', vocabSize: 4096, maxContextTokens: 448, maxCanvasTokens: 64, sizeBytes: 22_000_000 },
  device: { provider: 'cpu', kind: 'cpu' },
  warnings: [],
  startupMs: 0,
};

/** A proposal controller for one test file; `scheme` must be unique to the file. */
export function testProposals(scheme: string): Proposals {
  return new Proposals(log, scheme);
}

/** Command dependencies whose engine answers with `answer` and whose results wait in `proposals`. */
export function depsAnswering(proposals: Proposals, answer: Answer): InfillDeps {
  const client = {
    pid: -1,
    running: true,
    async infill(params: InfillRequest.Params, cancel?: CancelSignal): Promise<InfillRequest.Result> {
      const text = await answer(params, cancel);
      return {
        text,
        finishReason: 'stop',
        stats: {
          forwardPasses: 3,
          tokens: 3,
          tokensPerForward: 1,
          remasked: 0,
          promptTokens: 10,
          contextEncoded: 10,
          contextReused: 0,
          canvasTokens: 8,
          tokenizeMs: 0,
          encodeMs: 0,
          denoiseMs: 1,
          totalMs: 1,
          device: 'scripted',
        },
      };
    },
  } as Partial<EngineClient> as EngineClient;
  return {
    host: { readyClient: client, ready: () => Promise.resolve(), state: readyState },
    config: {
      command: { maxTokens: 32, stepBudget: 8 },
      sampler: { kind: 'saber' },
    },
    activity: new Activity(),
    log,
    proposals,
    onOutcome: () => undefined,
  };
}

/**
 * Waits until `running` proposes a change (then checks the document is still as it was and
 * accepts through `proposals`) or ends without one; returns how it ended.
 */
export async function acceptWhenProposed(
  running: Promise<CommandOutcome>,
  document: vscode.TextDocument,
  proposals: Pick<Proposals, 'current' | 'accept'>,
): Promise<CommandOutcome> {
  const before = document.getText();
  let settled = false;
  void running.finally(() => (settled = true));
  await waitFor('a proposal, or the command to end', () => proposals.current !== undefined || settled);
  if (proposals.current) {
    if (document.getText() !== before) throw new Error('the document changed before Accept');
    await proposals.accept();
  }
  return running;
}
