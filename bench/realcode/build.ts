/**
 * `npx tsx bench/realcode/build.ts` — rebuilds the real-code benchmark in bench/realcode:
 * fill-in-the-middle tasks cut from pinned releases of projects the training corpus never reads,
 * with their licences and the list (paths and content hashes) the corpus builder refuses.
 * Downloads are cached; a rebuild from the cache is offline and byte-identical.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { toLf } from '../../src/protocol/text';
import { intOption, runMain } from '../../src/cli/options';
import { licenceText, unpackedRelease } from './builder/fetch';
import { decodeUtf8, skipReason, sourceDigests, walk } from './builder/files';
import { findHoles, holeKinds } from './builder/holes';
import { languages } from './builder/language';
import {
  licenceFileName, makeTask, projectRecord, projectsFile, readmeTables, tasksFile, withTables, type RealCodeTask,
} from './builder/output';
import { projects, type ProjectSpec } from './builder/projects';
import { defaultDraw, drawHoles, seeded, type FileHoles } from './builder/select';
import { repoRoot } from '../lib/tasks';

const usage = `Usage: npx tsx bench/realcode/build.ts [options]

Options:
  --cache DIR      downloads and unpacked releases (default .cache/realcode)
  --out DIR        where the benchmark is written (default bench/realcode)
  --per-kind N     tasks per hole kind and language (default ${defaultDraw.perKind})
  -h, --help       this text`;

interface Loaded {
  spec: ProjectSpec;
  files: FileHoles[];
  /** File texts by path inside the project (`\n` line ends). */
  texts: Map<string, string>;
  sha256: string[];
  licence: string;
  skipped: Map<string, number>;
}

/** Reads one project: its candidate holes, its fingerprints, its licence. */
function load(spec: ProjectSpec, cacheDir: string): Loaded {
  const unpacked = unpackedRelease(spec, cacheDir);
  const root = path.join(unpacked, spec.root);
  const files: FileHoles[] = [];
  const texts = new Map<string, string>();
  const skipped = new Map<string, number>();
  for (const rel of walk(root).filter((f) => spec.include.test(f))) {
    const raw = fs.readFileSync(path.join(root, rel));
    const reason = skipReason(rel, raw, spec.language);
    if (reason) {
      skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
      continue;
    }
    // The editor shows neither a byte-order mark nor `\r`: the tasks hold the text as seen.
    const text = toLf((decodeUtf8(raw) ?? '').replace(/^\uFEFF/, ''));
    texts.set(rel, text);
    files.push({ project: spec.name, path: rel, holes: findHoles(text, spec.language, seeded(`cuts:${spec.name}/${rel}`)) });
  }
  return { spec, files, texts, sha256: sourceDigests(unpacked), licence: licenceText(spec, unpacked), skipped };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      cache: { type: 'string' },
      out: { type: 'string' },
      'per-kind': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const started = performance.now();
  const cacheDir = path.resolve(values.cache ?? path.join(repoRoot, '.cache', 'realcode'));
  const outDir = path.resolve(values.out ?? path.join(repoRoot, 'bench', 'realcode'));
  const draw = { ...defaultDraw, perKind: intOption(values['per-kind'], 'per-kind', defaultDraw.perKind) };

  const loaded = projects.map((spec) => load(spec, cacheDir));
  const tasks: RealCodeTask[] = [];
  for (const language of languages) {
    const own = loaded.filter((l) => l.spec.language === language);
    if (own.length === 0) continue;
    const texts = new Map(own.map((l) => [l.spec.name, l.texts]));
    for (const { file, hole } of drawHoles(own.flatMap((l) => l.files), draw)) {
      const text = texts.get(file.project)?.get(file.path);
      if (text === undefined) throw new Error(`${file.project}/${file.path}: text not loaded`);
      tasks.push(makeTask(text, hole, { language, project: file.project, path: file.path }));
    }
  }

  const records = loaded.map((l) => projectRecord(l.spec, tasks, l.sha256));
  fs.mkdirSync(path.join(outDir, 'LICENSES'), { recursive: true });
  const gz = tasksFile(tasks);
  fs.writeFileSync(path.join(outDir, 'tasks.jsonl.gz'), gz);
  fs.writeFileSync(path.join(outDir, 'projects.json'), projectsFile(records));
  const licences = new Set(loaded.map((l) => path.basename(licenceFileName(l.spec))));
  for (const f of fs.readdirSync(path.join(outDir, 'LICENSES'))) if (!licences.has(f)) fs.rmSync(path.join(outDir, 'LICENSES', f));
  for (const l of loaded) fs.writeFileSync(path.join(outDir, licenceFileName(l.spec)), l.licence);
  const readme = path.join(outDir, 'README.md');
  if (fs.existsSync(readme)) fs.writeFileSync(readme, withTables(fs.readFileSync(readme, 'utf8'), readmeTables(records, tasks)));
  else console.log(`no ${readme}: its tables were not written`);

  for (const l of loaded) {
    const r = records.find((x) => x.name === l.spec.name && x.language === l.spec.language);
    const skipped = [...l.skipped].map(([why, n]) => `${n} ${why}`).join(', ');
    console.log(`${l.spec.language.padEnd(10)} ${l.spec.name.padEnd(24)} ${String(l.files.length).padStart(4)} files usable, ${r?.files ?? 0} used, ${r?.tasks ?? 0} tasks${skipped ? `; skipped ${skipped}` : ''}`);
  }
  for (const language of languages) {
    const own = tasks.filter((t) => t.language === language);
    if (own.length > 0) console.log(`${language}: ${holeKinds.map((k) => `${k} ${own.filter((t) => t.hole === k).length}`).join(', ')}`);
  }
  console.log(`${tasks.length} tasks, tasks.jsonl.gz ${(gz.length / 1024).toFixed(0)} KiB, ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

runMain(main);
