/** Facts printed at the top of every report, so a figure can be traced to what produced it. */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import type { InitializeRequest } from '../../src/protocol/protocol';
import { repoRoot } from './tasks';

export interface RunInfo {
  date: string;
  commit: string;
  /** True when the working tree had uncommitted changes. */
  dirty: boolean;
  node: string;
  cpu: string;
  cores: number;
  /** 1-minute load average when the run started: above the core count, other work shared the CPU. */
  loadAverage: number;
  model: InitializeRequest.Result['model'];
  device: InitializeRequest.Result['device'];
  warnings: string[];
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function runInfo(init: InitializeRequest.Result): RunInfo {
  return {
    date: new Date().toISOString(),
    commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown',
    dirty: git(['status', '--porcelain', '--untracked-files=no']) !== '',
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    loadAverage: os.loadavg()[0]!, // the 1-minute figure of the three
    model: init.model,
    device: init.device,
    warnings: init.warnings,
  };
}

export function runInfoMarkdown(info: RunInfo): string {
  const device = `${info.device.provider} (${info.device.kind}${info.device.threads ? `, ${info.device.threads} threads` : ''})`;
  return [
    `- date: ${info.date}, commit ${info.commit}${info.dirty ? ' (with uncommitted changes)' : ''}`,
    `- model: ${info.model.name} (${info.model.contract} contract, vocabulary ${info.model.vocabSize}, context ≤ ${info.model.maxContextTokens}, canvas ≤ ${info.model.maxCanvasTokens})`,
    `- device: ${device}; machine: ${info.cpu}, ${info.cores} cores, load average ${info.loadAverage.toFixed(2)} at the start; Node ${info.node}`,
    ...info.warnings.map((w) => `- warning: ${w}`),
  ].join('\n');
}
