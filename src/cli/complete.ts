/**
 * `npm run complete -- FILE:LINE:COL [options]` — fill the middle at a position in a file, or
 * `FILE:L1:C1-L2:C2` to regenerate a span, through the same child process and client the editor
 * uses. Prints the completion between rules, then its statistics.
 */
import * as path from 'path';
import { parseArgs, type ParseArgsConfig } from 'util';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { EngineClientError, startEngineClient } from '../client/engineClient';
import type { EngineClient } from '../client/types';
import { infillRequest, modelWindow } from '../completion/infillRequest';
import { cachedRefreshEveryDefault } from '../protocol/cachedMode';
import { deviceSettings, requestLimits, samplerKinds } from '../protocol/protocol';
import type { DeviceInfo, DeviceSetting, InfillRequest, InitializeRequest, LogNotification, SamplerKind } from '../protocol/protocol';
import { fromLf } from '../protocol/text';
import { UsageError, callerDirectory, engineChoice, engineOptionSpecs, intOption, oneOf, type EngineChoice } from './options';
import { writeDump } from './dump';
import { ms, progressLine, statsLines, styles } from './report';
import { languageOf, parseTarget, readSource, splitAt, type Split, type Target } from './source';

const usage = `Usage: npm run complete -- FILE:LINE:COL [options]
       npm run complete -- FILE:L1:C1-L2:C2 [options]   (regenerate the span)

Fills the middle at a position of FILE (1-based line and column) with the diffusion model.
FILE and --model are relative to the directory you ran npm from.

Options:
  --sampler ${samplerKinds.join('|')}   denoising sampler (default saber)
  --steps N          most forward passes to spend, 1 to 4096 (default 48)
  --max-tokens N     canvas length: most tokens of the middle (default 128, capped by the model)
  --model DIR        model folder holding dllm.json (default: the bundled model)
  --device ${deviceSettings.join('|')}                     where the model runs (default auto)
  --threads N        CPU threads, 1 to 1024 (default: the engine's choice)
  --refresh-every K  a converted model's cached mode: refresh every K passes, 0 = exact (default ${cachedRefreshEveryDefault})
  --seed N           seed of the sampler's random source
  --temperature T    softmax temperature, 0 to 100 (default 0: most likely token)
  --language ID      VS Code language id (default: from the file extension)
  --progress         show the canvas as it denoises (on stderr)
  --json             print the result as JSON instead of text
  --verbose          print the server's log lines (on stderr)
  --dump-logits OUT  write the first pass's sequence and top-20 canvas logits to OUT (JSON)
  -h, --help         this text`;

/** The server's own limits, checked here so errors name the CLI's options. */
export const engineLimits = { steps: requestLimits.tokens, threads: requestLimits.threads, temperature: requestLimits.temperature } as const;

interface CliOptions extends EngineChoice {
  target: Target;
  /** The target's file, resolved against the caller's directory. */
  filePath: string;
  sampler: SamplerKind;
  steps: number;
  maxTokens: number;
  seed?: number;
  temperature?: number;
  language?: string;
  progress: boolean;
  json: boolean;
  verbose: boolean;
  /** Where to write the first pass's canvas logits (src/protocol/firstPass.ts), absolute. */
  dumpLogits?: string;
}

