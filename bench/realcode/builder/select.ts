/**
 * Drawing the benchmark's holes from many files of several projects: the same per-kind count for
 * every language, projects taking turns so that none dominates, files filled one task at a time so
 * that tasks spread over as many files as possible. Every random choice comes from a PRNG seeded by
 * a hash of a name, so the draw is the same on every run and does not depend on walk order.
 */
import { mulberry32, type Random } from '../../../src/engine/sampler/random';
import { type Hole, type HoleKind, type HolesByKind } from './holes';

/** FNV-1a: a stable 32-bit hash of a string, used only to seed the PRNG. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function seeded(name: string): Random {
  return mulberry32(hash32(name));
}

/** A shuffled copy (Fisher–Yates). */
export function shuffled<T>(items: readonly T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!]; // 0 ≤ j ≤ i < length
  }
  return out;
}

export interface FileHoles {
  project: string;
  /** Path inside the project. */
  path: string;
  holes: HolesByKind;
}

export interface Picked {
  file: FileHoles;
  hole: Hole;
}

export interface DrawOptions {
  /** Tasks of each hole kind. */
  perKind: number;
  /** Most tasks from one file (at most one of each kind). */
  perFile: number;
  /** Most of a kind's tasks from one project. */
  projectShare: number;
}

export const defaultDraw: DrawOptions = { perKind: 50, perFile: 3, projectShare: 0.35 };

/** Scarcest kind first, so the files that have a body are not used up by the other kinds. */
const drawOrder: readonly HoleKind[] = ['body', 'lines', 'line', 'lineRest'];

/** Draws up to `perKind` holes of each kind from the files of one language. */
export function drawHoles(files: readonly FileHoles[], options: DrawOptions = defaultDraw): Picked[] {
  const byProject = new Map<string, FileHoles[]>();
  for (const f of files) {
    const own = byProject.get(f.project);
    if (own) own.push(f);
    else byProject.set(f.project, [f]);
  }
  const projects = [...byProject.keys()].sort();
  // Each project's files in a fixed random order (ties between equally used files go to the
  // earlier), independent of the order they were given in.
  const order = new Map(projects.map((p) => {
    const own = (byProject.get(p) ?? []).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return [p, shuffled(own, seeded(`files:${p}`))];
  }));
  const used = new Map<FileHoles, Set<HoleKind>>();
  const picked: Picked[] = [];
  const cap = Math.max(1, Math.floor(options.perKind * options.projectShare));
  for (const kind of drawOrder) {
    const taken = new Map<string, number>();
    let count = 0;
    for (let progress = true; progress && count < options.perKind; ) {
      progress = false;
      for (const project of projects) {
        if (count >= options.perKind || (taken.get(project) ?? 0) >= cap) continue;
        const file = leastUsedFile(order.get(project) ?? [], kind, used, options.perFile);
        if (!file) continue;
        const candidates = file.holes[kind];
        // leastUsedFile picks only files with a hole of this kind.
        const hole = candidates[Math.floor(seeded(`hole:${file.project}/${file.path}:${kind}`)() * candidates.length)]!;
        picked.push({ file, hole });
        const kinds = used.get(file);
        if (kinds) kinds.add(kind);
        else used.set(file, new Set([kind]));
        taken.set(project, (taken.get(project) ?? 0) + 1);
        count++;
        progress = true;
      }
    }
  }
  return picked;
}

function leastUsedFile(files: readonly FileHoles[], kind: HoleKind, used: Map<FileHoles, Set<HoleKind>>, perFile: number): FileHoles | undefined {
  let best: FileHoles | undefined;
  let bestUse = perFile;
  for (const f of files) {
    const kinds = used.get(f);
    const use = kinds?.size ?? 0;
    if (use < bestUse && f.holes[kind].length > 0 && !kinds?.has(kind)) {
      best = f;
      bestUse = use;
    }
  }
  return best;
}
