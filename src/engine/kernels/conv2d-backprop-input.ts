// Conv2DBackpropInput for the wasm backend (conv2dTranspose's forward pass, strided conv2d's input gradient):
// one XNNPack matmul of dy by the filter per chunk of the batch, then col2im as a gather in JS.
import { tf } from '../tf.js';
import { copyRange, permute3, view, type WasmKernelArgs, type WasmKernelFunc } from './batch-mat-mul.js';

type TensorInfo = tf.TensorInfo;

export const conv2dBackpropInputOptions = {
  /** Cap on the column matrix per chunk of the batch (floats; 4M = 16 MB), so big batches do not balloon the heap. */
  maxColumnFloats: 4 * 1024 * 1024,
};

interface Geometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  fh: number;
  fw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  padTop: number;
  padLeft: number;
}

/**
 * For each input coordinate along one axis, the (output, tap) pairs that read it in the forward conv,
 * as offsets into one sample's column matrix: out * outStride + tap * tapStride.
 */
function tapOffsets(
  inSize: number,
  outSize: number,
  taps: number,
  stride: number,
  dilation: number,
  pad: number,
  outStride: number,
  tapStride: number,
): { start: Int32Array; offsets: Int32Array } {
  const start = new Int32Array(inSize + 1);
  const offsets: number[] = [];
  for (let i = 0; i < inSize; i++) {
    start[i] = offsets.length;
    for (let k = 0; k < taps; k++) {
      const t = i + pad - k * dilation;
      if (t < 0 || t % stride !== 0) continue;
      const o = t / stride;
      if (o < outSize) offsets.push(o * outStride + k * tapStride);
    }
  }
  start[inSize] = offsets.length;
  return { start, offsets: Int32Array.from(offsets) };
}

interface Taps {
  rows: { start: Int32Array; offsets: Int32Array };
  cols: { start: Int32Array; offsets: Int32Array };
}

function taps(g: Geometry): Taps {
  const k = g.fh * g.fw * g.inC;
  return {
    rows: tapOffsets(g.inH, g.outH, g.fh, g.sh, g.dh, g.padTop, g.outW * k, g.fw * g.inC),
    cols: tapOffsets(g.inW, g.outW, g.fw, g.sw, g.dw, g.padLeft, k, g.inC),
  };
}

/**
 * col2im as a gather: dx[n, iy, ix, :] is the sum of the column entries (n, oy, ox, ky, kx, :) that the
 * forward conv read it through, so each dx value is written once and no zero fill is needed.
 */
function col2im(cols: Float32Array, dx: Float32Array, g: Geometry, t: Taps, n0: number, n1: number): void {
  const { inH, inW, inC, outH, outW, fh, fw } = g;
  const { rows, cols: across } = t;
  const sample = outH * outW * fh * fw * inC;
  const bases = new Int32Array(fh * fw);
  for (let n = n0; n < n1; n++) {
    const colBase = (n - n0) * sample;
    let dst = n * inH * inW * inC;
    for (let iy = 0; iy < inH; iy++) {
      const r0 = rows.start[iy];
      const r1 = rows.start[iy + 1];
      for (let ix = 0; ix < inW; ix++, dst += inC) {
        const c0 = across.start[ix];
        const c1 = across.start[ix + 1];
        let count = 0;
        for (let r = r0; r < r1; r++) {
          for (let c = c0; c < c1; c++) bases[count++] = colBase + rows.offsets[r] + across.offsets[c];
        }
        if (count === 0) {
          dx.fill(0, dst, dst + inC);
          continue;
        }
        const first = bases[0];
        if (count === 1) {
          dx.set(cols.subarray(first, first + inC), dst);
          continue;
        }
        for (let ci = 0; ci < inC; ci++) {
          let sum = cols[first + ci];
          for (let b = 1; b < count; b++) sum += cols[bases[b] + ci];
          dx[dst + ci] = sum;
        }
      }
    }
  }
}

