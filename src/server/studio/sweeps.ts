// The studio's view of sweeps: every folder of the runs directory holding a sweep.json (written by `latentlab
// sweep`), with each trial's progress read live from its run directory (epochs done of those planned, test
// figures when finished) and the failures the sweep last reported (results.json). Folders and trial
// directories are reached through RunsDirectory, so none leads outside the runs directory.
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseSweep, type TrainSweepSpec } from '../../apps/sweep/spec.js';
import { type SweepResults, sweepResults } from '../../apps/sweep/trials.js';
import { readJsonIfAny } from '../../io/json-files.js';
import { HttpError } from '../errors.js';
import { isRunName, type RunsDirectory } from '../runs.js';

export interface SweepListing {
  name: string;
  trials: number;
  done: number;
  running: number;
  failed: number;
  pending: number;
}

export interface SweepDetails extends SweepResults {
  /**
   * What the trials are (training runs, compare's families, the anomaly benchmark's cells), how the settings are
   * chosen (a training sweep's grid or random search), and the seeds.
   */
  search: {
    kind: 'train' | 'compare' | 'anomaly-benchmark';
    grid?: TrainSweepSpec['grid'];
    random?: TrainSweepSpec['random'];
    seeds: number[];
  };
  /** Epochs each trial that trains plans (its run config's train.epochs), by trial id; cells train no run. */
  planned: Record<string, number>;
}

/** A file of the sweep (runs.file: inside the runs directory, or undefined) read as JSON, if it is. */
const readJson = async (path: string | undefined) => (path ? readJsonIfAny(path) : undefined);

/** Sweep `name` as it stands: 404 when the folder holds no sweep.json, 400 when that spec does not parse. */
export async function describeSweep(runs: RunsDirectory, name: string): Promise<SweepDetails> {
  const root = await runs.resolve(name);
  const raw = await readJson(await runs.file(name, 'sweep.json'));
  if (raw === undefined) throw new HttpError(404, `"${name}" is not a sweep (no sweep.json)`, 'sweep');
  let parsed: ReturnType<typeof parseSweep>;
  try {
    parsed = parseSweep(raw);
  } catch (error) {
    throw new HttpError(400, `sweep "${name}": ${(error as Error).message}`, 'sweep');
  }
  const { spec, trials } = parsed;
  if (spec.name !== name)
    throw new HttpError(400, `sweep.json in "${name}" names another sweep ("${spec.name}")`, 'sweep');
  // Each trial directory must stay inside the runs directory (runs.file refuses one that leads out).
  for (const trial of trials) await runs.file(name, trial.id);
  const last = (await readJson(await runs.file(name, 'results.json'))) as
    | { trials?: Array<{ id: string; status: string; error?: string }> }
    | undefined;
  const failures = new Map(
    (last?.trials ?? []).filter((t) => t.status === 'failed').map((t) => [t.id, t.error ?? 'failed']),
  );
  // root is the sweep's real directory: its parent is where sweepResults looks for RUNS/<name>.
  const results = await sweepResults(dirname(root), spec, trials, failures);
  return {
    ...results,
    search:
      spec.kind === 'compare' || spec.kind === 'anomaly-benchmark'
        ? { kind: spec.kind, seeds: spec.seeds }
        : { kind: 'train', grid: spec.grid, random: spec.random, seeds: spec.seeds },
    planned: Object.fromEntries(
      trials.flatMap((t) => ('config' in t ? [[t.id, t.config.train.epochs]] : [])),
    ),
  };
}

/** Every sweep in the runs directory, by name, with its trials counted by status. */
export async function listSweeps(runs: RunsDirectory): Promise<SweepListing[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(runs.root, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: SweepListing[] = [];
  for (const entry of entries
    .filter((e) => e.isDirectory() && isRunName(e.name))
    .sort((a, b) => (a.name < b.name ? -1 : 1))) {
    try {
      const { trials } = await describeSweep(runs, entry.name);
      const count = (status: string) => trials.filter((t) => t.status === status).length;
      out.push({
        name: entry.name,
        trials: trials.length,
        done: count('done'),
        running: count('running'),
        failed: count('failed'),
        pending: count('pending'),
      });
    } catch {
      // A folder that is not a sweep (no sweep.json: a 404), not a readable one, or leads outside: not listed.
    }
  }
  return out;
}
