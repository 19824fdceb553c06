// Conv2DBackpropInput for the wasm backend: conv2dTranspose's forward pass and strided conv2d's input
// gradient. The stock kernel is a naive loop at ~2 GFLOP/s; these routes hand the arithmetic to XNNPack.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tf.js';
import { copyRange, permute3, view, type WasmKernelArgs, type WasmKernelFunc } from './batch-mat-mul.js';
import { convGeometry, type Geometry } from './conv-geometry.js';
import { type SimdLoops, simdLoops } from './simd.js';

type TensorInfo = tf.TensorInfo;

/**
 * 'phases': dx split by position modulo the stride, each part one stride-1 XNNPack conv of dy with a
 * sub-filter, then interleaved. 'columns': one XNNPack matmul dy @ filterᵀ, then col2im in JS.
 */
export type Conv2DBackpropInputRoute = 'phases' | 'columns';

export const conv2dBackpropInputOptions: {
  /** Cap on the 'columns' matrix per chunk of the batch (floats; 4M = 16 MB), so big batches do not balloon the heap. */
  maxColumnFloats: number;
  /** Tests and benchmarks: always take this route instead of the usual choice. */
  forceRoute?: Conv2DBackpropInputRoute;
} = { maxColumnFloats: 4 * 1024 * 1024 };

// ---- 'columns' route ----

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
 * forward conv read it through, so each dx value is written once and no zero fill is needed. The entries'
 * offsets within a sample are the same for every sample: listed once per pixel, rows' taps outermost.
 */
function col2im(cols: Float32Array, dx: Float32Array, g: Geometry, t: Taps, n0: number, n1: number): void {
  const { inH, inW, inC, outH, outW, fh, fw } = g;
  const { rows, cols: across } = t;
  const sample = outH * outW * fh * fw * inC;
  const pixels = inH * inW;
  const start = new Int32Array(pixels + 1);
  const offsets: number[] = [];
  for (let iy = 0, p = 0; iy < inH; iy++) {
    for (let ix = 0; ix < inW; ix++, p++) {
      start[p] = offsets.length;
      for (let r = rows.start[iy]; r < rows.start[iy + 1]; r++) {
        for (let c = across.start[ix]; c < across.start[ix + 1]; c++) {
          offsets.push(rows.offsets[r] + across.offsets[c]);
        }
      }
    }
  }
  start[pixels] = offsets.length;
  const at = Int32Array.from(offsets);
  for (let n = n0; n < n1; n++) {
    const colBase = (n - n0) * sample;
    const dxBase = n * pixels * inC;
    if (inC === 1) {
      // Images: one value per pixel, so the per-pixel bookkeeping below would dominate.
      for (let p = 0; p < pixels; p++) {
        let sum = 0;
        for (let e = start[p]; e < start[p + 1]; e++) sum += cols[colBase + at[e]];
        dx[dxBase + p] = sum;
      }
      continue;
    }
    for (let p = 0; p < pixels; p++) {
      const dst = dxBase + p * inC;
      const e0 = start[p];
      const e1 = start[p + 1];
      if (e0 === e1) {
        dx.fill(0, dst, dst + inC);
        continue;
      }
      const first = colBase + at[e0];
      if (e1 - e0 === 1) {
        dx.set(cols.subarray(first, first + inC), dst);
        continue;
      }
      for (let ci = 0; ci < inC; ci++) {
        let sum = cols[first + ci];
        for (let e = e0 + 1; e < e1; e++) sum += cols[colBase + at[e] + ci];
        dx[dst + ci] = sum;
      }
    }
  }
}

function columnsRoute(
  backend: BackendWasm,
  matMul: WasmKernelFunc,
  dy: TensorInfo,
  filter: TensorInfo,
  g: Geometry,
  dxShape: number[],
): TensorInfo {
  const k = g.fh * g.fw * g.inC;
  const pixels = g.outH * g.outW;
  // [outC, k]: the filter transposed once (it is small) so each product is the plain one XNNPack runs fast.
  const filterT = permute3(backend, filter, [1, k, g.outC], [0, 2, 1]);
  const dx = backend.makeOutput(dxShape, 'float32');
  try {
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
    backend.disposeData(filterT.dataId);
  }
  return dx;
}

// ---- 'phases' route ----

/**
 * One axis of one phase: the dx positions p, p + s, p + 2s, … (count of them) and the filter taps that
 * reach them, which read dy at j + first + m * dilation for the m-th tap of `taps` (flipped order).
 * before/after: how far that read range runs past dy's ends (negative: dy rows it never reads).
 */
