// Replacement wasm GatherV2 (along axis 0), Unpack and SplitV: all row copies, which the stock kernels do an
// element at a time with an index computation each. A text model's embedding lookup (gather [10000, 256] by 2,560
// ids) took ~27 ms of CPU, unstacking a GRU's [64, 40, 512] inputs by step ~14 ms, and splitting its [512, 1536]
// recurrent kernel into gates, which tfjs-layers does at every step, ~2 ms a call; here they are typed-array
// copies of whole rows on the wasm heap. Other cases go to the stock kernels.
import { tf } from '../tf.js';
import type { WasmKernelArgs, WasmKernelFunc } from './batch-mat-mul.js';

type Numeric = Float32Array | Int32Array | Uint8Array;

/** out row i = params row indices[i]; false (nothing written) when an index is out of [0, rows). */
export function gatherRows(
  params: Numeric,
  rows: number,
  width: number,
  indices: Numeric,
  out: Numeric,
): boolean {
  for (const id of indices) if (!(id >= 0 && id < rows)) return false;
  for (let i = 0; i < indices.length; i++) {
    const from = indices[i] * width;
    out.set(params.subarray(from, from + width), i * width);
  }
  return true;
}

export function createGatherConfig(stock: tf.KernelConfig): tf.KernelConfig {
  const stockFunc = stock.kernelFunc as unknown as WasmKernelFunc;
  return {
    ...stock,
    kernelFunc: ((args: WasmKernelArgs) => {
      const { inputs, backend, attrs } = args;
      const { x, indices } = inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
      const { axis, batchDims } = attrs as unknown as tf.GatherV2Attrs;
      const first = tf.util.parseAxisParam(axis, x.shape)[0];
      if (first !== 0 || (batchDims ?? 0) !== 0 || x.shape.length === 0) return stockFunc(args);
      const inner = x.shape.slice(1);
      const width = tf.util.sizeFromShape(inner);
      const out = backend.makeOutput([...indices.shape, ...inner], x.dtype);
      // Views after makeOutput, which may grow (and so move) the heap.
      const ok = gatherRows(
        backend.typedArrayFromHeap(x) as Numeric,
        x.shape[0],
        width,
        backend.typedArrayFromHeap(indices) as Numeric,
        backend.typedArrayFromHeap(out) as Numeric,
      );
      if (ok) return out;
      // An index out of range: the stock kernel's behaviour, whatever it is.
      backend.disposeData(out.dataId);
      return stockFunc(args);
    }) as unknown as tf.KernelFunc,
  };
}

export function createUnpackConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    ...stock,
    kernelFunc: (({ inputs, backend, attrs }: WasmKernelArgs) => {
      const x = inputs.value!;
      const axis = tf.util.parseAxisParam((attrs as unknown as tf.UnpackAttrs).axis, x.shape)[0];
      const count = x.shape[axis];
      const shape = x.shape.filter((_, d) => d !== axis);
      const outer = tf.util.sizeFromShape(x.shape.slice(0, axis));
      const inner = tf.util.sizeFromShape(x.shape.slice(axis + 1));
      const outs = Array.from({ length: count }, () => backend.makeOutput(shape, x.dtype));
      const source = backend.typedArrayFromHeap(x) as Numeric;
      outs.forEach((o, k) => {
        const target = backend.typedArrayFromHeap(o) as Numeric;
        for (let r = 0; r < outer; r++) {
          const from = (r * count + k) * inner;
          target.set(source.subarray(from, from + inner), r * inner);
        }
      });
      return outs;
    }) as unknown as tf.KernelFunc,
  };
}

export function createSplitVConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    ...stock,
    kernelFunc: (({ inputs, backend, attrs }: WasmKernelArgs) => {
      const x = inputs.x!;
      const { numOrSizeSplits, axis } = attrs as unknown as tf.SplitVAttrs;
      const dim = tf.util.parseAxisParam(axis, x.shape)[0];
      const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, dim);
      const outer = tf.util.sizeFromShape(x.shape.slice(0, dim));
      const inner = tf.util.sizeFromShape(x.shape.slice(dim + 1));
      const row = x.shape[dim] * inner;
      const outs = sizes.map((size) =>
        backend.makeOutput(
          x.shape.map((s, d) => (d === dim ? size : s)),
          x.dtype,
        ),
      );
      const source = backend.typedArrayFromHeap(x) as Numeric;
      let start = 0;
      sizes.forEach((size, k) => {
        const target = backend.typedArrayFromHeap(outs[k]) as Numeric;
        const width = size * inner;
        for (let r = 0; r < outer; r++) {
          const from = r * row + start;
          target.set(source.subarray(from, from + width), r * width);
        }
        start += width;
      });
      return outs;
    }) as unknown as tf.KernelFunc,
  };
}
