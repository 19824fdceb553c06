// `latentlab compare` as a sweep: each family of each seed's comparison is a trial whose run is an ordinary
// run in RUNS/<sweep>/<family>-s<seed>, made as compare makes it (trained, resumed, reused) and judged by
// compare's own code; the figures go to RUN/comparison-entry.json (written last, atomically: a trial is done
// when it is there). When every family of a seed is done, RUNS/<sweep>/comparison-s<seed>.{md,json,png} is the
// comparison `latentlab compare --seed <seed>` writes for the same settings.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InterruptedError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { readJsonIfAny } from '../../io/json-files.js';
import type { RunOptions } from '../../train/run.js';
import {
  type Comparison,
  compareFamily,
  comparisonOf,
  type FamilyResult,
  familyFigures,
  judging,
  planFamily,
  writeComparison,
} from '../compare.js';
import { type CompareSweepSpec, type CompareTrial, compareOptionsOf } from './spec.js';

/** What a judged family leaves in its run directory. */
interface ComparisonEntry {
  result: FamilyResult;
  /** The judge's FD name and train-vs-test floor (image data with a shipped classifier). */
  fd?: { fdName: string; floor: number };
}

const entryFile = (dir: string) => join(dir, 'comparison-entry.json');
const gridFile = (dir: string) => join(dir, 'comparison-samples.png');

/** Make the family's run in `dir` and judge it; a family already judged is left as it is. */
export async function runCompareEntry(
  dir: string,
  trial: CompareTrial,
  options: RunOptions = {},
): Promise<'trained' | 'resumed' | 'scored' | 'finished'> {
  if (existsSync(entryFile(dir))) return 'finished';
  const compare = compareOptionsOf(trial.compare, trial.seed, dir);
  const p = await planFamily(compare, trial.family, dir);
  const bench = judging();
  try {
    const compared = await compareFamily(p, compare, bench, { run: { ...options, monitor: false } });
    if (!compared)
      throw new InterruptedError(`trial ${trial.id} stopped while training; run it again to resume`);
    if (compared.grid) await writeFileAtomic(gridFile(dir), compared.grid);
    const entry: ComparisonEntry = { result: compared.result, ...(bench.fd ? { fd: bench.fd } : {}) };
    await writeFileAtomic(entryFile(dir), `${JSON.stringify(entry, null, 2)}\n`);
  } finally {
    bench.dispose();
  }
  return p.action === 'trained' ? 'trained' : p.action === 'reused' ? 'scored' : 'resumed';
}

async function readEntry(dir: string): Promise<ComparisonEntry | undefined> {
  return (await readJsonIfAny(entryFile(dir))) as ComparisonEntry | undefined;
}

/** A judged family's figures by the comparison table's column names, or undefined until it is judged. */
export async function compareEntryFigures(dir: string): Promise<Record<string, number> | undefined> {
  const entry = await readEntry(dir);
  return entry && familyFigures(entry.result, entry.fd?.fdName);
}

/**
 * Each seed's comparison whose families are all judged, written as RUNS/<sweep>/comparison-s<seed>.{md,json,png}
 * from the entries, through compare's own writer; returns the Markdown sections for the results file.
 */
export async function writeComparisons(
  sweepDir: string,
  spec: CompareSweepSpec,
  trials: CompareTrial[],
  dirOf: (trial: CompareTrial) => string,
): Promise<string[]> {
  const sections: string[] = [];
  for (const seed of spec.seeds) {
    const ofSeed = trials.filter((t) => t.seed === seed);
    const entries = await Promise.all(ofSeed.map((t) => readEntry(dirOf(t))));
    if (entries.some((e) => !e)) {
      sections.push(
        `## Comparison, seed ${seed}`,
        '',
        `Written when every family is judged: ${entries.filter(Boolean).length} of ${ofSeed.length} so far.`,
        '',
      );
      continue;
    }
    const judged = entries as ComparisonEntry[];
    const grids = [];
    for (const trial of ofSeed)
      if (existsSync(gridFile(dirOf(trial))))
        grids.push({ title: trial.family, png: await readFile(gridFile(dirOf(trial))) });
    const options = compareOptionsOf(spec.compare, seed, sweepDir);
    const base = join(sweepDir, `comparison-s${seed}`);
    const written: Comparison & { table: string } = await writeComparison(
      comparisonOf(
        options,
        judged.map((e) => e.result),
        judged[0].fd,
      ),
      grids,
      { markdown: `${base}.md`, json: `${base}.json`, png: `${base}.png` },
    );
    sections.push(
      `## Comparison, seed ${seed}`,
      '',
      written.table,
      '',
      `With its notes: [comparison-s${seed}.md](comparison-s${seed}.md).`,
      '',
    );
  }
  return sections;
}
