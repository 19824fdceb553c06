// Replacement wasm OneHot: the stock kernel writes int32 bit patterns whatever dtype is asked for, so
// tf.oneHot(..., 'float32') gives 1.4e-45 instead of 1. Written in JS on the wasm heap for every dtype.
import { tf } from '../tf.js';
import type { WasmKernelArgs } from './batch-mat-mul.js';

export function createOneHotConfig(): tf.KernelConfig {
  return {
    kernelName: tf.OneHot,
    backendName: 'wasm',
    kernelFunc: (({ inputs, backend, attrs }: WasmKernelArgs) => {
      const indices = inputs.indices!;
      const { depth, onValue, offValue, dtype } = attrs as {
        depth: number;
        onValue: number;
        offValue: number;
        dtype: tf.DataType;
      };
      const out = backend.makeOutput([...indices.shape, depth], dtype);
      const values = backend.typedArrayFromHeap(out);
      const index = backend.typedArrayFromHeap(indices);
      values.fill(offValue);
      for (let i = 0; i < index.length; i++) {
        const k = index[i];
        // Out-of-range indices give an all-off row, as on the cpu backend.
        if (k >= 0 && k < depth) values[i * depth + k] = onValue;
      }
      return out;
    }) as unknown as tf.KernelFunc,
  };
}
