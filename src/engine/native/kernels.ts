// The native backend's own kernels: matrix products and convolutions computed by the addon (OpenBLAS
// sgemm, im2col/col2im in C) directly on the wasm backend's memory, where every tensor of the backend lives.
// Anything a kernel does not handle (other dtypes, NCHW, PReLU, unusual bias shapes) goes to the wasm
// kernel it replaces.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { broadcastIndices, matMulGeometry } from '../kernels/batch-mat-mul.js';
import { convGeometry } from '../kernels/conv-geometry.js';
import { lossRows, ROW_LOSS, ROW_LOSS_GRAD } from '../kernels/row-loss.js';
import {
  checkOperands,
  SOFTMAX_CROSS_ENTROPY,
  SOFTMAX_CROSS_ENTROPY_GRAD,
  softmaxRows,
} from '../kernels/softmax-cross-entropy.js';
import { tf } from '../tf.js';
import type { NativeAddon } from './addon.js';

type TensorInfo = tf.TensorInfo;

export const NATIVE_BACKEND = 'native';

/**
 * Added kernel: the backward pass of a fused activation (relu, elu, sigmoid) from its output, with the bias
 * gradient. Inputs dy and y of one shape; outputs [dz, dbias] with dbias the sums of dz over all but the last
 * axis. What the gradient of a fused dense layer (fused-gradients.ts) runs on this backend.
 */
export const ACTIVATION_GRAD_KERNEL = 'LatentlabActivationGrad';

interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: BackendWasm;
  attrs: Record<string, unknown>;
}
type KernelFunc = (args: KernelArgs) => TensorInfo;

/** The module parts read here: the memory (shared in the threaded build) and the heap view. */
interface WasmMemoryModule {
  wasmMemory?: WebAssembly.Memory;
  HEAPU8: Uint8Array;
}

let heapView: Uint8Array | undefined;

/** A byte view of the whole wasm memory, renewed when the memory has grown (which replaces its buffer). */
export function heap(backend: BackendWasm): Uint8Array {
  const module = backend.wasm as unknown as WasmMemoryModule;
  const buffer = module.wasmMemory?.buffer ?? module.HEAPU8.buffer;
  if (heapView?.buffer !== buffer) heapView = new Uint8Array(buffer);
  return heapView;
}

export function offset(backend: BackendWasm, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}

const ACTIVATIONS: Record<string, number> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  elu: 3,
  leakyrelu: 4,
  sigmoid: 5,
};

/** The activation code of a fused kernel, or undefined when the addon has none for it (prelu). */
function activationCode(attrs: Record<string, unknown>): number | undefined {
  return ACTIVATIONS[(attrs.activation as string | undefined) ?? 'linear'];
}

function isFloat(...ts: (TensorInfo | undefined)[]): boolean {
  return ts.every((t) => t == null || t.dtype === 'float32');
}

/** out = a · b (with transposes and batch broadcasting) into a new tensor; float32 operands only. */
function matMul(
  addon: NativeAddon,
  backend: BackendWasm,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): { out: TensorInfo } {
  const g = matMulGeometry(a, b, transposeA, transposeB);
  const { m, k, n, batchA, batchB } = g;
  const batch = g.outBatch;
  const out = backend.makeOutput(g.outShape, 'float32');
  if (batch === 0 || m === 0 || n === 0) return { out };
  // Offsets after makeOutput, which may grow the memory (offsets stay, the buffer changes).
  const h = heap(backend);
  const [oa, ob, oc] = [offset(backend, a), offset(backend, b), offset(backend, out)];
  const [ta, tb] = [transposeA ? 1 : 0, transposeB ? 1 : 0];
  const [sa, sb, sc] = [m * k, k * n, m * n];
  if ((batchA === batch || batchA === 1) && (batchB === batch || batchB === 1)) {
    // Equal batches, or one operand shared by all: one call.
    const strideA = batchA === 1 ? 0 : sa;
    const strideB = batchB === 1 ? 0 : sb;
    if (batchB === 1 && batchA === batch && !transposeA && batch > 1) {
      // [batch, m, k] · [k, n] is one product of [batch·m, k] rows.
      addon.gemm(h, 0, tb, batch * m, n, k, oa, ob, oc, 1, 0, 0, 0, 1, 0);
    } else {
      addon.gemm(h, ta, tb, m, n, k, oa, ob, oc, batch, strideA, strideB, sc, 1, 0);
    }
    return { out };
  }
  const aIndex = broadcastIndices(g.outBatchDims, g.batchDimsA);
  const bIndex = broadcastIndices(g.outBatchDims, g.batchDimsB);
  for (let o = 0; o < batch; o++) {
    const [ia, ib] = [aIndex[o], bIndex[o]];
    addon.gemm(h, ta, tb, m, n, k, oa + 4 * ia * sa, ob + 4 * ib * sb, oc + 4 * o * sc, 1, 0, 0, 0, 1, 0);
  }
  return { out };
}

