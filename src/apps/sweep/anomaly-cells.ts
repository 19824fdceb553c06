// `latentlab benchmark anomaly` as a sweep: each cell of its table (a data set × a detector × a seed's split) is
// a trial, computed by the benchmark's own `anomalyCell` into RUNS/<sweep>/<trial>/cell.json (atomically: a
// cell is done when its file is there, and a killed one is computed again). When every cell is done,
// RUNS/<sweep>/anomaly-benchmark.{md,json} is the report `latentlab benchmark anomaly` writes for the same
// settings.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureBackend } from '../../engine/backend.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { readJsonIfAny } from '../../io/json-files.js';
import {
  type AnomalyBenchmarkReport,
  anomalyCell,
  anomalyReport,
  benchmarkMarkdown,
  type CellFigures,
  readAnomalyTable,
  writeAnomalyReport,
} from '../benchmark-anomaly.js';
import type { AnomalySweepSpec, AnomalyTrial } from './spec.js';

/** A finished cell: its figures and the data set's size, for the report. */
interface Cell extends CellFigures {
  rows: number;
  features: number;
  anomalies: number;
}

const cellFile = (dir: string) => join(dir, 'cell.json');

/** Compute the cell into `dir`, or leave it as it is when it is done. */
export async function runAnomalyCell(dir: string, trial: AnomalyTrial): Promise<'scored' | 'finished'> {
  if (existsSync(cellFile(dir))) return 'finished';
  const table = await readAnomalyTable(trial.file);
  await ensureBackend();
  const figures = await anomalyCell(table, trial.detector, trial.seed, trial.development);
  const cell: Cell = {
    ...figures,
    rows: table.rows,
    features: table.cols,
    anomalies: table.y.reduce((a, b) => a + b, 0),
  };
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(cellFile(dir), `${JSON.stringify(cell, null, 2)}\n`);
  return 'scored';
}

export async function readCell(dir: string): Promise<Cell | undefined> {
  return (await readJsonIfAny(cellFile(dir))) as Cell | undefined;
}

/**
 * The benchmark's report once every cell is done, written as RUNS/<sweep>/anomaly-benchmark.{md,json} (the
 * command's files), data sets and detectors in the spec's order and each cell's seeds in order; returns the
 * Markdown sections for the results file.
 */
export async function writeAnomalyBenchmark(
  sweepDir: string,
  spec: AnomalySweepSpec,
  trials: AnomalyTrial[],
  dirOf: (trial: AnomalyTrial) => string,
): Promise<string[]> {
  const cells = await Promise.all(trials.map((t) => readCell(dirOf(t))));
  const done = cells.filter(Boolean).length;
  if (done < trials.length)
    return [
      '## Anomaly benchmark',
      '',
      `Written when every cell is done: ${done} of ${trials.length} so far.`,
      '',
    ];
  const { detectors, data, development } = spec.benchmark;
  const datasets: AnomalyBenchmarkReport['datasets'] = [];
  for (const name of new Set(trials.map((t) => t.dataset))) {
    const of = (detector: string) =>
      trials.flatMap((t, i) => (t.dataset === name && t.detector === detector ? [cells[i] as Cell] : []));
    const first = of(detectors[0])[0];
    datasets.push({
      name,
      rows: first.rows,
      features: first.features,
      anomalies: first.anomalies,
      results: Object.fromEntries(
        detectors.map((detector) => {
          const cellsOf = of(detector);
          return [
            detector,
            {
              auroc: cellsOf.map((c) => c.auroc),
              auprc: cellsOf.map((c) => c.auprc),
              seconds: cellsOf.map((c) => c.seconds),
            },
          ];
        }),
      ),
    });
  }
  const report = anomalyReport({ data, seeds: spec.seeds.length, development, detectors }, datasets);
  await writeAnomalyReport(sweepDir, report);
  // The command's Markdown without its title: a section of the sweep's results.
  return [benchmarkMarkdown(report).replace(/^# Anomaly benchmark/, '## Anomaly benchmark')];
}
