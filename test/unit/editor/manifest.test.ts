import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { engineRestartKeys } from '../../../src/editor/settings';
import { contributedSettings } from './contributedSettings';

const root = path.join(__dirname, '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  main: string;
  activationEvents: string[];
  extensionKind?: string[];
  capabilities?: {
    untrustedWorkspaces?: { supported?: unknown; description?: unknown; restrictedConfigurations?: unknown };
  };
  contributes: {
    commands: { command: string; title: string; category: string }[];
    keybindings: { command: string; key: string; mac?: string; when?: string }[];
    menus: Record<string, { command: string }[]>;
  };
};
const settings = contributedSettings();
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

  it('binds and lists only contributed commands, and VS Code\'s accept-next-line while a suggestion shows', () => {
    for (const k of pkg.contributes.keybindings) {
      if (k.command === 'editor.action.inlineSuggest.acceptNextLine') assert.match(k.when ?? '', /\binlineSuggestionVisible\b/);
      else assert.ok(ids.includes(k.command), k.command);
    }
    for (const items of Object.values(pkg.contributes.menus)) for (const i of items) assert.ok(ids.includes(i.command), i.command);
  });

  it('leaves VS Code\'s own inline-suggest key (alt+\\) alone', () => {
    for (const k of pkg.contributes.keybindings) assert.notEqual(k.key, 'alt+\\');
  });

  it('activates after start-up from the bundled entry', () => {
    assert.deepEqual(pkg.activationEvents, ['onStartupFinished']);
    assert.equal(pkg.main, './dist/extension.js');
  });

  it('in an untrusted workspace, ignores the workspace\'s values of every setting that shapes the engine, and says so', () => {
    const trust = pkg.capabilities?.untrustedWorkspaces;
    assert.ok(trust, 'capabilities.untrustedWorkspaces is missing');
    // Only 'limited' support makes VS Code honour restrictedConfigurations.
    assert.equal(trust.supported, 'limited');
    assert.ok(typeof trust.description === 'string' && trust.description.length > 40, 'a description says why');
    const restricted = trust.restrictedConfigurations;
    assert.ok(Array.isArray(restricted) && restricted.every((key) => typeof key === 'string' && key in settings), 'restricted settings are contributed ones');
    for (const key of engineRestartKeys) assert.ok(restricted.includes(`dllm.${key}`), `dllm.${key} chooses what runs: it must be restricted`);
    // The description's claim: each setting it names is one a workspace cannot set unless trusted.
    for (const key of trust.description.match(/dllm\.[A-Za-z.]+[A-Za-z]/g) ?? []) {
      assert.ok(restricted.includes(key), `${key} is named in the description but not restricted`);
    }
  });

  it('runs where the code is (a workspace extension), and dllm.inline.enabled can be set per language', () => {
    assert.deepEqual(pkg.extensionKind, ['workspace']);
    assert.equal(settings['dllm.inline.enabled']?.scope, 'language-overridable');
  });
});
