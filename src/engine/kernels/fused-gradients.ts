// Gradients of tfjs-core's fused conv2d and matMul (what tfjs-layers' Conv2D and Dense call), one per input.
// Stock records each as a customGrad closure that computes every input's gradient, needed or not: in a GAN's
// generator step the discriminator's filter gradients, in its discriminator step the first conv's input
// gradient (~30 ms of a DCGAN step). Here a linear fused op runs its kernel through the registry, where
// these gradients hand the tape one thunk per input, and the tape calls only the ones it needs. On the native
// backend fused ops also keep relu, elu and sigmoid, whose gradient (with the bias's) is one kernel there.
import { ACTIVATION_GRAD_KERNEL } from '../native/kernels.js';
import { tf, tfl } from '../tf.js';

type FusedConv2DArgs = Parameters<typeof tf.fused.conv2d>[0];
type FusedMatMulArgs = Parameters<typeof tf.fused.matMul>[0];
type Fused = { conv2d: typeof tf.fused.conv2d; matMul: typeof tf.fused.matMul };

/** Sum of dy over every axis but the last: the gradient of a [channels] bias added to dy's shape. */
function biasGradient(dy: tf.Tensor): tf.Tensor {
  return tf.sum(dy, [...Array(dy.rank - 1).keys()]);
}

/** Activations a fused op keeps under the gradient tape: each one's derivative is a function of its output. */
const DIFFERENTIABLE_FUSED = new Set(['linear', 'relu', 'elu', 'sigmoid']);

/** Whether the active backend runs the fused activation gradient and rank-2 products as single kernels (native). */
function nativeFusedGradients(): boolean {
  return tf.getKernel(ACTIVATION_GRAD_KERNEL, tf.getBackend()) != null;
}

/** x · y with transposes: one BatchMatMul on rank-2 operands where the backend takes them, else tf.matMul. */
function product(x: tf.Tensor, y: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  if (x.rank === 2 && y.rank === 2 && nativeFusedGradients()) {
    return tf.engine().runKernel(tf.BatchMatMul, { a: x, b: y }, { transposeA, transposeB }) as tf.Tensor;
  }
  return tf.matMul(x, y, transposeA, transposeB);
}

