// Elementwise, row-reduction and block-copy loops in wasm SIMD, for kernels whose stock versions are slow: a
// tiny wasm module assembled here and run on the wasm backend's own memory, so it reads and writes tensors in
// place. Stock LeakyRelu is a branchy scalar loop (4 ms on [64, 14, 14, 64]); these run at memory speed.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Loops over float32 data. Addresses are byte offsets into the wasm heap; counts and widths must be multiples
 * of 4 floats (16 bytes): callers finish the remainder themselves.
 */
export interface SimdLoops {
  /** out[i] = x[i] < 0 ? alpha * x[i] : x[i], over `n` floats. */
  leakyRelu(x: number, out: number, n: number, alpha: number): void;
  /** out[i] = x[i] > 0 ? dy[i] : alpha * dy[i], over `n` floats. */
  leakyReluGrad(dy: number, x: number, out: number, n: number, alpha: number): void;
  /** out[j] += x[r * stride + j] for r < rows, j < width (stride and width in bytes). */
  addRows(x: number, out: number, rows: number, strideBytes: number, widthBytes: number): void;
  /** out[j] += w[r] * x[r * stride + j] for r < rows, j < width (stride and width in bytes). */
  addScaledRows(
    x: number,
    w: number,
    out: number,
    rows: number,
    strideBytes: number,
    widthBytes: number,
  ): void;
  /** out[r * stride + j] = a[r] * b[j] for r < rows, j < width (an outer product; bytes as above). */
  scaleRows(a: number, b: number, out: number, rows: number, strideBytes: number, widthBytes: number): void;
  /**
   * Copies rows x cols blocks of `widthBytes` from contiguous `src` to dst + r * rowStride + c * colStride
   * (strides in bytes): a strided scatter of whole pixels.
   */
  copyBlocks(
    src: number,
    dst: number,
    rows: number,
    cols: number,
    widthBytes: number,
    colStrideBytes: number,
    rowStrideBytes: number,
  ): void;
  /** out[r, j] = (x[r, j] - mean[j]) * factor[j] + offset[j] over rows of `widthBytes`. */
  batchNorm(
    x: number,
    out: number,
    rows: number,
    widthBytes: number,
    mean: number,
    factor: number,
    offset: number,
  ): void;
}

// Opcodes (WebAssembly core spec and the fixed-width SIMD proposal; SIMD ones follow the 0xfd prefix).
const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, depth],
  brIf: (depth: number) => [0x0d, depth],
  get: (i: number) => [0x20, i],
  set: (i: number) => [0x21, i],
  tee: (i: number) => [0x22, i],
  i32: (v: number) => [0x41, ...sleb(v)],
  f32zero: [0x43, 0, 0, 0, 0],
  f32load: [0x2a, 2, 0],
  i32eqz: [0x45],
  i32geU: [0x4f],
  i32add: [0x6a],
  i32sub: [0x6b],
  i32shl: [0x74],
  // memarg: align 2^2 (a hint; tensors are 4-byte aligned), offset 0.
  load: [0xfd, 0x00, 2, 0],
  store: [0xfd, 0x0b, 2, 0],
  splat: [0xfd, 0x13],
  lt: [0xfd, 0x43],
  gt: [0xfd, 0x44],
  bitselect: [0xfd, 0x52],
  add: [0xfd, 0xe4, 0x01],
  sub: [0xfd, 0xe5, 0x01],
  mul: [0xfd, 0xe6, 0x01],
};

function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]));

/** `p += 16` for each local index given. */
const advance = (...locals: number[]): number[] =>
  locals.flatMap((l) => [...op.get(l), ...op.i32(16), ...op.i32add, ...op.set(l)]);

/** A loop that exits when `exit` (instructions leaving an i32) is true, running `body` then `next`. */
const loopWhileNot = (exit: number[], body: number[]): number[] => [
  ...op.block,
  ...op.loop,
  ...exit,
  ...op.brIf(1),
  ...body,
  ...op.br(0),
  ...op.end,
  ...op.end,
];

interface Func {
  name: string;
  params: number[];
  locals: number[];
  body: number[];
}

