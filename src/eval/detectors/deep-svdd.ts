// Deep SVDD (Ruff et al. 2018), one-class objective: a bias-free network φ maps rows near a centre c fixed from
// the first forward pass, trained to minimise mean ||φ(x) − c||² (+ weight decay); the score is ||φ(x) − c||².
// No biases and no bounded output, so φ cannot map everything to c trivially (the paper's Propositions 2-3).
// A small model of its own: the families are autoencoders and GANs, and this is neither.
import { permutation } from '../../data/random.js';
import { type Tensor, tf, type Variable } from '../../engine/tf.js';
import type { Matrix } from '../../io/arrays.js';
import { checkColumns, type Detector, fitted } from './detector.js';

export interface DeepSvddOptions {
  /** Units of the hidden layers then the output (PyOD's default [64, 32]). */
  units?: number[];
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** L2 weight decay (Ruff et al.'s 1e-6). */
  weightDecay?: number;
  seed?: number;
}

/** Ruff et al.'s code: centre coordinates this close to 0 are pushed to ±EPS, so a zero output is not the answer. */
const CENTRE_EPS = 0.1;
/** Steps at least, on small tables (as the training loop's defaultEpochs rule). */
const MIN_STEPS = 1000;
const MAX_EPOCHS = 200;

export class DeepSvdd implements Detector {
  readonly name = 'deep-svdd';
  private state?: { weights: Variable[]; centre: Tensor; cols: number };
  private readonly units: number[];
  constructor(readonly options: DeepSvddOptions = {}) {
    this.units = options.units ?? [64, 32];
  }

  private forward(weights: readonly Tensor[], x: Tensor): Tensor {
    return weights.reduce(
      (h, w, k) => (k < weights.length - 1 ? tf.leakyRelu(tf.matMul(h, w), 0.1) : tf.matMul(h, w)),
      x,
    );
  }

  async fit(x: Matrix): Promise<void> {
    this.dispose();
    const seed = this.options.seed ?? 0;
    const batchSize = Math.min(this.options.batchSize ?? 64, x.rows);
    const batches = Math.ceil(x.rows / batchSize);
    const epochs = this.options.epochs ?? Math.max(20, Math.min(MAX_EPOCHS, Math.ceil(MIN_STEPS / batches)));
    const sizes = [x.cols, ...this.units];
    // Glorot-uniform, seeded per layer.
    const weights = sizes.slice(1).map((out, k) => {
      const limit = Math.sqrt(6 / (sizes[k] + out));
      const initial = tf.randomUniform([sizes[k], out], -limit, limit, 'float32', seed * 31 + k);
      const weight = tf.variable(initial);
      initial.dispose();
      return weight;
    });
    const all = tf.tensor2d(x.data, [x.rows, x.cols]);
    const centre = tf.tidy(() => {
      const mean = tf.mean(this.forward(weights, all), 0);
      const pushed = tf.where(
        tf.less(tf.abs(mean), CENTRE_EPS),
        tf.mul(tf.sign(tf.add(mean, 1e-12)), CENTRE_EPS),
        mean,
      );
      return tf.keep(pushed);
    });
    const optimizer = tf.train.adam(this.options.learningRate ?? 1e-3);
    const decay = this.options.weightDecay ?? 1e-6;
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = permutation(x.rows, seed * 1000 + epoch);
      for (let b = 0; b < batches; b++) {
        const rows = order.subarray(b * batchSize, Math.min(x.rows, (b + 1) * batchSize));
        tf.tidy(() => {
          const batch = tf.gather(all, tf.tensor1d(rows, 'int32'));
          optimizer.minimize(
            () => {
              const distance = tf.mean(tf.sum(tf.square(tf.sub(this.forward(weights, batch), centre)), 1));
              const l2 = tf.addN(weights.map((w) => tf.sum(tf.square(w))));
              return tf.add(distance, tf.mul(l2, decay / 2)) as tf.Scalar;
            },
            false,
            weights,
          );
        });
      }
    }
    optimizer.dispose();
    all.dispose();
    this.state = { weights, centre, cols: x.cols };
  }

  async score(x: Matrix): Promise<Float64Array> {
    const { weights, centre, cols } = fitted(this.state, this.name);
    checkColumns(x, cols, this.name);
    const distances = tf.tidy(() =>
      tf.sum(tf.square(tf.sub(this.forward(weights, tf.tensor2d(x.data, [x.rows, cols])), centre)), 1),
    );
    const values = Float64Array.from(await distances.data());
    distances.dispose();
    return values;
  }

  dispose(): void {
    if (!this.state) return;
    tf.dispose([...this.state.weights, this.state.centre]);
    this.state = undefined;
  }
}
