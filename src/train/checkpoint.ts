// Checkpoints: network weights, optimiser state and trainer state in one checksummed file, replaced
// atomically each epoch, so a run killed at any moment resumes from its last complete epoch.
import { existsSync } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { z } from 'zod';
import { tf, type tfl } from '../engine/tf.js';
import { IoError } from '../errors.js';
import { type NamedArray, readTensorFile, writeTensorFile } from '../io/tensor-file.js';
import type { TrainableModel } from '../models/family.js';

export const EpochRecord = z.object({
  epoch: z.number().int().positive(),
  learningRate: z.number(),
  seconds: z.number(),
  samplesPerSecond: z.number(),
  train: z.record(z.string(), z.number()),
  validation: z.record(z.string(), z.number()),
  /** Figures of the run's epoch monitor (modes covered, class coverage …), when it has one. */
  monitor: z.record(z.string(), z.number()).optional(),
  /** Warnings the monitor raised this epoch (e.g. possible mode collapse). */
  warnings: z.array(z.string()).optional(),
});
export type EpochRecord = z.infer<typeof EpochRecord>;

export const TrainerState = z.object({
  /** Epochs completed. */
  epoch: z.number().int().min(0),
  step: z.number().int().min(0),
  bestValidationLoss: z.number().nullable(),
  bestEpoch: z.number().int().min(0),
  epochsWithoutImprovement: z.number().int().min(0),
  /** Product of the learning-rate cuts made by NaN rollbacks (1 when none). */
  learningRateScale: z.number().positive().default(1),
  rollbacks: z.number().int().min(0).default(0),
  history: z.array(EpochRecord),
});
export type TrainerState = z.infer<typeof TrainerState>;

/**
 * Adam's running products beta1^t and beta2^t, as the float32 values training holds. tfjs's setWeights
 * rebuilds them with pow(), which differs in the last bits, so a resumed run would drift from an
 * uninterrupted one. A float32 value is exact as a JSON number.
 */
const BetaPowers = z.tuple([z.number(), z.number()]);

const CheckpointMeta = z.object({
  kind: z.string(),
  state: TrainerState,
  networks: z.record(z.string(), z.number().int()),
  optimizers: z.record(z.string(), z.array(z.string())),
  /** Absent in checkpoints written before it was kept (those resume with pow()). */
  betaPowers: z.record(z.string(), BetaPowers).optional(),
  hasBest: z.boolean(),
});

export interface Checkpoint {
  state: TrainerState;
  weights: Record<string, NamedArray[]>;
  optimizers: Record<string, NamedArray[]>;
  betaPowers?: Record<string, [number, number]>;
  best?: Record<string, NamedArray[]>;
}

