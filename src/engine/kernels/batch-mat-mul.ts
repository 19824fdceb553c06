// Replacement wasm BatchMatMul and _FusedMatMul kernels. The stock kernels use XNNPack only for
// un-transposed rank-2 products; everything else runs a naive loop at ~3 GFLOP/s instead of ~40.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tf.js';

type TensorInfo = tf.TensorInfo;

/** What a stock wasm kernel function is called with. */
export interface WasmKernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: BackendWasm;
  attrs: Record<string, unknown>;
}
export type WasmKernelFunc = (args: WasmKernelArgs) => TensorInfo;

/** Multiplies [1, M, K] by [1, K, N] into a new [1, M, N] through the stock fast path. */
type PlainMatMul = (a: TensorInfo, b: TensorInfo) => TensorInfo;

// Below this many multiply-adds per product the stock kernel's call overhead is lower than ours.
const MIN_FAST_MACS = 16 * 16 * 16;

/** Same data, another shape; owns nothing, so it is never disposed itself. */
export function view(x: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: x.dataId, shape, dtype: x.dtype };
}

export function transposeWith(
  transpose: WasmKernelFunc,
  backend: BackendWasm,
  x: TensorInfo,
  perm: number[],
): TensorInfo {
  return transpose({ inputs: { x }, backend, attrs: { perm } });
}

/** Copies `size` floats of `src` starting at `offset` into a new tensor of `shape`. */
export function copyRange(backend: BackendWasm, src: TensorInfo, offset: number, shape: number[]): TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  // Views are taken after makeOutput, which may grow (and so move) the wasm heap.
  const size = tf.util.sizeFromShape(shape);
  const from = backend.typedArrayFromHeap(src);
  backend.typedArrayFromHeap(out).set(from.subarray(offset, offset + size));
  return out;
}

interface MatMulGeometry {
  m: number;
  k: number;
  n: number;
  batchDimsA: number[];
  batchDimsB: number[];
  batchA: number;
  batchB: number;
  outBatchDims: number[];
  outShape: number[];
}