/** Whether kernels run now are recorded by a tape (during a backward pass: an enclosing gradient's). */
function recordingBackward(): boolean {
  return (tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth > 0;
}

/**
 * dz = dy · f'(y) for the fused activation f, with the bias gradient when the backend computes both in one
 * pass (native); elsewhere tfjs-core's own gradient of f, written out.
 */
function activationBackward(
  dy: tf.Tensor,
  y: tf.Tensor,
  activation: string,
): { dz: tf.Tensor; dbias?: tf.Tensor } {
  if (activation === 'linear') return { dz: dy };
  // The kernel has no gradient of its own: when this backward pass is itself recorded (a gradient penalty
  // differentiates it again), the composite ops below are used.
  if (nativeFusedGradients() && !recordingBackward()) {
    const [dz, dbias] = tf
      .engine()
      .runKernel(ACTIVATION_GRAD_KERNEL, { dy, y }, { activation }) as tf.Tensor[];
    return { dz, dbias };
  }
  switch (activation) {
    case 'relu':
      return { dz: tf.mul(dy, tf.step(y)) };
    case 'elu':
      return { dz: tf.engine().runKernel(tf.EluGrad, { dy, y }) as tf.Tensor };
    default:
      return { dz: tf.mul(dy, tf.mul(y, tf.sub(1, y))) };
  }
}

/** The fused activation of a kernel's attrs, refused when its gradient is not written here. */
function differentiableActivation(kernelName: string, attrs: tf.NamedAttrMap): string {
  const activation = (attrs.activation as string | undefined) ?? 'linear';
  if (!DIFFERENTIABLE_FUSED.has(activation)) {
    throw new Error(
      `${kernelName}: no gradient for the fused activation '${activation}' (only ${[...DIFFERENTIABLE_FUSED].join(', ')})`,
    );
  }
  return activation;
}

export const fusedConv2DGradConfig: tf.GradConfig = {
  kernelName: tf.FusedConv2D,
  inputsToSave: ['x', 'filter'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs): ReturnType<tf.GradFunc> => {
    const activation = differentiableActivation(tf.FusedConv2D, attrs);
    const [x, filter, y] = saved;
    const { dz, dbias } = activationBackward(dy as tf.Tensor, y, activation);
    // The unfused conv's gradient, which is already one thunk per input.
    const conv = tf.getGradient(tf.Conv2D).gradFunc(dz, [x, filter], attrs);
    return { ...conv, bias: () => dbias ?? biasGradient(dz) };
  },
};

export const fusedMatMulGradConfig: tf.GradConfig = {
  kernelName: tf._FusedMatMul,
  inputsToSave: ['a', 'b'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs): ReturnType<tf.GradFunc> => {
    const activation = differentiableActivation(tf._FusedMatMul, attrs);
    const [a, b, y] = saved;
    // Computed once, outside the per-input thunks: every thunk needs it.
    const { dz, dbias } = activationBackward(dy as tf.Tensor, y, activation);
    const transposeA = attrs.transposeA === true;
    const transposeB = attrs.transposeB === true;
    if (a.rank !== 2 || b.rank !== 2) {
      // Batched products: the stock gradient, which also sums over broadcast batch dims.
      const stock = tf.getGradient(tf.BatchMatMul).gradFunc(dz, [a, b], attrs);
      return { ...stock, bias: () => dbias ?? biasGradient(dz) };
    }
    return {
      a: () => (transposeA ? product(b, dz, transposeB, true) : product(dz, b, false, !transposeB)),
      b: () => (transposeB ? product(dz, a, true, transposeA) : product(a, dz, !transposeA, false)),
      bias: () => dbias ?? biasGradient(dz),
    };
  },
};

/** A float32 tensor of this rank (the fused ops also take arrays, and other dtypes: those stay stock). */
function isFloatTensor(t: unknown, rank?: number): t is tf.Tensor {
  return t instanceof tf.Tensor && t.dtype === 'float32' && (rank === undefined || t.rank === rank);
}

/** One bias value per output channel (other broadcasts stay stock). */
function isChannelBias(bias: unknown, channels: number): boolean {
  return bias == null || (isFloatTensor(bias, 1) && bias.shape[0] === channels);
}

function routedConv2D(stock: Fused['conv2d']): Fused['conv2d'] {
  const routed = (args: FusedConv2DArgs): tf.Tensor => {
    const { x, filter, strides, pad, dataFormat = 'NHWC', dilations = [1, 1], dimRoundingMode, bias } = args;
    const activation = args.activation ?? 'linear';
    const simple =
      // As for products: activations other than linear only where their gradient is one kernel (native).
      (activation === 'linear' || (nativeFusedGradients() && DIFFERENTIABLE_FUSED.has(activation))) &&
      args.preluActivationWeights == null &&
      dataFormat === 'NHWC' &&
      isFloatTensor(x, 4) &&
      isFloatTensor(filter, 4) &&
      x.shape[3] === filter.shape[2] &&
      (dilations === 1 || (Array.isArray(dilations) && dilations.every((d) => d === 1))) &&
      isChannelBias(bias, filter.shape[3]);
    if (!simple) return stock(args);
    const inputs: tf.NamedTensorMap = bias ? { x, filter, bias: bias as tf.Tensor } : { x, filter };
    const attrs = { strides, pad, dataFormat, dilations, dimRoundingMode, activation };
    return tf.engine().runKernel(tf.FusedConv2D, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  };
  return routed as Fused['conv2d'];
}

function routedMatMul(stock: Fused['matMul']): Fused['matMul'] {
  return (args: FusedMatMulArgs) => {
    const { a, b, transposeA = false, transposeB = false, bias } = args;
    const activation = args.activation ?? 'linear';
    const direct = nativeFusedGradients();
    if (
      // Activations other than linear need the backend's one-pass gradient; elsewhere stock unfuses them.
      !(activation === 'linear' || (direct && DIFFERENTIABLE_FUSED.has(activation))) ||
      args.preluActivationWeights != null ||
      !isFloatTensor(a, 2) ||
      !isFloatTensor(b, 2) ||
      (transposeA ? a.shape[0] : a.shape[1]) !== (transposeB ? b.shape[1] : b.shape[0]) ||
      !isChannelBias(bias, (transposeB ? b.shape[0] : b.shape[1]) ?? -1)
    ) {
      return stock(args);
    }
    const attrs = { transposeA, transposeB, activation } as unknown as tf.NamedAttrMap;
    const run = (x: tf.Tensor, y: tf.Tensor) => {
      const inputs: tf.NamedTensorMap = bias ? { a: x, b: y, bias: bias as tf.Tensor } : { a: x, b: y };
      return tf.engine().runKernel(tf._FusedMatMul, inputs, attrs) as tf.Tensor;
    };
    // The native kernels take rank-2 operands; the others rank 3, as the stock op gives them.
    if (direct) return run(a, b);
    return tf.tidy(() => tf.squeeze(run(tf.expandDims(a, 0), tf.expandDims(b, 0)), [0]));
  };
}

/** The parts of tfjs-layers' Dense read here (protected in its types). */
interface DenseInternals {
  kernel: { read(): tf.Tensor };
  bias: { read(): tf.Tensor } | null;
  activation: { getClassName(): string } | null;
  invokeCallHook(inputs: unknown, kwargs: unknown): void;
}
type LayerCall = (this: DenseInternals, inputs: tf.Tensor | tf.Tensor[], kwargs: unknown) => tf.Tensor;

/**
 * tfjs-layers' Dense fuses only relu, elu and linear into its matMul, so a sigmoid output layer ran its
 * product, bias and sigmoid (and their gradients) as separate kernels. Where the backend has the one-pass
 * gradient, a rank-2 sigmoid Dense goes through the fused op like the others.
 */
function routedDenseCall(stock: LayerCall): LayerCall {
  return function (this: DenseInternals, inputs, kwargs) {
    const input = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    if (
      this.activation?.getClassName() !== 'sigmoid' ||
      !nativeFusedGradients() ||
      !isFloatTensor(input, 2)
    ) {
      return stock.call(this, inputs, kwargs);
    }
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const bias = this.bias?.read();
      return tf.fused.matMul({ a: input, b: this.kernel.read() as tf.Tensor2D, bias, activation: 'sigmoid' });
    });
  };
}

/**
 * Routes tf.fused.conv2d and tf.fused.matMul through the registry, and sigmoid Dense layers through
 * tf.fused.matMul; returns the undo, or undefined when the fused namespace cannot be patched (an ES module
 * build, where it is frozen: the stock closures stay).
 */
export function routeFusedOps(): (() => void) | undefined {
  const fused = tf.fused as unknown as Fused;
  const stock = { conv2d: fused.conv2d, matMul: fused.matMul };
  try {
    fused.conv2d = routedConv2D(stock.conv2d);
    fused.matMul = routedMatMul(stock.matMul);
  } catch {
    // Frozen: assignment throws in strict mode.
  }
  if (fused.conv2d === stock.conv2d || fused.matMul === stock.matMul) {
    try {
      fused.conv2d = stock.conv2d;
      fused.matMul = stock.matMul;
    } catch {}
    return undefined;
  }
  const dense = Object.getPrototypeOf(tfl.layers.dense({ units: 1 })) as { call: LayerCall };
  const stockDenseCall = dense.call;
  dense.call = routedDenseCall(stockDenseCall);
  return () => {
    fused.conv2d = stock.conv2d;
    fused.matMul = stock.matMul;
    dense.call = stockDenseCall;
  };
}
