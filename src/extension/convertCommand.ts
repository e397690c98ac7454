/**
 * "dLLM: Convert a Hugging Face Checkpoint…": a published diffusion model's checkpoint folder
 * (config.json, *.safetensors, tokenizer.json) becomes a model folder under the extension's global
 * storage, converted in a child process with a cancellable progress notification, then selected
 * like any model folder. Nothing is left behind when the conversion fails or is cancelled.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { folderName, freeFolder } from '../download/places';
import { runConverter, type ConvertOutcome } from '../supervision/converterProcess';
import { selectModel, type ModelChoiceOutcome, type ModelCommandDeps } from './modelCommands';

export interface ConvertCommandDeps extends ModelCommandDeps {
  converterModule: string;
  modelsDir: string;
}

/** Tests and links may name the folders instead of choosing them in dialogs. */
export interface ConvertArgs {
  from?: string;
  to?: string;
  /** One of the converter's WEIGHT_STORAGES. */
  weights?: string;
  /** A family id that overrides config.json's (Open-dCoder's says qwen2). */
  family?: string;
}

export interface ConvertCommandOutcome extends ModelChoiceOutcome {
  /** How the conversion ended; absent when no folder was chosen. */
  conversion?: ConvertOutcome;
}

export async function convertCheckpoint(deps: ConvertCommandDeps, args: ConvertArgs = {}): Promise<ConvertCommandOutcome> {
  const from = args.from ?? (await chooseCheckpoint());
  if (from === undefined) return {};
  const to = args.to ?? freeFolder(path.join(deps.modelsDir, folderName(from)));
  fs.mkdirSync(path.dirname(to), { recursive: true });
  deps.log.info(`Converting the checkpoint ${from} into ${to}.`);
  const conversion = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `dLLM: Converting ${path.basename(from)}`, cancellable: true },
    (progress, token) => {
      const abort = new AbortController();
      const cancelled = token.onCancellationRequested(() => abort.abort());
      let reported = 0;
      return runConverter(
        deps.converterModule,
        { from, to, weights: args.weights, family: args.family },
        (p) => {
          const percent = p.bytesTotal > 0 ? (100 * p.bytesDone) / p.bytesTotal : 100;
          progress.report({ increment: percent - reported, message: `${gb(p.bytesDone)} of ${gb(p.bytesTotal)} GB written` });
          reported = percent;
        },
        abort.signal,
      ).finally(() => {
        cancelled.dispose();
      });
    },
  );
  if (!conversion.ok) {
    deps.log.warn(`Conversion of ${from} ${conversion.cancelled ? 'cancelled' : `failed: ${conversion.message}`}.`);
    if (conversion.cancelled) void vscode.window.showInformationMessage('dLLM: Conversion cancelled; nothing was written.');
    else void vscode.window.showErrorMessage(`dLLM: Cannot convert ${from}: ${conversion.message}`);
    return { conversion };
  }
  deps.log.info(`Converted ${from}: ${conversion.family} family, ${conversion.storage} weights, ${gb(conversion.weightsBytes)} GB in ${conversion.dir}.`);
  return { conversion, ...(await selectModel(deps, conversion.dir)) };
}

async function chooseCheckpoint(): Promise<string | undefined> {
  const chosen = await vscode.window.showOpenDialog({
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    openLabel: 'Convert This Checkpoint',
    title: 'Select a Hugging Face checkpoint folder (config.json, *.safetensors, tokenizer.json) of a Dream- or LLaDA-family model',
  });
  return chosen?.[0]?.fsPath;
}

function gb(bytes: number): string {
  return (bytes / 1e9).toFixed(bytes < 1e10 ? 2 : 1);
}
