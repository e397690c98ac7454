/**
 * The single owner of the inference child's life: starts it in the background, initializes it
 * with the configured model, device and threads, watches that it keeps answering, restarts it with
 * back-off after a crash or a hang, gives up after repeated crashes or failed starts (and says so),
 * and stops it on deactivation. Everything that lives as long as one child (its client, its
 * listeners, its health checks) is disposed with that child; the host lives as long as the
 * extension.
 *
 * No `vscode` import: the extension passes in what it shows the user (EngineHostUi, with the rest
 * of its options in hostOptions.ts), and the supervision tests drive this class against real
 * child processes.
 */
import { Emitter, type Event } from 'vscode-jsonrpc';
import { firstLineOf } from '../base/errorText';
import { startEngineClient } from '../client/engineClient';
import { EngineClientError } from '../client/errors';
import type { CancelSignal, EngineClient } from '../client/types';
import { ErrorCodes } from '../protocol/protocol';
import { CrashPolicy } from './crashPolicy';
import type { EngineState } from './engineState';
import { defaultSupervision, type EngineHostOptions, type SupervisionOptions } from './hostOptions';

/** `ready(cancel)` rejects with this when the wait is cancelled. */
export class WaitCancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'WaitCancelledError';
  }
}

export class EngineHost {
  private stateValue: EngineState = { kind: 'stopped' };
  private readonly stateEmitter = new Emitter<EngineState>();
  readonly onDidChangeState: Event<EngineState> = this.stateEmitter.event;

  private client: EngineClient | undefined;
  /** Bumped for every child; callbacks of an older child are ignored. */
  private generation = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private probing = false;
  /** Why the host killed the current child, reported as its crash reason. */
  private killReason: string | undefined;
  private disposed = false;
  private readonly supervision: SupervisionOptions;
  private readonly crashes: CrashPolicy;
  /** Starts in a row that did not reach ready. */
  private failedStarts = 0;
  /** Children started after the first one (crash restarts, user restarts, settings changes), not counting reloads after an unload. */
  restarts = 0;
  /** Times the engine was unloaded (idle, snoozed, turned off). */
  unloads = 0;
  private starts = 0;

  constructor(private readonly options: EngineHostOptions) {
    this.supervision = { ...defaultSupervision, ...options.supervision };
    this.crashes = new CrashPolicy(this.supervision.crashPolicy);
  }

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
   * Resolves when the engine is ready; rejects with the reason when it fails for good, or with
   * WaitCancelledError when `cancel` fires first. Starts it if nothing is under way.
   */
  ready(cancel?: CancelSignal): Promise<void> {
    this.start();
    return new Promise<void>((resolve, reject) => {
      const settle = (state: EngineState): boolean => {
        if (state.kind === 'ready') resolve();
        else if (state.kind === 'failed') reject(new Error(state.message));
        else if (state.kind === 'stopped' && this.disposed) reject(new Error('The extension was deactivated.'));
        else return false;
        return true;
      };
      if (cancel?.isCancellationRequested) return reject(new WaitCancelledError());
      if (settle(this.stateValue)) return;
      const done = (): void => {
        subscription.dispose();
        cancelled?.dispose();
      };
      const subscription = this.onDidChangeState((state) => {
        if (settle(state)) done();
      });
      const cancelled = cancel?.onCancellationRequested(() => {
        done();
        reject(new WaitCancelledError());
      });
    });
  }

  /** Stops the current child (if any) and starts a fresh one; forgets earlier crashes and failed starts. */
  async restart(reason: string): Promise<void> {
    if (this.disposed) return;
    this.options.log.info(`Restarting the engine: ${reason}.`);
    this.crashes.reset();
    this.failedStarts = 0;
    // Requests stop going to the old child at once; the status bar shows loading meanwhile.
    this.setState({ kind: 'starting', attempt: 1 });
    await this.stopChild();
    if (this.disposed) return;
    void this.launch(1);
  }

