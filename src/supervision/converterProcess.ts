/**
 * Runs the converter (dist/convert.js) in a child process for the extension, with progress and
 * cancellation over an IPC channel (src/convert/childMessages.ts). Plain Node: no `vscode` here.
 * The folder a converted model goes to is named by src/download/places.ts.
 */
import { spawn } from 'node:child_process';
import { childEnvironment } from '../client/childEnvironment';
import type { CancelMessage, ConverterMessage } from '../convert/childMessages';
import type { WriteProgress } from '../convert/weightsFile';

export interface ConvertJob {
  /** The Hugging Face checkpoint folder. */
  from: string;
  /** The model folder to create. */
  to: string;
  /** One of the converter's WEIGHT_STORAGES (it refuses any other). */
  weights?: string;
  family?: string;
}

export type ConvertOutcome =
  | { ok: true; dir: string; family: string; storage: string; weightsBytes: number }
  | { ok: false; cancelled: boolean; message: string };

/** Converts `job` in a child started from `converterModule`; aborting `signal` cancels it (the child removes what it wrote). */
export function runConverter(converterModule: string, job: ConvertJob, onProgress: (p: WriteProgress) => void, signal?: AbortSignal): Promise<ConvertOutcome> {
  const args = [converterModule, '--from', job.from, '--to', job.to];
  if (job.weights) args.push('--weights', job.weights);
  if (job.family) args.push('--family', job.family);
  const child = spawn(process.execPath, args, { env: childEnvironment(process.env), stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000); // the last lines say why an unexpected failure happened
  });
  let outcome: ConvertOutcome | undefined;
  child.on('message', (message: ConverterMessage) => {
    if (message.type === 'progress') onProgress(message.progress);
    else if (message.type === 'done') outcome = { ok: true, dir: message.dir, family: message.family, storage: message.storage, weightsBytes: message.weightsBytes };
    else if (message.type === 'failed') outcome = { ok: false, cancelled: message.cancelled, message: message.message };
  });
  const cancel = (): void => {
    if (child.connected) child.send({ type: 'cancel' } satisfies CancelMessage);
  };
  signal?.addEventListener('abort', cancel, { once: true });
  if (signal?.aborted) cancel();
  return new Promise((resolve) => {
    child.on('error', (error) => {
      outcome ??= { ok: false, cancelled: false, message: `the converter could not start: ${error.message}` };
    });
    child.on('close', (code, exitSignal) => {
      signal?.removeEventListener('abort', cancel);
      const lastLine = stderr.trim().split('\n').pop() ?? '';
      resolve(outcome ?? { ok: false, cancelled: false, message: `the converter stopped (${exitSignal ?? `exit code ${code}`})${lastLine ? `: ${lastLine}` : ''}` });
    });
  });
}
