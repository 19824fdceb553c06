// The machine's single-precision GEMM peak, as the bench rows are held against it: a square sgemm large
// enough that OpenBLAS runs at its best, through latentlab's native backend (tf.matMul there is one call to
// the addon's OpenBLAS sgemm on every core). Prints one JSON line.
import { parseArgs } from 'node:util';
import { describeBackend, selectBackend } from '../src/engine/backend.js';
import { tf } from '../src/engine/tf.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '2048' },
    /** Timed repetitions; the row reports the fastest (the least disturbed by other work on the machine). */
    repeats: { type: 'string', default: '10' },
  },
});
const n = Number(values.size);
const repeats = Number(values.repeats);

let result: Record<string, unknown>;
try {
  const backend = describeBackend(await selectBackend({}));
  if (tf.getBackend() !== 'native') throw new Error(`the native backend did not start (${backend})`);
  const a = tf.randomUniform([n, n]);
  const b = tf.randomUniform([n, n]);
  // Warm-up: OpenBLAS starts its threads and the wasm heap grows to hold the result.
  for (let i = 0; i < 2; i++) tf.matMul(a, b).dataSync();
  const seconds: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    seconds.push((performance.now() - started) / 1000);
    c.dispose();
  }
  const flops = 2 * n ** 3;
  const sorted = [...seconds].sort((x, y) => x - y);
  result = {
    ok: true,
    engine: 'latentlab',
    backend,
    size: n,
    gflops: flops / sorted[0] / 1e9,
    medianGflops: flops / sorted[Math.floor(sorted.length / 2)] / 1e9,
  };
} catch (error) {
  result = { ok: false, engine: 'latentlab', error: (error as Error).message.split('\n')[0] };
}
process.stdout.write(`${JSON.stringify(result)}\n`);
