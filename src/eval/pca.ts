// Principal component analysis, the baseline every embedding and reconstruction is compared with.
// The covariance is accumulated with TensorFlow.js matrix products; its eigenvectors come from ml-matrix.
import { EigenvalueDecomposition, Matrix as MlMatrix } from 'ml-matrix';
import { type Dataset, sampleSize } from '../data/dataset.js';
import { computeValues } from '../engine/memory.js';
import { tf } from '../engine/tf.js';
import { ConfigError } from '../errors.js';
import type { Matrix } from '../io/arrays.js';

export interface PcaModel {
  /** Mean of each feature over the fitting data. */
  mean: Float32Array;
  /** [components, features], row i is the i-th principal direction (unit norm, by decreasing variance). */
  components: Float32Array;
  numComponents: number;
  numFeatures: number;
  /** Variance along each component. */
  explainedVariance: Float32Array;
  /** Share of the total variance each component explains. */
  explainedVarianceRatio: Float32Array;
}

export function fitPca(dataset: Dataset, numComponents: number, batchSize = 2000): PcaModel {
  const d = sampleSize(dataset);
  const n = dataset.size;
  if (!Number.isInteger(numComponents) || numComponents < 1 || numComponents > d) {
    throw new ConfigError(`expected between 1 and ${d} components, got ${numComponents}`, {
      path: 'components',
    });
  }
  if (n < 2) throw new ConfigError(`PCA needs at least 2 samples, got ${n}`);
  const mean = tf.tidy(() => tf.mean(tf.tensor2d(dataset.x, [n, d]), 0));
  let covariance = tf.zeros([d, d]);
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const next = tf.tidy(() => {
      const centred = tf.sub(
        tf.tensor2d(dataset.x.subarray(start * d, (start + count) * d), [count, d]),
        mean,
      );
      return tf.add(covariance, tf.matMul(centred, centred, true, false));
    });
    covariance.dispose();
    covariance = next;
  }
  const covValues = covariance.dataSync();
  const meanValues = mean.dataSync() as Float32Array;
  tf.dispose([covariance, mean]);

  const rows = Array.from({ length: d }, (_, i) =>
    Array.from(covValues.subarray(i * d, (i + 1) * d), (v) => v / (n - 1)),
  );
  const evd = new EigenvalueDecomposition(new MlMatrix(rows), { assumeSymmetric: true });
  const values = evd.realEigenvalues;
  const vectors = evd.eigenvectorMatrix;
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
  const total = values.reduce((a, b) => a + Math.max(0, b), 0);
  const components = new Float32Array(numComponents * d);
  const explainedVariance = new Float32Array(numComponents);
  const explainedVarianceRatio = new Float32Array(numComponents);
  for (let k = 0; k < numComponents; k++) {
    const [value, column] = order[k];
    explainedVariance[k] = value;
    explainedVarianceRatio[k] = total > 0 ? value / total : 0;
    for (let j = 0; j < d; j++) components[k * d + j] = vectors.get(j, column);
  }
  return {
    mean: meanValues,
    components,
    numComponents,
    numFeatures: d,
    explainedVariance,
    explainedVarianceRatio,
  };
}

/** Codes [n, components] of a dataset. */
export function pcaTransform(pca: PcaModel, dataset: Dataset): Matrix {
  const d = pca.numFeatures;
  const data = computeValues(() => {
    const centred = tf.sub(tf.tensor2d(dataset.x, [dataset.size, d]), tf.tensor1d(pca.mean));
    return tf.matMul(centred, tf.tensor2d(pca.components, [pca.numComponents, d]), false, true);
  }) as Float32Array;
  return { rows: dataset.size, cols: pca.numComponents, data };
}

/** Reconstruct from codes: z W + mean, flat [n * features]. */
export function pcaInverse(pca: PcaModel, codes: Matrix): Float32Array {
  return computeValues(() =>
    tf.add(
      tf.matMul(
        tf.tensor2d(codes.data, [codes.rows, codes.cols]),
        tf.tensor2d(pca.components, [pca.numComponents, pca.numFeatures]),
      ),
      tf.tensor1d(pca.mean),
    ),
  ) as Float32Array;
}

/** Mean squared error per value of the PCA reconstruction of `dataset`. */
export function pcaReconstructionError(pca: PcaModel, dataset: Dataset): number {
  const recon = pcaInverse(pca, pcaTransform(pca, dataset));
  let sum = 0;
  for (let i = 0; i < recon.length; i++) sum += (recon[i] - dataset.x[i]) ** 2;
  return sum / recon.length;
}