// biome-ignore format: an instruction group per line reads as the loop it is
const funcs: Func[] = [
  {
    // params: x, out, n, alpha; locals: end, alphas, v, zeros
    name: 'leakyRelu',
    params: [I32, I32, I32, F32],
    locals: [I32, V128, V128, V128],
    body: [
      ...op.get(0), ...op.get(2), ...op.i32(2), ...op.i32shl, ...op.i32add, ...op.set(4),
      ...op.get(3), ...op.splat, ...op.set(5),
      ...op.f32zero, ...op.splat, ...op.set(7),
      ...loopWhileNot([...op.get(0), ...op.get(4), ...op.i32geU], [
        ...op.get(1),
        ...op.get(0), ...op.load, ...op.tee(6), ...op.get(5), ...op.mul,
        ...op.get(6),
        ...op.get(6), ...op.get(7), ...op.lt,
        ...op.bitselect,
        ...op.store,
        ...advance(0, 1),
      ]),
    ],
  },
  {
    // params: dy, x, out, n, alpha; locals: end, alphas, d, zeros
    name: 'leakyReluGrad',
    params: [I32, I32, I32, I32, F32],
    locals: [I32, V128, V128, V128],
    body: [
      ...op.get(0), ...op.get(3), ...op.i32(2), ...op.i32shl, ...op.i32add, ...op.set(5),
      ...op.get(4), ...op.splat, ...op.set(6),
      ...op.f32zero, ...op.splat, ...op.set(8),
      ...loopWhileNot([...op.get(0), ...op.get(5), ...op.i32geU], [
        ...op.get(2),
        ...op.get(0), ...op.load, ...op.tee(7),
        ...op.get(7), ...op.get(6), ...op.mul,
        ...op.get(1), ...op.load, ...op.get(8), ...op.gt,
        ...op.bitselect,
        ...op.store,
        ...advance(0, 1, 2),
      ]),
    ],
  },
  {
    // params: x, out, rows, strideBytes, widthBytes; locals: j
    name: 'addRows',
    params: [I32, I32, I32, I32, I32],
    locals: [I32],
    body: loopWhileNot([...op.get(2), ...op.i32eqz], [
      ...op.i32(0), ...op.set(5),
      ...loopWhileNot([...op.get(5), ...op.get(4), ...op.i32geU], [
        ...op.get(1), ...op.get(5), ...op.i32add,
        ...op.get(1), ...op.get(5), ...op.i32add, ...op.load,
        ...op.get(0), ...op.get(5), ...op.i32add, ...op.load,
        ...op.add,
        ...op.store,
        ...advance(5),
      ]),
      ...op.get(0), ...op.get(3), ...op.i32add, ...op.set(0),
      ...op.get(2), ...op.i32(1), ...op.i32sub, ...op.set(2),
    ]),
  },
  {
    // params: x, w, out, rows, strideBytes, widthBytes; locals: j, weight
    name: 'addScaledRows',
    params: [I32, I32, I32, I32, I32, I32],
    locals: [I32, V128],
    body: loopWhileNot([...op.get(3), ...op.i32eqz], [
      ...op.i32(0), ...op.set(6),
      ...op.get(1), ...op.f32load, ...op.splat, ...op.set(7),
      ...loopWhileNot([...op.get(6), ...op.get(5), ...op.i32geU], [
        ...op.get(2), ...op.get(6), ...op.i32add,
        ...op.get(2), ...op.get(6), ...op.i32add, ...op.load,
        ...op.get(0), ...op.get(6), ...op.i32add, ...op.load, ...op.get(7), ...op.mul,
        ...op.add,
        ...op.store,
        ...advance(6),
      ]),
      ...op.get(0), ...op.get(4), ...op.i32add, ...op.set(0),
      ...op.get(1), ...op.i32(4), ...op.i32add, ...op.set(1),
      ...op.get(3), ...op.i32(1), ...op.i32sub, ...op.set(3),
    ]),
  },
  {
    // params: a, b, out, rows, strideBytes, widthBytes; locals: j, scale
    name: 'scaleRows',
    params: [I32, I32, I32, I32, I32, I32],
    locals: [I32, V128],
    body: loopWhileNot([...op.get(3), ...op.i32eqz], [
      ...op.i32(0), ...op.set(6),
      ...op.get(0), ...op.f32load, ...op.splat, ...op.set(7),
      ...loopWhileNot([...op.get(6), ...op.get(5), ...op.i32geU], [
        ...op.get(2), ...op.get(6), ...op.i32add,
        ...op.get(1), ...op.get(6), ...op.i32add, ...op.load, ...op.get(7), ...op.mul,
        ...op.store,
        ...advance(6),
      ]),
      ...op.get(0), ...op.i32(4), ...op.i32add, ...op.set(0),
      ...op.get(2), ...op.get(4), ...op.i32add, ...op.set(2),
      ...op.get(3), ...op.i32(1), ...op.i32sub, ...op.set(3),
    ]),
  },
  {
    // params: src, dst, rows, cols, widthBytes, colStride, rowStride; locals: c, j, d
    name: 'copyBlocks',
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32],
    body: loopWhileNot([...op.get(2), ...op.i32eqz], [
      ...op.get(1), ...op.set(9),
      ...op.get(3), ...op.set(7),
      ...loopWhileNot([...op.get(7), ...op.i32eqz], [
        ...op.i32(0), ...op.set(8),
        ...loopWhileNot([...op.get(8), ...op.get(4), ...op.i32geU], [
          ...op.get(9), ...op.get(8), ...op.i32add,
          ...op.get(0), ...op.get(8), ...op.i32add, ...op.load,
          ...op.store,
          ...advance(8),
        ]),
        ...op.get(0), ...op.get(4), ...op.i32add, ...op.set(0),
        ...op.get(9), ...op.get(5), ...op.i32add, ...op.set(9),
        ...op.get(7), ...op.i32(1), ...op.i32sub, ...op.set(7),
      ]),
      ...op.get(1), ...op.get(6), ...op.i32add, ...op.set(1),
      ...op.get(2), ...op.i32(1), ...op.i32sub, ...op.set(2),
    ]),
  },
  {
    // params: x, out, rows, widthBytes, mean, factor, offset; locals: j
    name: 'batchNorm',
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: [I32],
    body: loopWhileNot([...op.get(2), ...op.i32eqz], [
      ...op.i32(0), ...op.set(7),
      ...loopWhileNot([...op.get(7), ...op.get(3), ...op.i32geU], [
        ...op.get(1), ...op.get(7), ...op.i32add,
        ...op.get(0), ...op.get(7), ...op.i32add, ...op.load,
        ...op.get(4), ...op.get(7), ...op.i32add, ...op.load,
        ...op.sub,
        ...op.get(5), ...op.get(7), ...op.i32add, ...op.load,
        ...op.mul,
        ...op.get(6), ...op.get(7), ...op.i32add, ...op.load,
        ...op.add,
        ...op.store,
        ...advance(7),
      ]),
      ...op.get(0), ...op.get(3), ...op.i32add, ...op.set(0),
      ...op.get(1), ...op.get(3), ...op.i32add, ...op.set(1),
      ...op.get(2), ...op.i32(1), ...op.i32sub, ...op.set(2),
    ]),
  },
];

