// Where a benchmark workload's training step spends its time: tf.profile over a few steps of the bench model
// (bench/models.ts, the same data as bench/workload.ts), kernels ranked by total time.
// Usage: npx tsx bench/profile.ts [workload] [steps] [rows], e.g. W5 3 30 or W6 10 30
import { selectBackend } from '../src/engine/backend.js';
import { tf } from '../src/engine/tf.js';
import { buildBenchModel } from './models.js';
import { sampleShape, syntheticSamples, WORKLOADS, type WorkloadName } from './workloads.js';

const name = (process.argv[2] ?? 'W5') as WorkloadName;
const steps = Number(process.argv[3] ?? 3);
const rows = Number(process.argv[4] ?? 30);
if (!(name in WORKLOADS)) throw new Error(`unknown workload ${name}`);
const workload = WORKLOADS[name];
await selectBackend({ log: (l) => console.log(l) });
const model = buildBenchModel(name);
const { batchSize } = workload;
// One batch of the workload's own synthetic samples (W5, W6), or uniform noise of MNIST's shape.
const synthetic = syntheticSamples(name);
const shape = [batchSize, ...sampleShape(name)];
const x = synthetic
  ? tf.tensor(
      synthetic.x.subarray(
        0,
        shape.reduce((a, b) => a * b),
      ),
      shape,
    )
  : tf.randomUniform(shape);
model.step(x, 0);
await model.probe().data();

// The optimiser's time, timed around applyGradients: the native backend's Adam updates variables in place with
// one addon call each, which tf.profile does not see as kernels.
let optimizerMs = 0;
const stockApply = tf.AdamOptimizer.prototype.applyGradients;
tf.AdamOptimizer.prototype.applyGradients = function (this: tf.AdamOptimizer, ...args) {
  const started = performance.now();
  stockApply.apply(this, args);
  optimizerMs += performance.now() - started;
};

// Unprofiled first: tf.profile adds its own cost to every kernel, most visibly to the small ones.
const cpuStart = process.cpuUsage();
const plainStart = performance.now();
for (let s = 0; s < steps; s++) model.step(x, s + 1);
await model.probe().data();
const plainMs = (performance.now() - plainStart) / steps;
const cpu = process.cpuUsage(cpuStart);
const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
const optimizerMsPerStep = optimizerMs / steps;
tf.AdamOptimizer.prototype.applyGradients = stockApply;
const started = performance.now();
const profile = await tf.profile(() => {
  for (let s = 0; s < steps; s++) model.step(x, s + 1 + steps);
});
const wall = performance.now() - started;
const totals = new Map<string, { ms: number; calls: number }>();
// Ops that run other kernels (fusedMatMul__op …) appear beside their kernels: count kernels only.
for (const k of profile.kernels.filter((k) => !k.name.endsWith('__op'))) {
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
  const t = totals.get(key) ?? { ms: 0, calls: 0 };
  t.ms += ms;
  t.calls++;
  totals.set(key, t);
}
const byName = new Map<string, { ms: number; calls: number }>();
for (const [key, t] of totals) {
  const k = key.split(' ')[0];
  const b = byName.get(k) ?? { ms: 0, calls: 0 };
  byName.set(k, { ms: b.ms + t.ms, calls: b.calls + t.calls });
}
console.log(
  `${name} batch ${batchSize}: ${plainMs.toFixed(1)} ms/step (${(batchSize / (plainMs / 1000)).toFixed(1)} samples/s), ` +
    `CPU ${cpuMs.toFixed(1)} ms/step; ${(wall / steps).toFixed(1)} ms/step under the profiler`,
);
const kernelMs = [...byName.values()].reduce((a, b) => a + b.ms, 0);
const calls = [...byName.values()].reduce((a, b) => a + b.calls, 0);
console.log(
  `kernels ${(kernelMs / steps).toFixed(1)} ms/step in ${calls / steps} calls (under the profiler); ` +
    `Adam ${optimizerMsPerStep.toFixed(2)} ms/step (unprofiled, kernels included); ` +
    `the rest is JS between kernels (tape, dispose)`,
);
console.log('by kernel:');
for (const [k, t] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, rows))
  console.log(
    `  ${k.padEnd(24)} ${(t.ms / steps).toFixed(2).padStart(8)} ms/step ${String(t.calls / steps).padStart(5)}x`,
  );
console.log('by kernel and shape:');
for (const [key, t] of [...totals].sort((a, b) => b[1].ms - a[1].ms).slice(0, rows)) {
  console.log(
    `  ${(t.ms / steps).toFixed(2).padStart(8)} ms/step ${String(t.calls / steps).padStart(4)}x  ${key}`,
  );
}
model.dispose();