const optionSpecs = {
  sampler: { type: 'string' },
  steps: { type: 'string' },
  'max-tokens': { type: 'string' },
  ...engineOptionSpecs,
  seed: { type: 'string' },
  temperature: { type: 'string' },
  language: { type: 'string' },
  progress: { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  'dump-logits': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const valueOptions = new Set(Object.entries(optionSpecs).filter(([, spec]) => spec.type === 'string').map(([name]) => `--${name}`));

/**
 * `--steps -3` as `--steps=-3`: parseArgs takes a value starting with `-` for an option and says
 * only that it is ambiguous; joined, the value reaches the check that explains the range.
 */
function joinNegativeValues(argv: string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return [...joined, ...argv.slice(i)];
    const next = argv[i + 1];
    if (valueOptions.has(arg) && next !== undefined && /^-(?:\d|\.\d|Infinity)/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** Reads the command line; relative paths are resolved against `base`, the caller's directory. */
export function parseCommandLine(argv: string[], base = callerDirectory()): CliOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv), allowPositionals: true, options: optionSpecs });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [spec] = positionals;
  if (spec === undefined) throw new UsageError('which FILE:LINE:COL?');
  if (positionals.length > 1) throw new UsageError(`one FILE:LINE:COL expected, got ${positionals.join(' ')}`);
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new UsageError(`--seed must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}, got "${values.seed}"`);
    }
  }
  let temperature: number | undefined;
  if (values.temperature !== undefined) {
    temperature = Number(values.temperature);
    if (!Number.isFinite(temperature) || temperature < 0 || temperature > engineLimits.temperature) {
      throw new UsageError(`--temperature must be a number from 0 to ${engineLimits.temperature}, got "${values.temperature}"`);
    }
  }
  const target = parseTarget(spec);
  return {
    target,
    filePath: path.resolve(base, target.file),
    sampler: oneOf(values.sampler, 'sampler', samplerKinds, 'saber'),
    steps: intOption(values.steps, 'steps', 48, 1, engineLimits.steps),
    // No upper bound: the model caps the canvas and the summary says so.
    maxTokens: intOption(values['max-tokens'], 'max-tokens', 128),
    ...engineChoice(values, base),
    seed,
    temperature,
    language: values.language,
    progress: values.progress ?? false,
    json: values.json ?? false,
    verbose: values.verbose ?? false,
    ...(values['dump-logits'] === undefined ? {} : { dumpLogits: path.resolve(base, values['dump-logits']) }),
  };
}

const out = styles(process.stdout);
const err = styles(process.stderr);

function rule(title = ''): string {
  const width = Math.min(process.stdout.columns || 72, 72);
  if (!title) return out.dim('─'.repeat(width));
  const side = Math.max(2, Math.floor((width - title.length - 2) / 2));
  return out.dim(`${'─'.repeat(side)} ${title} ${'─'.repeat(Math.max(2, width - side - title.length - 2))}`);
}

function printResult(options: CliOptions, init: InitializeRequest.Result, maxTokens: number, split: Split, result: InfillRequest.Result): void {
  const { target } = options;
  const at = target.end
    ? `${target.file}:${target.start.line}:${target.start.column}-${target.end.line}:${target.end.column}`
    : `${target.file}:${target.start.line}:${target.start.column}`;
  const device = init.device.threads ? `${init.device.provider} (${init.device.threads} threads)` : init.device.provider;
  console.log(out.dim(`${init.model.name} on ${device} · ready in ${ms(init.startupMs)}`));
  const capped = maxTokens < options.maxTokens ? ` (capped from ${options.maxTokens} by the model)` : '';
  const what = target.end ? `regenerating ${split.selected.length} characters at ${at}` : at;
  console.log(out.dim(`${what} · ${options.language || 'plain text'} · ${options.sampler} · canvas ${maxTokens}${capped} · budget ${options.steps} passes`));
  if (target.end) {
    console.log(rule('selection (replaced)'));
    process.stdout.write(out.dim(split.selected) + (split.selected.endsWith('\n') ? '' : '\n'));
  }
  console.log(rule('completion'));
  if (result.text.length === 0) console.log(out.dim('(empty)'));
  else process.stdout.write(out.green(result.text) + (result.text.endsWith('\n') ? '' : '\n'));
  console.log(rule());
  for (const line of statsLines(result, out)) console.log(line);
}

/** The inference child's bundle, dist/server.js, whether this runs bundled (dist/complete.js) or from src/cli under tsx. */
export function serverModulePath(from = __dirname): string {
  const dist = path.basename(from) === 'dist' ? from : path.resolve(from, '..', '..', 'dist');
  return path.join(dist, 'server.js');
}

/** A plain line when `--device gpu` was asked for but the engine runs elsewhere, as the extension warns. */
export function deviceNotice(asked: DeviceSetting, device: DeviceInfo): string | undefined {
  if (asked !== 'gpu' || device.kind === 'gpu') return undefined;
  return '--device gpu: no GPU provider started; ran on the CPU';
}

