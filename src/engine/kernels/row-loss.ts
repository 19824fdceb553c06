// Reconstruction losses as one kernel each way: a prediction against its target of the same shape, summed over
// each sample's entries. Squared error, and the Bernoulli negative log-likelihood of the target under
// sigmoid(logits), max(l, 0) - t·l + log(1 + e^-|l|). Composed from stock ops, a mean squared error took 4
// kernels forward and 5 back, and the Bernoulli term 7 forward and 9 back, two of them transcendental passes
// (Exp and Log1p on one wasm thread: 2.4 ms of a dense VAE's 20 ms step); the kernels read the operands once
// forward and once back. Kernels: wasm and cpu in JS (below), native in C (native/src/losses.c); on any other
// backend, or for operands the kernels do not take, the op composes the stock ops it replaces.
import { tf } from '../tf.js';
import type { WasmKernelArgs } from './batch-mat-mul.js';

/** Inputs target, prediction (float32, one shape); attrs kind, rank; output [...leading] of the row sums. */
export const ROW_LOSS = 'LatentlabRowLoss';
/** Inputs target, prediction, dy (the output's shape); attrs kind, rank; output dprediction. */
export const ROW_LOSS_GRAD = 'LatentlabRowLossGrad';

/** What is summed: (prediction - target)², or -log Bernoulli(target | sigmoid(prediction)) from logits. */
export type RowLossKind = 'squared' | 'bernoulli-logits';
/** The kinds as the kernels' `kind` attribute and the addon's enum (native/src/native.h, row_loss_kind). */
export const ROW_LOSS_KINDS: Readonly<Record<RowLossKind, number>> = { squared: 0, 'bernoulli-logits': 1 };

/** Rows and entries per row of a [..., entries] operand whose last `rank` axes are summed. */
export function lossRows(shape: number[], rank: number): { rows: number; cols: number; outShape: number[] } {
  const outShape = shape.slice(0, shape.length - rank);
  const cols = tf.util.sizeFromShape(shape.slice(shape.length - rank));
  return {
    rows: cols > 0 ? tf.util.sizeFromShape(shape) / cols : tf.util.sizeFromShape(outShape),
    cols,
    outShape,
  };
}

function bernoulliEntry(t: number, l: number): number {
  return Math.max(l, 0) - t * l + Math.log1p(Math.exp(-Math.abs(l)));
}

/** The forward pass in JS: out[r] = Σ over the row's entries (see ROW_LOSS). */
export function rowLossRows(
  kind: number,
  target: Float32Array,
  prediction: Float32Array,
  rows: number,
  cols: number,
  out: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    const base = r * cols;
    if (kind === ROW_LOSS_KINDS.squared) {
      for (let c = base; c < base + cols; c++) {
        const d = prediction[c] - target[c];
        sum += d * d;
      }
    } else {
      for (let c = base; c < base + cols; c++) sum += bernoulliEntry(target[c], prediction[c]);
    }
    out[r] = sum;
  }
}

/** The gradient in JS: dprediction = dy[r] · (2 (prediction - target), or sigmoid(prediction) - target). */
export function rowLossGradRows(
  kind: number,
  target: Float32Array,
  prediction: Float32Array,
  dy: Float32Array,
  rows: number,
  cols: number,
  out: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const g = dy[r];
    const base = r * cols;
    if (kind === ROW_LOSS_KINDS.squared) {
      for (let c = base; c < base + cols; c++) out[c] = 2 * (prediction[c] - target[c]) * g;
    } else {
      for (let c = base; c < base + cols; c++) {
        const l = prediction[c];
        const e = Math.exp(-Math.abs(l));
        const sigmoid = l >= 0 ? 1 / (1 + e) : e / (1 + e);
        out[c] = (sigmoid - target[c]) * g;
      }
    }
  }
}

type Make = (shape: number[], dtype: tf.DataType) => tf.TensorInfo;
type View = (t: tf.TensorInfo) => Float32Array;

function forward(
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap,
  make: Make,
  view: View,
): tf.TensorInfo {
  const { target, prediction } = inputs as Record<string, tf.TensorInfo>;
  const { rows, cols, outShape } = lossRows(prediction.shape, attrs.rank as number);
  const out = make(outShape, 'float32');
  // Views after the output is made: making one may grow (and so move) the wasm heap.
  rowLossRows(attrs.kind as number, view(target), view(prediction), rows, cols, view(out));
  return out;
}

function backward(
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap,
  make: Make,
  view: View,
): tf.TensorInfo {
  const { target, prediction, dy } = inputs as Record<string, tf.TensorInfo>;
  const { rows, cols } = lossRows(prediction.shape, attrs.rank as number);
  const out = make(prediction.shape, 'float32');
  rowLossGradRows(attrs.kind as number, view(target), view(prediction), view(dy), rows, cols, view(out));
  return out;
}

