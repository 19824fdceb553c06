// The uses on text runs: detect (a seq-vae trained on one class of a small labelled folder, the other class as
// anomalies, beside the TF-IDF → PCA baseline on the same rows), embed --probe beside TF-IDF → PCA, other text
// scored whole with the model's vocabulary, and the uses that refuse text saying what to use instead.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { anomalyScorer, detectAnomalies, normalOnly } from '../../src/apps/detect.js';
import { modelData } from '../../src/apps/model-data.js';
import { loadRaw } from '../../src/data/load.js';
import { DataSpec } from '../../src/data/spec.js';
import { encodeDataset } from '../../src/eval/codes.js';
import { linearProbe } from '../../src/eval/probe.js';
import { countTokens } from '../../src/eval/text.js';
import { fitTextPcaBaseline } from '../../src/eval/text-features.js';
import { loadModel } from '../../src/io/model-files.js';
import type { Autoencoder } from '../../src/models/family.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { useBackend } from '../helpers.js';
import { runInProcess } from './cli-helper.js';

const COLOURS = ['red', 'green', 'blue'];
const ANIMALS = ['cat', 'dog', 'bird'];
const VERBS = ['runs', 'sleeps', 'sings'];
const SPAM = ['buy', 'cheap', 'pills', 'win', 'free', 'money', 'now', 'offer', 'click'];

/** Ham: "the colour animal verb ."; spam: five words of its own, a pattern of another kind. */
const ham = (i: number) => `the ${COLOURS[i % 3]} ${ANIMALS[(i >> 2) % 3]} ${VERBS[(i >> 4) % 3]} .`;
const spam = (i: number) =>
  `${SPAM[i % 9]} ${SPAM[(i * 4 + 1) % 9]} ${SPAM[(i * 7 + 2) % 9]} ${SPAM[(i * 2 + 5) % 9]} !`;

let dir: string;
let vae: string;
let ae: string;
let corpus: string;

const SMALL = [
  '--embedding',
  '16',
  '--hidden',
  '24',
  '--latent',
  '4',
  '--max-length',
  '8',
  '--min-count',
  '1',
];

