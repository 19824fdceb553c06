// One benchmark workload in a fresh process: trains for a fixed number of steps after warm-up on
// real-shaped data and prints one JSON line (samples/s, peak memory, live tensors before and after).
import { parseArgs } from 'node:util';
import { loadData } from '../src/data/load.js';
import { selectBackend } from '../src/engine/backend.js';
import { unregisterWasmKernelFixes } from '../src/engine/kernels/index.js';
import { tf } from '../src/engine/tf.js';
import type { TrainableModel } from '../src/models/family.js';
import { parseModelConfig } from '../src/models/registry.js';
import { TrainConfig } from '../src/train/config.js';
import { batchTensors, createOptimizers } from '../src/train/trainer.js';
import { WORKLOADS, type WorkloadName } from './workloads.js';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'W1' },
    backend: { type: 'string', default: 'wasm' },
    fixes: { type: 'string', default: 'on' },
    steps: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '3' },
  },
});

const workload = WORKLOADS[values.workload as WorkloadName];
const backend = values.backend as 'wasm' | 'cpu';
const fixes = values.fixes === 'on';
const steps = Number(values.steps);
const warmup = Number(values.warmup);

const info = await selectBackend({ backend, kernelFixes: fixes });
if (!fixes) unregisterWasmKernelFixes();
const splits = await loadData({ source: 'mnist' }, { seed: 0 });
const { family, config } = parseModelConfig(workload.model);
const model: TrainableModel = family.build(config, { sampleShape: [28, 28, 1], seed: 0 });
const optimizers = createOptimizers(model, TrainConfig.parse({ batchSize: workload.batchSize }));

const indices = (step: number) =>
  Array.from({ length: workload.batchSize }, (_, i) => (step * workload.batchSize + i) % splits.train.size);
const runStep = (step: number) => {
  const batch = batchTensors(splits.train, indices(step), step);
  const losses = model.trainStep(batch, optimizers);
  tf.dispose([batch.x, ...(batch.labels ? [batch.labels] : []), ...Object.values(losses)]);
};

let result: Record<string, unknown>;
try {
  for (let s = 0; s < warmup; s++) runStep(s);
  const liveBefore = tf.memory().numTensors;
  const started = performance.now();
  for (let s = 0; s < steps; s++) runStep(warmup + s);
  // One read at the end so asynchronous backends have finished all work.
  const probe = model.networks[Object.keys(model.networks)[0]].getWeights()[0];
  await probe.data();
  const seconds = (performance.now() - started) / 1000;
  result = {
    ok: true,
    samplesPerSecond: (steps * workload.batchSize) / seconds,
    seconds,
    liveBefore,
    liveAfter: tf.memory().numTensors,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
} catch (error) {
  result = { ok: false, error: (error as Error).message.split('\n')[0] };
}
process.stdout.write(
  `${JSON.stringify({ workload: values.workload, backend: info.name, fixes, steps, ...result })}\n`,
);