export function createRowLossWasmConfigs(): tf.KernelConfig[] {
  const run =
    (body: typeof forward) =>
    ({ inputs, backend, attrs }: WasmKernelArgs) =>
      body(
        inputs as tf.NamedTensorInfoMap,
        attrs as tf.NamedAttrMap,
        (s, d) => backend.makeOutput(s, d),
        (t) => backend.typedArrayFromHeap(t) as Float32Array,
      );
  return [
    { kernelName: ROW_LOSS, backendName: 'wasm', kernelFunc: run(forward) as unknown as tf.KernelFunc },
    { kernelName: ROW_LOSS_GRAD, backendName: 'wasm', kernelFunc: run(backward) as unknown as tf.KernelFunc },
  ];
}

interface CpuBackend {
  data: { get(id: tf.DataId): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: unknown): tf.TensorInfo;
}

export function createRowLossCpuConfigs(): tf.KernelConfig[] {
  const run =
    (body: typeof forward) =>
    ({
      inputs,
      backend,
      attrs,
    }: {
      inputs: tf.NamedTensorInfoMap;
      backend: unknown;
      attrs: tf.NamedAttrMap;
    }) => {
      const cpu = backend as CpuBackend;
      return body(
        inputs,
        attrs,
        (shape, dtype) => cpu.makeTensorInfo(shape, dtype, new Float32Array(tf.util.sizeFromShape(shape))),
        (t) => cpu.data.get(t.dataId).values as Float32Array,
      );
    };
  return [
    { kernelName: ROW_LOSS, backendName: 'cpu', kernelFunc: run(forward) as unknown as tf.KernelFunc },
    { kernelName: ROW_LOSS_GRAD, backendName: 'cpu', kernelFunc: run(backward) as unknown as tf.KernelFunc },
  ];
}

/** dy of the row sums, broadcast over each row's entries: [...leading] → [...leading, 1, ..., 1]. */
function perEntry(dy: tf.Tensor, rank: number): tf.Tensor {
  return tf.reshape(dy, [...dy.shape, ...new Array<number>(rank).fill(1)]);
}

/** The prediction's gradient by the kernel; the target's (rarely asked for: it is usually data) by stock ops. */
export const rowLossGradConfig: tf.GradConfig = {
  kernelName: ROW_LOSS,
  inputsToSave: ['target', 'prediction'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const [target, prediction] = saved;
    const grad = dy as tf.Tensor;
    const rank = attrs.rank as number;
    return {
      prediction: () =>
        tf.engine().runKernel(ROW_LOSS_GRAD, { target, prediction, dy: grad }, attrs) as tf.Tensor,
      target: () =>
        attrs.kind === ROW_LOSS_KINDS.squared
          ? tf.mul(tf.mul(tf.sub(target, prediction), 2), perEntry(grad, rank))
          : tf.mul(tf.neg(prediction), perEntry(grad, rank)),
    };
  },
};

/** The stock composition the kernels replace (and what runs where they are missing). */
function composed(kind: RowLossKind, target: tf.Tensor, prediction: tf.Tensor, rank: number): tf.Tensor {
  const entries =
    kind === 'squared'
      ? tf.squaredDifference(target, prediction)
      : tf.add(
          tf.sub(tf.relu(prediction), tf.mul(target, prediction)),
          tf.log1p(tf.exp(tf.neg(tf.abs(prediction)))),
        );
  const axes = Array.from({ length: rank }, (_, i) => entries.rank - rank + i);
  return rank === 0 ? entries : tf.sum(entries, axes);
}

/**
 * Per sample, the loss of `prediction` against `target` summed over their last `rank` axes: [...leading].
 * `kind` 'squared' sums (prediction - target)²; 'bernoulli-logits' sums the Bernoulli negative log-likelihood in
 * nats of the target (in [0, 1]) under sigmoid(prediction), computed from the logits so that no logit overflows
 * or takes log(0). Differentiable in both operands. Runs the fused kernel where the backend has it (native, wasm,
 * cpu with latentlab's kernels) and the operands are float32 of one shape; stock ops otherwise.
 */
export function rowLoss(
  kind: RowLossKind,
  target: tf.Tensor,
  prediction: tf.Tensor,
  rank: number,
): tf.Tensor {
  return tf.tidy(() => {
    const fused =
      target.dtype === 'float32' &&
      prediction.dtype === 'float32' &&
      tf.util.arraysEqual(target.shape, prediction.shape) &&
      rank >= 0 &&
      rank <= prediction.rank &&
      tf.getKernel(ROW_LOSS, tf.getBackend()) !== undefined &&
      tf.getGradient(ROW_LOSS) !== undefined;
    if (!fused) return composed(kind, target, prediction, rank);
    return tf
      .engine()
      .runKernel(ROW_LOSS, { target, prediction }, { kind: ROW_LOSS_KINDS[kind], rank }) as tf.Tensor;
  });
}

/** The mean over every entry of (prediction - target)², as a scalar (one kernel each way where fused). */
export function meanSquaredError(target: tf.Tensor, prediction: tf.Tensor): tf.Scalar {
  return tf.tidy(() =>
    tf.util.arraysEqual(target.shape, prediction.shape)
      ? (tf.div(rowLoss('squared', target, prediction, prediction.rank), prediction.size) as tf.Scalar)
      : (tf.mean(tf.squaredDifference(target, prediction)) as tf.Scalar),
  );
}
