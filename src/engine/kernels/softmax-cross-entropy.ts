// Softmax cross-entropy of logits [..., V] against integer labels [...], as one kernel with its own gradient:
// what a language model's loss over a 10,000-token vocabulary needs. Composed from stock ops (logSoftmax times a
// one-hot, summed) it made ~10 passes over [n, T, V] forward and backward, a [n, T, V] one-hot, and a Tile of
// the softmax sums; here the forward reads the logits twice and the gradient writes them once. Kernels: wasm and
// cpu in JS (below), native in C (native/src/softmax.c); on any other backend the op composes stock ops.
import { tf } from '../tf.js';
import type { WasmKernelArgs } from './batch-mat-mul.js';

/** Inputs logits (float32 [..., V]) and labels (int32 [...]); outputs nll, logSumExp (float32 [...]), argMax (int32 [...]). */
export const SOFTMAX_CROSS_ENTROPY = 'LatentlabSoftmaxCrossEntropy';
/** Inputs logits, lse, labels, dnll, dlse; output dlogits = softmax · (dnll + dlse) - onehot(label) · dnll. */
export const SOFTMAX_CROSS_ENTROPY_GRAD = 'LatentlabSoftmaxCrossEntropyGrad';

/** Rows and vocabulary of logits [..., V]. */
export function softmaxRows(logits: tf.TensorInfo): { rows: number; cols: number } {
  const cols = logits.shape[logits.shape.length - 1] ?? 1;
  return { rows: cols > 0 ? tf.util.sizeFromShape(logits.shape) / cols : 0, cols };
}

/** The forward pass in JS over rows of `logits` (see SOFTMAX_CROSS_ENTROPY); labels outside [0, V) give 0. */
export function softmaxCrossEntropyRows(
  logits: Float32Array,
  labels: Int32Array,
  rows: number,
  cols: number,
  nll: Float32Array,
  lse: Float32Array,
  argMax: Int32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let max = logits[base];
    let at = 0;
    for (let c = 1; c < cols; c++) {
      if (logits[base + c] > max) {
        max = logits[base + c];
        at = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(logits[base + c] - max);
    const l = max + Math.log(sum);
    const label = labels[r];
    lse[r] = l;
    nll[r] = label >= 0 && label < cols ? l - logits[base + label] : 0;
    argMax[r] = at;
  }
}

/** The gradient in JS (see SOFTMAX_CROSS_ENTROPY_GRAD); rows whose two output gradients are 0 are all 0. */
export function softmaxCrossEntropyGradRows(
  logits: Float32Array,
  lse: Float32Array,
  labels: Int32Array,
  dnll: Float32Array,
  dlse: Float32Array,
  rows: number,
  cols: number,
  dlogits: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const label = labels[r];
    const valid = label >= 0 && label < cols;
    // A label outside the vocabulary has loss 0 whatever the logits, as an all-zero one-hot gives.
    const dn = valid ? dnll[r] : 0;
    const scale = dn + dlse[r];
    if (scale === 0) {
      // Masked positions (<pad> targets) get no gradient: skip their exponentials.
      dlogits.fill(0, base, base + cols);
    } else {
      const l = lse[r];
      for (let c = 0; c < cols; c++) dlogits[base + c] = Math.exp(logits[base + c] - l) * scale;
    }
    if (valid) dlogits[base + label] -= dn;
  }
}

type Views = (t: tf.TensorInfo) => Float32Array | Int32Array;

function forward(
  inputs: tf.NamedTensorInfoMap,
  make: (shape: number[], dtype: tf.DataType) => tf.TensorInfo,
  view: Views,
): tf.TensorInfo[] {
  const { logits, labels } = inputs as { logits: tf.TensorInfo; labels: tf.TensorInfo };
  checkOperands(logits, labels);
  const { rows, cols } = softmaxRows(logits);
  const shape = labels.shape;
  const outs = [make(shape, 'float32'), make(shape, 'float32'), make(shape, 'int32')];
  // Views after every output is made: making one may grow (and so move) the wasm heap.
  const [nll, lse, argMax] = outs.map(view);
  softmaxCrossEntropyRows(
    view(logits) as Float32Array,
    view(labels) as Int32Array,
    rows,
    cols,
    nll as Float32Array,
    lse as Float32Array,
    argMax as Int32Array,
  );
  return outs;
}

function backward(
  inputs: tf.NamedTensorInfoMap,
  make: (shape: number[], dtype: tf.DataType) => tf.TensorInfo,
  view: Views,
): tf.TensorInfo {
  const { logits, lse, labels, dnll, dlse } = inputs as Record<string, tf.TensorInfo>;
  const { rows, cols } = softmaxRows(logits);
  const out = make(logits.shape, 'float32');
  softmaxCrossEntropyGradRows(
    view(logits) as Float32Array,
    view(lse) as Float32Array,
    view(labels) as Int32Array,
    view(dnll) as Float32Array,
    view(dlse) as Float32Array,
    rows,
    cols,
    view(out) as Float32Array,
  );
  return out;
}

