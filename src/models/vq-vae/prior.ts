// The VQ-VAE's prior: a gated PixelCNN (van den Oord et al. 2016) over the code grid in raster order. Its masks
// are realised by shifts rather than masked kernels, so the network is stock tfjs layers (ZeroPadding2D, Conv2D,
// Cropping2D) that any TensorFlow.js loads: a vertical stack sees only rows above, a horizontal stack only the
// columns to the left in its row (type A in the first layer, type B after), and no position sees itself.
import { type Tensor, tf, tfl } from '../../engine/tf.js';
import type { BuildContext } from '../family.js';
import { initialisers, type Symbolic } from '../shared/layers.js';
import type { VqVaeConfig } from './config.js';

type PriorSpec = Pick<VqVaeConfig, 'codebookSize' | 'priorFilters' | 'priorLayers' | 'priorKernelSize'>;

/** One-hot code indices [n, h, w, K] → logits of each position's code given the codes before it [n, h, w, K]. */
export function buildPrior(spec: PriorSpec, grid: [number, number], context: BuildContext): tfl.LayersModel {
  const init = initialisers(context, 200);
  const { codebookSize: k, priorFilters: f, priorLayers, priorKernelSize } = spec;
  const r = (priorKernelSize - 1) / 2;
  const input = tfl.input({ shape: [grid[0], grid[1], k], name: 'codes_one_hot' });
  const conv = (filters: number, kernelSize: [number, number], name: string, activation?: 'relu') =>
    tfl.layers.conv2d({ filters, kernelSize, padding: 'valid', activation, kernelInitializer: init(), name });
  const pad = (padding: [[number, number], [number, number]], name: string) =>
    tfl.layers.zeroPadding2d({ padding, name });
  const apply = (layer: tfl.layers.Layer, ...inputs: Symbolic[]) =>
    layer.apply(inputs.length === 1 ? inputs[0] : inputs) as Symbolic;

  // Type A. Vertical: rows i-r-1 .. i-1 (padded r+1 above, the last row cropped). Horizontal: columns
  // j-r-1 .. j-1 of row i (padded r+1 left, the last column cropped); the vertical stack joins it.
  let v = apply(
    pad(
      [
        [r + 1, 0],
        [r, r],
      ],
      'prior_v0_pad',
    ),
    input,
  );
  v = apply(conv(f, [r + 1, 2 * r + 1], 'prior_v0'), v);
  v = apply(
    tfl.layers.cropping2D({
      cropping: [
        [0, 1],
        [0, 0],
      ],
      name: 'prior_v0_crop',
    }),
    v,
  );
  let h = apply(
    pad(
      [
        [0, 0],
        [r + 1, 0],
      ],
      'prior_h0_pad',
    ),
    input,
  );
  h = apply(conv(f, [1, r + 1], 'prior_h0'), h);
  h = apply(
    tfl.layers.cropping2D({
      cropping: [
        [0, 0],
        [0, 1],
      ],
      name: 'prior_h0_crop',
    }),
    h,
  );
  h = apply(tfl.layers.add({ name: 'prior_h0_join' }), h, v);

  // Type B blocks: the vertical stack's row i reads its rows i-r .. i (each already strictly above the image
  // row i), the horizontal one its columns j-r .. j; gates tanh(a)·sigmoid(b), the vertical stack feeding both
  // of the horizontal stack's gates, and a residual connection on the horizontal stack.
  for (let l = 1; l <= priorLayers; l++) {
    const vPadded = apply(
      pad(
        [
          [r, 0],
          [r, r],
        ],
        `prior_v${l}_pad`,
      ),
      v,
    );
    const vTanh = apply(
      tfl.layers.activation({ activation: 'tanh', name: `prior_v${l}_tanh` }),
      apply(conv(f, [r + 1, 2 * r + 1], `prior_v${l}_a`), vPadded),
    );
    const vGate = apply(
      tfl.layers.activation({ activation: 'sigmoid', name: `prior_v${l}_sigmoid` }),
      apply(conv(f, [r + 1, 2 * r + 1], `prior_v${l}_b`), vPadded),
    );
    const vNext = apply(tfl.layers.multiply({ name: `prior_v${l}_gated` }), vTanh, vGate);
    const hPadded = apply(
      pad(
        [
          [0, 0],
          [r, 0],
        ],
        `prior_h${l}_pad`,
      ),
      h,
    );
    const gate = (which: 'a' | 'b', activation: 'tanh' | 'sigmoid') =>
      apply(
        tfl.layers.activation({ activation, name: `prior_h${l}_${activation}` }),
        apply(
          tfl.layers.add({ name: `prior_h${l}_${which}_join` }),
          apply(conv(f, [1, r + 1], `prior_h${l}_${which}`), hPadded),
          apply(conv(f, [1, 1], `prior_vh${l}_${which}`), vNext),
        ),
      );
    const gated = apply(
      tfl.layers.multiply({ name: `prior_h${l}_gated` }),
      gate('a', 'tanh'),
      gate('b', 'sigmoid'),
    );
    h = apply(
      tfl.layers.add({ name: `prior_h${l}_residual` }),
      h,
      apply(conv(f, [1, 1], `prior_h${l}_out`), gated),
    );
    v = vNext;
  }
  const hidden = apply(conv(f, [1, 1], 'prior_head', 'relu'), h);
  const logits = apply(conv(k, [1, 1], 'prior_logits'), hidden);
  return tfl.model({ inputs: input, outputs: logits, name: 'prior' });
}

