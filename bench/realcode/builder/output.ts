/**
 * What the real-code builder writes: the tasks (gzipped JSON lines, the format bench/lib/tasks.ts
 * reads), the project list that keeps these projects out of the training corpus, and the tables in
 * the README. Everything is sorted and gzip gets no timestamp, so a rebuild is byte-identical.
 */
import * as zlib from 'node:zlib';
import { cutWindow } from '../../../src/completion/contextWindow';
import type { Hole, HoleKind } from './holes';
import { holeKinds } from './holes';
import type { Language } from './language';
import { safeName, type ProjectSpec } from './projects';

/** The context a task keeps around its hole, cut the way the extension cuts it. */
export const taskWindow = { prefixChars: 4000, suffixChars: 2000 } as const;

export interface RealCodeTask {
  task_id: string;
  language: Language;
  prompt: string;
  suffix: string;
  canonical_solution: string;
  hole: HoleKind;
  project: string;
  /** Path inside the project. */
  path: string;
  /** 1-based line the hole starts on. */
  line: number;
}

/** The task for `hole` in `text` (`\n` line ends), its context cut as the extension cuts it. */
export function makeTask(text: string, hole: Hole, where: { language: Language; project: string; path: string }): RealCodeTask {
  // Each side cut on its own (the other side empty), with the extension's line and surrogate rules.
  const window = {
    prefix: cutWindow(text.slice(0, hole.start), '', taskWindow.prefixChars).prefix,
    suffix: cutWindow('', text.slice(hole.end), taskWindow.suffixChars).suffix,
  };
  const line = hole.line + 1;
  // The three parts must be a window of the file, exactly.
  if (text.slice(hole.start - window.prefix.length, hole.start) !== window.prefix || text.slice(hole.end, hole.end + window.suffix.length) !== window.suffix) {
    throw new Error(`${where.project}/${where.path}:${line}: the cut context is not the file's text around the hole`);
  }
  return {
    task_id: `${where.language}/${where.project}/${where.path}:${line}:${hole.kind}`,
    language: where.language,
    prompt: window.prefix,
    suffix: window.suffix,
    canonical_solution: text.slice(hole.start, hole.end),
    hole: hole.kind,
    project: where.project,
    path: where.path,
    line,
  };
}

function byId(a: RealCodeTask, b: RealCodeTask): number {
  return a.task_id < b.task_id ? -1 : a.task_id > b.task_id ? 1 : 0;
}

/** Gzipped JSON lines, sorted by task id. Node's gzip header carries no time, so equal tasks give equal bytes. */
export function tasksFile(tasks: readonly RealCodeTask[]): Buffer {
  const lines = [...tasks].sort(byId).map((t) => JSON.stringify(t));
  return zlib.gzipSync(lines.join('\n') + '\n', { level: 9 });
}

export interface ProjectRecord {
  name: string;
  language: Language;
  version: string;
  source: string;
  homepage: string;
  licence: string;
  licenceFile: string;
  paths: string[];
  files: number;
  tasks: number;
  sha256: string[];
}

export function licenceFileName(spec: ProjectSpec): string {
  return `LICENSES/${safeName(spec.name)}.txt`;
}

export function projectRecord(spec: ProjectSpec, tasks: readonly RealCodeTask[], sha256: readonly string[]): ProjectRecord {
  const own = tasks.filter((t) => t.project === spec.name && t.language === spec.language);
  const src = spec.source;
  return {
    name: spec.name,
    language: spec.language,
    version: spec.version,
    source: src.kind === 'npm' ? `npm:${src.package}@${spec.version}` : `debian:${src.package}=${src.version}`,
    homepage: spec.homepage,
    licence: spec.licence,
    licenceFile: licenceFileName(spec),
    paths: spec.paths,
    files: new Set(own.map((t) => t.path)).size,
    tasks: own.length,
    sha256: [...new Set(sha256)].sort(),
  };
}

export function projectsFile(records: readonly ProjectRecord[]): string {
  return JSON.stringify({ projects: records }, null, 2) + '\n';
}

const tableStart = '<!-- tables: written by bench/realcode/build.ts -->';
const tableEnd = '<!-- /tables -->';

/** The README's generated tables: projects, and tasks per language and hole kind. */
export function readmeTables(records: readonly ProjectRecord[], tasks: readonly RealCodeTask[]): string {
  const rows = [
    '| Project | Version | Language | Licence | Files | Tasks |',
    '| --- | --- | --- | --- | ---: | ---: |',
    ...records.map((r) => `| [${r.name}](${r.homepage}) | ${r.version} | ${r.language} | ${r.licence} | ${r.files} | ${r.tasks} |`),
    '',
    `| Language | ${holeKinds.join(' | ')} | All |`,
    `| --- |${holeKinds.map(() => ' ---: |').join('')} ---: |`,
  ];
  const langs = [...new Set(records.map((r) => r.language))];
  for (const lang of langs) {
    const own = tasks.filter((t) => t.language === lang);
    rows.push(`| ${lang} | ${holeKinds.map((k) => own.filter((t) => t.hole === k).length).join(' | ')} | ${own.length} |`);
  }
  return rows.join('\n');
}

/** `readme` with the text between the table markers replaced by `tables`. */
export function withTables(readme: string, tables: string): string {
  const start = readme.indexOf(tableStart);
  const end = readme.indexOf(tableEnd);
  if (start < 0 || end < start) throw new Error(`README: needs the markers "${tableStart}" and "${tableEnd}"`);
  return `${readme.slice(0, start + tableStart.length)}\n${tables}\n${readme.slice(end)}`;
}
