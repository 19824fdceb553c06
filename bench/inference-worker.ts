// One inference workload on latentlab's default backend in a fresh process: encode and decode every image of
// the Fashion-MNIST test set (the DCGAN generator: as many samples from the prior), in batches, reading each
// batch's output back as a caller would; prints one JSON line.
import { parseArgs } from 'node:util';
import { loadData } from '../src/data/load.js';
import { describeBackend, selectBackend } from '../src/engine/backend.js';
import { tf } from '../src/engine/tf.js';
import { isAutoencoder, isGenerative } from '../src/models/family.js';
import { parseModelConfig } from '../src/models/registry.js';
import { INFERENCE_FAMILIES, type InferenceFamily } from './inference-families.js';

const { values } = parseArgs({
  options: {
    family: { type: 'string', default: 'dense-ae' },
    batch: { type: 'string', default: '256' },
  },
});
const name = values.family as InferenceFamily;
if (!(name in INFERENCE_FAMILIES)) throw new Error(`unknown inference family ${name}`);
const batchSize = Number(values.batch);

let result: Record<string, unknown>;
const backend = describeBackend(await selectBackend({}));
try {
  const { test } = await loadData({ source: 'fashion-mnist' }, { seed: 0 });
  const { family, config } = parseModelConfig(INFERENCE_FAMILIES[name].model);
  // Untrained weights: the time of a forward pass does not depend on their values.
  const model = family.build(config, { sampleShape: [28, 28, 1], seed: 0 });
  const sampleSize = 28 * 28;
  /**
   * One batch through the model, its output read back; `from` is the first row. The read happens outside the
   * tidy: tf.tidy walks whatever its function returns looking for tensors, and a returned Float32Array of 200,704
   * values costs it about 100 ms, more than the model.
   */
  const pass = (from: number, rows: number) => {
    const out = tf.tidy(() => {
      if (isAutoencoder(model)) {
        const x = tf.tensor4d(test.x.subarray(from * sampleSize, (from + rows) * sampleSize), [
          rows,
          28,
          28,
          1,
        ]);
        return model.decode(model.encode(x));
      }
      if (!isGenerative(model)) throw new Error(`${name} neither encodes nor generates`);
      return model.generate(model.samplePrior(rows, from));
    });
    out.dataSync();
    out.dispose();
  };
  const all = () => {
    for (let from = 0; from < test.size; from += batchSize) pass(from, Math.min(batchSize, test.size - from));
  };
  const rssBeforeWarmupMb = process.memoryUsage().rss / 2 ** 20;
  pass(0, batchSize);
  const started = performance.now();
  all();
  const seconds = (performance.now() - started) / 1000;
  result = {
    ok: true,
    images: test.size,
    seconds,
    imagesPerSecond: test.size / seconds,
    rssBeforeWarmupMb,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    liveTensors: tf.memory().numTensors,
  };
  model.dispose();
} catch (error) {
  result = { ok: false, error: (error as Error).message.split('\n')[0] };
}
process.stdout.write(
  `${JSON.stringify({ family: name, engine: 'latentlab', backend, batchSize, ...result })}\n`,
);
