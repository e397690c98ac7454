/**
 * Frees the engine's memory when nothing will ask it for a while: after `idleMinutes` without a
 * request, and as soon as inline completions are snoozed or turned off (commands still work: they
 * load it again, and the idle timer unloads it after them). Never while a request runs. The host
 * starts it again on the next request. No `vscode` import: the unit tests drive it with fakes.
 */
import type { EngineHost } from './engineHost';

/** Requests to the engine under way (the extension's Activity counts them). */
export interface RequestActivity {
  readonly inFlight: number;
  onDidChange(listener: () => void): { dispose(): void };
}

export interface EngineIdleDeps {
  host: Pick<EngineHost, 'state' | 'unload' | 'onDidChangeState'>;
  activity: RequestActivity;
  /** Minutes without a request before unloading; 0: never. */
  idleMinutes(): number;
  /** Why inline completions will not ask the engine now (snoozed, turned off), or undefined. */
  pausedReason(): string | undefined;
}

export class EngineIdle {
  private timer: NodeJS.Timeout | undefined;
  private paused: string | undefined;
  /** A pause that began while the engine was loaded: it is unloaded once no request runs. */
  private unloadForPause: string | undefined;
  private readonly subscriptions: { dispose(): void }[];

  constructor(private readonly deps: EngineIdleDeps) {
    this.paused = deps.pausedReason();
    this.subscriptions = [deps.host.onDidChangeState(() => this.update()), deps.activity.onDidChange(() => this.update())];
    this.update();
  }

  /** Settings or the snooze changed: a new pause unloads, a new idle time re-arms the timer. */
  settingsChanged(): void {
    const paused = this.deps.pausedReason();
    if (paused !== undefined && this.paused === undefined && this.deps.host.state.kind === 'ready') this.unloadForPause = paused;
    if (paused === undefined) this.unloadForPause = undefined;
    this.paused = paused;
    this.update();
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const s of this.subscriptions) s.dispose();
  }

  private update(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.deps.host.state.kind !== 'ready' || this.deps.activity.inFlight > 0) return;
    if (this.unloadForPause !== undefined) {
      const why = this.unloadForPause;
      this.unloadForPause = undefined;
      void this.deps.host.unload(why);
      return;
    }
    const minutes = this.deps.idleMinutes();
    if (!(minutes > 0)) return;
    this.timer = setTimeout(() => void this.deps.host.unload(`no request for ${describeMinutes(minutes)}`), minutes * 60_000);
    this.timer.unref?.();
  }
}

/** `15 minutes`, `1 minute`, `3 s`. */
export function describeMinutes(minutes: number): string {
  if (minutes < 1) return `${Math.max(1, Math.round(minutes * 60))} s`;
  const whole = Math.round(minutes * 10) / 10;
  return `${whole} minute${whole === 1 ? '' : 's'}`;
}