interface PhaseAxis {
  count: number;
  taps: number[];
  dilation: number;
  before: number;
  after: number;
}

function phaseAxis(
  p: number,
  inSize: number,
  outSize: number,
  f: number,
  s: number,
  d: number,
  pad: number,
): PhaseAxis {
  const count = p < inSize ? Math.ceil((inSize - p) / s) : 0;
  // Tap k reads dy at (i + pad - k * d) / s for dx position i, so only taps with that divisible reach phase p.
  const taps: number[] = [];
  for (let k = f - 1; k >= 0; k--) if ((((p + pad - k * d) % s) + s) % s === 0) taps.push(k);
  if (taps.length === 0 || count === 0) return { count, taps: [], dilation: 1, before: 0, after: 0 };
  const first = (p + pad - taps[0] * d) / s;
  const dilation = taps.length > 1 ? ((taps[0] - taps[1]) * d) / s : 1;
  const last = first + count - 1 + (taps.length - 1) * dilation;
  return { count, taps, dilation, before: -first, after: last - (outSize - 1) };
}

/** [fh, fw, inC, outC] filter to the phase's [taps y, taps x, outC, inC] one, spatially flipped. */
function subFilter(f: Float32Array, g: Geometry, ty: number[], tx: number[], out: Float32Array): void {
  const { fw, inC, outC } = g;
  let o = 0;
  for (const ky of ty) {
    for (const kx of tx) {
      const base = (ky * fw + kx) * inC * outC;
      for (let co = 0; co < outC; co++) {
        for (let ci = 0; ci < inC; ci++) out[o++] = f[base + ci * outC + co];
      }
    }
  }
}

/** dy without its first/last rows and columns that a phase never reads (all counts >= 0). */
function cropDy(
  backend: BackendWasm,
  dy: TensorInfo,
  g: Geometry,
  top: number,
  bottom: number,
  left: number,
  right: number,
): TensorInfo {
  const h = g.outH - top - bottom;
  const w = g.outW - left - right;
  const out = backend.makeOutput([g.batch, h, w, g.outC], 'float32');
  const src = backend.typedArrayFromHeap(dy);
  const dst = backend.typedArrayFromHeap(out);
  const row = w * g.outC;
  let o = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let y = 0; y < h; y++, o += row) {
      const s = ((n * g.outH + y + top) * g.outW + left) * g.outC;
      dst.set(src.subarray(s, s + row), o);
    }
  }
  return out;
}

/** Writes a phase's [N, count y, count x, inC] result (or zeros, without one) into its dx positions. */
function interleave(
  part: Float32Array | undefined,
  dx: Float32Array,
  g: Geometry,
  py: number,
  px: number,
  ay: PhaseAxis,
  ax: PhaseAxis,
): void {
  const { inH, inW, inC, sh, sw } = g;
  let o = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let j = 0; j < ay.count; j++) {
      let d = ((n * inH + py + j * sh) * inW + px) * inC;
      for (let i = 0; i < ax.count; i++, d += sw * inC) {
        // A plain loop: a subarray per pixel costs more than the copy at these depths.
        if (part) for (let c = 0; c < inC; c++) dx[d + c] = part[o++];
        else dx.fill(0, d, d + inC);
      }
    }
  }
}

/** interleave of a phase's result with SIMD block copies, one call per sample; inC must be a multiple of 4. */
function interleaveBlocks(
  loops: SimdLoops,
  part: number,
  dx: number,
  g: Geometry,
  py: number,
  px: number,
  ay: PhaseAxis,
  ax: PhaseAxis,
): void {
  const { inH, inW, inC, sh, sw } = g;
  const pixel = inC * 4;
  for (let n = 0; n < g.batch; n++) {
    const src = part + n * ay.count * ax.count * pixel;
    const dst = dx + ((n * inH + py) * inW + px) * pixel;
    loops.copyBlocks(src, dst, ay.count, ax.count, pixel, sw * pixel, sh * inW * pixel);
  }
}