  /**
   * Stops a running engine to free its memory, without counting a crash; the next `start()` or
   * `ready()` loads it again. `why` is shown in the status bar (e.g. "idle for 15 minutes").
   */
  async unload(why: string): Promise<void> {
    if (this.disposed || this.stateValue.kind === 'stopped' || this.stateValue.kind === 'failed') return;
    this.options.log.info(`Unloading the engine: ${why}.`);
    this.unloads++;
    await this.stopChild();
    if (!this.disposed) this.setState({ kind: 'stopped', unloaded: why });
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
    this.stopHealthChecks();
    this.generation++;
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop();
      } catch (error) {
        this.options.log.warn(`Stopping the engine: ${firstLineOf(error)}`);
      }
    }
  }

  private async launch(attempt: number): Promise<void> {
    const generation = ++this.generation;
    const current = (): boolean => generation === this.generation && !this.disposed;
    const reload = this.stateValue.kind === 'stopped' && this.stateValue.unloaded !== undefined;
    if (this.starts++ > 0 && !reload) this.restarts++;
    this.killReason = undefined;
    this.setState({ kind: 'starting', attempt });
    const started = Date.now();
    const { log } = this.options;

    let client: EngineClient;
    try {
      client = await startEngineClient({
        serverModule: this.options.serverModule,
        execArgv: this.options.execArgv,
        env: this.options.env,
        deadlines: this.supervision.deadlines,
        onLog: (entry) => {
          if (generation === this.generation) this.options.onEngineLog(entry);
        },
        onDeadline: (method) => {
          if (!current()) return;
          log.warn(`The engine did not answer ${method} in time; checking that it still runs.`);
          void this.checkHealth(generation);
        },
        onExit: (info) => {
          if (!current() || info.expected) return;
          this.client = undefined;
          const how = info.signal ? `killed by ${info.signal}` : `exited with code ${info.code}`;
          this.onChildLost(this.killReason ?? how);
        },
      });
    } catch (error) {
      if (current()) this.onChildLost(`could not start: ${firstLineOf(error)}`);
      return;
    }
    if (!current()) {
      void client.stop();
      return;
    }
    this.client = client;
    log.info(`Engine process ${client.pid} started; loading the model…`);

    const engine = this.options.settings();
    try {
      const result = await client.initialize({
        modelDir: engine.modelPath || undefined,
        device: engine.device,
        threads: engine.threads || undefined,
        contextCacheMiB: engine.contextCacheMiB,
        cachedRefreshEvery: engine.cachedRefreshEvery,
        clientName: this.options.clientName,
      });
      if (!current()) return;
      for (const warning of result.warnings) log.warn(warning);
      log.info(
        `Engine ready in ${Date.now() - started} ms (server start-up ${Math.round(result.startupMs)} ms): model ${result.model.name} ` +
          `(${result.model.contract}, canvas ≤ ${result.model.maxCanvasTokens}, context ≤ ${result.model.maxContextTokens}) ` +
          `from ${result.model.path}, device ${result.device.kind} via ${result.device.provider}` +
          (result.device.threads ? `, ${result.device.threads} threads` : ''),
      );
      if (engine.device === 'gpu' && result.device.kind !== 'gpu') {
        this.options.ui.warn(`No GPU provider started; running on the CPU. ${result.warnings.join(' ')}`);
      }
      this.failedStarts = 0;
      this.setState({
        kind: 'ready',
        pid: client.pid,
        model: result.model,
        device: result.device,
        warnings: result.warnings,
        startupMs: result.startupMs,
      });
      this.startHealthChecks(generation);
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
      // No answer in time: the child is killed, and its exit counts as a failed start.
      this.killChild(client, `it did not finish loading the model in time (${firstLineOf(error)})`);
    }
  }

  private startHealthChecks(generation: number): void {
    this.stopHealthChecks();
    this.healthTimer = setInterval(() => void this.checkHealth(generation), this.supervision.healthIntervalMs);
    this.healthTimer.unref?.();
  }

  private stopHealthChecks(): void {
    clearInterval(this.healthTimer);
    this.healthTimer = undefined;
  }

  /**
   * Asks the child how it is. No answer within the status deadline (a blocked main thread, a
   * corrupted channel) or an infill stuck in a pass means it will not recover: kill it, and the
   * crash path restarts it.
   */
  private async checkHealth(generation: number): Promise<void> {
    const client = this.client;
    if (this.probing || !client || generation !== this.generation || this.stateValue.kind !== 'ready') return;
    this.probing = true;
    try {
      const status = await client.status();
      if (generation !== this.generation) return;
      const { stuckAfterCancelMs, stuckAfterMs } = this.supervision;
      if (status.cancelledForMs > stuckAfterCancelMs) {
        this.killChild(client, `an infill did not stop within ${Math.round(status.cancelledForMs / 1000)} s of being cancelled (a pass that does not return)`);
      } else if (status.runningForMs > stuckAfterMs) {
        this.killChild(client, `an infill has run for ${Math.round(status.runningForMs / 1000)} s`);
      }
    } catch (error) {
      if (generation !== this.generation) return;
      if (error instanceof EngineClientError && (error.kind === 'exited' || error.kind === 'notRunning')) return; // onExit handles it
      this.killChild(client, `it stopped answering (${firstLineOf(error)})`);
    } finally {
      this.probing = false;
    }
  }

  private killChild(client: EngineClient, reason: string): void {
    this.options.log.error(`The engine is not responding: ${reason}; restarting it.`);
    this.killReason = `not responding: ${reason}`;
    this.stopHealthChecks();
    client.kill();
  }

  /** The child died or was killed: before it was ever ready that is a failed start, after it a crash. */
  private onChildLost(reason: string): void {
    this.stopHealthChecks();
    const { log } = this.options;
    log.error(`The engine stopped unexpectedly (${reason}).`);
    const wasReady = this.stateValue.kind === 'ready';
    const decision = this.crashes.onCrash(Date.now());
    if (!wasReady) {
      this.failedStarts++;
      if (this.failedStarts >= this.supervision.maxFailedStarts) {
        this.fail(
          `The engine failed to start ${this.failedStarts} times in a row (last: ${reason}); not trying again. ` +
            'Use "dLLM: Restart Engine" to try once more.',
        );
        return;
      }
    }
    if (!decision.restart) {
      this.fail(
        `The engine crashed ${decision.crashesInWindow} times within ${this.supervision.crashPolicy.windowMs / 60_000} minutes ` +
          `(last: ${reason}); not restarting it again. Use "dLLM: Restart Engine" to try once more.`,
      );
      return;
    }
    const attempt = decision.crashesInWindow + 1;
    this.setState({ kind: 'restarting', reason, delayMs: decision.delayMs, attempt });
    log.info(`Restarting the engine in ${decision.delayMs} ms (attempt ${attempt}).`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.disposed) void this.launch(attempt);
    }, decision.delayMs);
  }

  private fail(message: string): void {
    this.options.log.error(message);
    this.setState({ kind: 'failed', message });
    this.options.ui.failed(message);
  }

  private setState(state: EngineState): void {
    this.stateValue = state;
    this.stateEmitter.fire(state);
  }
}