/** Log-probabilities [n, h, w, K] of every code at every position, given the codes before it. */
export function priorLogProbabilities(prior: tfl.LayersModel, indices: Tensor, codebookSize: number): Tensor {
  return tf.tidy(() => {
    const logits = prior.apply(tf.oneHot(tf.cast(indices, 'int32'), codebookSize), {
      training: false,
    }) as Tensor;
    return tf.logSoftmax(logits);
  });
}

/** Mean cross-entropy of the codes under the prior, nats per position: the prior's training loss. */
export function priorLoss(prior: tfl.LayersModel, indices: Tensor, codebookSize: number, training: boolean) {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(tf.cast(indices, 'int32'), codebookSize);
    const logits = prior.apply(oneHot, { training }) as Tensor;
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), -1))) as tf.Scalar;
  });
}

/**
 * Logits [n, w, K] of row `row` given the grid's rows above it and `indices` [n, h, w] (only the codes before
 * each position count). The prior is convolutional and its stacks only look up and left, so it runs on rows
 * 0 .. row alone: the same outputs for those rows, at (row + 1) / h of the cost.
 */
export function rowLogits(
  prior: tfl.LayersModel,
  indices: Int32Array,
  n: number,
  grid: [number, number],
  codebookSize: number,
  row: number,
): Tensor {
  const [h, w] = grid;
  return tf.tidy(() => {
    const known = tf.slice(tf.tensor3d(indices, [n, h, w], 'int32'), [0, 0, 0], [n, row + 1, w]);
    // apply, not predict: predict insists on the saved [h, w] shape.
    const logits = prior.apply(tf.oneHot(known, codebookSize), { training: false }) as Tensor;
    return tf.reshape(tf.slice(logits, [0, row, 0, 0], [n, 1, w, codebookSize]), [n, w, codebookSize]);
  });
}

/**
 * Code grids [n, h, w] int32 drawn ancestrally from the prior: position by position in raster order, each drawn
 * from its conditional given the ones before (seeded per position, so a seed gives the same grids).
 */
export function samplePriorIndices(
  prior: tfl.LayersModel,
  n: number,
  grid: [number, number],
  codebookSize: number,
  seed: number,
): Tensor {
  const [h, w] = grid;
  const indices = new Int32Array(n * h * w);
  for (let p = 0; p < h * w; p++) {
    const [row, col] = [Math.floor(p / w), p % w];
    const drawn = tf.tidy(() => {
      const logits = tf.slice(
        rowLogits(prior, indices, n, grid, codebookSize, row),
        [0, col, 0],
        [n, 1, codebookSize],
      );
      return tf.multinomial(tf.reshape(logits, [n, codebookSize]) as tf.Tensor2D, 1, (seed + p * 7919) >>> 0);
    });
    const values = drawn.dataSync();
    drawn.dispose();
    for (let i = 0; i < n; i++) indices[i * h * w + p] = values[i];
  }
  return tf.tensor3d(indices, [n, h, w], 'int32');
}
