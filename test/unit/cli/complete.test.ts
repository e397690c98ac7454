import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { deviceNotice, engineLimits, parseCommandLine, serverModulePath } from '../../../src/cli/complete';
import { validateInfillParams, validateInitializeParams } from '../../../src/protocol/validate';

const script = path.join(__dirname, '../../../src/cli/complete.ts');

/** Runs the CLI as `npm run complete` would from `callerDir`: in another directory, with INIT_CWD set. */
function runCli(args: string[], callerDir: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), script, ...args], {
    cwd: os.tmpdir(),
    env: { ...process.env, INIT_CWD: callerDir, NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npm run complete: options', () => {
  it('reads options with defaults and rejects bad ones clearly', () => {
    const options = parseCommandLine(['f.py:1:1', '--sampler', 'threshold', '--steps', '8', '--seed', '3', '--progress']);
    assert.ok(options !== 'help');
    assert.strictEqual(options.sampler, 'threshold');
    assert.strictEqual(options.steps, 8);
    assert.strictEqual(options.maxTokens, 128);
    assert.strictEqual(options.seed, 3);
    assert.strictEqual(options.progress, true);
    assert.strictEqual(options.device, 'auto');
    assert.strictEqual(parseCommandLine(['--help']), 'help');
    assert.throws(() => parseCommandLine(['f.py:1:1', '--sampler', 'greedy']), /--sampler must be one of saber, lowConfidence, threshold/);
    assert.throws(() => parseCommandLine(['f.py:1:1', '--max-tokens', '0']), /--max-tokens must be a positive integer/);
    assert.throws(() => parseCommandLine(['f.py:1:1', '--bogus']), /Unknown option '--bogus'/);
    assert.throws(() => parseCommandLine([]), /which FILE:LINE:COL/);
  });
});

describe('npm run complete: files, ranges and devices', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dllm-complete-'));
    fs.writeFileSync(path.join(dir, 'tool.bin'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 2, 3, 0, 0]));
    fs.writeFileSync(path.join(dir, 'a.py'), 'x = 1\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a binary file before starting the model, with a non-zero exit', function () {
    this.timeout(60_000);
    const binary = path.join(dir, 'tool.bin');
    const { status, stdout, stderr } = runCli([`${binary}:1:1`], os.tmpdir());
    assert.strictEqual(status, 2, stderr);
    assert.ok(stderr.includes(`${binary} looks binary`), stderr);
    assert.match(stderr, /give a text file/);
    assert.strictEqual(stdout, '');
  });

  it('finds a relative FILE in the directory npm was run from (INIT_CWD), not its own', function () {
    this.timeout(60_000);
    const { status, stderr } = runCli(['tool.bin:1:1'], dir);
    assert.strictEqual(status, 2, stderr);
    assert.match(stderr, /tool\.bin looks binary/);
  });

  it('resolves FILE and --model against the caller\'s directory', () => {
    const options = parseCommandLine(['a.py:1:1', '--model', 'm'], dir);
    assert.ok(options !== 'help');
    assert.strictEqual(options.filePath, path.join(dir, 'a.py'));
    assert.strictEqual(options.modelDir, path.join(dir, 'm'));
    assert.strictEqual(options.target.file, 'a.py');
  });

  it('explains a negative number instead of calling it ambiguous', () => {
    assert.throws(() => parseCommandLine(['f.py:1:1', '--steps', '-3']), /--steps must be an integer from 1 to 4096, got "-3"/);
    assert.throws(() => parseCommandLine(['f.py:1:1', '--temperature', '-0.5']), /--temperature must be a number from 0 to 100, got "-0\.5"/);
    assert.throws(() => parseCommandLine(['f.py:1:1', '--threads', '-1']), /--threads must be an integer from 1 to 1024/);
  });

  it('names its own option and range for values the engine would refuse', () => {
    for (const [args, expected] of [
      [['--steps', '100000'], /--steps must be an integer from 1 to 4096, got "100000"/],
      [['--threads', '5000'], /--threads must be an integer from 1 to 1024/],
      [['--temperature', '1000'], /--temperature must be a number from 0 to 100/],
      [['--seed', '1e20'], /--seed must be an integer from 0 to/],
    ] as const) {
      assert.throws(() => parseCommandLine(['f.py:1:1', ...args]), (error: Error) => expected.test(error.message) && !/params/.test(error.message));
    }
  });

  it('allows exactly what the engine accepts', () => {
    const infill = { prefix: '', suffix: '', maxTokens: 1, sampler: { kind: 'saber', temperature: engineLimits.temperature }, mode: 'command' };
    assert.doesNotThrow(() => validateInfillParams({ ...infill, stepBudget: engineLimits.steps }));
    assert.throws(() => validateInfillParams({ ...infill, stepBudget: engineLimits.steps + 1 }));
    assert.throws(() => validateInfillParams({ ...infill, stepBudget: 1, sampler: { kind: 'saber', temperature: engineLimits.temperature + 1 } }));
    assert.doesNotThrow(() => validateInitializeParams({ device: 'cpu', threads: engineLimits.threads }));
    assert.throws(() => validateInitializeParams({ device: 'cpu', threads: engineLimits.threads + 1 }));
  });

  it('finds the inference child\'s bundle in dist/, run from src/cli or bundled into dist/', () => {
    const root = path.resolve(__dirname, '../../..');
    assert.strictEqual(serverModulePath(path.join(root, 'src', 'cli')), path.join(root, 'dist', 'server.js'));
    assert.strictEqual(serverModulePath(path.join(root, 'dist')), path.join(root, 'dist', 'server.js'));
  });

  it('says plainly when --device gpu ran on the CPU', () => {
    assert.strictEqual(deviceNotice('gpu', { provider: 'cpu', kind: 'cpu', threads: 4 }), '--device gpu: no GPU provider started; ran on the CPU');
    assert.strictEqual(deviceNotice('gpu', { provider: 'cuda', kind: 'gpu' }), undefined);
    assert.strictEqual(deviceNotice('auto', { provider: 'cpu', kind: 'cpu' }), undefined);
  });
});
