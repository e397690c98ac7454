import * as assert from 'assert';
import { childEnvironment } from '../../../src/client/childEnvironment';

describe('the child environment', () => {
  const window: NodeJS.ProcessEnv = {
    PATH: '/usr/bin',
    HOME: '/home/u',
    LD_LIBRARY_PATH: '/usr/local/cuda/lib64',
    CUDA_VISIBLE_DEVICES: '1',
    NODE_EXTRA_CA_CERTS: '/etc/ca.pem',
    NODE_OPTIONS: '--require /ext/js-debug/bootloader.js',
    NODE_PATH: '/elsewhere/node_modules',
    NODE_V8_COVERAGE: '/tmp/coverage',
    NODE_DEBUG: 'net,http',
    NODE_CHANNEL_FD: '3',
    VSCODE_INSPECTOR_OPTIONS: '{"inspectorIpc":"/tmp/ipc"}',
    NODE_INSPECTOR_IPC: '/tmp/ipc',
    ELECTRON_ENABLE_LOGGING: '1',
    ELECTRON_NO_ASAR: '1',
    ELECTRON_RUN_AS_NODE: '0',
    VSCODE_PID: '42',
    UNSET: undefined,
  };

  it("drops the variables that change how Node runs and keeps the rest (GPU libraries' included)", () => {
    assert.deepStrictEqual(childEnvironment(window), {
      PATH: '/usr/bin',
      HOME: '/home/u',
      LD_LIBRARY_PATH: '/usr/local/cuda/lib64',
      CUDA_VISIBLE_DEVICES: '1',
      NODE_EXTRA_CA_CERTS: '/etc/ca.pem',
      VSCODE_PID: '42',
      ELECTRON_RUN_AS_NODE: '1',
    });
  });

  it('ignores case, as Windows does', () => {
    const env = childEnvironment({ Node_Options: '--inspect', electron_enable_logging: '1', Path: 'C:\\Windows' });
    assert.deepStrictEqual(env, { Path: 'C:\\Windows', ELECTRON_RUN_AS_NODE: '1' });
  });

  it('adds the extra variables, which win over the window, and always runs Electron as Node', () => {
    const env = childEnvironment({ HOME: '/home/u', DLLM_X: 'window' }, { DLLM_X: 'mine', ELECTRON_RUN_AS_NODE: '0' });
    assert.deepStrictEqual(env, { HOME: '/home/u', DLLM_X: 'mine', ELECTRON_RUN_AS_NODE: '1' });
  });

  it('does not change the environment it was given', () => {
    const parent: NodeJS.ProcessEnv = { NODE_OPTIONS: '--inspect' };
    childEnvironment(parent, { A: 'b' });
    assert.deepStrictEqual(parent, { NODE_OPTIONS: '--inspect' });
  });
});