/** Below this many elements, elementwise kernels stay on wasm: the call costs more than the loop. */
const MIN_NATIVE_ELEMENTS = 4096;

/** A bias with one value per output column (or channel), as the addon applies it. */
function perColumn(bias: TensorInfo | undefined, columns: number): boolean {
  return bias == null || tf.util.sizeFromShape(bias.shape) === columns;
}

/** The wasm kernel (with latentlab's fixes) each native kernel falls back to. */
export type Fallbacks = Record<string, KernelFunc>;

export function createNativeKernels(addon: NativeAddon, fallback: Fallbacks): tf.KernelConfig[] {
  const kernel = (kernelName: string, kernelFunc: KernelFunc): tf.KernelConfig => ({
    kernelName,
    backendName: NATIVE_BACKEND,
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  });

  const batchMatMul: KernelFunc = (args) => {
    const { a, b } = args.inputs as Record<string, TensorInfo>;
    if (!isFloat(a, b)) return fallback[tf.BatchMatMul](args);
    return matMul(addon, args.backend, a, b, args.attrs.transposeA === true, args.attrs.transposeB === true)
      .out;
  };

  const fusedMatMul: KernelFunc = (args) => {
    const { backend, attrs } = args;
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const act = activationCode(attrs);
    const transposeB = attrs.transposeB === true;
    const n = transposeB ? b!.shape[b!.shape.length - 2] : b!.shape[b!.shape.length - 1];
    if (!isFloat(a, b, bias) || preluActivationWeights != null || act === undefined || !perColumn(bias, n)) {
      return fallback[tf._FusedMatMul](args);
    }
    const { out } = matMul(addon, backend, a!, b!, attrs.transposeA === true, transposeB);
    // Every row of every batch gets the same per-column bias.
    const rows = n > 0 ? tf.util.sizeFromShape(out.shape) / n : 0;
    addon.biasActivation(
      heap(backend),
      offset(backend, out),
      rows,
      n,
      bias ? offset(backend, bias) : -1,
      act,
      Number(attrs.leakyreluAlpha ?? 0.2),
    );
    return out;
  };

  /** Geometry as the addon reads it: an Int32Array in the field order of conv_geometry (native.h). */
  const geometryArray = (
    kernelName: string,
    xShape: number[],
    filterShape: number[],
    dyShape: number[],
    attrs: Record<string, unknown>,
  ): Int32Array => {
    const g = convGeometry(
      kernelName,
      xShape as [number, number, number, number],
      filterShape as [number, number, number, number],
      dyShape,
      {
        strides: attrs.strides as [number, number],
        dilations: (attrs.dilations as [number, number] | undefined) ?? 1,
        pad: attrs.pad as 'same',
        dimRoundingMode: attrs.dimRoundingMode as 'floor' | undefined,
      },
    );
    return Int32Array.of(
      g.batch,
      g.inH,
      g.inW,
      g.inC,
      g.outH,
      g.outW,
      g.outC,
      g.fh,
      g.fw,
      g.sh,
      g.sw,
      g.dh,
      g.dw,
      g.padTop,
      g.padLeft,
    );
  };

  const nhwc = (attrs: Record<string, unknown>) => (attrs.dataFormat ?? 'NHWC') === 'NHWC';

  /** Output shape of a forward conv, by tfjs-core's rules. */
  const convOutShape = (x: TensorInfo, filter: TensorInfo, attrs: Record<string, unknown>): number[] =>
    tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides as [number, number],
      (attrs.dilations as [number, number] | undefined) ?? 1,
      attrs.pad as 'same',
      attrs.dimRoundingMode as 'floor' | undefined,
      false,
      'channelsLast',
    ).outShape;

  const forwardConv = (args: KernelArgs, x: TensorInfo, filter: TensorInfo): TensorInfo => {
    const { backend, attrs } = args;
    const outShape = convOutShape(x, filter, attrs);
    const geometry = geometryArray('Conv2D', x.shape, filter.shape, outShape, attrs);
    const out = backend.makeOutput(outShape, 'float32');
    addon.conv2d(heap(backend), offset(backend, x), offset(backend, filter), offset(backend, out), geometry);
    return out;
  };

  const conv2d: KernelFunc = (args) => {
    const { x, filter } = args.inputs as Record<string, TensorInfo>;
    if (!isFloat(x, filter) || !nhwc(args.attrs)) return fallback[tf.Conv2D](args);
    return forwardConv(args, x, filter);
  };

  const fusedConv2d: KernelFunc = (args) => {
    const { backend, attrs } = args;
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const act = activationCode(attrs);
    const channels = filter!.shape[3];
    if (
      !isFloat(x, filter, bias) ||
      !nhwc(attrs) ||
      preluActivationWeights != null ||
      act === undefined ||
      !perColumn(bias, channels)
    ) {
      return fallback[tf.FusedConv2D](args);
    }
    const out = forwardConv(args, x!, filter!);
    addon.biasActivation(
      heap(backend),
      offset(backend, out),
      tf.util.sizeFromShape(out.shape) / Math.max(1, channels),
      channels,
      bias ? offset(backend, bias) : -1,
      act,
      Number(attrs.leakyreluAlpha ?? 0.2),
    );
    return out;
  };

  const conv2dBackpropInput: KernelFunc = (args) => {
    const { backend, attrs } = args;
    const { dy, filter } = args.inputs as Record<string, TensorInfo>;
    if (!isFloat(dy, filter) || !nhwc(attrs)) return fallback[tf.Conv2DBackpropInput](args);
    const inputShape = attrs.inputShape as number[];
    const geometry = geometryArray(tf.Conv2DBackpropInput, inputShape, filter.shape, dy.shape, {
      ...attrs,
      dilations: 1,
    });
    const out = backend.makeOutput(inputShape, 'float32');
    addon.conv2dBackpropInput(
      heap(backend),
      offset(backend, dy),
      offset(backend, filter),
      offset(backend, out),
      geometry,
    );
    return out;
  };

  const conv2dBackpropFilter: KernelFunc = (args) => {
    const { backend, attrs } = args;
    const { x, dy } = args.inputs as Record<string, TensorInfo>;
    if (!isFloat(x, dy) || !nhwc(attrs)) return fallback[tf.Conv2DBackpropFilter](args);
    const filterShape = attrs.filterShape as number[];
    const geometry = geometryArray(tf.Conv2DBackpropFilter, x.shape, filterShape, dy.shape, {
      ...attrs,
      dilations: 1,
    });
    const out = backend.makeOutput(filterShape, 'float32');
    addon.conv2dBackpropFilter(
      heap(backend),
      offset(backend, x),
      offset(backend, dy),
      offset(backend, out),
      geometry,
    );
    return out;
  };

  /**
   * Elementwise arithmetic when each operand is the output's shape, a scalar, or repeated along leading
   * dimensions (its shape, leading 1s aside, is the output's trailing dimensions); other broadcasts go to wasm.
   */
  const binary = (kernelName: string, op: number): KernelFunc => {
    return (args) => {
      const { backend } = args;
      const { a, b } = args.inputs as Record<string, TensorInfo>;
      if (!isFloat(a, b)) return fallback[kernelName](args);
      const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const size = tf.util.sizeFromShape(outShape);
      const period = (t: TensorInfo): number | undefined => {
        const n = tf.util.sizeFromShape(t.shape);
        if (n === size || n === 1) return n;
        const dims = t.shape.slice(t.shape.findIndex((d) => d !== 1));
        return tf.util.arraysEqual(dims, outShape.slice(outShape.length - dims.length)) ? n : undefined;
      };
      const [pa, pb] = [period(a), period(b)];
      if (pa === undefined || pb === undefined || size < MIN_NATIVE_ELEMENTS)
        return fallback[kernelName](args);
      const out = backend.makeOutput(outShape, 'float32');
      addon.binary(
        heap(backend),
        op,
        offset(backend, a),
        pa,
        offset(backend, b),
        pb,
        offset(backend, out),
        size,
      );
      return out;
    };
  };

  const activationGrad = ({ inputs, backend, attrs }: KernelArgs): TensorInfo[] => {
    const { dy, y } = inputs as Record<string, TensorInfo>;
    const act = activationCode(attrs);
    tf.util.assert(
      act === ACTIVATIONS.relu || act === ACTIVATIONS.elu || act === ACTIVATIONS.sigmoid,
      () => `${ACTIVATION_GRAD_KERNEL}: no gradient for the activation '${attrs.activation}'`,
    );
    tf.util.assert(
      isFloat(dy, y) && tf.util.arraysEqual(dy.shape, y.shape) && dy.shape.length > 0,
      () =>
        `${ACTIVATION_GRAD_KERNEL}: dy and y must be float32 of one shape, got ${dy.shape} and ${y.shape}`,
    );
    const cols = dy.shape[dy.shape.length - 1];
    const rows = cols > 0 ? tf.util.sizeFromShape(dy.shape) / cols : 0;
    const dz = backend.makeOutput(dy.shape, 'float32');
    const dbias = backend.makeOutput([cols], 'float32');
    addon.activationBackward(
      heap(backend),
      offset(backend, dy),
      offset(backend, y),
      rows,
      cols,
      act!,
      offset(backend, dz),
      offset(backend, dbias),
    );
    return [dz, dbias];
  };

  const softmaxCrossEntropy = ({ inputs, backend }: KernelArgs): TensorInfo[] => {
    const { logits, labels } = inputs as Record<string, TensorInfo>;
    checkOperands(logits, labels);
    const { rows, cols } = softmaxRows(logits);
    const outs = [
      backend.makeOutput(labels.shape, 'float32'),
      backend.makeOutput(labels.shape, 'float32'),
      backend.makeOutput(labels.shape, 'int32'),
    ];
    const [nll, lse, argMax] = outs.map((t) => offset(backend, t));
    addon.softmaxCrossEntropy!(
      heap(backend),
      offset(backend, logits),
      offset(backend, labels),
      rows,
      cols,
      nll,
      lse,
      argMax,
    );
    return outs;
  };

  const softmaxCrossEntropyGrad = ({ inputs, backend }: KernelArgs): TensorInfo => {
    const { logits, lse, labels, dnll, dlse } = inputs as Record<string, TensorInfo>;
    const { rows, cols } = softmaxRows(logits);
    const out = backend.makeOutput(logits.shape, 'float32');
    addon.softmaxCrossEntropyBackward!(
      heap(backend),
      offset(backend, logits),
      offset(backend, lse),
      offset(backend, labels),
      offset(backend, dnll),
      offset(backend, dlse),
      rows,
      cols,
      offset(backend, out),
    );
    return out;
  };

  const rowLoss = ({ inputs, backend, attrs }: KernelArgs): TensorInfo => {
    const { target, prediction } = inputs as Record<string, TensorInfo>;
    const { rows, cols, outShape } = lossRows(prediction.shape, attrs.rank as number);
    const out = backend.makeOutput(outShape, 'float32');
    addon.rowLoss!(
      heap(backend),
      attrs.kind as number,
      offset(backend, target),
      offset(backend, prediction),
      rows,
      cols,
      offset(backend, out),
    );
    return out;
  };

  const rowLossGrad = ({ inputs, backend, attrs }: KernelArgs): TensorInfo => {
    const { target, prediction, dy } = inputs as Record<string, TensorInfo>;
    const { rows, cols } = lossRows(prediction.shape, attrs.rank as number);
    const out = backend.makeOutput(prediction.shape, 'float32');
    addon.rowLossBackward!(
      heap(backend),
      attrs.kind as number,
      offset(backend, target),
      offset(backend, prediction),
      offset(backend, dy),
      rows,
      cols,
      offset(backend, out),
    );
    return out;
  };

  // An addon built before these kernels lacks them: the wasm backend's JS ones then serve native too.
  const softmaxKernels =
    addon.softmaxCrossEntropy && addon.softmaxCrossEntropyBackward
      ? [
          kernel(SOFTMAX_CROSS_ENTROPY, softmaxCrossEntropy as unknown as KernelFunc),
          kernel(SOFTMAX_CROSS_ENTROPY_GRAD, softmaxCrossEntropyGrad as unknown as KernelFunc),
        ]
      : [];

  const rowLossKernels =
    addon.rowLoss && addon.rowLossBackward
      ? [kernel(ROW_LOSS, rowLoss), kernel(ROW_LOSS_GRAD, rowLossGrad)]
      : [];

  return [
    ...softmaxKernels,
    ...rowLossKernels,
    kernel(ACTIVATION_GRAD_KERNEL, activationGrad as unknown as KernelFunc),
    kernel(tf.Add, binary(tf.Add, 0)),
    kernel(tf.Sub, binary(tf.Sub, 1)),
    kernel(tf.Multiply, binary(tf.Multiply, 2)),
    kernel(tf.RealDiv, binary(tf.RealDiv, 3)),
    kernel(tf.BatchMatMul, batchMatMul),
    kernel(tf._FusedMatMul, fusedMatMul),
    kernel(tf.Conv2D, conv2d),
    kernel(tf.FusedConv2D, fusedConv2d),
    kernel(tf.Conv2DBackpropInput, conv2dBackpropInput),
    kernel(tf.Conv2DBackpropFilter, conv2dBackpropFilter),
  ];
}

