// Matmul throughput on the wasm backend, stock kernels vs latentlab's fixes, for each transpose combination.
// Run: npx tsx scripts/matmul-speed.ts
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernelFixes, unregisterWasmKernelFixes } from '../src/engine/kernels/index.js';
import { tf } from '../src/engine/tf.js';

const MIN_MS = 400;

/** GFLOP/s of a [..batch, m, k] @ [..batch, k, n] product, operands stored transposed as asked. */
function gflops(
  batchA: number[],
  batchB: number[],
  m: number,
  k: number,
  n: number,
  tA: boolean,
  tB: boolean,
): number {
  const a = tf.randomUniform(tA ? [...batchA, k, m] : [...batchA, m, k]);
  const b = tf.randomUniform(tB ? [...batchB, n, k] : [...batchB, k, n]);
  const batch = tf.util.sizeFromShape(tf.broadcast_util.assertAndGetBroadcastShape(batchA, batchB));
  for (let i = 0; i < 3; i++) tf.matMul(a, b, tA, tB).dispose();
  let reps = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    tf.matMul(a, b, tA, tB).dispose();
    reps++;
    elapsed = performance.now() - start;
  } while (elapsed < MIN_MS);
  tf.dispose([a, b]);
  return (2 * batch * m * k * n * reps) / (elapsed / 1000) / 1e9;
}

const combos: Array<[boolean, boolean, string]> = [
  [false, false, 'a @ b'],
  [true, false, 'aT @ b'],
  [false, true, 'a @ bT'],
  [true, true, 'aT @ bT'],
];

const shapes: Array<{ label: string; batchA: number[]; batchB: number[]; m: number; k: number; n: number }> =
  [
    { label: '256x784 @ 784x256', batchA: [], batchB: [], m: 256, k: 784, n: 256 },
    { label: '64x64 @ 64x64', batchA: [], batchB: [], m: 64, k: 64, n: 64 },
    { label: '16x16 @ 16x16', batchA: [], batchB: [], m: 16, k: 16, n: 16 },
    { label: '8x(64x128 @ 128x64)', batchA: [8], batchB: [8], m: 64, k: 128, n: 64 },
    { label: '8x(64x128) @ 128x64', batchA: [8], batchB: [], m: 64, k: 128, n: 64 },
  ];

await tf.setBackend('wasm');
await tf.ready();
console.log(
  `wasm backend: SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, ` +
    `threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')}; GFLOP/s, stock -> fixed`,
);
for (const { label, batchA, batchB, m, k, n } of shapes) {
  const cells: string[] = [];
  for (const [tA, tB, name] of combos) {
    unregisterWasmKernelFixes();
    const stock = gflops(batchA, batchB, m, k, n, tA, tB);
    registerWasmKernelFixes();
    const fixed = gflops(batchA, batchB, m, k, n, tA, tB);
    cells.push(`${name}: ${stock.toFixed(1).padStart(5)} -> ${fixed.toFixed(1).padStart(5)}`);
  }
  console.log(`${label.padEnd(22)} ${cells.join(' | ')}`);
}