function geometry(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): MatMulGeometry {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const ka = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  tf.util.assert(
    ka === kb,
    () =>
      `Error in matMul: inner shapes (${ka}) and (${kb}) of Tensors with shapes ${a.shape} and ` +
      `${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
  );
  const batchDimsA = a.shape.slice(0, -2);
  const batchDimsB = b.shape.slice(0, -2);
  const outBatchDims = tf.broadcast_util.assertAndGetBroadcastShape(batchDimsA, batchDimsB);
  return {
    m,
    k: ka,
    n,
    batchDimsA,
    batchDimsB,
    batchA: tf.util.sizeFromShape(batchDimsA),
    batchB: tf.util.sizeFromShape(batchDimsB),
    outBatchDims,
    outShape: [...outBatchDims, m, n],
  };
}

/** Flat batch index of an operand for each flat output batch index, following broadcasting rules. */
function broadcastIndices(outDims: number[], dims: number[]): number[] {
  const rowMajorStrides = (shape: number[]): number[] => {
    const strides = new Array<number>(shape.length).fill(1);
    for (let d = shape.length - 2; d >= 0; d--) strides[d] = strides[d + 1] * shape[d + 1];
    return strides;
  };
  const outStrides = rowMajorStrides(outDims);
  const strides = rowMajorStrides(dims);
  const offset = outDims.length - dims.length;
  const indices: number[] = [];
  for (let o = 0; o < tf.util.sizeFromShape(outDims); o++) {
    let rest = o;
    let index = 0;
    for (let d = 0; d < outDims.length; d++) {
      const coord = Math.floor(rest / outStrides[d]);
      rest -= coord * outStrides[d];
      // Leading dims the operand lacks, and its size-1 dims, are broadcast: coordinate 0.
      const own = d - offset;
      if (own >= 0 && dims[own] !== 1) index += coord * strides[own];
    }
    indices.push(index);
  }
  return indices;
}

interface FastPlan {
  backend: BackendWasm;
  transpose: WasmKernelFunc;
  run: PlainMatMul;
  /**
   * Whether a shared `a` may be multiplied by all of `b`'s batches at once as one wide matrix; only
   * valid when nothing per column (bias, prelu weights) is fused in.
   */
  allowWideB: boolean;
}

/**
 * a @ b with any transposes, batch dims and broadcasting, built only from the stock un-transposed
 * rank-2 fast path plus explicit transposes; the result has the broadcast output shape.
 */
function fastMatMul(
  plan: FastPlan,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  g: MatMulGeometry,
): TensorInfo {
  const { backend, transpose, run } = plan;
  const { m, k, n, batchA, batchB, outShape } = g;
  const temps: TensorInfo[] = [];
  const own = (x: TensorInfo): TensorInfo => {
    temps.push(x);
    return x;
  };
  try {
    if (batchB === 1) {
      // Every batch of a meets the same b: stack a's batches into the rows of one product.
      const a3 = view(a, transposeA ? [batchA, k, m] : [batchA, m, k]);
      const aRows = transposeA ? own(transposeWith(transpose, backend, a3, [0, 2, 1])) : a3;
      const b3 = view(b, transposeB ? [1, n, k] : [1, k, n]);
      const bPlain = transposeB ? own(transposeWith(transpose, backend, b3, [0, 2, 1])) : b3;
      const out = run(view(aRows, [1, batchA * m, k]), bPlain);
      return view(out, outShape);
    }
    if (batchA === 1 && plan.allowWideB) {
      // One a against many b: lay b's batches side by side as [K, batchB * N], one product, then
      // move the batch axis of the [M, batchB, N] result to the front.
      const a3 = view(a, transposeA ? [1, k, m] : [1, m, k]);
      const aPlain = transposeA ? own(transposeWith(transpose, backend, a3, [0, 2, 1])) : a3;
      const b3 = view(b, transposeB ? [batchB, n, k] : [batchB, k, n]);
      const bWide = own(transposeWith(transpose, backend, b3, transposeB ? [2, 0, 1] : [1, 0, 2]));
      const wide = own(run(aPlain, view(bWide, [1, k, batchB * n])));
      const out = transposeWith(transpose, backend, view(wide, [m, batchB, n]), [1, 0, 2]);
      return view(out, outShape);
    }
    // General case: one fast product per output batch, on copies of the operand slices.
    const a3 = view(a, transposeA ? [batchA, k, m] : [batchA, m, k]);
    const aAll = transposeA ? own(transposeWith(transpose, backend, a3, [0, 2, 1])) : a3;
    const b3 = view(b, transposeB ? [batchB, n, k] : [batchB, k, n]);
    const bAll = transposeB ? own(transposeWith(transpose, backend, b3, [0, 2, 1])) : b3;
    const aIndex = broadcastIndices(g.outBatchDims, g.batchDimsA);
    const bIndex = broadcastIndices(g.outBatchDims, g.batchDimsB);
    const out = backend.makeOutput(outShape, 'float32');
    let aSlice: TensorInfo | undefined;
    let bSlice: TensorInfo | undefined;
    let aAt = -1;
    let bAt = -1;
    for (let o = 0; o < aIndex.length; o++) {
      if (aIndex[o] !== aAt) {
        if (aSlice) backend.disposeData(aSlice.dataId);
        aAt = aIndex[o];
        aSlice = copyRange(backend, aAll, aAt * m * k, [1, m, k]);
      }
      if (bIndex[o] !== bAt) {
        // b is what XNNPack packs (and caches by id); keep one copy per distinct batch.
        if (bSlice) backend.disposeData(bSlice.dataId);
        bAt = bIndex[o];
        bSlice = copyRange(backend, bAll, bAt * k * n, [1, k, n]);
      }
      const part = run(aSlice!, bSlice!);
      backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(part), o * m * n);
      backend.disposeData(part.dataId);
    }
    if (aSlice) backend.disposeData(aSlice.dataId);
    if (bSlice) backend.disposeData(bSlice.dataId);
    return out;
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/** True when the stock kernel already takes its fast path, or the product is too small to matter. */
function stockIsFine(g: MatMulGeometry, transposeA: boolean, transposeB: boolean): boolean {
  if (!transposeA && !transposeB && g.batchA === 1 && g.batchB === 1) return true;
  return g.m * g.n * g.k < MIN_FAST_MACS;
}

function isEmpty(g: MatMulGeometry): boolean {
  return g.m === 0 || g.n === 0 || g.k === 0 || g.batchA === 0 || g.batchB === 0;
}

export function createBatchMatMulConfig(stock: tf.KernelConfig, transpose: WasmKernelFunc): tf.KernelConfig {
  const stockFunc = stock.kernelFunc as unknown as WasmKernelFunc;
  const kernelFunc = (args: WasmKernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const a = inputs.a!;
    const b = inputs.b!;
    const transposeA = attrs.transposeA === true;
    const transposeB = attrs.transposeB === true;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stockFunc(args);
    const g = geometry(a, b, transposeA, transposeB);
    if (isEmpty(g) || stockIsFine(g, transposeA, transposeB)) return stockFunc(args);
    const run: PlainMatMul = (x, y) =>
      stockFunc({ inputs: { a: x, b: y }, backend, attrs: { transposeA: false, transposeB: false } });
    return fastMatMul({ backend, transpose, run, allowWideB: true }, a, b, transposeA, transposeB, g);
  };
  return {
    kernelName: tf.BatchMatMul,
    backendName: 'wasm',
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  };
}

/**
 * _FusedMatMul gets the same treatment; besides speed this fixes wrong results: the stock slow path
 * adds the bias once per 48-wide block of the inner dimension, uses the first row's bias for every
 * row, and clamps relu per block.
 */
export function createFusedMatMulConfig(stock: tf.KernelConfig, transpose: WasmKernelFunc): tf.KernelConfig {
  const stockFunc = stock.kernelFunc as unknown as WasmKernelFunc;
  const kernelFunc = (args: WasmKernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { a, b, bias, preluActivationWeights } = inputs as Record<string, TensorInfo>;
    const transposeA = attrs.transposeA === true;
    const transposeB = attrs.transposeB === true;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stockFunc(args);
    const g = geometry(a, b, transposeA, transposeB);
    if (isEmpty(g)) return stockFunc(args);
    if (!transposeA && !transposeB && g.batchA === 1 && g.batchB === 1) return stockFunc(args);
    // Fused extras are applied per output row by XNNPack; shapes other than one value per column
    // cannot be split by batch, so those keep the stock behaviour.
    const perColumn = (t: TensorInfo | undefined): boolean =>
      t == null || (t.shape.length === 1 && t.shape[0] === g.n);
    if (!perColumn(bias) || !perColumn(preluActivationWeights)) return stockFunc(args);
    const run: PlainMatMul = (x, y) =>
      stockFunc({
        inputs: { a: x, b: y, bias, preluActivationWeights },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    const allowWideB = bias == null && preluActivationWeights == null;
    return fastMatMul({ backend, transpose, run, allowWideB }, a, b, transposeA, transposeB, g);
  };
  return {
    kernelName: tf._FusedMatMul,
    backendName: 'wasm',
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  };
}