/** Each kernel the native backend computes itself, and how. */
export const NATIVE_KERNELS: Readonly<Record<string, string>> = {
  BatchMatMul: 'OpenBLAS sgemm, transposes and batch broadcasting included, on the operands in place',
  _FusedMatMul: 'sgemm, then bias and activation (linear, relu, relu6, elu, leakyrelu, sigmoid) in one pass',
  Conv2D:
    'im2col in chunks of ~4 MB + sgemm with the HWIO filter as is (1x1 convs: sgemm alone; one input channel, up to 64 taps: direct, 16 output channels a register)',
  FusedConv2D: 'Conv2D, then bias and activation in one pass',
  Conv2DBackpropInput:
    'sgemm dy · filterᵀ into patch rows, then col2im (transposed convolutions; one input channel, up to 16 taps: direct, all taps a register)',
  Conv2DBackpropFilter:
    'im2col of x + sgemm patchesᵀ · dy, accumulated over chunks (one input channel, up to 64 taps: direct, over 16 fixed blocks of positions)',
  Add: 'float32, 4,096 elements or more, operands full, scalar or repeated along leading dims: C on every core',
  Sub: 'as Add',
  Multiply: 'as Add',
  RealDiv: 'as Add',
  [SOFTMAX_CROSS_ENTROPY]:
    'added: softmax cross-entropy against integer labels, with the log-sum-exp and argmax, in two passes a row (C, every core)',
  [SOFTMAX_CROSS_ENTROPY_GRAD]:
    'added: its gradient, softmax minus the one-hot, in one pass a row (C, every core)',
  [ROW_LOSS]:
    'added: squared error or the Bernoulli negative log-likelihood from logits, summed per sample, in one pass (C, every core)',
  [ROW_LOSS_GRAD]: 'added: its gradient with respect to the prediction, in one pass (C, every core)',
  [ACTIVATION_GRAD_KERNEL]:
    "added: a fused dense layer's activation gradient (relu, elu, sigmoid, from its output) and bias gradient in one pass",
};
