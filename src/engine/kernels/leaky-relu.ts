// LeakyRelu and its gradient in one pass each. Stock wasm LeakyRelu is a branchy scalar loop (4 ms on a
// [64, 14, 14, 64] DCGAN activation), and the stock gradient is three kernels, select(greater(x, 0), dy,
// alpha * dy), ~5 ms there. The gradient kernel is registered for wasm and cpu; elsewhere the gradient
// falls back to the stock ops.
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { tf } from '../tf.js';
import type { WasmKernelArgs, WasmKernelFunc } from './batch-mat-mul.js';
import { simdLoops } from './simd.js';

/** dx of LeakyRelu from (dy, x) with attr alpha: dy where x > 0, else alpha * dy. */
export const LEAKY_RELU_GRAD = 'LatentlabLeakyReluGrad';

type Attrs = { alpha: number };

/** out[i] = x[i] > 0 ? dy[i] : alpha * dy[i] for i in [from, to), as the stock select does it. */
function leakyReluGradRange(
  dy: Float32Array,
  x: Float32Array,
  out: Float32Array,
  alpha: number,
  from: number,
  to: number,
): void {
  const a = Math.fround(alpha);
  for (let i = from; i < to; i++) out[i] = x[i] > 0 ? dy[i] : Math.fround(a * dy[i]);
}

function wasmOffset(backend: WasmKernelArgs['backend'], t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset as number;
}

export function createLeakyReluConfig(stock: tf.KernelConfig): tf.KernelConfig {
  const stockFunc = stock.kernelFunc as unknown as WasmKernelFunc;
  return {
    ...stock,
    kernelFunc: ((args: WasmKernelArgs) => {
      const { inputs, backend, attrs } = args;
      const x = inputs.x!;
      const loops = simdLoops(backend);
      if (!loops || x.dtype !== 'float32') return stockFunc(args);
      const { alpha } = attrs as unknown as Attrs;
      const n = tf.util.sizeFromShape(x.shape);
      const out = backend.makeOutput(x.shape, 'float32');
      const body = n & ~3;
      if (body > 0) loops.leakyRelu(wasmOffset(backend, x), wasmOffset(backend, out), body, alpha);
      if (body < n) {
        const xs = backend.typedArrayFromHeap(x) as Float32Array;
        const outs = backend.typedArrayFromHeap(out) as Float32Array;
        const a = Math.fround(alpha);
        for (let i = body; i < n; i++) outs[i] = xs[i] < 0 ? Math.fround(a * xs[i]) : xs[i];
      }
      return out;
    }) as unknown as tf.KernelFunc,
  };
}

export function createLeakyReluGradWasmConfig(): tf.KernelConfig {
  return {
    kernelName: LEAKY_RELU_GRAD,
    backendName: 'wasm',
    kernelFunc: (({ inputs, backend, attrs }: WasmKernelArgs) => {
      const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
      const { alpha } = attrs as unknown as Attrs;
      const n = tf.util.sizeFromShape(x.shape);
      const out = backend.makeOutput(x.shape, 'float32');
      const loops = simdLoops(backend);
      const body = loops ? n & ~3 : 0;
      if (loops && body > 0) {
        loops.leakyReluGrad(
          wasmOffset(backend, dy),
          wasmOffset(backend, x),
          wasmOffset(backend, out),
          body,
          alpha,
        );
      }
      if (body < n) {
        // Views after makeOutput, which may grow (and so move) the heap.
        leakyReluGradRange(
          backend.typedArrayFromHeap(dy) as Float32Array,
          backend.typedArrayFromHeap(x) as Float32Array,
          backend.typedArrayFromHeap(out) as Float32Array,
          alpha,
          body,
          n,
        );
      }
      return out;
    }) as unknown as tf.KernelFunc,
  };
}

export function createLeakyReluGradCpuConfig(): tf.KernelConfig {
  return {
    kernelName: LEAKY_RELU_GRAD,
    backendName: 'cpu',
    kernelFunc: (({ inputs, backend, attrs }) => {
      const cpu = backend as MathBackendCPU;
      const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
      const n = tf.util.sizeFromShape(x.shape);
      const out = new Float32Array(n);
      leakyReluGradRange(
        cpu.data.get(dy.dataId)!.values as Float32Array,
        cpu.data.get(x.dataId)!.values as Float32Array,
        out,
        (attrs as unknown as Attrs).alpha,
        0,
        n,
      );
      return cpu.makeTensorInfo(x.shape, 'float32', out);
    }) as tf.KernelFunc,
  };
}

/** The LeakyRelu input gradient: the one-pass kernel where the active backend has it, else the stock ops. */
export function leakyReluGrad(dy: tf.Tensor, x: tf.Tensor, alpha: number): tf.Tensor {
  if (dy.dtype === 'float32' && x.dtype === 'float32' && tf.getKernel(LEAKY_RELU_GRAD, tf.getBackend())) {
    return tf.engine().runKernel(LEAKY_RELU_GRAD, { dy, x }, { alpha }) as tf.Tensor;
  }
  return tf.where(tf.greater(x, 0), dy, tf.mul(dy, alpha));
}

/** Replaces tfjs-core's LeakyRelu gradient (same values, one kernel). */
export const leakyReluGradConfig: tf.GradConfig = {
  kernelName: tf.LeakyRelu,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const { alpha } = attrs as unknown as Attrs;
    return { x: () => leakyReluGrad(dy as tf.Tensor, x, alpha) };
  },
};

/**
 * The gradient kernel's own gradient, for second-order uses (R1 and gradient penalties): linear in dy with
 * the same mask; the mask is piecewise constant in x, as the stock greater/select gives it.
 */
export const leakyReluGradGradConfig: tf.GradConfig = {
  kernelName: LEAKY_RELU_GRAD,
  inputsToSave: ['x'],
  gradFunc: (ddx, saved, attrs) => {
    const [x] = saved;
    const { alpha } = attrs as unknown as Attrs;
    return { dy: () => leakyReluGrad(ddx as tf.Tensor, x, alpha), x: () => tf.zerosLike(x) };
  },
};
