// Sum and Mean over leading or middle axes ([n, h, w, c] -> [c]: bias gradients, batch-norm moments). Stock
// wasm transposes the reduced axes innermost first (1.5 ms on [64, 14, 14, 64]); here rows are added into
// the output with SIMD (~0.15 ms). Innermost reductions and other dtypes stay stock. Also the gradients of
// Sum, Mean and Tile, as reshapes, one Tile or one Sum.
import { tf } from '../tf.js';
import type { WasmKernelArgs, WasmKernelFunc } from './batch-mat-mul.js';
import { simdLoops } from './simd.js';

/** x viewed as [outer, rows, cols], reducing the rows; undefined when the reduced axes are not one block. */
export function rowsLayout(
  shape: number[],
  axes: number[],
): { outer: number; rows: number; cols: number } | undefined {
  const reduced = new Set(axes);
  // Size-1 dims can be skipped: they do not separate the block.
  const dims = shape.map((size, d) => ({ size, reduced: reduced.has(d) })).filter((d) => d.size !== 1);
  const first = dims.findIndex((d) => d.reduced);
  if (first < 0) return undefined;
  let last = first;
  while (last + 1 < dims.length && dims[last + 1].reduced) last++;
  if (dims.slice(last + 1).some((d) => d.reduced)) return undefined;
  const product = (ds: typeof dims) => ds.reduce((p, d) => p * d.size, 1);
  return {
    outer: product(dims.slice(0, first)),
    rows: product(dims.slice(first, last + 1)),
    cols: product(dims.slice(last + 1)),
  };
}

/** Rows per partial sum (see reduceRows). */
const BLOCK = 64;

/** Sum (mean: also divided by the count) of [outer, rows, cols] float32 over its rows, in row order. */
function reduceRows(args: WasmKernelArgs, mean: boolean, stock: WasmKernelFunc): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x!;
  const { axis, keepDims } = attrs as unknown as tf.SumAttrs;
  const loops = simdLoops(backend);
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const layout = rowsLayout(x.shape, axes);
  if (!loops || x.dtype !== 'float32' || !layout || layout.cols < 4 || layout.rows < 2) return stock(args);
  const { outer, rows, cols } = layout;
  const outShape = keepDims
    ? x.shape.map((s, d) => (axes.includes(d) ? 1 : s))
    : x.shape.filter((_, d) => !axes.includes(d));
  const out = backend.makeOutput(outShape, 'float32');
  // Long sums go through partial sums of BLOCK rows: f32 rounding error then grows with BLOCK + rows / BLOCK
  // rather than with rows (6e-5 of the result against cpu's float64 sums over 6,272 rows, 2e-6 so).
  const partial = rows > BLOCK ? backend.makeOutput([cols], 'float32') : undefined;
  const at = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset as number;
  const partialAt = partial ? at(partial) : 0;
  // Views after makeOutput, which may grow (and so move) the heap.
  const xs = backend.typedArrayFromHeap(x) as Float32Array;
  const sums = backend.typedArrayFromHeap(out) as Float32Array;
  const partials = partial ? (backend.typedArrayFromHeap(partial) as Float32Array) : undefined;
  sums.fill(0);
  const body = cols & ~3;
  for (let o = 0; o < outer; o++) {
    const base = o * rows * cols;
    const xAt = at(x) + base * 4;
    const outAt = at(out) + o * cols * 4;
    if (body > 0 && partial && partials) {
      for (let r0 = 0; r0 < rows; r0 += BLOCK) {
        partials.fill(0);
        loops.addRows(xAt + r0 * cols * 4, partialAt, Math.min(BLOCK, rows - r0), cols * 4, body * 4);
        loops.addRows(partialAt, outAt, 1, cols * 4, body * 4);
      }
    } else if (body > 0) {
      loops.addRows(xAt, outAt, rows, cols * 4, body * 4);
    }
    for (let j = body; j < cols; j++) {
      // The few columns past the last multiple of 4: float64 sums, as cpu takes them.
      let s = 0;
      for (let r = 0; r < rows; r++) s += xs[base + r * cols + j];
      sums[o * cols + j] = s;
    }
  }
  if (partial) backend.disposeData(partial.dataId);
  if (mean) for (let i = 0; i < sums.length; i++) sums[i] = sums[i] / rows;
  return out;
}

export function createSumConfig(stock: tf.KernelConfig): tf.KernelConfig {
  const stockFunc = stock.kernelFunc as unknown as WasmKernelFunc;
  return {
    ...stock,
    kernelFunc: ((args: WasmKernelArgs) => reduceRows(args, false, stockFunc)) as unknown as tf.KernelFunc,
  };
}

export function createMeanConfig(stock: tf.KernelConfig): tf.KernelConfig {
  const stockFunc = stock.kernelFunc as unknown as WasmKernelFunc;
  return {
    ...stock,
    kernelFunc: ((args: WasmKernelArgs) => reduceRows(args, true, stockFunc)) as unknown as tf.KernelFunc,
  };
}

/**
 * dy of a Sum or Mean spread back over the reduced axes (divided by the count for Mean): a reshape and one
 * Tile. Stock multiplies by ones(x.shape), built in JS on every backward pass (1 ms for [64, 14, 14, 64]),
 * and for Sum does so even when the gradient is not wanted. Same values: dy * 1 / n is dy / n.
 */
function spread(dy: tf.Tensor, x: tf.Tensor, axis: number | number[], count?: number): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const kept = x.shape.map((size, d) => (axes.includes(d) ? 1 : size));
  const shaped = tf.reshape(dy, kept);
  return tf.broadcastTo(count === undefined ? shaped : tf.div(shaped, count), x.shape);
}

export const sumGradConfig: tf.GradConfig = {
  kernelName: tf.Sum,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    return { x: () => spread(dy as tf.Tensor, x, (attrs as unknown as tf.SumAttrs).axis) };
  },
};

export const meanGradConfig: tf.GradConfig = {
  kernelName: tf.Mean,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const { axis } = attrs as unknown as tf.MeanAttrs;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const count = axes.reduce((n, d) => n * x.shape[d], 1);
    return { x: () => spread(dy as tf.Tensor, x, axis, count) };
  },
};

/**
 * Tile's input gradient: dy as [reps0, size0, reps1, size1, ...] summed over the reps axes, one Sum. Stock
 * adds a slice per tile, one kernel pair each (6,272 of them for a [64, 98, 64] mean's second derivative),
 * and stops at rank 4.
 */
export const tileGradConfig: tf.GradConfig = {
  kernelName: tf.Tile,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const { reps } = attrs as unknown as tf.TileAttrs;
    return {
      x: () => {
        const split = x.shape.flatMap((size, d) => [reps[d], size]);
        const axes = reps.map((_, d) => 2 * d).filter((a) => split[a] !== 1);
        const summed = axes.length > 0 ? tf.sum(tf.reshape(dy as tf.Tensor, split), axes) : (dy as tf.Tensor);
        return tf.reshape(summed, x.shape);
      },
    };
  },
};
