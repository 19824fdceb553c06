// Conv2DBackpropFilter for the wasm backend, which ships without one (so no conv model can train there):
// im2col into the wasm heap, then one XNNPack matmul per chunk of the batch.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tf.js';
import { copyRange, view, type WasmKernelArgs, type WasmKernelFunc } from './batch-mat-mul.js';
import { convGeometry, type Geometry } from './conv-geometry.js';

type TensorInfo = tf.TensorInfo;

export const conv2dBackpropFilterOptions = {
  /** Cap on the patch matrix per chunk of the batch (floats; 4M = 16 MB), so big batches do not balloon the heap. */
  maxPatchFloats: 4 * 1024 * 1024,
};

/**
 * Writes the transposed patch matrix for samples [n0, n1): row (ky, kx, ci) — the filter's own
 * layout — column (n, oy, ox); taps that fall into the padding are 0.
 */
function im2colTransposed(x: Float32Array, out: Float32Array, g: Geometry, n0: number, n1: number): void {
  const { inH, inW, inC, outH, outW, fh, fw, sh, sw, dh, dw, padTop, padLeft } = g;
  const cols = (n1 - n0) * outH * outW;
  for (let ky = 0; ky < fh; ky++) {
    for (let kx = 0; kx < fw; kx++) {
      // Output columns whose input column lies inside the image, for this tap.
      const xOff = kx * dw - padLeft;
      const oxMin = Math.min(outW, Math.max(0, Math.ceil(-xOff / sw)));
      const oxMax = Math.max(oxMin, Math.min(outW, Math.ceil((inW - xOff) / sw)));
      for (let ci = 0; ci < inC; ci++) {
        let dst = ((ky * fw + kx) * inC + ci) * cols;
        for (let n = n0; n < n1; n++) {
          for (let oy = 0; oy < outH; oy++) {
            const iy = oy * sh - padTop + ky * dh;
            if (iy < 0 || iy >= inH) {
              out.fill(0, dst, dst + outW);
              dst += outW;
              continue;
            }
            const rowBase = ((n * inH + iy) * inW + xOff) * inC + ci;
            const step = sw * inC;
            for (let ox = 0; ox < oxMin; ox++) out[dst + ox] = 0;
            for (let ox = oxMin; ox < oxMax; ox++) out[dst + ox] = x[rowBase + ox * step];
            for (let ox = oxMax; ox < outW; ox++) out[dst + ox] = 0;
            dst += outW;
          }
        }
      }
    }
  }
}

export function createConv2DBackpropFilterConfig(matMul: WasmKernelFunc): tf.KernelConfig {
  const kernelFunc = (args: WasmKernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x!;
    const dy = inputs.dy!;
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
      attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    // Not part of the tfjs attrs (its conv2d gradient refuses dilations), but cheap to honour here.
    const dilations = (attrs.dilations ?? 1) as [number, number] | number;
    if (dataFormat === 'NCHW') {
      throw new Error(
        "Conv2DBackpropFilter on the wasm backend supports dataFormat 'NHWC' only (got 'NCHW'); " +
          'transpose the input to channels-last first',
      );
    }
    if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
      throw new Error(`Conv2DBackpropFilter on wasm needs float32 tensors, got ${x.dtype} and ${dy.dtype}`);
    }
    const g = convGeometry(
      'conv2dDerFilter',
      x.shape as [number, number, number, number],
      filterShape,
      dy.shape,
      { strides, dilations, pad, dimRoundingMode },
    );
    const patch = g.fh * g.fw * g.inC;
    const pixels = g.outH * g.outW;
    if (g.batch * pixels === 0 || patch * g.outC === 0) {
      const zeros = backend.makeOutput(filterShape, 'float32');
      backend.typedArrayFromHeap(zeros).fill(0);
      return zeros;
    }
    const perChunk = Math.max(
      1,
      Math.min(g.batch, Math.floor(conv2dBackpropFilterOptions.maxPatchFloats / (pixels * patch))),
    );
    let acc: TensorInfo | undefined;
    for (let n0 = 0; n0 < g.batch; n0 += perChunk) {
      const n1 = Math.min(g.batch, n0 + perChunk);
      const cols = (n1 - n0) * pixels;
      const patchesT = backend.makeOutput([1, patch, cols], 'float32');
      im2colTransposed(
        backend.typedArrayFromHeap(x) as Float32Array,
        backend.typedArrayFromHeap(patchesT) as Float32Array,
        g,
        n0,
        n1,
      );
      const whole = n0 === 0 && n1 === g.batch;
      const dyChunk = whole
        ? view(dy, [1, cols, g.outC])
        : copyRange(backend, dy, n0 * pixels * g.outC, [1, cols, g.outC]);
      // [patch, cols] @ [cols, outC]: the un-transposed product XNNPack runs fast.
      const part = matMul({
        inputs: { a: patchesT, b: dyChunk },
        backend,
        attrs: { transposeA: false, transposeB: false },
      });
      backend.disposeData(patchesT.dataId);
      if (!whole) backend.disposeData(dyChunk.dataId);
      if (acc === undefined) {
        acc = part;
      } else {
        addInto(backend, acc, part);
        backend.disposeData(part.dataId);
      }
    }
    return view(acc!, filterShape);
  };
  return {
    kernelName: tf.Conv2DBackpropFilter,
    backendName: 'wasm',
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  };
}

function addInto(backend: BackendWasm, acc: TensorInfo, part: TensorInfo): void {
  const into = backend.typedArrayFromHeap(acc);
  const from = backend.typedArrayFromHeap(part);
  for (let i = 0; i < into.length; i++) into[i] += from[i];
}
