// One training update of a family's step: the variables of its networks, one optimiser update on an
// objective's parts (gradients taken, applied, freed), the optimisers a step needs, and the LossRecord it returns.
import { type Scalar, type Tensor, tf, type tfl } from '../../engine/tf.js';
import { UsageError } from '../../errors.js';
import type { LossRecord } from '../family.js';

export function trainableVariables(...networks: tfl.LayersModel[]): tf.Variable[] {
  return networks.flatMap((n) => n.trainableWeights.map((w) => w.read() as tf.Variable));
}

/** What an objective returns: named scalars (and tensors a later update reuses), one of them minimised. */
export type Parts = Record<string, Tensor | undefined>;

/**
 * Gradients of `parts[key]` over `variables`, not yet applied (for a step that takes several at the same
 * weights). Returns every part and the gradients (the caller owns both); nothing else the objective made survives.
 */
export function gradientsOf<T extends Parts>(
  variables: tf.Variable[],
  objective: () => T,
  key: keyof T,
): { parts: T; grads: tf.NamedTensorMap } {
  let parts: T | undefined;
  const { grads } = tf.variableGrads(() => {
    parts = objective();
    // Keep every part past variableGrads' tidy; the caller disposes them.
    for (const value of Object.values(parts)) if (value) tf.keep(value);
    return parts[key] as Scalar;
  }, variables);
  return { parts: parts!, grads };
}

/**
 * One optimiser update minimising `parts[key]` over `variables`: the one gradient step of every family. Returns
 * every part (the caller owns them); nothing else the objective made survives.
 */
export function minimize<T extends Parts>(
  optimizer: tf.Optimizer,
  variables: tf.Variable[],
  objective: () => T,
  key: keyof T,
): T {
  const { parts, grads } = gradientsOf(variables, objective, key);
  optimizer.applyGradients(grads);
  tf.dispose(Object.values(grads));
  return parts;
}

/** The optimisers a step needs, or a clear error naming the missing one. */
export function requireOptimizers(
  optimizers: Record<string, tf.Optimizer>,
  names: readonly string[],
  kind: string,
): void {
  const missing = names.find((name) => !optimizers[name]);
  if (missing) {
    throw new UsageError(`a ${kind} step needs the optimizers ${names.map((n) => `"${n}"`).join(', ')}`, {
      path: `optimizers.${missing}`,
    });
  }
}

/** Drops the parts that are absent and keeps a LossRecord's shape: `loss` is a clone of `parts[main]`. */
export function lossRecord(parts: Record<string, Scalar | undefined>, main: string): LossRecord {
  const present = Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== undefined)) as Record<
    string,
    Scalar
  >;
  if (!present[main]) throw new Error(`loss record has no "${main}"`);
  return { ...present, loss: present[main].clone() };
}