export function createConv2DBackpropInputConfig(
  stock: tf.KernelConfig | undefined,
  matMul: WasmKernelFunc,
): tf.KernelConfig {
  const kernelFunc = (args: WasmKernelArgs): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const dy = inputs.dy!;
    const filter = inputs.filter!;
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
      attrs as unknown as tf.Conv2DBackpropInputAttrs;
    // tfjs never passes dilations (its conv2d gradient refuses them), but they cost nothing to honour.
    const dilations = (attrs.dilations ?? 1) as [number, number] | number;
    if (dataFormat === 'NCHW') {
      throw new Error(
        "Conv2DBackpropInput on the wasm backend supports dataFormat 'NHWC' only (got 'NCHW'); " +
          'transpose to channels-last first',
      );
    }
    if (dy.dtype !== 'float32' || filter.dtype !== 'float32') {
      throw new Error(
        `Conv2DBackpropInput on wasm needs float32 tensors, got ${dy.dtype} and ${filter.dtype}`,
      );
    }
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      dilations,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    tf.util.assert(
      tf.util.arraysEqual(dy.shape, info.outShape),
      () =>
        `Error in conv2dDerInput: dy shape ${dy.shape} does not match the conv output shape ${info.outShape}`,
    );
    const g: Geometry = {
      batch: info.batchSize,
      inH: info.inHeight,
      inW: info.inWidth,
      inC: info.inChannels,
      outH: info.outHeight,
      outW: info.outWidth,
      outC: info.outChannels,
      fh: info.filterHeight,
      fw: info.filterWidth,
      sh: info.strideHeight,
      sw: info.strideWidth,
      dh: info.dilationHeight,
      dw: info.dilationWidth,
      padTop: info.padInfo.top,
      padLeft: info.padInfo.left,
    };
    const k = g.fh * g.fw * g.inC;
    const pixels = g.outH * g.outW;
    const dx = backend.makeOutput(inputShape, 'float32');
    if (g.batch * pixels === 0 || k * g.outC === 0) {
      backend.typedArrayFromHeap(dx).fill(0);
      return dx;
    }
    let filterT: TensorInfo | undefined;
    try {
      // [outC, k]: the filter transposed once (it is small) so each product is the plain one XNNPack runs fast.
      filterT = permute3(backend, filter, [1, k, g.outC], [0, 2, 1]);
      const t = taps(g);
      const perChunk = Math.max(
        1,
        Math.min(g.batch, Math.floor(conv2dBackpropInputOptions.maxColumnFloats / (pixels * k))),
      );
      for (let n0 = 0; n0 < g.batch; n0 += perChunk) {
        const n1 = Math.min(g.batch, n0 + perChunk);
        const rows = (n1 - n0) * pixels;
        const whole = n0 === 0 && n1 === g.batch;
        const dyChunk = whole
          ? view(dy, [1, rows, g.outC])
          : copyRange(backend, dy, n0 * pixels * g.outC, [1, rows, g.outC]);
        let cols: TensorInfo | undefined;
        try {
          // [rows, outC] @ [outC, k]: row (n, oy, ox), column (ky, kx, ci).
          cols = matMul({
            inputs: { a: dyChunk, b: filterT },
            backend,
            attrs: { transposeA: false, transposeB: false },
          });
          // Views are taken after the product, which may have grown (and so moved) the wasm heap.
          col2im(
            backend.typedArrayFromHeap(cols) as Float32Array,
            backend.typedArrayFromHeap(dx) as Float32Array,
            g,
            t,
            n0,
            n1,
          );
        } finally {
          if (cols) backend.disposeData(cols.dataId);
          if (!whole) backend.disposeData(dyChunk.dataId);
        }
      }
    } catch (error) {
      backend.disposeData(dx.dataId);
      throw error;
    } finally {
      if (filterT) backend.disposeData(filterT.dataId);
    }
    return dx;
  };
  return {
    kernelName: tf.Conv2DBackpropInput,
    backendName: 'wasm',
    // The stock setup (a cwrap) still runs, so the stock kernel works again once the fixes are removed.
    setupFunc: stock?.setupFunc,
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  };
}
