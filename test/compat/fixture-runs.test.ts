// Runs saved by latentlab 0.1.0 (test/fixtures/runs-0.1.0, made by scripts/make-fixture-runs.ts before the configs'
// vocabulary was unified) still work: each loads, encodes where its family can, samples where it can, and
// resumes for one more epoch. A rename that forgets the saved words fails here.
import { cp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tf, type tfl } from '../../src/engine/tf.js';
import { readMatrix } from '../../src/io/arrays.js';
import { loadModel } from '../../src/io/model-files.js';
import { isAutoencoder, isGenerative } from '../../src/models/family.js';
import { runInProcess } from '../apps/cli-helper.js';
import { withTempDir } from '../helpers.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'runs-0.1.0');
const names = (await readdir(FIXTURES)).sort();
/** Families added after 0.1.0, so without a fixture run saved by it. */
const ADDED_SINCE = new Set([
  'seq-ae',
  'seq-vae',
  'lm',
  'wave-ae',
  'table-ae',
  'table-vae',
  'gain',
  'tvae',
  'ctgan',
  'beta-tcvae',
  'factor-vae',
  'dip-vae',
  'vamp-prior',
  'infogan',
]);

describe('runs saved by latentlab 0.1.0', () => {
  it('has a fixture run of every family kind', async () => {
    const kinds = new Set<string>();
    for (const name of names) {
      kinds.add(JSON.parse(await readFile(join(FIXTURES, name, 'config.json'), 'utf8')).model.kind);
    }
    const { listFamilies } = await import('../../src/models/registry.js');
    expect([...kinds].sort()).toEqual(
      listFamilies()
        .map((f) => f.kind)
        .filter((kind) => !ADDED_SINCE.has(kind))
        .sort(),
    );
  });

  it.each(names)(
    '%s loads, encodes, samples and resumes',
    async (name) => {
      await withTempDir(async (dir) => {
        const run = join(dir, name);
        await cp(join(FIXTURES, name), run, { recursive: true });
        const saved = JSON.parse(await readFile(join(run, 'config.json'), 'utf8'));
        expect(saved.latentlabVersion).toBe('0.1.0');

        const { model } = await loadModel(join(run, 'model'));
        const autoencoder = isAutoencoder(model);
        const generative = isGenerative(model);
        const classifier = Object.values(model.networks)[0] as tfl.LayersModel;

        const ok = async (args: string[]) => {
          const r = await runInProcess(args);
          expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
          return r;
        };
        if (autoencoder) {
          await ok(['encode', run, '--limit', '8', '--out', join(dir, 'codes.npy')]);
          const codes = await readMatrix(join(dir, 'codes.npy'));
          expect([codes.rows, codes.cols]).toEqual([8, 4]);
          expect(Array.from(codes.data).every(Number.isFinite)).toBe(true);
        }
        if (autoencoder || generative) {
          await ok(['sample', run, '--n', '4', '--seed', '1', '--raw', join(dir, 'samples.npy')]);
          const samples = await readMatrix(join(dir, 'samples.npy'));
          expect([samples.rows, samples.cols]).toEqual([4, 28 * 28]);
          expect(Array.from(samples.data).every(Number.isFinite)).toBe(true);
        } else {
          // A classifier: its one network still maps digits to the 10 class logits.
          const logits = tf.tidy(() => classifier.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor);
          expect(logits.shape).toEqual([2, 10]);
          logits.dispose();
        }
        model.dispose();

        const epochs = saved.train.epochs as number;
        await ok(['train', '--resume', run, '--epochs', String(epochs + 1)]);
        const summary = JSON.parse(await readFile(join(run, 'summary.json'), 'utf8'));
        expect(summary.epochs).toBe(epochs + 1);
        // The samples trained on: the run's limit of 64, not the whole training split.
        expect(summary.trainSamples).toBe(64);
        const lines = (await readFile(join(run, 'metrics.jsonl'), 'utf8')).trim().split('\n');
        expect(lines.map((line) => JSON.parse(line).epoch)).toEqual(
          Array.from({ length: epochs + 1 }, (_, i) => i + 1),
        );
      });
    },
    120_000,
  );
});
