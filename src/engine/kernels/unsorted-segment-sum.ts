// UnsortedSegmentSum for wasm, missing from the stock backend: the gradient of a gather (an embedding layer's
// lookup) calls it, so text models could not train. Written in JS on the wasm heap: rows of x added into
// their segment's row of the output (out-of-range ids dropped, as on the cpu backend).
import { tf } from '../tf.js';
import type { WasmKernelArgs } from './batch-mat-mul.js';

export function createUnsortedSegmentSumConfig(): tf.KernelConfig {
  return {
    kernelName: tf.UnsortedSegmentSum,
    backendName: 'wasm',
    kernelFunc: (({ inputs, backend, attrs }: WasmKernelArgs) => {
      const x = inputs.x!;
      const segmentIds = inputs.segmentIds!;
      const { numSegments } = attrs as { numSegments: number };
      const inner = x.shape.slice(segmentIds.shape.length);
      const width = inner.reduce((a, b) => a * b, 1);
      const out = backend.makeOutput([numSegments, ...inner], x.dtype);
      const values = backend.typedArrayFromHeap(out);
      const source = backend.typedArrayFromHeap(x);
      const ids = backend.typedArrayFromHeap(segmentIds);
      values.fill(0);
      for (let i = 0; i < ids.length; i++) {
        const segment = ids[i];
        if (segment < 0 || segment >= numSegments) continue;
        const from = i * width;
        const to = segment * width;
        for (let j = 0; j < width; j++) values[to + j] += source[from + j];
      }
      return out;
    }) as unknown as tf.KernelFunc,
  };
}
