// The contract every registered family keeps, checked on its tiny configs (tiny-configs.ts): it builds
// reproducibly, a few steps on a fixed batch lower its loss, nothing leaks, and a saved model loads back (with
// latentlab, and with a stock tfl.loadLayersModel per network) giving the same outputs. What a family can do
// beyond training is asked through its capabilities (isAutoencoder, isGenerative, hasLikelihood), never its kind.
// The per-family files keep the numerics: losses by hand, schedules, priors, options.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, tfl } from '../../src/engine/tf.js';
import { loadModel, saveModel } from '../../src/io/model-files.js';
import {
  type BuildContext,
  hasLikelihood,
  isAutoencoder,
  isGenerative,
  type TrainableModel,
} from '../../src/models/family.js';
import { listFamilies, parseModelConfig } from '../../src/models/registry.js';
import { TrainConfig } from '../../src/train/config.js';
import { createOptimizers } from '../../src/train/trainer.js';
import {
  blobs,
  expectClose,
  expectNoLeakedTensors,
  randomValues,
  useBackend,
  withStaticServer,
  withTempDir,
} from '../helpers.js';
import { TINY_CONFIGS } from './tiny-configs.js';

beforeAll(async () => {
  await useBackend('wasm');
});

/** Epochs the steps cycle through, so families that train in phases (pretraining, then a GAN) run each phase. */
const EPOCHS = [1, 2, 3, 4];
const BATCH = 8;

function build(raw: unknown, context: BuildContext): TrainableModel {
  const { family, config } = parseModelConfig(raw);
  return family.build(config, context);
}

/**
 * Token ids for text contexts (those with a vocabulary): each row 1 .. maxLength - 1 real tokens (ids 4 ..
 * vocabularySize - 1), <eos> (3), then <pad> (0), as the text data lays rows out. Seeded.
 */
function tokenRows(context: BuildContext, n: number, seed: number): tf.Tensor {
  const [length] = context.sampleShape;
  const vocabulary = context.vocabularySize!;
  const random = randomValues(n * (length + 1), seed).map((v) => (v + 1) / 2); // [0, 1)
  const ids = new Float32Array(n * length);
  for (let row = 0; row < n; row++) {
    const tokens = 1 + Math.floor(random[row * (length + 1)] * (length - 1));
    for (let t = 0; t < tokens; t++)
      ids[row * length + t] = 4 + Math.floor(random[row * (length + 1) + 1 + t] * (vocabulary - 4));
    ids[row * length + tokens] = 3;
  }
  return tf.tensor2d(ids, [n, length]);
}

/** A fixed batch: smooth blobs for 8x8 images, token ids for text, uniform values for anything else. */
function batchOf(context: BuildContext, n: number, seed: number): { x: tf.Tensor; labels?: tf.Tensor } {
  const x =
    context.sampleShape.join('x') === '8x8x1'
      ? blobs(n, seed)
      : context.vocabularySize !== undefined
        ? tokenRows(context, n, seed)
        : tf.randomUniform([n, ...context.sampleShape], 0, 1, 'float32', seed);
  const classes = context.numClasses;
  const labels = classes
    ? tf.tensor1d(
        Int32Array.from({ length: n }, (_, i) => i % classes),
        'int32',
      )
    : undefined;
  return { x, labels };
}

function optimizersFor(model: TrainableModel, learningRate = 1e-3): Record<string, tf.Optimizer> {
  return createOptimizers(model, TrainConfig.parse({ optimizer: { learningRate } }));
}

function disposeAll(optimizers: Record<string, tf.Optimizer>): void {
  for (const o of Object.values(optimizers)) o.dispose();
}

function step(
  model: TrainableModel,
  optimizers: Record<string, tf.Optimizer>,
  batch: { x: tf.Tensor; labels?: tf.Tensor },
  n: number,
): void {
  const epoch = EPOCHS[n % EPOCHS.length];
  tf.dispose(Object.values(model.trainStep({ ...batch, step: n, epoch }, optimizers)));
}

/** The named loss terms on `batch`, evaluated. */
function lossesOf(
  model: TrainableModel,
  batch: { x: tf.Tensor; labels?: tf.Tensor },
  terms: string[],
): Record<string, number> {
  const record = model.evaluate({ ...batch, step: 0 });
  const out = Object.fromEntries(terms.map((term) => [term, record[term]?.dataSync()[0]]));
  tf.dispose(Object.values(record));
  return out;
}

/** Random inputs of each input's shape, `n` rows: enough to compare two copies of a network. */
function inputsFor(network: tfl.LayersModel, n: number, seed: number): tf.Tensor[] {
  return network.inputs.map((input, i) =>
    tf.randomUniform([n, ...(input.shape.slice(1) as number[])], 0, 1, 'float32', seed + i),
  );
}

