/**
 * "dLLM: Add Model…": a published diffusion model is downloaded from the Hugging Face Hub into the
 * extension's download cache (src/download, through Node's http modules, so VS Code's proxy
 * settings apply), with a cancellable notification showing bytes, rate and time left; then
 * converted and selected by the Convert command's own flow. The picker offers the catalogue, a
 * repository id typed in, and a local checkpoint folder. A cancelled or failed download keeps its
 * partial files for the next try and never leaves a model folder.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { CATALOGUE, convertedBytes, describeEntry, findEntry, weightsFor, type CatalogueEntry } from '../download/catalogue';
import { DownloadError } from '../download/errors';
import { hubEndpoint, hubToken, isRepoId } from '../download/hubRoutes';
import { freeFolder, modelFolderName } from '../download/places';
import { describeProgress } from '../download/progress';
import { pull, type PullResult } from '../download/pull';
import { convertCheckpoint, type ConvertCommandDeps, type ConvertCommandOutcome } from './convertCommand';

export interface AddModelDeps extends ConvertCommandDeps {
  /** The download cache (the extension's global storage): partial files wait here for a resume. */
  downloadsDir: string;
}

/** Tests and links may name what to add instead of choosing it: a Hub repository, or a local checkpoint folder. */
export interface AddModelArgs {
  repo?: string;
  revision?: string;
  /** Another Hub (a mirror, a test server); default HF_ENDPOINT or huggingface.co. */
  endpoint?: string;
  weights?: string;
  folder?: string;
}

export interface AddModelOutcome extends ConvertCommandOutcome {
  /** How the download ended; absent when nothing was downloaded. */
  download?: { ok: true; dir: string } | { ok: false; kind: DownloadError['kind']; message: string };
}

type SourceItem = vscode.QuickPickItem & { entry?: CatalogueEntry; enter?: true; local?: true };

export async function addModel(deps: AddModelDeps, args: AddModelArgs = {}): Promise<AddModelOutcome> {
  if (args.folder !== undefined) return convertCheckpoint(deps, { from: args.folder });
  let repo = args.repo;
  if (repo === undefined) {
    const picked = await pickSource();
    if (picked === undefined) return {};
    if (picked === 'local') return convertCheckpoint(deps);
    repo = picked;
  }
  const entry = findEntry(repo);
  if (entry?.restriction && args.repo === undefined && !(await acceptsLicence(entry))) return {};
  const weights = args.weights ?? weightsFor(entry);
  const to = freeFolder(path.join(deps.modelsDir, modelFolderName(repo)));
  const endpoint = args.endpoint ?? hubEndpoint(process.env);
  deps.log.info(`Adding ${repo}${args.revision ? `@${args.revision}` : ''} from ${endpoint}: ${weights} weights, into ${to}.`);

  let download: PullResult;
  try {
    download = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `dLLM: Downloading ${repo}`, cancellable: true },
      (progress, token) => {
        const abort = new AbortController();
        const cancelled = token.onCancellationRequested(() => abort.abort());
        let reported = 0;
        return pull({
          repo: entry?.repo ?? repo,
          revision: args.revision,
          endpoint,
          token: hubToken(process.env),
          downloadsDir: deps.downloadsDir,
          output: { dir: to, bytes: (b) => convertedBytes(b, weights) },
          signal: abort.signal,
          userAgent: 'dllm-complete-vscode',
          onProgress: (p) => {
            const percent = p.bytesTotal > 0 ? (100 * p.bytesDone) / p.bytesTotal : 100;
            progress.report({ increment: percent - reported, message: describeProgress(p) });
            reported = percent;
          },
        }).finally(() => {
          cancelled.dispose();
        });
      },
    );
  } catch (error) {
    if (!(error instanceof DownloadError)) throw error;
    reportFailure(deps, repo, error, endpoint);
    return { download: { ok: false, kind: error.kind, message: error.message } };
  }
  deps.log.info(`Downloaded ${repo} at ${download.sha}: ${download.files.length} files verified in ${download.dir}.`);
  const outcome = await convertCheckpoint(deps, { from: download.dir, to, weights, family: entry?.familyOverride });
  // The converted model is what runs: the checkpoint's gigabytes go once it is there.
  if (outcome.conversion?.ok) fs.rmSync(download.dir, { recursive: true, force: true });
  return { ...outcome, download: { ok: true, dir: download.dir } };
}

function reportFailure(deps: AddModelDeps, repo: string, error: DownloadError, endpoint: string): void {
  deps.log.warn(`Download of ${repo} ${error.kind === 'cancelled' ? 'cancelled' : `failed: ${error.message}`}.`);
  if (error.kind === 'cancelled') {
    void vscode.window.showInformationMessage(`dLLM: Download of ${repo} cancelled. The part already downloaded is kept: Add Model… again resumes it (Select Model… → Remove… deletes it).`);
    return;
  }
  const actions = error.kind === 'unauthorized' ? ['Open Model Page'] : [];
  void vscode.window.showErrorMessage(`dLLM: Cannot download ${repo}: ${error.message}`, ...actions).then((choice) => {
    if (choice) void vscode.env.openExternal(vscode.Uri.parse(`${endpoint}/${repo}`));
  });
}

/** The catalogue, a repository id typed in, or a local folder ('local'); undefined when dismissed. */
async function pickSource(): Promise<string | undefined> {
  const items: SourceItem[] = CATALOGUE.map((entry) => ({
    label: `$(cloud-download) ${entry.label}`,
    description: entry.repo,
    detail: describeEntry(entry),
    entry,
  }));
  items.push(
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: '$(edit) Enter a repository id…', description: 'another Dream- or LLaDA-family model on the Hub', enter: true },
    { label: '$(folder-opened) Convert a local Hugging Face folder…', description: 'a checkpoint already on this machine', local: true },
  );
  const picked = await vscode.window.showQuickPick(items, { title: 'dLLM: Add Model', placeHolder: 'A published diffusion code model to download, convert and use', matchOnDescription: true });
  if (!picked) return undefined;
  if (picked.local) return 'local';
  if (picked.entry) return picked.entry.repo;
  return vscode.window.showInputBox({
    title: 'dLLM: Add Model from the Hugging Face Hub',
    prompt: 'The repository id of a Dream- or LLaDA-family checkpoint with safetensors weights',
    placeHolder: 'org/name',
    validateInput: (value) => (isRepoId(value.trim()) ? undefined : 'A repository id looks like org/name'),
  }).then((value) => value?.trim());
}

/** A research-only or non-commercial licence is shown, and must be accepted, before anything is downloaded. */
async function acceptsLicence(entry: CatalogueEntry): Promise<boolean> {
  const choice = await vscode.window.showWarningMessage(
    `${entry.label} is licensed for ${entry.restriction === 'research-only' ? 'research use only' : 'non-commercial use only'} (${entry.licence}).`,
    { modal: true, detail: `Download it only if your use is allowed. Its model card: https://huggingface.co/${entry.repo}` },
    'Download',
  );
  return choice === 'Download';
}
