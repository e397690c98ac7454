/**
 * `npm run models -- pull REPO …` and `npm run models -- list`: a published diffusion model is
 * downloaded from the Hugging Face Hub (src/download: HF_ENDPOINT and HF_TOKEN honoured), verified,
 * converted (src/convert) and left in a model folder; `list` shows the catalogue and the models
 * already converted. Progress goes to stderr, the result to stdout; a failure is one line
 * `models: <why>` with exit code 1 (2 for a usage mistake), Ctrl-C cancels (130), keeping the
 * partial download for the next pull and leaving no model folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { convert } from '../convert/convert';
import { ConvertError } from '../convert/errors';
import { CANCELLED, WEIGHT_STORAGES, type WriteProgress } from '../convert/weightsFile';
import { CATALOGUE, convertedBytes, describeEntry, findEntry, weightsFor } from '../download/catalogue';
import { DownloadError, gib } from '../download/errors';
import { hubEndpoint, hubToken } from '../download/hubRoutes';
import { cacheRoot, convertedModels, folderBytes, freeFolder, modelFolderName } from '../download/places';
import { describeProgress, type DownloadProgress } from '../download/progress';
import { pull } from '../download/pull';
import { UsageError, callerDirectory, failureExit } from './options';

const USAGE = `Usage: npm run models -- pull REPO [options]
       npm run models -- list

pull: downloads REPO (a Hugging Face repository id, e.g. fredzzp/open-dcoder-0.5B) from the Hub,
verifies each file, converts the checkpoint into a model folder and prints where it is.
  --revision REV     a branch, tag or commit (default main)
  --to DIR           the model folder to create (default ${path.join(cacheRoot(), 'models', '<name>')})
  --weights W        ${WEIGHT_STORAGES.join(', ')} (default: the catalogue's choice for the model)
  --keep-download    keep the downloaded checkpoint (default: removed once converted)
list: the models the catalogue offers, and those already converted under the default folder.

HF_ENDPOINT (default https://huggingface.co) and HF_TOKEN (gated models) are honoured;
HTTPS_PROXY is not (Node's http does not read it). Downloads are kept under ${path.join(cacheRoot(), 'downloads')}
until converted: an interrupted pull resumes.`;

function progressLine(): (line: string, fraction: number) => void {
  let lastTenth = -1;
  return (line, fraction) => {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}${fraction >= 1 ? '\n' : ''}`);
    else if (Math.floor(fraction * 10) > lastTenth) {
      lastTenth = Math.floor(fraction * 10);
      process.stderr.write(`${line}\n`);
    }
  };
}

async function pullCommand(argv: string[], signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { revision: { type: 'string' }, to: { type: 'string' }, weights: { type: 'string' }, 'keep-download': { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'pull needs a repository id' : `unexpected argument "${positionals[1]}"`);
  const repo = positionals[0]!;
  const entry = findEntry(repo);
  const storages = WEIGHT_STORAGES as readonly string[];
  const weights = values.weights ?? weightsFor(entry);
  if (!storages.includes(weights)) throw new UsageError(`--weights must be one of ${storages.join(', ')}, got "${weights}"`);
  const root = cacheRoot();
  const to = values.to === undefined ? freeFolder(path.join(root, 'models', modelFolderName(repo))) : path.resolve(callerDirectory(), values.to);
  if (entry?.restriction) process.stderr.write(`models: note: ${entry.repo} is licensed ${entry.licence} (${entry.restriction})\n`);
  const downloadLine = progressLine();
  const download = await pull({
    repo: entry?.repo ?? repo,
    revision: values.revision,
    endpoint: hubEndpoint(),
    token: hubToken(),
    downloadsDir: path.join(root, 'downloads'),
    output: { dir: to, bytes: (b) => convertedBytes(b, weights) },
    signal,
    onProgress: (p: DownloadProgress) => downloadLine(`models: downloading ${p.file}: ${describeProgress(p)}`, p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : 1),
    userAgent: 'dllm-complete-cli',
  });
  process.stderr.write(`models: downloaded and verified ${download.files.length} files (${gib(download.bytes)}) at ${download.sha.slice(0, 12)}\n`);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  const convertLine = progressLine();
  const result = await convert(download.dir, {
    to,
    weights,
    family: entry?.familyOverride,
    signal,
    onProgress: (p: WriteProgress) => convertLine(`models: converting: ${p.tensorsDone}/${p.tensorsTotal} tensors, ${gib(p.bytesDone)} of ${gib(p.bytesTotal)}`, p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : 1),
  });
  if (!values['keep-download']) fs.rmSync(download.dir, { recursive: true, force: true });
  console.log(`pulled ${repo} → ${result.dir} (${result.family} family, ${result.storage} weights, ${gib(result.weightsBytes)})`);
  return 0;
}

function listCommand(): number {
  console.log('Published models (npm run models -- pull REPO):\n');
  for (const entry of CATALOGUE) console.log(`  ${entry.repo}\n    ${entry.label}: ${describeEntry(entry)}; converted to ${weightsFor(entry)}`);
  const root = cacheRoot();
  const models = convertedModels(path.join(root, 'models'));
  console.log(`\nConverted models in ${path.join(root, 'models')}:${models.length === 0 ? ' none' : ''}`);
  for (const dir of models) console.log(`  ${dir} (${gib(folderBytes(dir))})`);
  const downloads = path.join(root, 'downloads');
  if (fs.existsSync(downloads) && fs.readdirSync(downloads).length > 0) console.log(`\nDownloads not yet converted (resumed by the next pull; delete the folder to free the space): ${downloads} (${gib(folderBytes(downloads))})`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nmodels: interrupted, cancelling\n');
    controller.abort();
  });
  const [command, ...rest] = argv;
  try {
    if (command === 'pull') return await pullCommand(rest, controller.signal);
    if (command === 'list' && rest.length === 0) return listCommand();
    if (command === undefined || command === '-h' || command === '--help') {
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command "${argv.join(' ')}"`);
  } catch (error) {
    if ((error instanceof DownloadError && error.kind === 'cancelled') || (error instanceof ConvertError && error.message === CANCELLED)) {
      process.stderr.write(`models: cancelled; no model folder was written${error instanceof DownloadError ? ' (the partial download is kept: the next pull resumes it)' : ''}\n`);
      return 130;
    }
    return failureExit('models', error, (e) => e instanceof DownloadError || e instanceof ConvertError);
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
