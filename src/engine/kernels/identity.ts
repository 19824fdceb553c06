// Identity, Cast to the same dtype and Transpose by the identity permutation, without copying: the output
// shares the input's buffer (refcounted, as stock Reshape does), since tensor data is never written after
// creation. Stock copies: the DCGAN step ran ~60 Identity copies (8 ms); tfjs-layers' Dense on a rank-3 input
// transposes its kernel by [0, 1], a 20 MB copy forward and back for a 512 x 10,000 output layer.
import type { tf } from '../tf.js';
import type { WasmKernelArgs, WasmKernelFunc } from './batch-mat-mul.js';

function share(args: WasmKernelArgs, stock: WasmKernelFunc, dtype: tf.DataType): tf.TensorInfo {
  const x = args.inputs.x!;
  if (x.dtype === 'string' || x.dtype !== dtype) return stock(args);
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export function createIdentityConfig(stock: tf.KernelConfig): tf.KernelConfig {
  const stockFunc = stock.kernelFunc as unknown as WasmKernelFunc;
  return {
    ...stock,
    kernelFunc: ((args: WasmKernelArgs) =>
      share(args, stockFunc, args.inputs.x!.dtype)) as unknown as tf.KernelFunc,
  };
}

export function createCastConfig(stock: tf.KernelConfig): tf.KernelConfig {
  const stockFunc = stock.kernelFunc as unknown as WasmKernelFunc;
  return {
    ...stock,
    kernelFunc: ((args: WasmKernelArgs) => {
      const x = args.inputs.x!;
      const { dtype } = args.attrs as unknown as tf.CastAttrs;
      if (dtype === 'bool' && (x.dtype === 'float32' || x.dtype === 'int32')) {
        // Stock copies the values into bytes (2 -> 2, -1 -> 255) instead of testing them against zero.
        const out = args.backend.makeOutput(x.shape, 'bool');
        const values = args.backend.typedArrayFromHeap(x);
        const flags = args.backend.typedArrayFromHeap(out);
        for (let i = 0; i < values.length; i++) flags[i] = values[i] !== 0 ? 1 : 0;
        return out;
      }
      return share(args, stockFunc, dtype);
    }) as unknown as tf.KernelFunc,
  };
}

export function createTransposeConfig(stock: tf.KernelConfig): tf.KernelConfig {
  const stockFunc = stock.kernelFunc as unknown as WasmKernelFunc;
  return {
    ...stock,
    kernelFunc: ((args: WasmKernelArgs) => {
      const { perm } = args.attrs as unknown as tf.TransposeAttrs;
      return perm.every((p, i) => p === i) ? share(args, stockFunc, args.inputs.x!.dtype) : stockFunc(args);
    }) as unknown as tf.KernelFunc,
  };
}
