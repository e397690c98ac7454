/**
 * The single owner of the inference child's life: starts it in the background, initializes it
 * with the configured model, device and threads, restarts it with back-off after a crash, gives up
 * after repeated crashes, and stops it on deactivation. Everything that lives as long as one
 * child (its client, its listeners) is disposed with that child; the host itself lives as long as
 * the extension.
 */
import * as vscode from 'vscode';
import { startEngineClient } from '../client/engineClient';
import { EngineClientError } from '../client/errors';
import type { EngineClient } from '../client/types';
import { ErrorCodes } from '../protocol/protocol';
import type { Config } from './config';
import { CrashPolicy, defaultCrashPolicy } from './crashPolicy';
import type { EngineState } from './engineState';
import { errorMessage, logEngine, type Log } from './log';

export interface EngineHostOptions {
  /** Absolute path of dist/server.js. */
  serverModule: string;
  /** Working directory of the child (relative model paths resolve against it). */
  cwd?: string;
}

export class EngineHost implements vscode.Disposable {
  private stateValue: EngineState = { kind: 'stopped' };
  private readonly stateEmitter = new vscode.EventEmitter<EngineState>();
  readonly onDidChangeState = this.stateEmitter.event;

  private client: EngineClient | undefined;
  /** Bumped for every child; callbacks of an older child are ignored. */
  private generation = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly crashes = new CrashPolicy(defaultCrashPolicy);
  /** Children started after the first one (crash restarts, user restarts, settings changes). */
  restarts = 0;
  private starts = 0;

  constructor(
    private readonly options: EngineHostOptions,
    private readonly config: Config,
    private readonly log: Log,
  ) {}

  get state(): EngineState {
    return this.stateValue;
  }

  /** The client when the engine is ready for requests, else undefined. */
  get readyClient(): EngineClient | undefined {
    return this.stateValue.kind === 'ready' ? this.client : undefined;
  }

  get pid(): number | undefined {
    return this.client?.running ? this.client.pid : undefined;
  }

  /** Starts the engine unless it is starting, running, waiting to restart, or has given up. */
  start(): void {
    if (this.disposed || this.stateValue.kind !== 'stopped') return;
    void this.launch(1);
  }

  /**
   * Resolves when the engine is ready; rejects with the reason when it fails for good.
   * Starts it if nothing is under way.
   */
  ready(): Promise<void> {
    this.start();
    return new Promise<void>((resolve, reject) => {
      const settle = (state: EngineState): boolean => {
        if (state.kind === 'ready') resolve();
        else if (state.kind === 'failed') reject(new Error(state.message));
        else if (state.kind === 'stopped' && this.disposed) reject(new Error('The extension was deactivated.'));
        else return false;
        return true;
      };
      if (settle(this.stateValue)) return;
      const subscription = this.onDidChangeState((state) => {
        if (settle(state)) subscription.dispose();
      });
    });
  }

  /** Stops the current child (if any) and starts a fresh one; forgets earlier crashes. */
  async restart(reason: string): Promise<void> {
    if (this.disposed) return;
    this.log.info(`Restarting the engine: ${reason}.`);
    this.crashes.reset();
    // Requests stop going to the old child at once; the status bar shows loading meanwhile.
    this.setState({ kind: 'starting', attempt: 1 });
    await this.stopChild();
    if (this.disposed) return;
    void this.launch(1);
  }

  /** Stops the engine for good (deactivation). */
  async stop(): Promise<void> {
    this.disposed = true;
    await this.stopChild();
    this.setState({ kind: 'stopped' });
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
  }