function predictAll(network: tfl.LayersModel, inputs: tf.Tensor[]): tf.Tensor[] {
  const out = network.predict(inputs.length === 1 ? inputs[0] : inputs);
  return Array.isArray(out) ? out : [out];
}

/** What the model computes, by capability: the outputs a load must reproduce. Owned by the caller. */
function outputsOf(
  model: TrainableModel,
  batch: { x: tf.Tensor; labels?: tf.Tensor },
  z: tf.Tensor | undefined,
): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  const { x, labels } = batch;
  if (isAutoencoder(model)) {
    out.codes = model.encode(x, labels);
    out.reconstruction = model.reconstruct(x, labels);
  }
  if (isGenerative(model) && z) out.samples = model.generate(z, labels);
  if (hasLikelihood(model)) out.negativeElbo = model.negativeElbo(x, labels, 9);
  for (const [name, value] of Object.entries(model.evaluate({ ...batch, step: 0 })))
    out[`loss.${name}`] = value;
  return out;
}

const cases = Object.entries(TINY_CONFIGS).flatMap(([kind, list]) => list.map((c) => ({ kind, ...c })));

describe('the contract table', () => {
  it('has a tiny config for every registered family, and none for an unregistered one', () => {
    const registered = listFamilies().map((f) => f.kind);
    const covered = Object.keys(TINY_CONFIGS).filter((kind) => TINY_CONFIGS[kind].length > 0);
    expect(
      registered.filter((kind) => !covered.includes(kind)),
      'families without a tiny config',
    ).toEqual([]);
    expect(Object.keys(TINY_CONFIGS).filter((kind) => !registered.includes(kind))).toEqual([]);
    for (const { kind, config } of cases) expect(config.kind).toBe(kind);
  });
});

