/**
 * The layer table of src/README.md and the lint rules that enforce it (eslint.config.mjs) agree:
 * from every src folder, and from a subfolder of it, an import of each other folder is refused
 * exactly when the table does not allow it, and `vscode` / `onnxruntime-node` only where they belong.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const root = path.join(__dirname, '../../..');

interface Row {
  /** Folders it may import code and types from. */
  allowed: string[];
  /** Folders it may import types from but no code: "`name` (types only…)". */
  typesOnly: string[];
}

/** The "Layers" table of src/README.md: each folder with the folders it may import. */
function layerTable(): Map<string, Row> {
  const readme = fs.readFileSync(path.join(root, 'src/README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Layers'));
  const table = new Map<string, Row>();
  for (const line of section.split('\n')) {
    const row = /^\| `(\w+)` \| (.*) \|$/.exec(line);
    if (row?.[1] === undefined || row[2] === undefined) continue;
    const named = [...row[2].matchAll(/`(\w+)`( \(types only)?/g)];
    table.set(row[1], {
      allowed: named.filter((m) => m[2] === undefined).map((m) => m[1] ?? ''),
      typesOnly: named.filter((m) => m[2] !== undefined).map((m) => m[1] ?? ''),
    });
  }
  return table;
}

describe('layers: src/README.md and eslint.config.mjs', function () {
  this.timeout(60_000);
  const table = layerTable();
  // The probe files do not exist, so they are linted without type information (import rules need none).
  const eslint = new ESLint({ cwd: root, overrideConfig: { files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked } });

  /** Which of `specs`, imported from `file`, the lint rules refuse. */
  async function refused(file: string, specs: string[], asTypes = false): Promise<Set<string>> {
    const code = specs.map((s) => (asTypes ? `import type { T } from '${s}';` : `import '${s}';`)).join('\n');
    const [result] = await eslint.lintText(`${code}\n`, { filePath: path.join(root, file) });
    assert.ok(result);
    const lines = result.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.line);
    return new Set(lines.map((line) => specs[line - 1] ?? ''));
  }

  it('the table names every src folder', () => {
    const folders = fs.readdirSync(path.join(root, 'src'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    assert.deepEqual([...table.keys()].sort(), folders.sort());
    for (const { allowed, typesOnly } of table.values()) for (const other of [...allowed, ...typesOnly]) assert.ok(table.has(other), `${other} is not a src folder`);
  });

  for (const [folder, { allowed, typesOnly }] of table) {
    it(`${folder}: refuses exactly the folders the table leaves out`, async () => {
      for (const [file, up] of [[`src/${folder}/layerCheck.ts`, '../'], [`src/${folder}/sub/layerCheck.ts`, '../../']] as const) {
        const others = [...table.keys()].filter((other) => other !== folder);
        const specs = [...others.map((other) => `${up}${other}/x`), 'vscode', 'onnxruntime-node'];
        const expected = [
          ...others.filter((other) => !allowed.includes(other)).map((other) => `${up}${other}/x`),
          ...(folder === 'extension' ? [] : ['vscode']),
          ...(folder === 'engine' ? [] : ['onnxruntime-node']),
        ];
        assert.deepEqual([...(await refused(file, specs))].sort(), expected.sort(), file);
        const typeSpecs = others.map((other) => `${up}${other}/x`);
        const typesExpected = others.filter((other) => !allowed.includes(other) && !typesOnly.includes(other)).map((other) => `${up}${other}/x`);
        assert.deepEqual([...(await refused(file, typeSpecs, true))].sort(), typesExpected.sort(), `${file}, types`);
      }
    });
  }
});
