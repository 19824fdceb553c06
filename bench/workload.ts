// One benchmark workload on one engine in a fresh process: trains for a fixed number of steps after
// warm-up on real MNIST batches, prints one JSON line (samples/s, memory, live tensors before and after).
import { parseArgs } from 'node:util';
import { loadData } from '../src/data/load.js';
import { tf } from '../src/engine/tf.js';
import { batchTensors } from '../src/train/trainer.js';
import { type BenchModel, buildBenchModel } from './models.js';
import { WORKLOADS, type WorkloadName } from './workloads.js';

export const ENGINES = ['latentlab', 'stock-wasm', 'stock-cpu'] as const;
export type Engine = (typeof ENGINES)[number];

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'W1' },
    engine: { type: 'string', default: 'latentlab' },
    steps: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '3' },
    /** RSS samples taken during the timed steps (soak runs use 10). */
    trace: { type: 'string', default: '0' },
  },
});

const name = values.workload as WorkloadName;
const engine = values.engine as Engine;
if (!(name in WORKLOADS)) throw new Error(`unknown workload ${name}`);
if (!ENGINES.includes(engine)) throw new Error(`unknown engine ${engine}: expected ${ENGINES.join(', ')}`);
const { batchSize } = WORKLOADS[name];
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const traceEvery = Number(values.trace) > 0 ? Math.max(1, Math.round(steps / Number(values.trace))) : 0;

/** latentlab's default selection, or a stock backend with nothing of latentlab's registered. */
async function startEngine(): Promise<string> {
  if (engine === 'latentlab') {
    // Imported only here, so the stock engines never load latentlab's backend module.
    const { selectBackend, describeBackend } = await import('../src/engine/backend.js');
    return describeBackend(await selectBackend());
  }
  const backend = engine === 'stock-wasm' ? 'wasm' : 'cpu';
  await import(backend === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : '@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to initialise`);
  await tf.ready();
  tf.enableProdMode();
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) throw new Error('latentlab kernels leaked into stock run');
  return `stock ${backend}`;
}

const rssMb = () => process.memoryUsage().rss / 2 ** 20;

let result: Record<string, unknown>;
let model: BenchModel | undefined;
const backend = await startEngine();
try {
  const splits = await loadData({ source: 'mnist' }, { seed: 0 });
  model = buildBenchModel(name);
  const m = model;
  const runStep = (step: number) => {
    const indices = Array.from({ length: batchSize }, (_, i) => (step * batchSize + i) % splits.train.size);
    const batch = batchTensors(splits.train, indices, step);
    m.step(batch.x, step);
    tf.dispose([batch.x, ...(batch.labels ? [batch.labels] : [])]);
  };
  const rssBeforeWarmupMb = rssMb();
  for (let s = 0; s < warmup; s++) runStep(s);
  await m.probe().data();
  const liveBefore = tf.memory().numTensors;
  const bytesBefore = tf.memory().numBytes;
  const rssTrace: number[] = [rssMb()];
  const started = performance.now();
  for (let s = 0; s < steps; s++) {
    runStep(warmup + s);
    if (traceEvery && (s + 1) % traceEvery === 0 && s + 1 < steps) rssTrace.push(rssMb());
  }
  // One read at the end so asynchronous backends have finished all work.
  await m.probe().data();
  const seconds = (performance.now() - started) / 1000;
  rssTrace.push(rssMb());
  result = {
    ok: true,
    samplesPerSecond: (steps * batchSize) / seconds,
    seconds,
    liveBefore,
    liveAfter: tf.memory().numTensors,
    bytesBefore,
    bytesAfter: tf.memory().numBytes,
    rssBeforeWarmupMb,
    rssStartMb: rssTrace[0],
    rssEndMb: rssTrace.at(-1),
    ...(traceEvery ? { rssTraceMb: rssTrace } : {}),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
} catch (error) {
  result = { ok: false, error: (error as Error).message.split('\n')[0] };
}
model?.dispose();
process.stdout.write(`${JSON.stringify({ workload: name, engine, backend, steps, warmup, ...result })}\n`);
