// Replacement wasm BatchMatMul and _FusedMatMul kernels. The stock kernels use XNNPack only for
// un-transposed, un-batched products; everything else runs a naive loop at ~3 GFLOP/s instead of ~40.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tf.js';
import { thinMatMul } from './thin-mat-mul.js';

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

// Rough costs on one SIMD thread, in ns, measured on 256x784x256-sized products; they only pick
// between routes, so they need not be precise.
const NS_PER_MOVE = 1.5; // a float moved by a JS transpose (the wasm Transpose kernel: 0.3 to 3, by shape)
const NS_PER_COPY = 0.3; // a float copied contiguously
const NS_PER_FAST_MAC = 0.05; // XNNPack
const NS_PER_SLOW_MAC = 0.6; // the stock naive loop
const NS_PER_CALL = 4000; // one XNNPack product beyond the stock call: operator creation and glue

export const batchMatMulOptions: {
  /** Tests and benchmarks: take this route whenever it applies instead of the cheapest one. */
  forceRoute?: 'direct' | 'swapped';
} = {};

/** Same data, another shape; owns nothing, so it is never disposed itself. */
export function view(x: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: x.dataId, shape, dtype: x.dtype };
}

/** Copies `size(shape)` floats of `src` starting at `offset` into a new tensor of `shape`. */
export function copyRange(
  backend: BackendWasm,
  src: TensorInfo,
  offset: number,
  shape: number[],
): TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  // Views are taken after makeOutput, which may grow (and so move) the wasm heap.
  const size = tf.util.sizeFromShape(shape);
  backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(src).subarray(offset, offset + size));
  return out;
}

/**
 * x viewed as `dims` with its axes permuted, into a new tensor. Plain JS loops on the heap views:
 * about 2.5x faster than the stock wasm Transpose kernel for these shapes.
 */
export function permute3(
  backend: BackendWasm,
  x: TensorInfo,
  dims: [number, number, number],
  perm: [number, number, number],
): TensorInfo {
  const [d0, d1, d2] = [dims[perm[0]], dims[perm[1]], dims[perm[2]]];
  const out = backend.makeOutput([d0, d1, d2], 'float32');
  const src = backend.typedArrayFromHeap(view(x, dims));
  const dst = backend.typedArrayFromHeap(out);
  const srcStrides = [dims[1] * dims[2], dims[2], 1];
  const [s0, s1, s2] = [srcStrides[perm[0]], srcStrides[perm[1]], srcStrides[perm[2]]];
  let o = 0;
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      let s = i0 * s0 + i1 * s1;
      if (s2 === 1) {
        dst.set(src.subarray(s, s + d2), o);
        o += d2;
        continue;
      }
      for (let i2 = 0; i2 < d2; i2++, s += s2) dst[o++] = src[s];
    }
  }
  return out;
}

/** Sizes of a @ b with transposes and batch broadcasting (also read by the native backend's products). */
export interface MatMulGeometry {
  m: number;
  k: number;
  n: number;
  batchDimsA: number[];
  batchDimsB: number[];
  batchA: number;
  batchB: number;
  outBatchDims: number[];
  outBatch: number;
  outShape: number[];
}

export function matMulGeometry(
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): MatMulGeometry {
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
    outBatch: tf.util.sizeFromShape(outBatchDims),
    outShape: [...outBatchDims, m, n],
  };
}

