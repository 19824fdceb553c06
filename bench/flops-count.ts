// Prints every workload's training FLOPs per sample (bench/flops.ts) as one JSON line, so rows kept from an
// earlier run by `--only` get GFLOP/s too. Builds each bench model on the stock cpu backend: counting reads
// shapes only.
import '@tensorflow/tfjs-backend-cpu';
import { tf } from '../src/engine/tf.js';
import { buildBenchModel } from './models.js';
import { WORKLOAD_NAMES } from './workloads.js';

await tf.setBackend('cpu');
const counts: Record<string, number> = {};
for (const name of WORKLOAD_NAMES) {
  const model = buildBenchModel(name);
  counts[name] = model.flopsPerSample;
  model.dispose();
}
process.stdout.write(`${JSON.stringify(counts)}\n`);
