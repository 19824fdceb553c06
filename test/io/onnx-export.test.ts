// The ONNX export, checked by running it: every registered family's tiny networks (weights drawn at random, so a
// swapped kernel axis or batch-norm statistic shows) go through ONNX Runtime on the same inputs as through
// latentlab, to 1e-5; families with layers ONNX export does not write are refused, naming the layer. Where
// Debian's python3-onnx is installed, its checker passes every file.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, type tfl } from '../../src/engine/tf.js';
import { loadNetwork, saveModel } from '../../src/io/model-files.js';
import { exportOnnx, networkToOnnx } from '../../src/io/onnx/export.js';
import { decodeModel, OPSET } from '../../src/io/onnx/graph.js';
import { listFamilies, parseModelConfig } from '../../src/models/registry.js';
import { useBackend, withTempDir } from '../helpers.js';
import { TINY_CONFIGS, type TinyCase } from '../models/tiny-configs.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const PYTHON = '/usr/bin/python3';
const hasPythonOnnx = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Layer classes the export refuses (recurrent layers, latentlab's own attention and spectral-norm layers, Dot). */
const UNSUPPORTED = /^(Latentlab\w+|GRU|LSTM|Dot|RepeatVector)$/;

/** Families every network of which must export (a refusal there is a regression). */
const WHOLE = new Set([
  'dense-ae',
  'conv-ae',
  'vae',
  'conv-vae',
  'cvae',
  'classifier',
  'latentgan',
  'aegan',
  'wave-ae',
  'tvae',
  'ctgan',
  'table-ae',
  'table-vae',
  'gain',
  'iwae',
  'wae',
  'info-vae',
  'rae-l2',
  'rae-gp',
  'msssim-vae',
  'beta-tcvae',
  'factor-vae',
  'dip-vae',
  'vamp-prior',
  'vae-nf',
  'vae-iaf',
  'vq-vae',
]);

/** Seeded values in [-0.5, 0.5): weights and inputs. */
function draws(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

/** Random weights (variances positive), so the comparison sees every weight's place. */
function randomiseWeights(network: tfl.LayersModel, seed: number): void {
  const weights = network.weights.map((w, i) => {
    const shape = w.shape.map(Number);
    const values = draws(
      shape.reduce((a, b) => a * b, 1),
      seed + i,
    );
    if (w.originalName.endsWith('moving_variance'))
      for (let j = 0; j < values.length; j++) values[j] = Math.abs(values[j]) + 0.5;
    return tf.tensor(values, shape);
  });
  network.setWeights(weights);
  tf.dispose(weights);
}

/** Largest |ONNX Runtime − latentlab| over every output of `network` exported as `bytes`, on 3 random samples. */
async function largestDifference(network: tfl.LayersModel, bytes: Uint8Array, seed: number): Promise<number> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  const inputs = network.inputs.map((input, i) => {
    const shape = [3, ...input.shape.slice(1).map(Number)];
    const values = draws(
      shape.reduce((a, b) => a * b, 1),
      seed + 100 * i,
    );
    feeds[session.inputNames[i]] = new ort.Tensor('float32', values, shape);
    return tf.tensor(values, shape);
  });
  const expected = network.predict(inputs.length === 1 ? inputs[0] : inputs);
  const expectedList = Array.isArray(expected) ? expected : [expected];
  const results = await session.run(feeds);
  let largest = 0;
  session.outputNames.forEach((name, i) => {
    const got = results[name];
    expect(got.dims).toEqual(expectedList[i].shape);
    const want = expectedList[i].dataSync();
    const data = got.data as Float32Array;
    for (let j = 0; j < want.length; j++) largest = Math.max(largest, Math.abs(data[j] - want[j]));
  });
  tf.dispose([...inputs, ...expectedList]);
  await session.release();
  return largest;
}

/** The plain tiny case of every family, and the cases that change a family's layers (conv, conditional, gaussian). */
const cases: TinyCase[] = Object.values(TINY_CONFIGS).flat();

describe('ONNX export', () => {
  it('covers every registered family', () => {
    const kinds = new Set(cases.map((c) => String(c.config.kind)));
    for (const family of listFamilies()) expect(kinds.has(family.kind)).toBe(true);
  });

  for (const tiny of cases) {
    const kind = String(tiny.config.kind);
    it(`${tiny.name}: ONNX Runtime gives latentlab's outputs, or the export names the layer it refuses`, async () => {
      const { family, config } = parseModelConfig(tiny.config);
      const model = family.build(config, tiny.context);
      try {
        for (const [i, [name, network]] of Object.entries(model.networks).entries()) {
          randomiseWeights(network, 17 + i);
          let bytes: Uint8Array;
          try {
            bytes = networkToOnnx(network, { name, kind });
          } catch (error) {
            const refused = /^cannot export network "(\w+)" as ONNX: layer "\w+" \((\w+)\)/.exec(
              (error as Error).message,
            );
            expect(refused, (error as Error).message).not.toBeNull();
            expect(refused?.[1]).toBe(name);
            expect(refused?.[2]).toMatch(UNSUPPORTED);
            expect(WHOLE.has(kind), `${kind}'s ${name} refused`).toBe(false);
            continue;
          }
          const difference = await largestDifference(network, bytes, 5 + i);
          expect(difference, `${tiny.name}: ${name}`).toBeLessThan(1e-5);
        }
      } finally {
        model.dispose();
      }
    });
  }

  it('writes every network of a saved model with export.json, named inputs and outputs and the opset; python onnx checks them', async () => {
    await withTempDir(async (dir) => {
      const { family, config } = parseModelConfig({
        kind: 'conv-vae',
        filters: [4, 8],
        latent: 3,
        conditional: true,
      });
      const model = family.build(config, { sampleShape: [8, 8, 1], numClasses: 3, seed: 2 });
      await saveModel(model, join(dir, 'model'));
      model.dispose();
      const index = await exportOnnx(join(dir, 'model'), join(dir, 'onnx'));
      expect(index.opset).toBe(OPSET);
      expect(Object.keys(index.networks).sort()).toEqual(['decoder', 'encoder']);
      const written = JSON.parse(await readFile(join(dir, 'onnx', 'export.json'), 'utf8'));
      expect(written.networks.encoder.inputs.map((i: { name: string }) => i.name)).toEqual([
        'encoder_input',
        'encoder_labels',
      ]);
      const encoder = decodeModel(await readFile(join(dir, 'onnx', 'encoder.onnx')));
      expect(Number(encoder.opsetImport[0].version)).toBe(OPSET);
      const graph = encoder.graph as NonNullable<typeof encoder.graph>;
      expect((graph.input ?? []).map((i) => i.name)).toEqual(['encoder_input', 'encoder_labels']);
      expect((graph.output ?? []).map((o) => o.name)).toEqual(['encoder_mean', 'encoder_log_variance']);
      expect(graph.output?.[0].docString).toMatch(/mean of q\(z\|x\)/);
      // The saved network (reloaded from disk) and its ONNX file agree too.
      const decoder = await loadNetwork(join(dir, 'model', 'decoder'));
      const bytes = await readFile(join(dir, 'onnx', 'decoder.onnx'));
      expect(await largestDifference(decoder, bytes, 9)).toBeLessThan(1e-5);
      decoder.dispose();
      if (hasPythonOnnx) {
        for (const file of ['encoder.onnx', 'decoder.onnx']) {
          const path = join(dir, 'onnx', file);
          expect(existsSync(path)).toBe(true);
          execFileSync(PYTHON, [
            '-c',
            'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)',
            path,
          ]);
        }
      }
    });
  });
});