/** The module's bytes; `shared` must match the backend's memory (threaded builds share it). */
export function assembleSimdModule(shared: boolean): Uint8Array<ArrayBuffer> {
  // Run-length encoded locals: one entry per local (the counts need not be merged).
  const code = funcs.map((f) => {
    const body = [...vec(f.locals.map((t) => [1, t])), ...f.body, ...op.end];
    return [...uleb(body.length), ...body];
  });
  // Limits: min 0 and the 32-bit maximum (65536 pages) accept any imported memory.
  const limits = shared ? [0x03, 0, ...uleb(65536)] : [0x00, 0];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), 0]))),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...limits]])),
    ...section(3, vec(funcs.map((_, i) => [i]))),
    ...section(7, vec(funcs.map((f, i) => [...name(f.name), 0x00, i]))),
    ...section(10, vec(code)),
  ]);
}

const cache = new WeakMap<WebAssembly.Memory, SimdLoops | null>();

/** The loops bound to this backend's memory, or undefined when the runtime lacks wasm SIMD. */
export function simdLoops(backend: BackendWasm): SimdLoops | undefined {
  // Threaded builds expose the shared memory; single-threaded ones export it from the instance.
  const module = backend.wasm as unknown as {
    wasmMemory?: WebAssembly.Memory;
    asm?: { memory?: WebAssembly.Memory };
  };
  const memory = module.wasmMemory ?? module.asm?.memory;
  if (!memory) return undefined;
  let loops = cache.get(memory);
  if (loops === undefined) {
    try {
      const bytes = assembleSimdModule(memory.buffer instanceof SharedArrayBuffer);
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
      loops = instance.exports as unknown as SimdLoops;
    } catch {
      loops = null;
    }
    cache.set(memory, loops);
  }
  return loops ?? undefined;
}
