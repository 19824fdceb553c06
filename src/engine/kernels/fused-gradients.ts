// Gradients of tfjs-core's fused conv2d and matMul (what tfjs-layers' Conv2D and Dense call), one per input.
// Stock records each as a customGrad closure that computes every input's gradient, needed or not: in a GAN's
// generator step the discriminator's filter gradients, in its discriminator step the first conv's input
// gradient (~30 ms of a DCGAN step). Here a linear fused op runs its kernel through the registry, where
// these gradients hand the tape one thunk per input, and the tape calls only the ones it needs.
import { tf } from '../tf.js';

type FusedConv2DArgs = Parameters<typeof tf.fused.conv2d>[0];
type FusedMatMulArgs = Parameters<typeof tf.fused.matMul>[0];
type Fused = { conv2d: typeof tf.fused.conv2d; matMul: typeof tf.fused.matMul };

function linearOnly(kernelName: string, activation: unknown): void {
  if (activation != null && activation !== 'linear') {
    throw new Error(`${kernelName}: no gradient for the fused activation '${activation}' (only 'linear')`);
  }
}

/** Sum of dy over every axis but the last: the gradient of a [channels] bias added to dy's shape. */
function biasGradient(dy: tf.Tensor): tf.Tensor {
  return tf.sum(dy, [...Array(dy.rank - 1).keys()]);
}

export const fusedConv2DGradConfig: tf.GradConfig = {
  kernelName: tf.FusedConv2D,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    linearOnly(tf.FusedConv2D, attrs.activation);
    // The unfused conv's gradient, which is already one thunk per input.
    const conv = tf.getGradient(tf.Conv2D).gradFunc(dy, saved, attrs);
    return { ...conv, bias: () => biasGradient(dy as tf.Tensor) };
  },
};

export const fusedMatMulGradConfig: tf.GradConfig = {
  kernelName: tf._FusedMatMul,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    linearOnly(tf._FusedMatMul, attrs.activation);
    const product = tf.getGradient(tf.BatchMatMul).gradFunc(dy, saved, attrs);
    return { ...product, bias: () => biasGradient(dy as tf.Tensor) };
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
    const simple =
      (args.activation ?? 'linear') === 'linear' &&
      args.preluActivationWeights == null &&
      dataFormat === 'NHWC' &&
      isFloatTensor(x, 4) &&
      isFloatTensor(filter, 4) &&
      x.shape[3] === filter.shape[2] &&
      (dilations === 1 || (Array.isArray(dilations) && dilations.every((d) => d === 1))) &&
      isChannelBias(bias, filter.shape[3]);
    if (!simple) return stock(args);
    const inputs: tf.NamedTensorMap = bias ? { x, filter, bias: bias as tf.Tensor } : { x, filter };
    const attrs = { strides, pad, dataFormat, dilations, dimRoundingMode, activation: 'linear' };
    return tf.engine().runKernel(tf.FusedConv2D, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  };
  return routed as Fused['conv2d'];
}

function routedMatMul(stock: Fused['matMul']): Fused['matMul'] {
  return (args: FusedMatMulArgs) => {
    const { a, b, transposeA = false, transposeB = false, bias } = args;
    if (
      (args.activation ?? 'linear') !== 'linear' ||
      args.preluActivationWeights != null ||
      !isFloatTensor(a, 2) ||
      !isFloatTensor(b, 2) ||
      (transposeA ? a.shape[0] : a.shape[1]) !== (transposeB ? b.shape[1] : b.shape[0]) ||
      !isChannelBias(bias, (transposeB ? b.shape[0] : b.shape[1]) ?? -1)
    ) {
      return stock(args);
    }
    // The kernels take rank-3 operands, as the stock op gives them.
    return tf.tidy(() => {
      const inputs: tf.NamedTensorMap = { a: tf.expandDims(a, 0), b: tf.expandDims(b, 0) };
      if (bias) inputs.bias = bias as tf.Tensor;
      const attrs = { transposeA, transposeB, activation: 'linear' };
      const out = tf
        .engine()
        .runKernel(tf._FusedMatMul, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
      return tf.squeeze(out, [0]);
    });
  };
}

/**
 * Routes tf.fused.conv2d and tf.fused.matMul through the registry; returns the undo, or undefined when the
 * fused namespace cannot be patched (an ES module build, where it is frozen: the stock closures stay).
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
  return () => {
    fused.conv2d = stock.conv2d;
    fused.matMul = stock.matMul;
  };
}
