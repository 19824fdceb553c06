// One benchmark workload on one engine in a fresh process: trains for a fixed number of steps after
// warm-up on real MNIST batches (synthetic sentences or spectrograms for W5 and W6), prints one JSON line
// (samples/s, memory, live tensors before and after).
import { parseArgs } from 'node:util';
import { loadData } from '../src/data/load.js';
import { tf } from '../src/engine/tf.js';
import { batchTensors } from '../src/train/trainer.js';
import { type BenchModel, buildBenchModel } from './models.js';
import { syntheticSamples, WORKLOADS, type WorkloadName } from './workloads.js';

const ENGINES = ['latentlab', 'latentlab-wasm', 'latentlab-webgpu', 'stock-wasm', 'stock-cpu'] as const;
type Engine = (typeof ENGINES)[number];

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'W1' },
    engine: { type: 'string', default: 'latentlab' },
    steps: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '3' },
    /** Memory samples taken during the timed steps (soak runs use 10). */
    trace: { type: 'string', default: '0' },
  },
});

const name = values.workload as WorkloadName;
const engine = values.engine as Engine;
if (!(name in WORKLOADS)) throw new Error(`unknown workload ${name}`);
if (!ENGINES.includes(engine)) throw new Error(`unknown engine ${engine}: expected ${ENGINES.join(', ')}`);
const workload = WORKLOADS[name];
const { batchSize } = workload;
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const traceEvery = Number(values.trace) > 0 ? Math.max(1, Math.round(steps / Number(values.trace))) : 0;

/**
 * latentlab's default selection (native when its addon is built), latentlab's wasm backend, or a stock
 * backend with nothing of latentlab's registered.
 */
async function startEngine(): Promise<string> {
  if (engine === 'latentlab' || engine === 'latentlab-wasm' || engine === 'latentlab-webgpu') {
    // Imported only here, so the stock engines never load latentlab's backend module.
    const { selectBackend, describeBackend } = await import('../src/engine/backend.js');
    const backend =
      engine === 'latentlab-wasm' ? 'wasm' : engine === 'latentlab-webgpu' ? 'webgpu' : undefined;
    return describeBackend(await selectBackend(backend ? { backend } : {}));
  }
  const backend = engine === 'stock-wasm' ? 'wasm' : 'cpu';
  await import(backend === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : '@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to initialise`);
  await tf.ready();
  tf.enableProdMode();
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm'))
    throw new Error('latentlab kernels leaked into stock run');
  return `stock ${backend}`;
}

const MB = 2 ** 20;
// Soak runs start node with --expose-gc: the JS heap is then measured after a full collection,
// so a rising trace means retained objects, not garbage not yet collected.
const gc = (globalThis as { gc?: () => void }).gc;

/** The wasm backend's heap (tensor storage) in MB; undefined on other backends. */
function wasmHeapMb(): number | undefined {
  const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
  return wasm?.HEAPU8 ? wasm.HEAPU8.buffer.byteLength / MB : undefined;
}

function memorySample() {
  if (traceEvery) gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss: rss / MB, heap: heapUsed / MB, wasm: wasmHeapMb() };
}

let result: Record<string, unknown>;
let model: BenchModel | undefined;
const backend = await startEngine();
try {
  const synthetic = syntheticSamples(name);
  const train = synthetic ? { name, ...synthetic } : (await loadData({ source: 'mnist' }, { seed: 0 })).train;
  model = buildBenchModel(name);
  const m = model;
  const runStep = (step: number) => {
    const indices = Array.from({ length: batchSize }, (_, i) => (step * batchSize + i) % train.size);
    const batch = batchTensors(train, indices, step);
    m.step(batch.x, step);
    tf.dispose([batch.x, ...(batch.labels ? [batch.labels] : [])]);
  };
  const rssBeforeWarmupMb = process.memoryUsage().rss / MB;
  for (let s = 0; s < warmup; s++) runStep(s);
  await m.probe().data();
  // The baseline needs one finished step (optimiser slots exist from then on): without warm-up,
  // it is taken after the first timed step.
  const counts = () => ({ liveBefore: tf.memory().numTensors, bytesBefore: tf.memory().numBytes });
  let baseline = warmup > 0 ? counts() : undefined;
  const trace = [memorySample()];
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  for (let s = 0; s < steps; s++) {
    runStep(warmup + s);
    baseline ??= counts();
    if (traceEvery && (s + 1) % traceEvery === 0 && s + 1 < steps) trace.push(memorySample());
  }
  // One read at the end so asynchronous backends have finished all work.
  await m.probe().data();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  trace.push(memorySample());
  const [first, last] = [trace[0], trace[trace.length - 1]];
  result = {
    ok: true,
    params: m.params,
    flopsPerSample: m.flopsPerSample,
    samplesPerSecond: (steps * batchSize) / seconds,
    seconds,
    // CPU time of all the process's threads per step: steadier than wall time on a shared machine.
    cpuMsPerStep: (cpu.user + cpu.system) / 1000 / steps,
    ...baseline,
    liveAfter: tf.memory().numTensors,
    bytesAfter: tf.memory().numBytes,
    rssBeforeWarmupMb,
    rssStartMb: first.rss,
    rssEndMb: last.rss,
    heapStartMb: first.heap,
    heapEndMb: last.heap,
    ...(first.wasm === undefined ? {} : { wasmHeapStartMb: first.wasm, wasmHeapEndMb: last.wasm }),
    ...(traceEvery
      ? {
          gcBeforeSamples: gc !== undefined,
          rssTraceMb: trace.map((t) => t.rss),
          heapTraceMb: trace.map((t) => t.heap),
        }
      : {}),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
} catch (error) {
  result = { ok: false, error: (error as Error).message.split('\n')[0] };
}
model?.dispose();
process.stdout.write(`${JSON.stringify({ workload: name, engine, backend, steps, warmup, ...result })}\n`);
