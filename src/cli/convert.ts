/**
 * `npm run convert -- --from HF_DIR --to MODEL_DIR [options]`: converts a Hugging Face checkpoint
 * folder into a model folder the extension loads (src/convert/convert.ts does the work). Progress
 * goes to stderr, the result's one line to stdout; a refusal is one line `convert: <why>` with
 * exit code 1 (2 for a usage mistake), and Ctrl-C cancels, leaving nothing at MODEL_DIR (130).
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage } from '../base/errorText';
import type { CancelMessage, ConverterMessage } from '../convert/childMessages';
import { ConvertError } from '../convert/errors';
import { FAMILY_IDS } from '../convert/families';
import { CANCELLED, WEIGHT_STORAGES, type WriteProgress } from '../convert/weightsFile';
import { convert } from '../convert/convert';
import { MAX_CANVAS_TOKENS_LIMIT, MAX_CONTEXT_TOKENS_LIMIT } from '../modelFolder/limits';
import { UsageError, callerDirectory, failureExit, intOption } from './options';

const USAGE = `Usage: npm run convert -- --from HF_DIR --to MODEL_DIR [options]

Converts a Hugging Face checkpoint folder (config.json, tokenizer.json, *.safetensors) into a
model folder for dLLM Complete (dllm.json, model.onnx, model.onnx.data, tokenizer.json).

  --from HF_DIR      the checkpoint folder
  --to MODEL_DIR     the model folder to create (must not exist, or be empty)
  --weights W        storage of the weight matrices: ${WEIGHT_STORAGES.join(', ')} (default fp16);
                     int8 / int4: blocks of 32 (MatMulNBits); int8-channel: int8 per output channel
                     (DynamicQuantizeMatMul, the fastest on a CPU with AVX-512 VNNI)
  --family F         the model family when config.json does not name it: ${FAMILY_IDS.join(', ')}
  --context N        maxContextTokens (default: the model's trained length, at most 1024)
  --canvas N         maxCanvasTokens (default 128)
  --name NAME        the model's name (default: MODEL_DIR's folder name)
  -h, --help         this text`;

/** Relative paths start where npm was run. */
function fromCaller(p: string): string {
  return path.resolve(callerDirectory(), p);
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/** Progress on stderr: one rewritten line on a terminal, else a line per tenth of the bytes. */
function progressPrinter(): (p: WriteProgress) => void {
  let lastTenth = -1;
  return (p) => {
    const percent = p.bytesTotal > 0 ? (100 * p.bytesDone) / p.bytesTotal : 100;
    const line = `convert: ${p.tensorsDone}/${p.tensorsTotal} tensors, ${gib(p.bytesDone)} of ${gib(p.bytesTotal)} (${percent.toFixed(0)}%)`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${line}${p.tensorsDone === p.tensorsTotal ? '\n' : ''}`);
    } else if (Math.floor(percent / 10) > lastTenth) {
      lastTenth = Math.floor(percent / 10);
      process.stderr.write(`${line}\n`);
    }
  };
}

/**
 * Started by the extension with an IPC channel: progress, the result and a refusal go to it as
 * messages (src/convert/childMessages.ts), and a `cancel` message cancels as Ctrl-C does.
 */
function parentChannel(controller: AbortController): ((message: ConverterMessage) => void) | undefined {
  const send = process.send?.bind(process);
  if (!send) return undefined;
  process.on('message', (message: CancelMessage) => {
    if (message?.type === 'cancel') controller.abort();
  });
  return (message) => send(message);
}

async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nconvert: interrupted, cancelling\n');
    controller.abort();
  });
  const toParent = parentChannel(controller);
  const code = await run(argv, controller, toParent);
  process.disconnect?.();
  return code;
}

async function run(argv: string[], controller: AbortController, toParent: ((message: ConverterMessage) => void) | undefined): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        weights: { type: 'string' },
        family: { type: 'string' },
        context: { type: 'string' },
        canvas: { type: 'string' },
        name: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (values.from === undefined || values.to === undefined) throw new UsageError('--from and --to are required');
    const from = fromCaller(values.from);
    const to = fromCaller(values.to);
    const result = await convert(from, {
      to,
      weights: values.weights,
      family: values.family,
      context: values.context === undefined ? undefined : intOption(values.context, 'context', 0, 1, MAX_CONTEXT_TOKENS_LIMIT),
      canvas: values.canvas === undefined ? undefined : intOption(values.canvas, 'canvas', 0, 1, MAX_CANVAS_TOKENS_LIMIT),
      name: values.name,
      signal: controller.signal,
      onProgress: toParent ? (progress) => toParent({ type: 'progress', progress }) : progressPrinter(),
    });
    toParent?.({ type: 'done', dir: result.dir, family: result.family, storage: result.storage, weightsBytes: result.weightsBytes });
    if (result.ignoredTensors.length > 0) {
      const shown = result.ignoredTensors.slice(0, 5).join(', ');
      process.stderr.write(`convert: left out ${result.ignoredTensors.length} checkpoint tensors the graph does not read: ${shown}${result.ignoredTensors.length > 5 ? ', …' : ''}\n`);
    }
    console.log(`converted ${from} → ${result.dir} (${result.family} family, ${result.storage} weights, ${gib(result.weightsBytes)})`);
    return 0;
  } catch (error) {
    if (toParent) toParent({ type: 'failed', message: errorMessage(error), cancelled: error instanceof ConvertError && error.message === CANCELLED });
    if (error instanceof ConvertError && error.message === CANCELLED) {
      process.stderr.write(`convert: cancelled; nothing was written to the destination\n`);
      return 130;
    }
    return failureExit('convert', error, (e) => e instanceof ConvertError);
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