  private async stopChild(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.generation++;
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop();
      } catch (error) {
        this.log.warn(`Stopping the engine: ${errorMessage(error)}`);
      }
    }
  }

  private async launch(attempt: number): Promise<void> {
    const generation = ++this.generation;
    const current = (): boolean => generation === this.generation && !this.disposed;
    if (this.starts++ > 0) this.restarts++;
    this.setState({ kind: 'starting', attempt });
    const started = Date.now();

    let client: EngineClient;
    try {
      client = await startEngineClient({
        serverModule: this.options.serverModule,
        cwd: this.options.cwd,
        onLog: (entry) => {
          if (generation === this.generation) logEngine(this.log, entry);
        },
        onExit: (info) => {
          if (!current() || info.expected) return;
          this.client = undefined;
          this.onCrash(info.signal ? `killed by ${info.signal}` : `exited with code ${info.code}`);
        },
      });
    } catch (error) {
      if (current()) this.onCrash(`could not start: ${errorMessage(error)}`);
      return;
    }
    if (!current()) {
      void client.stop();
      return;
    }
    this.client = client;
    this.log.info(`Engine process ${client.pid} started; loading the model…`);

    const engine = this.config.engine;
    try {
      const result = await client.initialize({
        modelDir: engine.modelPath || undefined,
        device: engine.device,
        threads: engine.threads || undefined,
        clientName: `vscode ${vscode.version}`,
      });
      if (!current()) return;
      for (const warning of result.warnings) this.log.warn(warning);
      this.log.info(
        `Engine ready in ${Date.now() - started} ms (server start-up ${Math.round(result.startupMs)} ms): model ${result.model.name} ` +
          `(${result.model.contract}, canvas ≤ ${result.model.maxCanvasTokens}, context ≤ ${result.model.maxContextTokens}) ` +
          `from ${result.model.path}, device ${result.device.kind} via ${result.device.provider}` +
          (result.device.threads ? `, ${result.device.threads} threads` : ''),
      );
      if (engine.device === 'gpu' && result.device.kind !== 'gpu') {
        void vscode.window.showWarningMessage(`dLLM Complete: no GPU provider started; running on the CPU. ${result.warnings.join(' ')}`);
      }
      this.setState({
        kind: 'ready',
        pid: client.pid,
        model: result.model,
        device: result.device,
        warnings: result.warnings,
        startupMs: result.startupMs,
      });
    } catch (error) {
      if (!current()) return;
      if (error instanceof EngineClientError && error.kind === 'exited') return; // onExit handles the crash
      if (error instanceof EngineClientError && error.kind === 'server') {
        // A model that does not load will not load on a retry either: say so once, clearly.
        const what = error.code === ErrorCodes.ModelLoadFailed ? 'The model did not load' : 'The engine refused to start';
        this.fail(`${what}: ${error.message}`);
        this.generation++;
        this.client = undefined;
        void client.stop();
        return;
      }
      // No answer in time: treat it as a crash (killing it makes onExit restart it).
      this.log.error(`Engine initialization: ${errorMessage(error)}`);
      client.kill();
    }
  }

  private onCrash(reason: string): void {
    const decision = this.crashes.onCrash(Date.now());
    this.log.error(`The engine stopped unexpectedly (${reason}).`);
    if (!decision.restart) {
      this.fail(
        `The engine crashed ${decision.crashesInWindow} times within ${defaultCrashPolicy.windowMs / 60_000} minutes ` +
          `(last: ${reason}); not restarting it again. Use "dLLM: Restart Engine" to try once more.`,
      );
      return;
    }
    const attempt = decision.crashesInWindow + 1;
    this.setState({ kind: 'restarting', reason, delayMs: decision.delayMs, attempt });
    this.log.info(`Restarting the engine in ${decision.delayMs} ms (attempt ${attempt}).`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.disposed) void this.launch(attempt);
    }, decision.delayMs);
  }

  private fail(message: string): void {
    this.log.error(message);
    this.setState({ kind: 'failed', message });
    void vscode.window.showErrorMessage(`dLLM Complete: ${message}`, 'Show Log', 'Restart Engine').then((choice) => {
      if (choice === 'Show Log') this.log.show(true);
      else if (choice === 'Restart Engine') void this.restart('requested after a failure');
    });
  }

  private setState(state: EngineState): void {
    this.stateValue = state;
    this.stateEmitter.fire(state);
  }
}