/**
 * Server log lines on stderr: warnings as they come, the rest with --verbose. Errors wait for the
 * end, so the one that merely repeats the failure being reported is not printed twice.
 */
class ServerLogPrinter {
  private readonly errors: string[] = [];

  constructor(private readonly verbose: boolean) {}

  print = (entry: LogNotification.Params): void => {
    if (entry.level === 'error') this.errors.push(entry.message);
    else if (entry.level === 'warn') console.error(err.yellow(`server: ${entry.message}`));
    else if (this.verbose) console.error(err.dim(`server: ${entry.message}`));
  };

  flushErrors(alreadyReported?: string): void {
    for (const message of this.errors) if (message !== alreadyReported) console.error(err.red(`server: ${message}`));
    this.errors.length = 0;
  }
}

async function run(options: CliOptions, serverLog: ServerLogPrinter): Promise<void> {
  const { target } = options;
  const text = readSource(options.filePath, target.file);
  const split = splitAt(text, target);
  options.language ??= languageOf(target.file);

  const serverModule = serverModulePath();
  let client: EngineClient | undefined;
  const cancel = new CancellationTokenSource();
  process.once('SIGINT', () => {
    console.error(err.yellow('\ninterrupted: cancelling'));
    cancel.cancel();
  });
  try {
    client = await startEngineClient({
      serverModule,
      onLog: serverLog.print,
    });
    const init = await client.initialize({ modelDir: options.modelDir, device: options.device, threads: options.threads, cachedRefreshEvery: options.cachedRefreshEvery, clientName: 'dllm complete (command line)' });
    const notice = deviceNotice(options.device, init.device);
    if (notice) console.error(`${err.yellow('complete:')} ${notice}`);
    const maxTokens = Math.min(options.maxTokens, init.model.maxCanvasTokens);
    const sampler: InfillRequest.Params['sampler'] = { kind: options.sampler };
    if (options.seed !== undefined) sampler.seed = options.seed;
    if (options.temperature !== undefined) sampler.temperature = options.temperature;
    const live = options.progress && process.stderr.isTTY === true;
    // The text this model reads around the target, cut as the editor cuts it: a large file stays out of the request.
    const window = modelWindow(split.prefix, split.suffix, init.model.maxContextTokens);
    const result = await client.infill(
      infillRequest({ window, language: options.language, budget: { maxTokens, stepBudget: options.steps, sampler }, mode: 'command', dumpFirstPass: options.dumpLogits !== undefined }),
      cancel.token,
      options.progress
        ? (value) => {
            const line = progressLine(value, options.steps, process.stderr.columns || 100);
            process.stderr.write(live ? `\r\x1b[2K${err.dim(line)}` : `${line}\n`);
          }
        : undefined,
    );
    if (live) process.stderr.write('\r\x1b[2K');
    if (options.dumpLogits !== undefined) writeDump(options.dumpLogits, result.firstPass);
    // The answer in the file's own line ends, as an editor would insert it.
    const answer = { ...result, text: fromLf(result.text, split.lineEnd) };
    if (options.json) console.log(JSON.stringify({ model: init.model, device: init.device, warnings: init.warnings, startupMs: init.startupMs, ...answer }, null, 2));
    else printResult(options, init, maxTokens, split, answer);
  } finally {
    await client?.stop();
  }
}

async function main(): Promise<number> {
  let serverLog: ServerLogPrinter | undefined;
  try {
    const options = parseCommandLine(process.argv.slice(2));
    if (options === 'help') {
      console.log(usage);
      return 0;
    }
    serverLog = new ServerLogPrinter(options.verbose);
    await run(options, serverLog);
    serverLog.flushErrors();
    return 0;
  } catch (error) {
    serverLog?.flushErrors(error instanceof Error ? error.message : undefined);
    if (error instanceof UsageError) {
      console.error(`${err.red('complete:')} ${error.message}\n${err.dim('Try: npm run complete -- --help')}`);
      return 2;
    }
    if (error instanceof EngineClientError) {
      console.error(`${err.red('complete:')} ${error.message}`);
      return 1;
    }
    console.error(`${err.red('complete: unexpected failure:')} ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  }
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
