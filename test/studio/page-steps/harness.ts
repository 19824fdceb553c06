// The page the step test drives (page-steps.test.ts): a family's training steps in the studio's page code on a
// chosen backend, from weights and a batch given by the test, so backends can be compared step for step.
import { type PageBackend, pageBackendSupport, selectPageBackend } from '../../../src/engine/browser.js';
import { tf } from '../../../src/engine/tf.js';
import type { BuildContext } from '../../../src/models/family.js';
import { pageFamily } from '../../../studio/src/train-here/families.js';
import { createPageOptimizers } from '../../../studio/src/train-here/trainer.js';

export interface StepCase {
  config: Record<string, unknown>;
  context: BuildContext;
  steps: number;
  batchSize: number;
}

export interface StepResult {
  /** Per step, every loss term. */
  losses: Record<string, number>[];
  /** Every network's weights after the steps, flattened in the networks' order. */
  weights: number[];
  /** The weights before the steps (the cpu run's, which the other backends start from). */
  initial: number[][][];
}

/** A fixed batch in [0, 1] and its labels, the same on every backend. */
function batchFor(context: BuildContext, n: number) {
  const per = context.sampleShape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: n * per }, (_, i) => 0.5 + 0.5 * Math.sin(i * 12.9898 + 78.233));
  const labels = Int32Array.from({ length: n }, (_, i) => i % (context.numClasses ?? 1));
  return { x, labels };
}

async function runSteps(backend: PageBackend, c: StepCase, initial?: number[][][]): Promise<StepResult> {
  await selectPageBackend(backend);
  const family = pageFamily(String(c.config.kind));
  if (!family) throw new Error(`no family "${c.config.kind}" in the page`);
  const model = family.build(family.configSchema.parse(c.config), c.context);
  const networks = Object.values(model.networks);
  if (initial)
    networks.forEach((network, n) => {
      const tensors = network.getWeights().map((w, i) => tf.tensor(initial[n][i], w.shape, w.dtype));
      network.setWeights(tensors);
      tf.dispose(tensors);
    });
  const start = networks.map((network) => network.getWeights().map((w) => Array.from(w.dataSync())));
  const train = { optimizer: { learningRate: 1e-3, beta1: 0.9, beta2: 0.999 } };
  const optimizers = createPageOptimizers(model, train as Parameters<typeof createPageOptimizers>[1]);
  const { x, labels } = batchFor(c.context, c.batchSize);
  const losses: Record<string, number>[] = [];
  for (let step = 0; step < c.steps; step++) {
    const batch = {
      x: tf.tensor(x, [c.batchSize, ...c.context.sampleShape]),
      labels: c.context.numClasses ? tf.tensor1d(labels, 'int32') : undefined,
      step,
      epoch: 1,
      datasetSize: c.batchSize,
    };
    const record = model.trainStep(batch, optimizers);
    const read: Record<string, number> = {};
    for (const [key, value] of Object.entries(record)) read[key] = (await value.data())[0];
    losses.push(read);
    tf.dispose([batch.x, batch.labels, ...Object.values(record)].filter((t) => t !== undefined));
  }
  const weights: number[] = [];
  for (const network of networks) for (const w of network.getWeights()) weights.push(...(await w.data()));
  for (const optimizer of Object.values(optimizers)) optimizer.dispose();
  model.dispose();
  return { losses, weights, initial: start };
}

/** cpu from the family's seeded weights, then each other backend from the cpu run's initial weights. */
async function compare(c: StepCase, others: PageBackend[]): Promise<Record<string, StepResult>> {
  const cpu = await runSteps('cpu', c);
  const out: Record<string, StepResult> = { cpu };
  for (const backend of others) out[backend] = await runSteps(backend, c, cpu.initial);
  return out;
}

declare global {
  interface Window {
    pageSteps: {
      support: typeof pageBackendSupport;
      compare: typeof compare;
    };
  }
}

window.pageSteps = { support: pageBackendSupport, compare };
document.body.dataset.ready = 'true';
