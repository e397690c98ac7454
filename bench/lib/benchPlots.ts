/** The charts of `npm run bench`: the speed-quality frontiers and the inline latency histogram (PNG). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { samplerKinds } from '../../src/protocol/protocol';
import { frontierFile, type BenchReport } from './benchReport';
import type { EvalRun } from './evalRun';
import type { LatencyCell } from './latency';
import { fmt } from './markdown';
import { renderHistogram, renderScatter } from './plot/charts';
import { summarize } from './stats';

/** Writes the charts; returns their file names. */
export async function writePlots(outDir: string, r: BenchReport, cells: LatencyCell[], runs: EvalRun[], realRuns: EvalRun[]): Promise<string[]> {
  // One colour per sampler family and remask mode, fixed across charts; extra budgets share it.
  const group = (x: EvalRun) => x.config.sampler.kind + (x.config.sampler.remask === 'onDrop' ? ' remask=onDrop' : '');
  const groups = samplerKinds.flatMap((k) => [k, `${k} remask=onDrop`]);
  const frontier = async (file: string, title: string, subtitle: string, yLabel: string, points: { x: number; y: number; label: string; group: string }[]) => {
    const chart = await renderScatter({ title: `Speed vs quality: ${title}`, subtitle: `${subtitle}; dashed: Pareto frontier`, xLabel: 'mean forward passes per completion', yLabel }, points, { yDomain: [0, 0.1], groups });
    fs.writeFileSync(path.join(outDir, file), chart);
    return file;
  };
  const files = [
    await frontier('frontier.png', 'HumanEval-infilling', `${r.run.model.name}, ${r.settings.limit} SingleLine tasks, canvas ${r.settings.samplerCanvas}`, 'pass@1', runs.map((x) => ({ x: x.summary.forwardPasses.mean, y: x.summary.pass1 ?? 0, label: x.summary.config, group: group(x) }))),
  ];
  for (const [language, { tasks: n }] of Object.entries(r.realCode[0]?.byLanguage ?? {})) {
    // Every configuration ran the same tasks, so each has every language; realCode follows realRuns.
    const points = r.realCode.map((s, i) => ({ x: s.meanPassesByLanguage[language]!, y: s.byLanguage[language]!.editSimilarity, label: s.config, group: group(realRuns[i]!) }));
    files.push(await frontier(frontierFile(language), `${language}, real code`, `${r.run.model.name}, ${n} tasks, canvas ${r.settings.realCanvas}`, 'edit similarity', points));
  }
  const histCells = cells.filter((c) => c.canvas === 32);
  const hist = await renderHistogram(
    { title: 'Inline latency, canvas 32', subtitle: `${r.run.model.name} on ${r.run.device.provider}, ${histCells[0]?.latencyMs.length ?? 0} requests per context`, xLabel: 'round-trip latency (ms)', yLabel: 'requests' },
    histCells.map((c) => ({ name: `${c.context} (~${fmt(summarize(c.samples.map((s) => s.promptTokens)).p50, 0)} tokens)`, values: c.latencyMs })),
  );
  fs.writeFileSync(path.join(outDir, 'latency-histogram.png'), hist);
  return [...files, 'latency-histogram.png'];
}
