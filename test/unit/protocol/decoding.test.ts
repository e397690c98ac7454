/**
 * The decoder's contract (src/protocol/decoding.json) is the one place its names and defaults live:
 * the engine, the protocol and the settings take them from it, and the Python decoder
 * (models/train/dllm_train/evaluation/decode.py, run as `test_decode.py contract`) decodes with the same values.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import contract from '../../../src/protocol/decoding.json';
import {
  CHUNK_CHARS_PER_TOKEN,
  CONTEXT_ATTENTIONS,
  END_AT_FRONTIER,
  FILL_TAIL_WITH_PAD,
  MIN_CHUNK_CHARS,
  PREFIX_SHARE,
  REMASK_MODES,
  SAMPLER_DEFAULTS,
  SAMPLER_KINDS,
} from '../../../src/protocol/decoding';
import { languageToken } from '../../../src/engine/model/vocabulary';
import { buildPolicy, withDefaults } from '../../../src/engine/sampler/policies';
import { prefixShare, remaskModes, samplerKinds } from '../../../src/protocol/protocol';
import { InvalidParamsError, validateInfillParams } from '../../../src/protocol/validate';
import { contributedSettings } from '../editor/contributedSettings';

const root = path.resolve(__dirname, '..', '..', '..');
const python = process.env.PYTHON ?? '/usr/bin/python3';
const own = (section: object): string[] => Object.keys(section).filter((k) => !k.startsWith('$'));

/** The rules each kind composes in the engine, by rule name. */
function enginePolicies(): Record<string, { commit: string; remask: string }> {
  return Object.fromEntries(
    SAMPLER_KINDS.map((kind) => {
      const p = buildPolicy(withDefaults({ kind }), 4);
      return [kind, { commit: p.commit.name, remask: p.remask.name }];
    }),
  );
}

const LANGUAGE_TABLE = { typescriptreact: 1, typescript: 2, other: 9 };
const LANGUAGES = ['typescriptreact', 'javascriptreact', 'cuda-cpp', 'haskell'];

describe('protocol/decoding: the decoder contract', () => {
  it('says what each section holds', () => {
    assert.ok(contract.$comment.length > 0);
    for (const [key, section] of Object.entries(contract)) {
      if (key.startsWith('$')) continue;
      assert.ok(typeof section === 'object' && '$comment' in section && section.$comment.length > 0, `${key} needs a $comment`);
    }
  });

  it('names the sampler kinds and remask modes the protocol accepts, and nothing else', () => {
    assert.deepEqual(SAMPLER_KINDS, own(contract.samplers));
    assert.deepEqual(REMASK_MODES, own(contract.remaskModes));
    assert.equal(samplerKinds, SAMPLER_KINDS);
    assert.equal(remaskModes, REMASK_MODES);
    const request = (sampler: object) => ({ prefix: '', suffix: '', maxTokens: 8, stepBudget: 8, mode: 'inline', sampler });
    for (const kind of SAMPLER_KINDS) assert.equal(validateInfillParams(request({ kind })).sampler.kind, kind);
    for (const remask of REMASK_MODES) assert.equal(validateInfillParams(request({ kind: 'saber', remask })).sampler.remask, remask);
    assert.throws(() => validateInfillParams(request({ kind: 'beam' })), InvalidParamsError);
  });

  it('has the engine build each kind from rules named after it', () => {
    for (const [kind, rules] of Object.entries(enginePolicies())) assert.equal(rules.commit, kind);
  });

  it('fills the options a request leaves out with its defaults', () => {
    assert.deepEqual({ ...SAMPLER_DEFAULTS }, Object.fromEntries(own(contract.samplerDefaults).map((k) => [k, contract.samplerDefaults[k as keyof typeof contract.samplerDefaults]])));
    for (const kind of SAMPLER_KINDS) assert.deepEqual(withDefaults({ kind }), { kind, ...SAMPLER_DEFAULTS });
  });

  it('gives the settings their defaults', () => {
    const schema = contributedSettings();
    assert.equal(schema['dllm.sampler.kind']?.default, SAMPLER_KINDS[0]);
    const set: string[] = [];
    for (const [key, value] of Object.entries(SAMPLER_DEFAULTS)) {
      const setting = schema[`dllm.sampler.${key}`];
      if (setting === undefined) continue; // the seed is no setting
      assert.equal(setting.default, value, `dllm.sampler.${key}`);
      set.push(key);
    }
    assert.deepEqual(set, ['minPerStep', 'remaskDivisor', 'remask', 'threshold', 'temperature']);
  });

  it('gives the window its split and the language token its fallbacks', () => {
    assert.equal(prefixShare, PREFIX_SHARE);
    assert.equal(PREFIX_SHARE, contract.window.prefixShare);
    const tokens = Object.fromEntries(LANGUAGES.map((l) => [l, languageToken({ languageTokens: LANGUAGE_TABLE }, l)]));
    assert.deepEqual(tokens, { typescriptreact: 1, javascriptreact: 9, 'cuda-cpp': 9, haskell: 9 });
    assert.equal(languageToken({ languageTokens: { typescript: 2 } }, 'typescriptreact'), 2);
  });

  it('is what the Python decoder decodes with', function () {
    this.timeout(60000);
    if (!fs.existsSync(python)) this.skip();
    const run = spawnSync(python, [path.join(root, 'test', 'model-pipeline', 'evaluation', 'test_decode.py'), 'contract'], {
      encoding: 'utf8',
      timeout: 55000,
      env: { ...process.env, PYTHONPATH: path.join(root, 'models', 'train') },
    });
    if (run.status !== 0) throw new Error(`test_decode.py contract failed (${run.status ?? run.signal}):\n${run.stderr}`);
    const py = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.deepEqual(py, {
      samplerKinds: SAMPLER_KINDS,
      defaultKind: SAMPLER_KINDS[0],
      remaskModes: REMASK_MODES,
      samplerDefaults: { ...SAMPLER_DEFAULTS },
      policies: enginePolicies(),
      prefixShare: PREFIX_SHARE,
      chunkCharsPerToken: CHUNK_CHARS_PER_TOKEN,
      minChunkChars: MIN_CHUNK_CHARS,
      fillTailWithPad: FILL_TAIL_WITH_PAD,
      endAtFrontier: END_AT_FRONTIER,
      languageTokens: Object.fromEntries(LANGUAGES.map((l) => [l, languageToken({ languageTokens: LANGUAGE_TABLE }, l)])),
      contextAttentions: CONTEXT_ATTENTIONS,
      defaultContextAttention: CONTEXT_ATTENTIONS[0],
    });
  });
});
