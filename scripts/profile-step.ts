// Where a family's training step spends its time: tf.profile over a few steps, kernels ranked by total time.
// Usage: npx tsx scripts/profile-step.ts [kind | model JSON] [batch] [rows]
//   e.g. conv-ae 128, or '{"kind":"gan","architecture":"conv"}' 64 40 (rows: lines per table, default 20)
import { selectBackend } from '../src/engine/backend.js';
import { tf } from '../src/engine/tf.js';
import { parseModelConfig } from '../src/models/registry.js';

const kind = process.argv[2] ?? 'conv-ae';
const batchSize = Number(process.argv[3] ?? 128);
const rows = Number(process.argv[4] ?? 20);
await selectBackend({ log: (l) => console.log(l) });
const { family, config } = parseModelConfig(kind.startsWith('{') ? JSON.parse(kind) : { kind });
const model = family.build(config, { sampleShape: [28, 28, 1], seed: 0 });
const optimizers = Object.fromEntries(model.optimizerNames.map((n) => [n, tf.train.adam(1e-3)]));
const x = tf.randomUniform([batchSize, 28, 28, 1]);
const step = (s: number) => tf.dispose(Object.values(model.trainStep({ x, step: s }, optimizers)));
for (let s = 0; s < 3; s++) step(s);

const steps = 5;
// Unprofiled first: tf.profile adds its own cost to every kernel, most visibly to the small ones.
const plainStart = performance.now();
const cpuStart = process.cpuUsage();
for (let s = 0; s < steps; s++) step(s + 3);
const plainMs = (performance.now() - plainStart) / steps;
// CPU time of all threads: steadier than wall time when other processes share the cores.
const cpu = process.cpuUsage(cpuStart);
const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
const started = performance.now();
const profile = await tf.profile(() => {
  for (let s = 0; s < steps; s++) step(s + 3 + steps);
});
const wall = performance.now() - started;
const totals = new Map<string, { ms: number; calls: number }>();
// Ops that run other kernels (fusedConv2d__op …) appear beside their kernels: count kernels only.
for (const k of profile.kernels.filter((k) => !k.name.endsWith('__op'))) {
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
  const t = totals.get(key) ?? { ms: 0, calls: 0 };
  t.ms += ms;
  t.calls++;
  totals.set(key, t);
}
const byName = new Map<string, number>();
for (const [key, t] of totals) byName.set(key.split(' ')[0], (byName.get(key.split(' ')[0]) ?? 0) + t.ms);
console.log(
  `${kind} batch ${batchSize}: ${plainMs.toFixed(1)} ms/step (${(batchSize / (plainMs / 1000)).toFixed(0)} samples/s), ` +
    `CPU ${cpuMs.toFixed(1)} ms/step; ${(wall / steps).toFixed(1)} ms/step under the profiler`,
);
const kernelMs = [...byName.values()].reduce((a, b) => a + b, 0);
console.log(`kernels ${(kernelMs / steps).toFixed(1)} ms/step; the rest is JS between them (tape, dispose)`);
console.log('by kernel:');
for (const [name, ms] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, rows))
  console.log(`  ${name.padEnd(24)} ${(ms / steps).toFixed(2)} ms/step`);
console.log('by kernel and shape:');
for (const [key, t] of [...totals].sort((a, b) => b[1].ms - a[1].ms).slice(0, rows)) {
  console.log(
    `  ${(t.ms / steps).toFixed(2).padStart(7)} ms/step ${String(t.calls / steps).padStart(3)}x  ${key}`,
  );
}
