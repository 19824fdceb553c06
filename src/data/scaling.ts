// Per-feature scaling of tables: fitted on the training split only (so validation/test stay unseen),
// saved with the model, and inverted to report generated samples in the original units.
import { DataError } from '../errors.js';
import { type Dataset, type FeatureScaling, sampleSize } from './dataset.js';

/** min-max maps each feature's training range to [0, 1]; standard gives zero mean and unit variance. */
export function fitScaling(train: Dataset, method: 'minmax' | 'standard'): FeatureScaling {
  const features = sampleSize(train);
  if (train.size === 0)
    throw new DataError('cannot fit scaling on an empty training split', { path: train.name });
  const offset: number[] = [];
  const scale: number[] = [];
  for (let f = 0; f < features; f++) {
    let a = 0;
    let b = 0;
    if (method === 'minmax') {
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (let i = f; i < train.x.length; i += features) {
        const v = train.x[i];
        if (v < min) min = v;
        if (v > max) max = v;
      }
      a = min;
      b = max - min;
    } else {
      // Two passes in float64: the one-pass formula loses precision when the mean is large.
      let sum = 0;
      for (let i = f; i < train.x.length; i += features) sum += train.x[i];
      const mean = sum / train.size;
      let squares = 0;
      for (let i = f; i < train.x.length; i += features) squares += (train.x[i] - mean) ** 2;
      a = mean;
      b = Math.sqrt(squares / train.size);
    }
    // A constant feature maps to 0 instead of dividing by zero.
    offset.push(a);
    scale.push(b > 0 && Number.isFinite(b) ? b : 1);
  }
  return { method, offset, scale };
}

function checkWidth(length: number, scaling: FeatureScaling, where: string): number {
  const features = scaling.offset.length;
  if (scaling.scale.length !== features || features === 0 || length % features !== 0) {
    throw new DataError(
      `scaling has ${features} features (${scaling.scale.length} scales), values have ${length} numbers, not a multiple`,
      { path: where },
    );
  }
  return features;
}

/** (x - offset) / scale per feature, as a new dataset. */
export function applyScaling(dataset: Dataset, scaling: FeatureScaling): Dataset {
  if (sampleSize(dataset) !== scaling.offset.length) {
    throw new DataError(
      `scaling was fitted on ${scaling.offset.length} features, dataset has ${sampleSize(dataset)}`,
      { path: dataset.name },
    );
  }
  const features = checkWidth(dataset.x.length, scaling, dataset.name);
  const x = new Float32Array(dataset.x.length);
  for (let i = 0; i < x.length; i++) {
    const f = i % features;
    x[i] = (dataset.x[i] - scaling.offset[f]) / scaling.scale[f];
  }
  return { ...dataset, x };
}

/** x * scale + offset per feature: scaled values (e.g. decoder output) back in the table's units. */
export function invertScaling(values: Float32Array, scaling: FeatureScaling): Float32Array {
  const features = checkWidth(values.length, scaling, 'scaling');
  const out = new Float32Array(values.length);
  for (let i = 0; i < out.length; i++) {
    const f = i % features;
    out[i] = values[i] * scaling.scale[f] + scaling.offset[f];
  }
  return out;
}