/** Flat batch index of an operand for each flat output batch index, following broadcasting rules. */
export function broadcastIndices(outDims: number[], dims: number[]): number[] {
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

/**
 * How batches become XNNPack products: 'rows' stacks a's batches as rows against a shared b; 'wide'
 * lays b's batches side by side against a shared a (only when nothing per column is fused in);
 * 'loop' runs one product per output batch on copied slices.
 */
type Layout = 'rows' | 'wide' | 'loop';

function layoutFor(g: MatMulGeometry, columnFree: boolean): Layout {
  if (g.batchB === 1) return 'rows';
  if (g.batchA === 1 && columnFree) return 'wide';
  return 'loop';
}

function fastCost(g: MatMulGeometry, transposeA: boolean, transposeB: boolean, layout: Layout): number {
  const { m, k, n, batchA, batchB, outBatch } = g;
  let moved = (transposeA ? batchA * m * k : 0) + (transposeB ? batchB * k * n : 0);
  let copied = 0;
  let calls = 1;
  if (layout === 'wide') moved += batchB * k * n + outBatch * m * n;
  if (layout === 'loop') {
    copied = outBatch * (m * k + k * n + m * n);
    calls = outBatch;
  }
  return (
    moved * NS_PER_MOVE + copied * NS_PER_COPY + outBatch * m * k * n * NS_PER_FAST_MAC + calls * NS_PER_CALL
  );
}

interface FastPlan {
  backend: BackendWasm;
  run: PlainMatMul;
  /** Nothing per column (bias, prelu weights) is fused in, so columns may be regrouped or swapped. */
  columnFree: boolean;
}

/**
 * a @ b with any transposes, batch dims and broadcasting, built from the stock un-transposed rank-2
 * fast path plus explicit transposes; the result has the broadcast output shape.
 */
function fastMatMul(
  plan: FastPlan,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  g: MatMulGeometry,
): TensorInfo {
  const { backend, run } = plan;
  const { m, k, n, batchA, batchB, outShape } = g;
  const temps: TensorInfo[] = [];
  const own = (x: TensorInfo): TensorInfo => {
    temps.push(x);
    return x;
  };
  try {
    const layout = layoutFor(g, plan.columnFree);
    if (layout === 'rows') {
      const aRows = transposeA ? own(permute3(backend, a, [batchA, k, m], [0, 2, 1])) : a;
      const bPlain = transposeB ? own(permute3(backend, b, [1, n, k], [0, 2, 1])) : b;
      const out = run(view(aRows, [1, batchA * m, k]), view(bPlain, [1, k, n]));
      return view(out, outShape);
    }
    if (layout === 'wide') {
      // [K, batchB * N] holds every batch of b; the [M, batchB, N] result then gets its batch axis first.
      const aPlain = transposeA ? own(permute3(backend, a, [1, k, m], [0, 2, 1])) : a;
      const bWide = own(
        transposeB
          ? permute3(backend, b, [batchB, n, k], [2, 0, 1])
          : permute3(backend, b, [batchB, k, n], [1, 0, 2]),
      );
      const wide = own(run(view(aPlain, [1, m, k]), view(bWide, [1, k, batchB * n])));
      return view(permute3(backend, wide, [m, batchB, n], [1, 0, 2]), outShape);
    }
    const aAll = transposeA ? own(permute3(backend, a, [batchA, k, m], [0, 2, 1])) : a;
    const bAll = transposeB ? own(permute3(backend, b, [batchB, n, k], [0, 2, 1])) : b;
    const aIndex = broadcastIndices(g.outBatchDims, g.batchDimsA);
    const bIndex = broadcastIndices(g.outBatchDims, g.batchDimsB);
    const out = backend.makeOutput(outShape, 'float32');
    let aSlice: TensorInfo | undefined;
    let bSlice: TensorInfo | undefined;
    try {
      for (let o = 0; o < aIndex.length; o++) {
        // Slices are reused while the broadcast index stays put; b is what XNNPack packs per product.
        if (aSlice === undefined || aIndex[o] !== aIndex[o - 1]) {
          if (aSlice) backend.disposeData(aSlice.dataId);
          aSlice = copyRange(backend, aAll, aIndex[o] * m * k, [1, m, k]);
        }
        if (bSlice === undefined || bIndex[o] !== bIndex[o - 1]) {
          if (bSlice) backend.disposeData(bSlice.dataId);
          bSlice = copyRange(backend, bAll, bIndex[o] * k * n, [1, k, n]);
        }
        const part = run(aSlice, bSlice);
        backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(part), o * m * n);
        backend.disposeData(part.dataId);
      }
    } catch (error) {
      backend.disposeData(out.dataId);
      throw error;
    } finally {
      if (aSlice) backend.disposeData(aSlice.dataId);
      if (bSlice) backend.disposeData(bSlice.dataId);
    }
    return out;
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

type Route = 'stock' | 'direct' | 'swapped';

/**
 * The cheapest correct route. 'swapped' computes (op(b)^T @ op(a)^T)^T, which moves fewer floats
 * when the output is small next to the operands it would otherwise transpose.
 */
function chooseRoute(
  g: MatMulGeometry,
  transposeA: boolean,
  transposeB: boolean,
  columnFree: boolean,
  stockCorrect: boolean,
  swappedGeometry: () => MatMulGeometry,
): Route {
  if (g.m === 0 || g.n === 0 || g.k === 0 || g.outBatch === 0) return 'stock';
  if (!transposeA && !transposeB && g.batchA === 1 && g.batchB === 1) return 'stock';
  const forced = batchMatMulOptions.forceRoute;
  if (forced) return forced === 'swapped' && !columnFree ? 'direct' : forced;
  let best: Route = 'direct';
  let cost = fastCost(g, transposeA, transposeB, layoutFor(g, columnFree));
  if (columnFree) {
    const gT = swappedGeometry();
    const swapped =
      fastCost(gT, !transposeB, !transposeA, layoutFor(gT, columnFree)) +
      g.outBatch * g.m * g.n * NS_PER_MOVE;
    if (swapped < cost) {
      best = 'swapped';
      cost = swapped;
    }
  }
  if (stockCorrect && g.outBatch * g.m * g.k * g.n * NS_PER_SLOW_MAC <= cost) best = 'stock';
  return best;
}

function runRoute(
  route: Exclude<Route, 'stock'>,
  plan: FastPlan,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  g: MatMulGeometry,
): TensorInfo {
  if (route === 'direct') return fastMatMul(plan, a, b, transposeA, transposeB, g);
  const gT = matMulGeometry(b, a, !transposeB, !transposeA);
  const productT = fastMatMul(plan, b, a, !transposeB, !transposeA, gT);
  const out = permute3(plan.backend, productT, [g.outBatch, g.n, g.m], [0, 2, 1]);
  plan.backend.disposeData(productT.dataId);
  return view(out, g.outShape);
}

/**
 * The stock slow path flattens batch dims and indexes the smaller side modulo its size, which is
 * only right when one side has a single batch or both have the same batches.
 */
function stockBroadcastCorrect(g: MatMulGeometry): boolean {
  return g.batchA === 1 || g.batchB === 1 || tf.util.arraysEqual(g.batchDimsA, g.batchDimsB);
}

export function createBatchMatMulConfig(stock: tf.KernelConfig): tf.KernelConfig {
  const stockFunc = stock.kernelFunc as unknown as WasmKernelFunc;
  const kernelFunc = (args: WasmKernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const a = inputs.a!;
    const b = inputs.b!;
    const transposeA = attrs.transposeA === true;
    const transposeB = attrs.transposeB === true;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stockFunc(args);
    const g = matMulGeometry(a, b, transposeA, transposeB);
    if (g.outBatch === 1 && batchMatMulOptions.forceRoute === undefined) {
      const thin = thinMatMul(backend, a, b, transposeA, transposeB, g.m, g.k, g.n);
      if (thin) return view(thin, g.outShape);
    }
    const route = chooseRoute(g, transposeA, transposeB, true, stockBroadcastCorrect(g), () =>
      matMulGeometry(b, a, !transposeB, !transposeA),
    );
    if (route === 'stock') return stockFunc(args);
    const run: PlainMatMul = (x, y) =>
      stockFunc({ inputs: { a: x, b: y }, backend, attrs: { transposeA: false, transposeB: false } });
    return runRoute(route, { backend, run, columnFree: true }, a, b, transposeA, transposeB, g);
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
 * _FusedMatMul gets the same treatment, which also fixes wrong results: the stock slow path adds the
 * bias once per 48-wide block of the inner dimension and the first row's bias to every row, and
 * applies relu to each block's partial sum.
 */
export function createFusedMatMulConfig(stock: tf.KernelConfig): tf.KernelConfig {
  const stockFunc = stock.kernelFunc as unknown as WasmKernelFunc;
  const kernelFunc = (args: WasmKernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { a, b, bias, preluActivationWeights } = inputs as Record<string, TensorInfo>;
    const transposeA = attrs.transposeA === true;
    const transposeB = attrs.transposeB === true;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stockFunc(args);
    // XNNPack applies fused extras per output column; other shapes keep the stock behaviour.
    const g = matMulGeometry(a, b, transposeA, transposeB);
    const perColumn = (t: TensorInfo | undefined): boolean =>
      t == null || (t.shape.length === 1 && t.shape[0] === g.n);
    if (!perColumn(bias) || !perColumn(preluActivationWeights)) return stockFunc(args);
    const columnFree = bias == null && preluActivationWeights == null;
    // The stock slow path is never trusted here, so it is never picked in preference.
    const route = chooseRoute(g, transposeA, transposeB, columnFree, false, () =>
      matMulGeometry(b, a, !transposeB, !transposeA),
    );
    if (route === 'stock') return stockFunc(args);
    const run: PlainMatMul = (x, y) =>
      stockFunc({
        inputs: { a: x, b: y, bias, preluActivationWeights },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    return runRoute(route, { backend, run, columnFree }, a, b, transposeA, transposeB, g);
  };
  return {
    kernelName: tf._FusedMatMul,
    backendName: 'wasm',
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  };
}
