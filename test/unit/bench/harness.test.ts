import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import { buildProgram, detectSandbox, Pool, runProgram, type Sandbox } from '../../../bench/lib/harness';
import type { TestedTask } from '../../../bench/lib/tasks';

const task: TestedTask = {
  task_id: 'SingleLineInfilling/HumanEval/0/L0',
  language: 'python',
  prompt: 'def add_one(x):\n',
  suffix: '    return y\n',
  canonical_solution: '    y = x + 1\n',
  tests: { entry_point: 'add_one', test: '\n\ndef check(candidate):\n    assert candidate(1) == 2\n    assert candidate(-1) == 0\n' },
};

describe('pass@1 harness', function () {
  this.timeout(20000);
  let sandbox: Sandbox;
  before(async () => {
    sandbox = await detectSandbox();
  });

  it('builds the program exactly as the data README states', () => {
    assert.equal(buildProgram(task, 'MID'), `def add_one(x):\nMID    return y\n\n${task.tests.test}\ncheck(add_one)`);
  });

  it('passes a correct completion', async () => {
    const r = await runProgram(buildProgram(task, task.canonical_solution), sandbox);
    assert.equal(r.status, 'passed', r.stderrTail);
    assert.equal(r.exitCode, 0);
  });

  it('fails a wrong completion and keeps the reason', async () => {
    const r = await runProgram(buildProgram(task, '    y = x + 2\n'), sandbox);
    assert.equal(r.status, 'failed');
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderrTail, /AssertionError/);
  });

  it('fails a completion that does not parse', async () => {
    const r = await runProgram(buildProgram(task, '    y = (x +\n'), sandbox);
    assert.equal(r.status, 'failed');
    assert.match(r.stderrTail, /SyntaxError/);
  });

  it('stops a program that runs past the time limit', async () => {
    const started = Date.now();
    const r = await runProgram(buildProgram(task, '    while True: pass\n'), { ...sandbox, timeoutMs: 700 });
    assert.equal(r.status, 'timeout');
    assert.ok(Date.now() - started < 5000, 'the time limit was not enforced');
  });

  it('runs in a temporary folder that is removed afterwards', async () => {
    const r = await runProgram('import os, sys\nsys.stderr.write("CWD=" + os.getcwd() + "\\n")\nsys.exit(3)\n', sandbox);
    assert.equal(r.exitCode, 3);
    const cwd = /CWD=(.*)/.exec(r.stderrTail)?.[1] ?? '';
    assert.ok(cwd.startsWith(fs.realpathSync(os.tmpdir())), `ran in ${cwd}`);
    assert.ok(!fs.existsSync(cwd), 'temporary folder left behind');
  });

  it('cuts the network off where a private namespace is allowed', async function () {
    if (sandbox.network !== 'namespace') this.skip();
    const server = net.createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const r = await runProgram(`import socket\nsocket.create_connection(("127.0.0.1", ${port}), timeout=1)\n`, sandbox);
      assert.equal(r.status, 'failed', 'the test program reached a socket on the host');
      assert.match(r.stderrTail, /Error/);
    } finally {
      server.close();
    }
  });
});

describe('Pool', () => {
  it('never runs more jobs than its size, and runs them all', async () => {
    const pool = new Pool(2);
    let running = 0;
    let peak = 0;
    const job = (v: number) => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5 + (v % 3) * 5));
      running--;
      return v;
    };
    const results = await Promise.all([0, 1, 2, 3, 4, 5, 6].map((v) => pool.run(job(v))));
    assert.deepEqual(results, [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(peak, 2);
  });

  it('frees the slot of a failing job', async () => {
    const pool = new Pool(1);
    await assert.rejects(pool.run(() => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await pool.run(() => Promise.resolve(7)), 7);
  });
});
