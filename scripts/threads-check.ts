// wasm speed on 1 thread vs 2 (or LATENTLAB_THREADS_CHECK="1,2,4"): matmul GFLOP/s (and cores kept busy)
// and autoencoder training samples/s, each thread count in its own process (the pool is fixed per process).
// Also checks that the thread counts give the same losses. Run: npx tsx scripts/threads-check.ts
import { execFile } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { selectBackend } from '../src/engine/backend.js';
import { tf } from '../src/engine/tf.js';
import { parseModelConfig } from '../src/models/registry.js';

const MIN_MS = 1500;
const ROUNDS = 2;

interface Measurement {
  line: string;
  threads: number;
  gflops: number;
  /** CPU time over wall time during the matmul loop: how many cores the process kept busy. */
  busy: number;
  dense: number;
  conv: number;
  /** Reconstruction after a few fixed steps, for the same-numbers check. */
  checksum: number[];
}

/** Repeats `step` for at least MIN_MS after a warm-up; returns runs per second. */
function rate(step: () => void, warmup = 3): number {
  for (let i = 0; i < warmup; i++) step();
  let runs = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    step();
    runs++;
    elapsed = performance.now() - start;
  } while (elapsed < MIN_MS);
  return runs / (elapsed / 1000);
}

function matmulGflops(): { gflops: number; busy: number } {
  const a = tf.randomUniform([256, 784], 0, 1, 'float32', 1);
  const b = tf.randomUniform([784, 256], -0.08, 0.08, 'float32', 2);
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const perSecond = rate(() => tf.matMul(a, b).dispose());
  const used = process.cpuUsage(cpu);
  const busy = (used.user + used.system) / 1000 / (performance.now() - wall);
  tf.dispose([a, b]);
  return { gflops: (2 * 256 * 784 * 256 * perSecond) / 1e9, busy };
}

/** Samples/s of Adam training steps on a fixed batch, and the loss after the warm-up steps. */
function trainRate(raw: unknown, batchSize: number): { samples: number; loss: number } {
  const { family, config } = parseModelConfig(raw);
  const model = family.build(config, { sampleShape: [28, 28, 1], seed: 0 });
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomUniform([batchSize, 28, 28, 1], 0, 1, 'float32', 3);
  let step = 0;
  let loss = 0;
  const run = () => {
    const losses = model.trainStep({ x, step: step++ }, { autoencoder: optimizer });
    if (step === 3) loss = losses.loss.dataSync()[0];
    tf.dispose(Object.values(losses));
  };
  const perSecond = rate(run);
  tf.dispose(x);
  optimizer.dispose();
  model.dispose();
  return { samples: perSecond * batchSize, loss };
}

async function child(): Promise<void> {
  let line = '';
  const info = await selectBackend({ backend: 'wasm', log: (l) => (line = l) });
  const { gflops, busy } = matmulGflops();
  const dense = trainRate({ kind: 'dense-ae', hidden: [256], latent: 64 }, 256);
  const conv = trainRate({ kind: 'conv-ae', filters: [32, 64], latent: 32 }, 128);
  const result: Measurement = {
    line,
    threads: info.threads ?? 1,
    gflops,
    busy,
    dense: dense.samples,
    conv: conv.samples,
    checksum: [dense.loss, conv.loss],
  };
  process.stdout.write(JSON.stringify(result));
}

async function measure(threads: number): Promise<Measurement> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--child'],
    { env: { ...process.env, LATENTLAB_THREADS: String(threads) }, timeout: 300_000 },
  );
  return JSON.parse(stdout) as Measurement;
}

async function parent(): Promise<void> {
  const counts = (process.env.LATENTLAB_THREADS_CHECK ?? '1,2').split(',').map(Number);
  const best = new Map<number, Measurement>();
  // Alternating rounds, best of each: background load on a small machine comes and goes.
  for (let round = 0; round < ROUNDS; round++) {
    for (const threads of counts) {
      const m = await measure(threads);
      const prev = best.get(threads);
      best.set(
        threads,
        prev
          ? {
              ...m,
              gflops: Math.max(prev.gflops, m.gflops),
              busy: Math.max(prev.busy, m.busy),
              dense: Math.max(prev.dense, m.dense),
              conv: Math.max(prev.conv, m.conv),
            }
          : m,
      );
    }
  }
  const base = best.get(counts[0])!;
  console.log(
    `best of ${ROUNDS} alternating runs per thread count; ${availableParallelism()} cores, ` +
      `load average ${loadavg()[0].toFixed(1)} (other processes depress multi-thread figures)`,
  );
  console.log(
    `${'threads'.padEnd(8)} ${'matmul 256x784@784x256'.padStart(24)} ${'busy'.padStart(5)} ` +
      `${'dense-ae b256'.padStart(26)} ${'conv-ae b128'.padStart(26)}`,
  );
  for (const threads of counts) {
    const m = best.get(threads)!;
    const cell = (value: number, unit: string, ref: number, width: number) =>
      `${value.toFixed(1)} ${unit} (x${(value / ref).toFixed(2)})`.padStart(width);
    console.log(
      `${String(m.threads).padEnd(8)} ${cell(m.gflops, 'GFLOP/s', base.gflops, 24)} ${m.busy.toFixed(2).padStart(5)} ` +
        `${cell(m.dense, 'samples/s', base.dense, 26)} ${cell(m.conv, 'samples/s', base.conv, 26)}   ${m.line}`,
    );
  }
  for (const threads of counts.slice(1)) {
    const m = best.get(threads)!;
    const same = m.checksum.every(
      (v, i) => Math.abs(v - base.checksum[i]) <= 1e-6 * Math.max(1, Math.abs(v)),
    );
    console.log(
      `losses after 3 steps, ${threads} vs ${counts[0]} threads: ${same ? 'same' : 'DIFFERENT'} ` +
        `(${m.checksum.map((v) => v.toPrecision(9)).join(', ')} vs ${base.checksum.map((v) => v.toPrecision(9)).join(', ')})`,
    );
  }
}

if (process.argv.includes('--child')) await child();
else await parent();
