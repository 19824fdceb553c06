// What every anomaly detector of the benchmark is: fitted on unlabelled rows, then scoring rows, higher = more
// anomalous (PyOD's fit / decision_function), seeded where it draws anything.
import { ConfigError, DataError } from '../../errors.js';
import type { Matrix } from '../../io/arrays.js';

export interface Detector {
  /** The name the benchmark reports and `--detectors` chooses (iforest, ecod, knn, ...). */
  readonly name: string;
  /** Learns from rows [rows, cols] without labels. */
  fit(x: Matrix): Promise<void>;
  /** One score per row, higher = more anomalous; needs `fit` first. */
  score(x: Matrix): Promise<Float64Array>;
  /** Frees tensors a neural detector holds (no-op for the others). */
  dispose?(): void;
}

/** The fitted state of a detector, or a clear error when `score` comes before `fit`. */
export function fitted<T>(state: T | undefined, name: string): T {
  if (state === undefined)
    throw new ConfigError(`detector "${name}" scores only after fit(x)`, { path: name });
  return state;
}

/** Rows to score must have the columns the detector was fitted on. */
export function checkColumns(x: Matrix, cols: number, name: string): void {
  if (x.cols !== cols)
    throw new DataError(`expected rows of ${cols} features (as fitted), got ${x.cols}`, { path: name });
}

/** Row i of a matrix, a view. */
export function row(x: Matrix, i: number): Float32Array {
  return x.data.subarray(i * x.cols, (i + 1) * x.cols);
}
