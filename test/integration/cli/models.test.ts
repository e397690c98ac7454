/**
 * `npm run models` end to end (dist/models.js): a model pulled from a local stand-in for the Hub
 * (HF_ENDPOINT) is verified, converted and then completes through the real inference child
 * process (dist/complete.js); a cancel and a refusal end in one line and leave no model folder.
 */
import * as assert from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DREAM_SPEC, writeTinyCheckpointFolder } from '../../unit/convert/tinyCheckpoint';
import { HubServer } from '../download/hubServer';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const REPO = 'tiny-org/dream-tiny';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a built tool without blocking this process (the stand-in Hub serves from it). */
function tool(name: string, args: string[], env: NodeJS.ProcessEnv, onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist', `${name}.js`), ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
    onStderr?.(stderr, child);
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('npm run models (built command line, local Hub)', function () {
  this.timeout(120_000);
  let tmp: string;
  let hub: HubServer;
  let env: NodeJS.ProcessEnv;

  before(() => {
    if (!fs.existsSync(path.join(repoRoot, 'dist', 'models.js'))) throw new Error('dist/models.js missing: run npm run build');
  });
  beforeEach(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-models-cli-'));
    const checkpoint = path.join(tmp, 'checkpoint');
    writeTinyCheckpointFolder(checkpoint, DREAM_SPEC, { 'README.md': '---\nlicense: apache-2.0\n---\n' });
    hub = await new HubServer(REPO).addFolder(checkpoint).start();
    env = { HF_ENDPOINT: hub.endpoint, XDG_CACHE_HOME: path.join(tmp, 'cache'), HF_TOKEN: '' };
  });
  afterEach(async () => {
    await hub.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('pulls, verifies and converts a model that then completes through the inference process', async () => {
    const to = path.join(tmp, 'dream-tiny-model');
    const pulled = await tool('models', ['pull', REPO, '--to', to, '--weights', 'fp32'], env);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(pulled.stdout, /^pulled tiny-org\/dream-tiny → .*dream-tiny-model \(dream family, fp32 weights/);
    assert.match(pulled.stderr, /downloaded and verified 6 files/);
    assert.ok(fs.existsSync(path.join(to, 'dllm.json')));
    // The checkpoint is removed once converted; the cache keeps nothing of it.
    assert.deepEqual(fs.readdirSync(path.join(tmp, 'cache', 'dllm-complete', 'downloads', 'tiny-org--dream-tiny')), []);

    const file = path.join(tmp, 'add.py');
    fs.writeFileSync(file, 'def add(a, b):\n    \n');
    const completed = await tool('complete', [`${file}:2:5`, '--model', to, '--json', '--steps', '2', '--max-tokens', '8'], {});
    assert.equal(completed.code, 0, completed.stderr);
    const result = JSON.parse(completed.stdout) as { stats: { forwardPasses: number } };
    assert.ok(result.stats.forwardPasses >= 1, completed.stdout);

    const listed = await tool('models', ['list'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /fredzzp\/open-dcoder-0\.5B/);
  });

  it('puts the model under the cache folder by default, named after the repository', async () => {
    const pulled = await tool('models', ['pull', REPO], env);
    assert.equal(pulled.code, 0, pulled.stderr);
    const dir = path.join(tmp, 'cache', 'dllm-complete', 'models', 'dream-tiny');
    assert.ok(fs.existsSync(path.join(dir, 'dllm.json')));
    const listed = await tool('models', ['list'], env);
    assert.ok(listed.stdout.includes(dir), listed.stdout);
  });

  it('ends a refusal in one line and a cancel with nothing at the destination, keeping the partial download', async () => {
    const missing = await tool('models', ['pull', 'tiny-org/nothing-here', '--to', path.join(tmp, 'x')], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^models: tiny-org\/nothing-here not found on http:\/\/127\.0\.0\.1:\d+: check the repository id\n$/);
    assert.ok(!fs.existsSync(path.join(tmp, 'x')));

    hub.modes.bytesPerSecond = 10_000;
    const to = path.join(tmp, 'cancelled');
    let interrupted = false;
    const cancelled = await tool('models', ['pull', REPO, '--to', to], env, (text, child) => {
      if (!interrupted && /downloading model-/.test(text)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    assert.equal(cancelled.code, 130, cancelled.stderr);
    assert.match(cancelled.stderr, /cancelled; no model folder was written \(the partial download is kept/);
    assert.ok(!fs.existsSync(to));
    const snapshot = path.join(tmp, 'cache', 'dllm-complete', 'downloads', 'tiny-org--dream-tiny', hub.sha);
    assert.ok(fs.readdirSync(snapshot).some((f) => f.endsWith('.incomplete')));
  });
});