/** One phase as a stride-1 conv; undefined when no tap reaches it or it reads only padding. */
function phaseConv(
  backend: BackendWasm,
  conv2d: WasmKernelFunc,
  dy: TensorInfo,
  filter: TensorInfo,
  g: Geometry,
  ay: PhaseAxis,
  ax: PhaseAxis,
): TensorInfo | undefined {
  if (ay.taps.length === 0 || ax.taps.length === 0) return undefined;
  // Reads that run past dy become conv padding; dy rows never read are cropped off first.
  const crop = [ay.before, ay.after, ax.before, ax.after].map((v) => Math.max(0, -v));
  if (crop[0] + crop[1] >= g.outH || crop[2] + crop[3] >= g.outW) return undefined;
  const temps: TensorInfo[] = [];
  try {
    const sub = backend.makeOutput([ay.taps.length, ax.taps.length, g.outC, g.inC], 'float32');
    temps.push(sub);
    subFilter(
      backend.typedArrayFromHeap(filter) as Float32Array,
      g,
      ay.taps,
      ax.taps,
      backend.typedArrayFromHeap(sub) as Float32Array,
    );
    let x = dy;
    if (crop.some((c) => c > 0)) {
      x = cropDy(backend, dy, g, crop[0], crop[1], crop[2], crop[3]);
      temps.push(x);
    }
    const pad = [
      [0, 0],
      [Math.max(0, ay.before), Math.max(0, ay.after)],
      [Math.max(0, ax.before), Math.max(0, ax.after)],
      [0, 0],
    ];
    return conv2d({
      inputs: { x, filter: sub },
      backend,
      attrs: { strides: 1, pad, dataFormat: 'NHWC', dilations: [ay.dilation, ax.dilation] },
    });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

function phasesRoute(
  backend: BackendWasm,
  conv2d: WasmKernelFunc,
  dy: TensorInfo,
  filter: TensorInfo,
  g: Geometry,
  dxShape: number[],
): TensorInfo {
  if (g.sh === 1 && g.sw === 1) {
    // One phase covering all of dx: the conv's result is dx itself.
    const part = phaseConv(
      backend,
      conv2d,
      dy,
      filter,
      g,
      phaseAxis(0, g.inH, g.outH, g.fh, 1, g.dh, g.padTop),
      phaseAxis(0, g.inW, g.outW, g.fw, 1, g.dw, g.padLeft),
    );
    if (part) return view(part, dxShape);
  }
  const dx = backend.makeOutput(dxShape, 'float32');
  const loops = simdLoops(backend);
  try {
    for (let py = 0; py < g.sh; py++) {
      const ay = phaseAxis(py, g.inH, g.outH, g.fh, g.sh, g.dh, g.padTop);
      if (ay.count === 0) continue;
      for (let px = 0; px < g.sw; px++) {
        const ax = phaseAxis(px, g.inW, g.outW, g.fw, g.sw, g.dw, g.padLeft);
        if (ax.count === 0) continue;
        const part = phaseConv(backend, conv2d, dy, filter, g, ay, ax);
        try {
          if (part && loops && g.inC % 4 === 0) {
            const at = (t: TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset as number;
            interleaveBlocks(loops, at(part), at(dx), g, py, px, ay, ax);
            continue;
          }
          // Views are taken after the conv, which may have grown (and so moved) the wasm heap.
          const values = part ? (backend.typedArrayFromHeap(part) as Float32Array) : undefined;
          interleave(values, backend.typedArrayFromHeap(dx) as Float32Array, g, py, px, ay, ax);
        } finally {
          if (part) backend.disposeData(part.dataId);
        }
      }
    }
  } catch (error) {
    backend.disposeData(dx.dataId);
    throw error;
  }
  return dx;
}

// ---- the kernel ----

/**
 * The phase convs cost about the same for any dx depth up to 8 (measured), so few-channel outputs such as
 * images, where 'columns' does proportionally less work, go that way: 1.5-3x faster there, 2-4x slower at 8+.
 */
function chooseRoute(g: Geometry): Conv2DBackpropInputRoute {
  return conv2dBackpropInputOptions.forceRoute ?? (g.inC < 4 ? 'columns' : 'phases');
}

export function createConv2DBackpropInputConfig(
  stock: tf.KernelConfig | undefined,
  kernels: { matMul: WasmKernelFunc; conv2d: WasmKernelFunc },
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
    const g = convGeometry(
      'conv2dDerInput',
      inputShape,
      filter.shape as [number, number, number, number],
      dy.shape,
      { strides, dilations, pad, dimRoundingMode },
    );
    if (g.batch * g.outH * g.outW * g.outC * g.fh * g.fw * g.inC === 0) {
      const zeros = backend.makeOutput(inputShape, 'float32');
      backend.typedArrayFromHeap(zeros).fill(0);
      return zeros;
    }
    return chooseRoute(g) === 'phases'
      ? phasesRoute(backend, kernels.conv2d, dy, filter, g, inputShape)
      : columnsRoute(backend, kernels.matMul, dy, filter, g, inputShape);
  };
  return {
    kernelName: tf.Conv2DBackpropInput,
    backendName: 'wasm',
    // The stock setup (a cwrap) still runs, so the stock kernel works again once the fixes are removed.
    setupFunc: stock?.setupFunc,
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  };
}
