import { strict as assert } from 'node:assert';
import { contextCacheDefaultMiB } from '../../../src/protocol/protocol';
import { cachedRefreshEveryDefault } from '../../../src/protocol/cachedMode';
import * as path from 'node:path';
import {
  engineRestartKeys,
  enumValues,
  isLanguageEnabled,
  normalizeModelPath,
  numericLimits,
  readSettings,
  trustedValue,
  type SettingReader,
} from '../../../src/editor/settings';
import { contributedSettings, settingsSections } from './contributedSettings';

const schema = contributedSettings();

/** A reader over package.json defaults, with `user` values layered on top. */
function reader(user: Record<string, unknown> = {}): SettingReader {
  return (key) => ({ value: key in user ? user[key] : schema[`dllm.${key}`]?.default, defaultValue: schema[`dllm.${key}`]?.default });
}

describe('settings', () => {
  describe('package.json agrees with the code', () => {
    it('declares every numeric key with the same range and a default inside it', () => {
      for (const [key, limits] of Object.entries(numericLimits)) {
        const p = schema[`dllm.${key}`];
        assert.ok(p, `dllm.${key} missing from package.json`);
        assert.equal(p.minimum, limits.min, `dllm.${key} minimum`);
        assert.equal(p.maximum, limits.max, `dllm.${key} maximum`);
        assert.equal(p.type, limits.integer ? 'integer' : 'number', `dllm.${key} type`);
        assert.ok(typeof p.default === 'number' && p.default >= limits.min && p.default <= limits.max);
      }
    });

    it('declares every enum with the same values and a description each', () => {
      for (const [key, values] of Object.entries(enumValues)) {
        const p = schema[`dllm.${key}`];
        assert.ok(p, `dllm.${key} is declared`);
        assert.deepEqual(p.enum, [...values], `dllm.${key} enum`);
        assert.equal(p.enumDescriptions?.length, values.length, `dllm.${key} enumDescriptions`);
      }
    });

    it('documents every setting, and the engine keys appear in the User tab of a remote window too', () => {
      for (const [key, p] of Object.entries(schema)) {
        assert.ok(key.startsWith('dllm.'), key);
        assert.ok((p.markdownDescription ?? '').length > 20, `${key} needs a markdownDescription`);
        assert.ok('default' in p, `${key} needs a default`);
      }
      // In a remote window the User tab lists only application, window, resource and
      // language-overridable settings; machine(-overridable) ones appear in the Remote tab alone.
      for (const key of [...engineRestartKeys, 'idleUnloadMinutes']) assert.equal(schema[`dllm.${key}`]?.scope, 'window', key);
    });

    it('groups the settings in sections: Inline, Commands, Sampler (advanced), Engine', () => {
      const sections = settingsSections();
      assert.deepEqual(sections.map((s) => s.title), ['Inline', 'Commands', 'Sampler (advanced)', 'Engine']);
      const prefixes = ['dllm.inline.', 'dllm.command.', 'dllm.sampler.'];
      sections.forEach((section, i) => {
        const prefix = prefixes[i];
        for (const key of Object.keys(section.properties)) {
          if (prefix !== undefined) assert.ok(key.startsWith(prefix), `${key} is in ${section.title}`);
          else assert.ok(!prefixes.some((p) => key.startsWith(p)), `${key} is in ${section.title}`);
        }
      });
    });

    it('reads the package.json defaults without problems', () => {
      const { settings, problems } = readSettings(reader());
      assert.deepEqual(problems, []);
      assert.equal(settings.sampler.kind, schema['dllm.sampler.kind']?.default);
      assert.equal(settings.inline.debounceMs, schema['dllm.inline.debounceMs']?.default);
      assert.equal(settings.engine.modelPath, '');
      assert.equal(settings.inline.languages.markdown, false);
      assert.equal(settings.engine.contextCacheMiB, contextCacheDefaultMiB, "the setting's default is the server's");
      assert.equal(settings.engine.cachedRefreshEvery, cachedRefreshEveryDefault, "the cached mode's default is the server's");
    });

    it('reads the cached refresh interval: 0 is exact mode, out-of-range values are clamped and named', () => {
      assert.equal(readSettings(reader({ cachedRefreshEvery: 0 })).settings.engine.cachedRefreshEvery, 0);
      assert.equal(readSettings(reader({ cachedRefreshEvery: 8 })).settings.engine.cachedRefreshEvery, 8);
      const { settings, problems } = readSettings(reader({ cachedRefreshEvery: 1000 }));
      assert.equal(settings.engine.cachedRefreshEvery, 64);
      assert.ok(problems.some((p) => p.includes('cachedRefreshEvery')), problems.join('; '));
      assert.ok(engineRestartKeys.includes('cachedRefreshEvery'), 'a change restarts the engine');
    });
  });

  describe('sanitising user values', () => {
    it('clamps out-of-range numbers and rounds integers', () => {
      const { settings, problems } = readSettings(reader({ 'inline.debounceMs': 99999, 'inline.stepBudget': 7.6, threads: -3 }));
      assert.equal(settings.inline.debounceMs, 2000);
      assert.equal(settings.inline.stepBudget, 8);
      assert.equal(settings.engine.threads, 0);
      assert.equal(problems.length, 2);
      assert.match(problems[0]!, /dllm\.inline\.debounceMs/);
    });

    it('falls back to the default for wrong types and unknown enum values', () => {
      const { settings, problems } = readSettings(
        reader({ 'sampler.threshold': 'high', 'sampler.kind': 'beam', device: 'tpu', 'inline.enabled': 'yes' }),
      );
      assert.equal(settings.sampler.threshold, schema['dllm.sampler.threshold']?.default);
      assert.equal(settings.sampler.kind, 'saber');
      assert.equal(settings.engine.device, 'auto');
      assert.equal(settings.inline.enabled, true);
      assert.equal(problems.length, 4);
    });

    it('expands ~ in dllm.modelPath and keeps absolute folders', () => {
      const home = path.join(path.sep, 'home', 'u');
      const absolute = path.join(path.sep, 'opt', 'models', 'x');
      assert.equal(readSettings(reader({ modelPath: '~/models/x' }), home).settings.engine.modelPath, path.join(home, 'models', 'x'));
      assert.equal(readSettings(reader({ modelPath: '~' }), home).settings.engine.modelPath, home);
      const { settings, problems } = readSettings(reader({ modelPath: ` ${absolute} ` }), home);
      assert.equal(settings.engine.modelPath, absolute);
      assert.deepEqual(problems, []);
    });

    it('refuses a relative dllm.modelPath with a message and uses the bundled model', () => {
      for (const relative of ['models/x', './x', '~bob/models']) {
        const { settings, problems } = readSettings(reader({ modelPath: relative }), '/home/u');
        assert.equal(settings.engine.modelPath, '', relative);
        assert.deepEqual(problems, [
          `dllm.modelPath: must be an absolute folder path (or start with ~/); ${JSON.stringify(relative)} is relative. Using the bundled model.`,
        ]);
      }
    });

    it('keeps only boolean entries of the language map', () => {
      const { settings, problems } = readSettings(reader({ 'inline.languages': { '*': false, python: true, go: 'no' } }));
      assert.deepEqual(settings.inline.languages, { '*': false, python: true });
      assert.equal(problems.length, 1);
    });
  });

  it('trustedValue: an untrusted workspace cannot set a restricted setting; the user\'s value or the default applies', () => {
    const restricted = ['dllm.modelPath', 'dllm.device'];
    const inspected = { defaultValue: '', globalValue: '/home/u/models/mine' };
    const untrusted = { trusted: false, restricted };
    assert.equal(trustedValue('dllm.modelPath', '/tmp/evil', inspected, untrusted), '/home/u/models/mine');
    assert.equal(trustedValue('dllm.device', 'gpu', { defaultValue: 'auto' }, untrusted), 'auto');
    assert.equal(trustedValue('dllm.inline.debounceMs', 10, { defaultValue: 120 }, untrusted), 10, 'unrestricted settings keep the workspace value');
    assert.equal(trustedValue('dllm.modelPath', '/tmp/evil', inspected, { trusted: true, restricted }), '/tmp/evil', 'a trusted workspace may set it');
  });

  it('isLanguageEnabled: own entry, else "*", else on', () => {
    assert.equal(isLanguageEnabled({ '*': true, markdown: false }, 'markdown'), false);
    assert.equal(isLanguageEnabled({ '*': true, markdown: false }, 'python'), true);
    assert.equal(isLanguageEnabled({ '*': false, python: true }, 'go'), false);
    assert.equal(isLanguageEnabled({}, 'go'), true);
  });

  it('normalizeModelPath expands ~ and trims', () => {
    assert.equal(normalizeModelPath('  ', '/home/u'), '');
    assert.equal(normalizeModelPath('~/models/x ', '/home/u'), path.join('/home/u', 'models/x'));
    assert.equal(normalizeModelPath('/opt/m', '/home/u'), '/opt/m');
  });
});
