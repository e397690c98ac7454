import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  main: string;
  activationEvents: string[];
  contributes: {
    commands: { command: string; title: string; category: string }[];
    keybindings: { command: string; key: string; mac?: string; when?: string }[];
    menus: Record<string, { command: string }[]>;
  };
};
const commandsSource = fs.readFileSync(path.join(root, 'src/extension/commands.ts'), 'utf8');

describe('package.json contributions', () => {
  const ids = pkg.contributes.commands.map((c) => c.command);

  it('registers every contributed command in commands.ts, and contributes every registered one', () => {
    for (const id of ids) assert.ok(commandsSource.includes(`'${id}'`), `${id} is contributed but not registered`);
    const registered = [...commandsSource.matchAll(/registerCommand\('(dllm\.[A-Za-z]+)'|editorCommand\('(dllm\.[A-Za-z]+)'/g)].map((m) => m[1] ?? m[2]);
    assert.deepEqual([...registered].sort(), [...ids].sort());
  });

  it('puts every command in the dLLM category with a title', () => {
    for (const c of pkg.contributes.commands) {
      assert.equal(c.category, 'dLLM', c.command);
      assert.ok(c.title.length > 3, c.command);
    }
  });

  it('binds and lists only contributed commands', () => {
    for (const k of pkg.contributes.keybindings) assert.ok(ids.includes(k.command), k.command);
    for (const items of Object.values(pkg.contributes.menus)) for (const i of items) assert.ok(ids.includes(i.command), i.command);
  });

  it('leaves VS Code\'s own inline-suggest key (alt+\\) alone', () => {
    for (const k of pkg.contributes.keybindings) assert.notEqual(k.key, 'alt+\\');
  });

  it('activates after start-up from the bundled entry', () => {
    assert.deepEqual(pkg.activationEvents, ['onStartupFinished']);
    assert.equal(pkg.main, './dist/extension.js');
  });
});