describe.each(cases)('$name', ({ config, context, falls = ['loss'] }) => {
  const images = context.sampleShape.length === 3;

  it('builds reproducibly from the seed, with the shapes its capabilities promise', () => {
    const model = build(config, context);
    const twin = build(config, context);
    for (const [name, network] of Object.entries(model.networks)) {
      const a = network.getWeights();
      const b = twin.networks[name].getWeights();
      expect(b.length).toBe(a.length);
      for (const [i, w] of a.entries()) expectClose(b[i].dataSync(), w.dataSync(), 0);
    }
    const { x, labels } = batchOf(context, 5, 1);
    const made: tf.Tensor[] = [x, ...(labels ? [labels] : [])];
    if (isAutoencoder(model)) {
      const z = model.encode(x, labels);
      const decoded = model.decode(z, labels);
      const recon = model.reconstruct(x, labels);
      expect(z.shape).toEqual([5, model.latentSize]);
      expect(decoded.shape).toEqual([5, ...context.sampleShape]);
      expect(recon.shape).toEqual([5, ...context.sampleShape]);
      made.push(z, decoded, recon);
    }
    if (isGenerative(model)) {
      const prior = model.samplePrior(5, 7);
      const samples = model.generate(prior, labels);
      expect(prior.shape[0]).toBe(5);
      expect(samples.shape).toEqual([5, ...context.sampleShape]);
      for (const v of samples.dataSync()) expect(Number.isFinite(v)).toBe(true);
      made.push(prior, samples);
    }
    if (hasLikelihood(model)) {
      const nelbo = model.negativeElbo(x, labels, 1);
      const iwae = model.importanceWeightedBound(x, labels, 4, 1);
      expect(nelbo.shape).toEqual([5]);
      expect(iwae.shape).toEqual([5]);
      for (const v of [...nelbo.dataSync(), ...iwae.dataSync()]) expect(Number.isFinite(v)).toBe(true);
      made.push(nelbo, iwae);
    }
    const preview = model.preview?.(x, labels);
    // Image models that reconstruct or generate show their progress as a grid; tables have none to show.
    if (images && (isAutoencoder(model) || isGenerative(model))) {
      expect(preview).toBeDefined();
      expect(preview!.images.shape).toEqual([preview!.rows * preview!.cols, ...context.sampleShape]);
    } else if (!images) {
      expect(preview).toBeUndefined();
    }
    tf.dispose([...made, preview?.images]);
    model.dispose();
    twin.dispose();
  });

  it(`learns: a few steps on a fixed batch lower its ${falls.join(', ')}`, () => {
    const model = build(config, context);
    const batch = batchOf(context, BATCH, 2);
    const optimizers = optimizersFor(model, 0.01);
    const first = lossesOf(model, batch, falls);
    // All in the first phase: a phase switch changes what `loss` measures.
    for (let n = 0; n < 10; n++)
      tf.dispose(Object.values(model.trainStep({ ...batch, step: n, epoch: 1 }, optimizers)));
    const last = lossesOf(model, batch, falls);
    for (const term of falls) {
      expect(Number.isFinite(last[term]), term).toBe(true);
      expect(last[term], term).toBeLessThan(first[term]);
    }
    tf.dispose([batch.x, batch.labels]);
    disposeAll(optimizers);
    model.dispose();
  });

  it('leaks no tensors across steps, evaluation, encode/decode, sampling, bounds and previews', () => {
    const model = build(config, context);
    const batch = batchOf(context, BATCH, 3);
    const { x, labels } = batch;
    const optimizers = optimizersFor(model);
    // The first step of each phase creates its optimisers' moment variables; count from the second round.
    for (let n = 0; n < EPOCHS.length; n++) step(model, optimizers, batch, n);
    expectNoLeakedTensors(() => {
      for (let n = EPOCHS.length; n < 2 * EPOCHS.length; n++) {
        const record = model.trainStep({ x, labels, step: n, epoch: EPOCHS[n % EPOCHS.length] }, optimizers);
        for (const value of Object.values(record)) expect(Number.isFinite(value.dataSync()[0])).toBe(true);
        tf.dispose(Object.values(record));
        tf.dispose(Object.values(model.evaluate({ x, labels, step: n })));
        if (isAutoencoder(model)) {
          const z = model.encode(x, labels);
          tf.dispose([z, model.decode(z, labels), model.reconstruct(x, labels)]);
        }
        if (isGenerative(model)) {
          const z = model.samplePrior(BATCH, n);
          tf.dispose([z, model.generate(z, labels)]);
        }
        if (hasLikelihood(model))
          tf.dispose([model.negativeElbo(x, labels, n), model.importanceWeightedBound(x, labels, 3, n)]);
        model.preview?.(x, labels)?.images.dispose();
        // Without labels a conditional preview infers them.
        model.preview?.(x)?.images.dispose();
      }
    });
    tf.dispose([x, labels]);
    disposeAll(optimizers);
    model.dispose();
  });

  it('saves and loads back with the same outputs; stock tfl.loadLayersModel reads every network', async () => {
    await withTempDir(async (dir) => {
      const model = build(config, context);
      const batch = batchOf(context, 4, 4);
      const optimizers = optimizersFor(model);
      // A few steps move every weight off its initial value (a learned sigma, an EMA copy included).
      for (let n = 0; n < EPOCHS.length; n++) step(model, optimizers, batch, n);
      const z = isGenerative(model) ? model.samplePrior(4, 11) : undefined;
      const expected = outputsOf(model, batch, z);
      const probes = Object.fromEntries(
        Object.entries(model.networks).map(([name, network], i) => [name, inputsFor(network, 4, 20 + 3 * i)]),
      );
      const expectedNetworks = Object.fromEntries(
        Object.entries(model.networks).map(([name, network]) => [name, predictAll(network, probes[name])]),
      );
      await saveModel(model, join(dir, 'model'), { metrics: { test_loss: 0.5 } });

      const loaded = await loadModel(join(dir, 'model'));
      expect(loaded.manifest.kind).toBe(model.kind);
      expect(loaded.manifest.metrics).toEqual({ test_loss: 0.5 });
      expect(loaded.model.config).toEqual(model.config);
      expect(Object.keys(loaded.model.networks)).toEqual(Object.keys(model.networks));
      expect((loaded.model as { conditional?: boolean }).conditional).toBe(
        (model as { conditional?: boolean }).conditional,
      );
      const again = outputsOf(loaded.model, batch, z);
      expect(Object.keys(again)).toEqual(Object.keys(expected));
      for (const [name, value] of Object.entries(expected))
        expectClose(
          again[name].dataSync(),
          value.dataSync(),
          name === 'negativeElbo' || name.startsWith('loss.') ? 1e-5 : 1e-6,
        );

      // A loaded model saves again (a resumed run does), the same networks under the same names.
      await saveModel(loaded.model, join(dir, 'again'));
      const reloaded = await loadModel(join(dir, 'again'));
      expect(reloaded.manifest.networks).toEqual(loaded.manifest.networks);
      reloaded.model.dispose();

      // No latentlab code on this path but the registration of its custom layers (attention), done by
      // importing the registry: plain HTTP and tfl.loadLayersModel, as a browser would.
      await withStaticServer(join(dir, 'model'), async (base) => {
        for (const [name, outputs] of Object.entries(expectedNetworks)) {
          const network = await tfl.loadLayersModel(`${base}/${name}/model.json`);
          const stock = predictAll(network, probes[name]);
          expect(stock.length, name).toBe(outputs.length);
          for (const [i, out] of outputs.entries()) expectClose(stock[i].dataSync(), out.dataSync(), 1e-6);
          tf.dispose(stock);
          network.dispose();
        }
      });
      tf.dispose([
        batch.x,
        batch.labels,
        z,
        ...Object.values(expected),
        ...Object.values(again),
        ...Object.values(probes).flat(),
        ...Object.values(expectedNetworks).flat(),
      ]);
      disposeAll(optimizers);
      model.dispose();
      loaded.model.dispose();
    });
  });
});