/** Shapes and dtypes the kernels accept; the op casts labels to int32 before calling them. */
export function checkOperands(logits: tf.TensorInfo, labels: tf.TensorInfo): void {
  const ok =
    logits.dtype === 'float32' &&
    labels.dtype === 'int32' &&
    logits.shape.length === labels.shape.length + 1 &&
    tf.util.arraysEqual(logits.shape.slice(0, -1), labels.shape) &&
    logits.shape[logits.shape.length - 1] > 0;
  if (!ok) {
    throw new Error(
      `${SOFTMAX_CROSS_ENTROPY}: expected float32 logits [..., V] (V > 0) and int32 labels [...] of the leading shape, got ${logits.dtype} [${logits.shape}] and ${labels.dtype} [${labels.shape}]`,
    );
  }
}

export function createSoftmaxCrossEntropyWasmConfigs(): tf.KernelConfig[] {
  const view =
    (backend: WasmKernelArgs['backend']): Views =>
    (t) =>
      backend.typedArrayFromHeap(t) as Float32Array | Int32Array;
  return [
    {
      kernelName: SOFTMAX_CROSS_ENTROPY,
      backendName: 'wasm',
      kernelFunc: (({ inputs, backend }: WasmKernelArgs) =>
        forward(
          inputs as tf.NamedTensorInfoMap,
          (s, d) => backend.makeOutput(s, d),
          view(backend),
        )) as unknown as tf.KernelFunc,
    },
    {
      kernelName: SOFTMAX_CROSS_ENTROPY_GRAD,
      backendName: 'wasm',
      kernelFunc: (({ inputs, backend }: WasmKernelArgs) =>
        backward(
          inputs as tf.NamedTensorInfoMap,
          (s, d) => backend.makeOutput(s, d),
          view(backend),
        )) as unknown as tf.KernelFunc,
    },
  ];
}

interface CpuBackend {
  data: { get(id: tf.DataId): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: unknown): tf.TensorInfo;
}

export function createSoftmaxCrossEntropyCpuConfigs(): tf.KernelConfig[] {
  const run =
    <T>(body: typeof forward | typeof backward) =>
    ({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }) => {
      const cpu = backend as CpuBackend;
      const make = (shape: number[], dtype: tf.DataType) =>
        cpu.makeTensorInfo(
          shape,
          dtype,
          dtype === 'int32'
            ? new Int32Array(tf.util.sizeFromShape(shape))
            : new Float32Array(tf.util.sizeFromShape(shape)),
        );
      return body(inputs, make, (t) => cpu.data.get(t.dataId).values as Float32Array) as T;
    };
  return [
    {
      kernelName: SOFTMAX_CROSS_ENTROPY,
      backendName: 'cpu',
      kernelFunc: run(forward) as unknown as tf.KernelFunc,
    },
    {
      kernelName: SOFTMAX_CROSS_ENTROPY_GRAD,
      backendName: 'cpu',
      kernelFunc: run(backward) as unknown as tf.KernelFunc,
    },
  ];
}

/** The gradient: logits only (labels are ids); dlse is zeros unless a caller used the kernel's lse output. */
export const softmaxCrossEntropyGradConfig: tf.GradConfig = {
  kernelName: SOFTMAX_CROSS_ENTROPY,
  inputsToSave: ['logits', 'labels'],
  outputsToSave: [false, true, false],
  gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
    const [dnll, dlse] = dys as tf.Tensor[];
    const [logits, labels, lse] = saved;
    return {
      logits: () =>
        tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY_GRAD, { logits, lse, labels, dnll, dlse }) as tf.Tensor,
      labels: () => tf.zerosLike(labels),
    };
  },
};

/**
 * Per position of logits [..., V] and labels [...] (ids, any dtype; cast to int32): the cross-entropy
 * -log softmax(logits)[label] in nats (0 where the label is outside [0, V), as against a one-hot of it) and the
 * argmax of the logits (int32, the first of equal maxima, as tf.argMax). Differentiable in the logits. Runs the
 * fused kernel where the backend has it (native, wasm, cpu with latentlab's kernels), stock ops elsewhere.
 */
export function softmaxCrossEntropy(
  logits: tf.Tensor,
  labels: tf.Tensor,
): { nll: tf.Tensor; argMax: tf.Tensor } {
  return tf.tidy(() => {
    const ids = labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32');
    if (tf.getKernel(SOFTMAX_CROSS_ENTROPY, tf.getBackend()) && tf.getGradient(SOFTMAX_CROSS_ENTROPY)) {
      const [nll, , argMax] = tf
        .engine()
        .runKernel(SOFTMAX_CROSS_ENTROPY, { logits, labels: ids }, {}) as tf.Tensor[];
      return { nll, argMax };
    }
    const vocabulary = logits.shape[logits.shape.length - 1]!;
    return {
      nll: tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(ids, vocabulary, 1, 0, 'float32')), -1)),
      argMax: tf.argMax(logits, -1),
    };
  });
}
