/**
 * What the status bar says, as a pure function of the extension's state: a small health value,
 * and for each one the text, tooltip and colour. `statusBar.ts` only copies this into VS Code.
 */
import type { EngineState } from '../supervision/engineState';
import { describeModel } from './modelChoice';

export type Health = 'loading' | 'ready' | 'busy' | 'error' | 'snoozed' | 'off' | 'idle';

export interface StatusInput {
  engine: EngineState;
  /** Why automatic inline completions are off in the active editor (its language, or everywhere), if they are. */
  inlineOff?: string;
  /** Epoch ms until which inline completions are snoozed, if snoozed. */
  snoozedUntil?: number;
  now: number;
  /** Requests to the engine are running. */
  busy: boolean;
  last?: { totalMs: number; forwardPasses: number };
  /** Why the last completion showed nothing, when it did: then `last` is not a suggestion's timing. */
  nothingShown?: string;
}

export interface StatusView {
  health: Health;
  text: string;
  tooltip: string;
  background?: 'error' | 'warning';
}

export function healthOf(s: StatusInput): Health {
  if (s.engine.kind === 'failed') return 'error';
  if (s.engine.kind === 'starting' || s.engine.kind === 'restarting') return 'loading';
  if (s.busy) return 'busy';
  if (s.snoozedUntil !== undefined && s.snoozedUntil > s.now) return 'snoozed';
  if (s.inlineOff !== undefined) return 'off';
  if (s.engine.kind === 'stopped') return 'idle';
  return 'ready';
}

const clickHint = 'Click for the dLLM menu.';

export function describeStatus(s: StatusInput): StatusView {
  const health = healthOf(s);
  const e = s.engine;
  const device = e.kind === 'ready' ? e.device.kind.toUpperCase() : '';
  const last = s.nothingShown !== undefined ? ' · no suggestion' : s.last ? ` · ${Math.round(s.last.totalMs)} ms · ${s.last.forwardPasses} passes` : '';
  switch (health) {
    case 'error':
      return {
        health,
        text: '$(error) dLLM',
        tooltip: `dLLM Complete stopped: ${e.kind === 'failed' ? e.message : 'unknown error'}\n${clickHint}`,
        background: 'error',
      };
    case 'loading': {
      const why =
        e.kind === 'restarting'
          ? `Restarting the engine in ${Math.round(e.delayMs / 100) / 10} s (attempt ${e.attempt}) after: ${e.reason}`
          : 'Starting the engine and loading the model…';
      return { health, text: '$(loading~spin) dLLM', tooltip: `${why}\n${clickHint}` };
    }
    case 'busy':
      return { health, text: `$(sync~spin) dLLM ${device}`, tooltip: `Denoising…\n${readyTooltip(s)}` };
    case 'snoozed': {
      const minutes = Math.max(1, Math.ceil(((s.snoozedUntil ?? s.now) - s.now) / 60_000));
      return {
        health,
        text: `$(clock) dLLM ${minutes} min`,
        tooltip: `Inline completions snoozed for ${minutes} more minute${minutes === 1 ? '' : 's'}.\n${readyTooltip(s)}`,
        background: 'warning',
      };
    }
    case 'off':
      return { health, text: '$(circle-slash) dLLM', tooltip: `Inline completions are off: ${s.inlineOff} (commands still work).\n${readyTooltip(s)}` };
    case 'idle': {
      const why = e.kind === 'stopped' && e.unloaded ? `The engine was unloaded (${e.unloaded}) to free its memory` : 'The engine is not running yet';
      return { health, text: '$(sparkle) dLLM', tooltip: `${why}; it loads with the next completion.\n${clickHint}` };
    }
    case 'ready':
      return { health, text: `$(sparkle) dLLM ${device}${last}`, tooltip: readyTooltip(s) };
  }
}

function readyTooltip(s: StatusInput): string {
  const e = s.engine;
  if (e.kind !== 'ready') return clickHint;
  const lines = [
    `Model: ${describeModel(e.model)}`,
    `Device: ${e.device.kind.toUpperCase()} via ${e.device.provider}${e.device.threads ? `, ${e.device.threads} threads` : ''}`,
  ];
  if (s.nothingShown !== undefined) lines.push(`Last completion: no suggestion — ${s.nothingShown}`);
  else if (s.last) lines.push(`Last completion: ${Math.round(s.last.totalMs)} ms, ${s.last.forwardPasses} forward passes`);
  if (e.warnings.length > 0) lines.push(`Warnings: ${e.warnings.join('; ')}`);
  lines.push(clickHint);
  return lines.join('\n');
}
