// Unbatched products with a dimension of 1, in one SIMD pass over the big operand: the dense-layer gradients
// of a one-unit head (x^T dy: [6272, 64] x [64, 1]; dy w^T: [64, 1] x [1, 6272]). XNNPack packs the big
// operand as weights on every call, then multiplies by a single row or column: 1 to 1.7 ms for 0.4M MACs.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { tf } from '../tf.js';
import { simdLoops } from './simd.js';

type TensorInfo = tf.TensorInfo;

/**
 * op(a) [m, k] @ op(b) [k, n] for float32 rank-3 operands with batch 1, when k = 1 (an outer product), or
 * when the product is a weighted sum of contiguous rows (n = 1 with a transposed, m = 1 with b plain).
 * Undefined otherwise, or when SIMD is missing.
 */
export function thinMatMul(
  backend: BackendWasm,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  m: number,
  k: number,
  n: number,
): TensorInfo | undefined {
  const outer = k === 1;
  // Stored [k, m] (a transposed) with one weight per row from b, or stored [k, n] (b plain) with weights from a.
  const rowsOfA = !outer && n === 1 && transposeA;
  const rowsOfB = !outer && !rowsOfA && m === 1 && !transposeB;
  if (!outer && !rowsOfA && !rowsOfB) return undefined;
  const loops = simdLoops(backend);
  if (!loops || m * n === 0) return undefined;
  const out = backend.makeOutput([1, m, n], 'float32');
  const at = (t: TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset as number;
  // Views after makeOutput, which may grow (and so move) the heap. A side of length 1 is contiguous
  // whichever way it is transposed.
  const av = backend.typedArrayFromHeap(a) as Float32Array;
  const bv = backend.typedArrayFromHeap(b) as Float32Array;
  const result = backend.typedArrayFromHeap(out) as Float32Array;
  if (outer) {
    const body = n & ~3;
    if (body > 0) loops.scaleRows(at(a), at(b), at(out), m, n * 4, body * 4);
    for (let i = 0; i < m; i++) for (let j = body; j < n; j++) result[i * n + j] = Math.fround(av[i] * bv[j]);
    return out;
  }
  const [rows, weights, width] = rowsOfA ? [a, b, m] : [b, a, n];
  const x = rowsOfA ? av : bv;
  const w = rowsOfA ? bv : av;
  const body = width & ~3;
  result.fill(0);
  if (body > 0) loops.addScaledRows(at(rows), at(weights), at(out), k, width * 4, body * 4);
  for (let j = body; j < width; j++) {
    let s = 0;
    for (let r = 0; r < k; r++) s = Math.fround(s + Math.fround(w[r] * x[r * width + j]));
    result[j] = s;
  }
  return out;
}