/** The fields of tfjs's AdamOptimizer holding beta1^t and beta2^t (private in its types). */
interface AdamBetaPowers {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

function adamPowers(optimizer: tf.Optimizer): AdamBetaPowers | undefined {
  return optimizer instanceof tf.AdamOptimizer ? (optimizer as unknown as AdamBetaPowers) : undefined;
}

export async function networkWeights(network: tfl.LayersModel): Promise<NamedArray[]> {
  return Promise.all(
    network.getWeights().map(async (w, i) => ({
      name: `${i}`,
      shape: w.shape,
      data: (await w.data()) as Float32Array,
    })),
  );
}

export async function snapshotWeights(model: TrainableModel): Promise<Record<string, NamedArray[]>> {
  const out: Record<string, NamedArray[]> = {};
  for (const [name, network] of Object.entries(model.networks)) out[name] = await networkWeights(network);
  return out;
}

export function setNetworkWeights(model: TrainableModel, weights: Record<string, NamedArray[]>): void {
  for (const [name, network] of Object.entries(model.networks)) {
    const arrays = weights[name];
    const expected = network.getWeights().length;
    if (!arrays || arrays.length !== expected) {
      throw new IoError(
        `checkpoint has ${arrays?.length ?? 0} weights for network "${name}", expected ${expected}`,
      );
    }
    const tensors = arrays.map((a) => tf.tensor(a.data, a.shape));
    network.setWeights(tensors);
    tf.dispose(tensors);
  }
}

export async function saveCheckpoint(
  path: string,
  model: TrainableModel,
  optimizers: Record<string, tf.Optimizer>,
  state: TrainerState,
  best?: Record<string, NamedArray[]>,
): Promise<void> {
  const arrays: NamedArray[] = [];
  const networks: Record<string, number> = {};
  for (const [name, weights] of Object.entries(await snapshotWeights(model))) {
    networks[name] = weights.length;
    for (const w of weights) arrays.push({ ...w, name: `net/${name}/${w.name}` });
  }
  const optimizerNames: Record<string, string[]> = {};
  const betaPowers: Record<string, [number, number]> = {};
  for (const [name, optimizer] of Object.entries(optimizers)) {
    const powers = adamPowers(optimizer);
    if (powers) betaPowers[name] = [powers.accBeta1.dataSync()[0], powers.accBeta2.dataSync()[0]];
    const weights = await optimizer.getWeights();
    optimizerNames[name] = weights.map((w) => w.name);
    for (const [i, w] of weights.entries()) {
      arrays.push({
        name: `opt/${name}/${i}`,
        shape: w.tensor.shape,
        data: Float32Array.from(await w.tensor.data()),
      });
    }
    // getWeights returns a fresh scalar for the iteration count; the moments are the optimiser's own.
    weights[0]?.tensor.dispose();
  }
  if (best) {
    for (const [name, weights] of Object.entries(best)) {
      for (const w of weights) arrays.push({ ...w, name: `best/${name}/${w.name}` });
    }
  }
  const meta = {
    kind: model.kind,
    state,
    networks,
    optimizers: optimizerNames,
    betaPowers,
    hasBest: best !== undefined,
  };
  await writeTensorFile(path, meta, arrays);
}

export async function readCheckpoint(path: string): Promise<Checkpoint> {
  const { meta, arrays } = await readTensorFile(path);
  const parsed = CheckpointMeta.safeParse(meta);
  if (!parsed.success)
    throw new IoError(`checkpoint header is invalid: ${parsed.error.issues[0].message}`, { path });
  const byPrefix = (prefix: string, name: string, count: number): NamedArray[] =>
    Array.from({ length: count }, (_, i) => {
      const found = arrays.find((a) => a.name === `${prefix}/${name}/${i}`);
      if (!found) throw new IoError(`checkpoint lacks array ${prefix}/${name}/${i}`, { path });
      return { ...found, name: `${i}` };
    });
  const weights: Record<string, NamedArray[]> = {};
  const best: Record<string, NamedArray[]> = {};
  for (const [name, count] of Object.entries(parsed.data.networks)) {
    weights[name] = byPrefix('net', name, count);
    if (parsed.data.hasBest) best[name] = byPrefix('best', name, count);
  }
  const optimizers: Record<string, NamedArray[]> = {};
  for (const [name, names] of Object.entries(parsed.data.optimizers)) {
    optimizers[name] = byPrefix('opt', name, names.length).map((a, i) => ({ ...a, name: names[i] }));
  }
  return {
    state: parsed.data.state,
    weights,
    optimizers,
    betaPowers: parsed.data.betaPowers,
    best: parsed.data.hasBest ? best : undefined,
  };
}

/**
 * The checkpoint at `path`, or undefined when there is none. A path that exists as a link to a missing file
 * is refused: reading it as "no checkpoint" would silently restart the run from epoch 0.
 */
export async function readCheckpointIfAny(path: string): Promise<Checkpoint | undefined> {
  try {
    await lstat(path);
  } catch {
    return undefined;
  }
  if (!existsSync(path)) {
    throw new IoError(
      `the checkpoint is a link to a missing file (${await readlink(path).catch(() => '?')}); restore the file, ` +
        'or remove the link to train the run again from epoch 0',
      { path },
    );
  }
  return readCheckpoint(path);
}

export async function restoreOptimizer(
  optimizer: tf.Optimizer,
  arrays: NamedArray[],
  betaPowers?: [number, number],
): Promise<void> {
  if (arrays.length === 0) return;
  const named = arrays.map((a) => ({ name: a.name, tensor: tf.tensor(a.data, a.shape) }));
  await optimizer.setWeights(named);
  // setWeights copies into variables of its own.
  tf.dispose(named.map((n) => n.tensor));
  const powers = adamPowers(optimizer);
  if (powers && betaPowers) {
    tf.tidy(() => {
      powers.accBeta1.assign(tf.scalar(betaPowers[0]));
      powers.accBeta2.assign(tf.scalar(betaPowers[1]));
    });
  }
}