beforeAll(async () => {
  await useBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'latentlab-text-uses-'));
  corpus = join(dir, 'corpus');
  await mkdir(join(corpus, 'ham'), { recursive: true });
  await mkdir(join(corpus, 'spam'), { recursive: true });
  await writeFile(join(corpus, 'ham', 'lines.txt'), Array.from({ length: 160 }, (_, i) => ham(i)).join('\n'));
  await writeFile(
    join(corpus, 'spam', 'lines.txt'),
    Array.from({ length: 60 }, (_, i) => spam(i)).join('\n'),
  );
  vae = join(dir, 'vae');
  ae = join(dir, 'ae');
  // A seq-vae on ham only (class 0), and a seq-ae on both classes for the probe.
  const common = ['--data', `text:${corpus}`, ...SMALL, '--epochs', '6', '--batch-size', '32'];
  const trainedVae = await runInProcess([
    'train',
    '--model',
    'seq-vae',
    ...common,
    '--classes',
    '0',
    '--out',
    vae,
  ]);
  expect(trainedVae.code, trainedVae.stderr).toBe(0);
  const trainedAe = await runInProcess(['train', '--model', 'seq-ae', ...common, '--out', ae]);
  expect(trainedAe.code, trainedAe.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('detect on text', () => {
  it('scores by the negative ELBO per token by default, beside the TF-IDF → PCA baseline on the same rows', async () => {
    const out = join(dir, 'detect');
    const run = await runInProcess(['detect', vae, '--normal-class', '0', '--out', out, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const d = JSON.parse(run.stdout);
    expect(d.score).toBe('elbo');
    expect(d.per).toBe('token');
    for (const e of [d.evaluation, d.baseline.evaluation]) {
      expect(e.auroc).toBeGreaterThanOrEqual(0);
      expect(e.auroc).toBeLessThanOrEqual(1);
      expect(e.auprc).toBeGreaterThanOrEqual(0);
      expect(e.auprc).toBeLessThanOrEqual(1);
    }
    expect(d.baseline.method).toMatch(
      /^TF-IDF bag of words \(\d+ words\) → PCA-4, squared reconstruction error$/,
    );
    // The spam words never occur in the ham the baseline is fitted on: it ranks every spam line first.
    expect(d.baseline.evaluation.auroc).toBeGreaterThan(0.95);

    // The baseline column is the baseline fitted on the normal training rows, scored on the same test rows.
    const loaded = await loadModel(join(vae, 'model'));
    try {
      const splits = await modelData(loaded);
      const fit = normalOnly(splits.train, [0]);
      expect(d.baseline.fitSamples).toBe(fit.size);
      const expected = fitTextPcaBaseline(fit, 4, { seed: 0 }).errors(splits.test);
      const csv = (await readFile(join(out, 'scores.csv'), 'utf8')).trim().split('\n');
      expect(csv[0]).toBe('id,score,flag,baseline,label');
      expect(csv).toHaveLength(splits.test.size + 1);
      csv.slice(1).forEach((line, i) => {
        const [, , , baseline, label] = line.split(',');
        expect(Number(baseline)).toBeCloseTo(expected[i], 5);
        expect(Number(label)).toBe(splits.test.labels?.[i]);
      });

      // nll per token is nll per sentence over the sentence's tokens (<eos> counted), draw for draw.
      const model = loaded.model;
      const sets = { data: splits.test, calibration: splits.validation };
      const perSentence = await detectAnomalies(model, sets, {
        score: 'nll',
        per: 'sentence',
        normalClasses: [0],
      });
      const perToken = await detectAnomalies(model, sets, { score: 'nll', normalClasses: [0] });
      expect(perToken.per).toBe('token');
      const length = splits.test.sampleShape[0];
      for (let i = 0; i < splits.test.size; i++) {
        const tokens = countTokens(splits.test.x.subarray(i * length, (i + 1) * length));
        expect(perToken.scores[i]).toBeCloseTo(perSentence.scores[i] / tokens, 4);
      }
      // Without normal training rows there is no baseline to fit.
      expect(perToken.baseline).toBeUndefined();
    } finally {
      loaded.model.dispose();
    }
  }, 120_000);

  it('scores other text whole with the model vocabulary, ids by file and line', async () => {
    const other = join(dir, 'other.txt');
    await writeFile(other, `${ham(1)}\n${spam(2)}\nthe zebra flies .`);
    const out = join(dir, 'detect-other');
    const run = await runInProcess(['detect', vae, '--data', `text:${other}`, '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('3 samples scored by elbo per token');
    const csv = (await readFile(join(out, 'scores.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('id,score,flag,baseline');
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(['other.txt:1', 'other.txt:2', 'other.txt:3']);
  }, 60_000);

  it('refuses pixel scores on text, and text or per-token options where they do not apply', async () => {
    const mse = await runInProcess(['detect', vae, '--score', 'mse']);
    expect(mse.code).not.toBe(0);
    expect(mse.stderr).toContain(
      'mse would compare token ids as numbers, which means nothing for text: use elbo (seq-vae), nll (seq-ae, seq-vae, lm) or mahalanobis (codes)',
    );
    const per = await runInProcess(['detect', vae, '--score', 'mahalanobis', '--per', 'sentence']);
    expect(per.code).not.toBe(0);
    expect(per.stderr).toContain(
      'per token or per sentence applies to the elbo and nll scores of text models',
    );
    const table = join(dir, 'table.csv');
    await writeFile(table, 'a,b\n1,2\n3,4\n');
    const notText = await runInProcess(['detect', vae, '--data', `csv:${table}`]);
    expect(notText.code).not.toBe(0);
    expect(notText.stderr).toContain('is not text, but this seq-vae model reads text');

    const { family, config } = parseModelConfig({ kind: 'dense-ae', latent: 2 });
    const pixels = family.build(config, { sampleShape: [4], seed: 0 }) as Autoencoder;
    try {
      await expect(anomalyScorer(pixels, 'nll')).rejects.toThrow('nll is the score of text models');
      await expect(anomalyScorer(pixels, 'mse', { per: 'token' })).rejects.toThrow(
        'per token or per sentence applies to the elbo and nll scores of text models, not to mse on "dense-ae"',
      );
    } finally {
      pixels.dispose();
    }
  }, 60_000);
});

describe('embed --probe on text', () => {
  it('probes the codes beside TF-IDF → PCA of the same size, both fitted on the training rows', async () => {
    const run = await runInProcess(['embed', ae, '--out', join(dir, 'codes.csv'), '--probe', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const q = JSON.parse(run.stdout).quality;
    expect(q.pca.features).toMatch(/^TF-IDF bag of words \(\d+ words\)$/);
    expect(q.pca.components).toBe(4);
    for (const r of [q.codes, q.pca]) {
      expect(r.probe.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.probe.accuracy).toBeLessThanOrEqual(1);
    }
    const loaded = await loadModel(join(ae, 'model'));
    try {
      const splits = await modelData(loaded);
      expect(q.codes.probe.testSamples).toBe(splits.test.size);
      expect(q.pca.probe.trainSamples).toBe(splits.train.size);
      // The same baseline by hand: idf and PCA from the training rows, the probe on their codes.
      const baseline = fitTextPcaBaseline(splits.train, 4, { seed: 0 });
      const probe = linearProbe(
        baseline.codes(splits.train),
        splits.train.labels as Int32Array,
        baseline.codes(splits.test),
        splits.test.labels as Int32Array,
        { numClasses: 2 },
      );
      expect(q.pca.probe.accuracy).toBeCloseTo(probe.accuracy, 6);
      const codes = await encodeDataset(loaded.model as Autoencoder, splits.test);
      expect(codes.cols).toBe(4);
    } finally {
      loaded.model.dispose();
    }
    // Ham and spam share no words: the TF-IDF baseline tells them apart.
    expect(q.pca.probe.accuracy).toBeGreaterThan(0.95);
  }, 60_000);
});

describe('uses that refuse text', () => {
  it('compress, denoise and augment say what to use instead', async () => {
    const compress = await runInProcess(['compress', ae, '--out', join(dir, 'x.llz')]);
    expect(compress.code).not.toBe(0);
    expect(compress.stderr).toContain(
      'compress works on images and tables, and "seq-ae" is a text model: quantised codes decoded back to pixels mean nothing for sentences (use latentlab encode',
    );
    const denoise = await runInProcess(['denoise', ae, '--out', join(dir, 'denoised.png')]);
    expect(denoise.code).not.toBe(0);
    expect(denoise.stderr).toContain(
      'denoise works on images and tables, and "seq-ae" is a text model: pixel noise',
    );
    const augment = await runInProcess(['augment', vae, '--n', '4', '--out', join(dir, 'aug')]);
    expect(augment.code).not.toBe(0);
    expect(augment.stderr).toContain('use latentlab sample --class K');
  }, 60_000);

  it('says why text cannot be extra or raw data', async () => {
    await expect(loadRaw(DataSpec.parse({ source: 'spam-assassin' }))).rejects.toThrow(
      'it cannot be extra training data',
    );
  });
});
