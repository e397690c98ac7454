/**
 * The published diffusion code models the extension can download and convert: the one list the
 * Add Model… picker, `npm run models -- list` and the weights choice read. Sizes are approximate
 * (the checkpoints are bf16: about 2 bytes a parameter); licences are as the model cards state
 * them, and a research-only or non-commercial one is marked so it is shown before a download.
 * Not here: CoDA (non-commercial, and a different architecture), block-diffusion models.
 */
import { weightsForDevice, type WeightStorage } from '../convert/storages';

export type Restriction = 'research-only' | 'non-commercial';

export interface CatalogueEntry {
  /** The Hub repository id. */
  repo: string;
  /** How a picker names it. */
  label: string;
  parameters: number;
  family: 'dream' | 'llada';
  /** Passed to the converter when config.json names another family (Open-dCoder's says qwen2). */
  familyOverride?: 'dream';
  licence: string;
  restriction?: Restriction;
  /** Where it is meant to run: decides the weights it is converted to. */
  runsOn: 'cpu' | 'gpu';
  /** The speed to expect, in a sentence. */
  speed: string;
}

const DREAM_7B = 7.6e9;
const GPU_SPEED = 'needs a GPU and about 30 GB of memory; far too slow on a CPU';
const DIFFUCODER_LICENCE = "Apple's model licence: research use only";

export const CATALOGUE: readonly CatalogueEntry[] = [
  {
    repo: 'fredzzp/open-dcoder-0.5B', label: 'Open-dCoder 0.5B', parameters: 0.5e9, family: 'dream', familyOverride: 'dream',
    licence: 'see its model card', runsOn: 'cpu',
    speed: 'runs on a CPU: with a full 1024-token window on 2 cores, about 12 s a completion at the default refresh interval, about 2 s a keystroke while typing with dllm.cachedRefreshEvery 32; a short file is much faster',
  },
  { repo: 'Dream-org/Dream-Coder-v0-Instruct-7B', label: 'Dream-Coder v0 Instruct 7B', parameters: DREAM_7B, family: 'dream', licence: 'Apache 2.0', runsOn: 'gpu', speed: GPU_SPEED },
  { repo: 'Dream-org/Dream-Coder-v0-Base-7B', label: 'Dream-Coder v0 Base 7B', parameters: DREAM_7B, family: 'dream', licence: 'Apache 2.0', runsOn: 'gpu', speed: GPU_SPEED },
  { repo: 'Dream-org/DreamOn-v0-7B', label: 'DreamOn v0 7B', parameters: DREAM_7B, family: 'dream', licence: 'Apache 2.0', runsOn: 'gpu', speed: GPU_SPEED },
  { repo: 'Dream-org/Dream-v0-Instruct-7B', label: 'Dream v0 Instruct 7B', parameters: DREAM_7B, family: 'dream', licence: 'Apache 2.0', runsOn: 'gpu', speed: GPU_SPEED },
  { repo: 'Dream-org/Dream-v0-Base-7B', label: 'Dream v0 Base 7B', parameters: DREAM_7B, family: 'dream', licence: 'Apache 2.0', runsOn: 'gpu', speed: GPU_SPEED },
  ...['Base', 'Instruct', 'cpGRPO'].map((variant): CatalogueEntry => ({
    repo: `apple/DiffuCoder-7B-${variant}`, label: `DiffuCoder 7B ${variant}`, parameters: DREAM_7B, family: 'dream',
    licence: DIFFUCODER_LICENCE, restriction: 'research-only', runsOn: 'gpu', speed: GPU_SPEED,
  })),
  { repo: 'GSAI-ML/LLaDA-8B-Instruct', label: 'LLaDA 8B Instruct', parameters: 8e9, family: 'llada', licence: 'MIT', runsOn: 'gpu', speed: GPU_SPEED },
  { repo: 'GSAI-ML/LLaDA-8B-Base', label: 'LLaDA 8B Base', parameters: 8e9, family: 'llada', licence: 'MIT', runsOn: 'gpu', speed: GPU_SPEED },
  { repo: 'GSAI-ML/LLaDA-1.5', label: 'LLaDA 1.5', parameters: 8e9, family: 'llada', licence: 'MIT', runsOn: 'gpu', speed: GPU_SPEED },
];

/** The entry for `repo` (the Hub's ids are case-insensitive). */
export function findEntry(repo: string): CatalogueEntry | undefined {
  return CATALOGUE.find((e) => e.repo.toLowerCase() === repo.toLowerCase());
}

/** The bf16 checkpoint's approximate size. */
export function downloadBytes(entry: CatalogueEntry): number {
  return entry.parameters * 2;
}

/** The weights a model is converted to: what suits the device it runs on (a repository entered by hand: a CPU model). */
export function weightsFor(entry: Pick<CatalogueEntry, 'runsOn'> | undefined): WeightStorage {
  return weightsForDevice(entry?.runsOn ?? 'cpu');
}

/**
 * Bytes a parameter takes once converted, rounded up: int8/int4/int8-channel with their scales, plus
 * the fp16 embedding table they keep (a 0.5 B model measured 820 MiB int8, 578 MiB int4, 737 MiB
 * int8-channel).
 */
const BYTES_PER_PARAMETER: Record<string, number> = { fp32: 4, fp16: 2, int8: 1.8, int4: 1.3, 'int8-channel': 1.6 };

/** The converted model's estimated size from the checkpoint's bf16 weights (`weightBytes`, 2 bytes a parameter). */
export function convertedBytes(weightBytes: number, weights: string): number {
  return Math.ceil((weightBytes / 2) * (BYTES_PER_PARAMETER[weights] ?? 4));
}

/** `1.0 GB`, `15 GB`: sizes as a picker shows them. */
export function formatSize(bytes: number): string {
  return bytes < 10e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e9)} GB`;
}

/** The one line a picker or a listing gives an entry: parameters, size, licence, where it runs. */
export function describeEntry(entry: CatalogueEntry): string {
  const params = `${(entry.parameters / 1e9).toFixed(1)} B`;
  const licence = entry.restriction ? `licence: ${entry.licence} (${entry.restriction.toUpperCase()})` : `licence: ${entry.licence}`;
  return `${params} parameters · ~${formatSize(downloadBytes(entry))} download · ${licence} · ${entry.speed}`;
}
