// `latentlab detect`: Mahalanobis distances and truth rules by hand, the four scores on tiny models, the one-class
// protocol on MNIST (files, heat maps, calibration on the normal class), tables from CSV, and the CLI shell.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  anomalyScorer,
  anomalyTruth,
  detectAnomalies,
  detectRun,
  mahalanobisDistances,
  normalOnly,
  scoresCsv,
  whitenCodes,
} from '../../src/apps/detect.js';
import { makeDataset } from '../../src/data/dataset.js';
import { createRng } from '../../src/data/random.js';
import { tf } from '../../src/engine/tf.js';
import { auprc, auroc } from '../../src/eval/anomaly.js';
import { cholesky, type GaussianFit } from '../../src/eval/code-prior.js';
import { heatColour, heatMapRgb } from '../../src/io/plot.js';
import { decodePng } from '../../src/io/png.js';
import type { Autoencoder } from '../../src/models/family.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { trainRun } from '../../src/train/run.js';
import { blobs, expectClose, useBackend, withTempDir } from '../helpers.js';
import { runInProcess } from './cli-helper.js';

beforeAll(async () => {
  await useBackend('wasm');
});

afterEach(() => {
  vi.restoreAllMocks();
});

function gaussian(mean: number[], covariance: number[]): GaussianFit {
  const d = mean.length;
  const cov = Float64Array.from(covariance);
  return {
    dims: d,
    mean: Float64Array.from(mean),
    covariance: cov,
    cholesky: cholesky(cov, d) as Float64Array,
    jitter: 0,
  };
}

/** n 8x8 blobs (normal) followed by m checkerboards (anomalies), labels 0 and 1. */
function blobsAndCheckerboards(n: number, m: number, seed: number) {
  const normal = blobs(n, seed);
  const x = new Float32Array((n + m) * 64);
  x.set(normal.dataSync() as Float32Array);
  normal.dispose();
  for (let i = 0; i < m; i++)
    for (let p = 0; p < 64; p++) x[(n + i) * 64 + p] = (Math.floor(p / 8) + p + i) % 2 ? 0.9 : 0.1;
  const labels = Int32Array.from({ length: n + m }, (_, i) => (i < n ? 0 : 1));
  return makeDataset('blobs+checks', [8, 8, 1], x, labels, ['blob', 'check']);
}

function build(raw: unknown): Autoencoder {
  const { family, config } = parseModelConfig(raw);
  return family.build(config, { sampleShape: [8, 8, 1], seed: 0 }) as Autoencoder;
}

/** Train on blobs only (the normal data) for a few hundred full-batch steps. */
function trainOnBlobs(model: Autoencoder, steps: number): void {
  const optimizers = Object.fromEntries(model.optimizerNames.map((n) => [n, tf.train.adam(0.01)]));
  const x = blobs(64, 11);
  for (let step = 0; step < steps; step++)
    tf.dispose(Object.values(model.trainStep({ x, step, epoch: 1 }, optimizers)));
  x.dispose();
  for (const o of Object.values(optimizers)) o.dispose();
}

describe('pieces', () => {
  it('Mahalanobis distance is |L⁻¹(z − μ)| (hand computations)', () => {
    // Diagonal: variances 4 and 1 → (2, 1) - (0, 0) is one standard deviation on each axis: √2.
    expectClose(
      mahalanobisDistances(gaussian([0, 0], [4, 0, 0, 1]), {
        rows: 1,
        cols: 2,
        data: Float32Array.from([2, 1]),
      }),
      [Math.SQRT2],
    );
    // Σ = [[2, 1], [1, 2]], Σ⁻¹ = [[2, −1], [−1, 2]] / 3: (1, 0) → 2/3; (1, 1) from mean (1, 1) → 0; (2, 3) → (1, 2) → (2 − 4 + 8)/3 = 2.
    const fit = gaussian([1, 1], [2, 1, 1, 2]);
    expectClose(
      mahalanobisDistances(fit, { rows: 3, cols: 2, data: Float32Array.from([2, 1, 1, 1, 2, 3]) }),
      [Math.sqrt(2 / 3), 0, Math.SQRT2],
    );
  });

  it('whitens codes as L⁻¹(z − μ): Euclidean distances there are Mahalanobis distances (hand computation)', () => {
    // Σ = [[4, 2], [2, 2]]: L = [[2, 0], [1, 1]]. (3, 4) − μ (1, 1) = (2, 3) → y₁ = 2/2 = 1, y₂ = (3 − 1·1)/1 = 2.
    const fit = gaussian([1, 1], [4, 2, 2, 2]);
    const white = whitenCodes(fit, { rows: 2, cols: 2, data: Float32Array.from([3, 4, 1, 1]) });
    expectClose(white.data, [1, 2, 0, 0]);
    expect(white.rows).toBe(2);
    expectClose(mahalanobisDistances(fit, { rows: 1, cols: 2, data: Float32Array.from([3, 4]) }), [
      Math.sqrt(5),
    ]);
    expect(() => whitenCodes(fit, { rows: 1, cols: 3, data: new Float32Array(3) })).toThrow(
      /codes: codes have 3 columns, the fitted Gaussian 2/,
    );
  });

  it('reads the truth from normal classes, or from 0/1 labels, and keeps normal samples for calibration', () => {
    const x = new Float32Array(5);
    const classes = makeDataset('digits', [1], x, Int32Array.from([3, 1, 3, 0, 2]), ['a', 'b', 'c', 'd']);
    const oneClass = anomalyTruth(classes, [3]);
    expect(Array.from(oneClass?.truth ?? [])).toEqual([0, 1, 0, 1, 1]);
    expect(oneClass?.rule).toBe('normal: class 3 (d); anomalous: the others');
    expect(Array.from(anomalyTruth(classes, [1, 2])?.truth ?? [])).toEqual([1, 0, 1, 1, 0]);
    // Classes without --normal-class: no truth.
    expect(anomalyTruth(classes)).toBeUndefined();
    const binary = makeDataset('table', [1], x, Int32Array.from([0, 1, 0, 0, 1]), ['0', '1']);
    expect(anomalyTruth(binary)?.rule).toBe('label 0 normal, 1 anomalous');
    expect(Array.from(normalOnly(classes, [3]).x)).toHaveLength(2);
    expect(normalOnly(classes, [3]).name).toBe('digits (class 3)');
    expect(() => anomalyTruth(classes, [4])).toThrow(
      /normalClasses: class 4 does not exist: digits has classes 0 to 3/,
    );
    expect(() => anomalyTruth(makeDataset('plain', [1], x), [0])).toThrow(
      /plain: --normal-class needs labelled data/,
    );
    const zeros = makeDataset('zeros', [1], new Float32Array(2), Int32Array.from([0, 0]), ['a', 'b']);
    expect(() => normalOnly(zeros, [1])).toThrow(/zeros: no samples of the normal class 1/);
  });

  it('writes scores.csv with a label column only when the data has labels', () => {
    const detection = {
      samples: 2,
      scores: Float32Array.from([0.5, 2]),
      flags: Uint8Array.from([0, 1]),
    } as Parameters<typeof scoresCsv>[0];
    expect(scoresCsv(detection)).toBe('id,score,flag\n0,0.5,0\n1,2,1\n');
    expect(scoresCsv({ ...detection, labels: Int32Array.from([3, 7]) })).toBe(
      'id,score,flag,label\n0,0.5,0,3\n1,2,1,7\n',
    );
  });

  it('draws heat maps with the inferno stops, on a shared scale', () => {
    expect(heatColour(0)).toEqual([0, 0, 4]);
    expect(heatColour(1)).toEqual([252, 255, 164]);
    expect(heatColour(0.5)).toEqual([186, 54, 85]);
    expect(heatColour(2)).toEqual([252, 255, 164]);
    expect(heatColour(Number.NaN)).toEqual([0, 0, 4]);
    // Halfway between stops 0 and 1 (t = 1/16).
    expect(heatColour(1 / 16)).toEqual([16, 6, 38]);
    expectClose(heatMapRgb([0, 2, 4], 4), [
      0,
      0,
      4 / 255,
      186 / 255,
      54 / 255,
      85 / 255,
      252 / 255,
      1,
      164 / 255,
    ]);
  });
});

describe('scores on tiny models trained on blobs (checkerboards are the anomalies)', () => {
  it('mse, bce, mahalanobis and knn rank the checkerboards above the blobs; flags follow the calibrated threshold', async () => {
    const model = build({ kind: 'dense-ae', hidden: [32], latent: 4 });
    trainOnBlobs(model, 150);
    const data = blobsAndCheckerboards(40, 10, 3);
    const calibration = makeDataset('calibration', [8, 8, 1], blobs(100, 5).dataSync() as Float32Array);
    const fit = makeDataset('fit', [8, 8, 1], blobs(200, 6).dataSync() as Float32Array);
    for (const score of ['mse', 'bce', 'mahalanobis', 'knn'] as const) {
      const d = await detectAnomalies(model, { data, calibration, fit }, { score, top: 5, quantile: 0.95 });
      expect(d.evaluation?.rule).toBe('label 0 (blob) normal, 1 (check) anomalous');
      expect(d.evaluation?.auroc, score).toBeGreaterThan(0.9);
      expect(d.evaluation?.auprc, score).toBeGreaterThan(0.6);
      expect(d.threshold.calibrationSamples).toBe(100);
      expect(d.threshold.quantile).toBe(0.95);
      expect(Array.from(d.flags)).toEqual(Array.from(d.scores, (s) => (s > d.threshold.value ? 1 : 0)));
      expect(d.top).toHaveLength(5);
      expect(d.scores[d.top[0]]).toBe(Math.max(...d.scores));
    }
    // Contamination c is the 1 − c quantile.
    const byContamination = await detectAnomalies(model, { data, calibration }, { contamination: 0.05 });
    const byQuantile = await detectAnomalies(model, { data, calibration }, { quantile: 0.95 });
    expect(byContamination.threshold.value).toBeCloseTo(byQuantile.threshold.value, 6);
    // The per-sample MSE is the mean squared error of the reconstruction.
    const x = tf.tensor(data.x.subarray(0, 64), [1, 8, 8, 1]);
    const mse = tf.tidy(() => tf.mean(tf.squaredDifference(x, model.reconstruct(x))).dataSync()[0]);
    expect(byQuantile.scores[0]).toBeCloseTo(mse, 5);
    x.dispose();
    await expect(detectAnomalies(model, { data, calibration }, { score: 'elbo' })).rejects.toThrow(
      /score: elbo needs a model with a likelihood \(a VAE family, e.g. vae, iwae, beta-tcvae\); "dense-ae" has none: score it by reconstruction error \(mse, bce\) or by its codes \(mahalanobis, knn\)/,
    );
    await expect(detectAnomalies(model, { data, calibration }, { score: 'mahalanobis' })).rejects.toThrow(
      /needs normal training data/,
    );
    await expect(detectAnomalies(model, { data, calibration }, { score: 'knn' })).rejects.toThrow(
      /score: knn needs normal training data whose codes are the neighbours/,
    );
    const few = makeDataset('few', [8, 8, 1], blobs(3, 7).dataSync() as Float32Array);
    await expect(
      detectAnomalies(model, { data, calibration, fit: few }, { score: 'knn', neighbours: 4 }),
    ).rejects.toThrow(/neighbours: asks for 4 neighbours, but the normal training data has 3 samples/);
    // knn with k = 1 on the fit's own samples: each finds itself, distance 0.
    const self = await detectAnomalies(
      model,
      { data: few, calibration, fit: few },
      { score: 'knn', neighbours: 1 },
    );
    expectClose(self.scores, [0, 0, 0], 1e-5);
    const shifted = makeDataset(
      'shifted',
      [8, 8, 1],
      Float32Array.from(data.x, (v) => v * 2 - 0.5),
    );
    await expect(detectAnomalies(model, { data: shifted, calibration }, { score: 'bce' })).rejects.toThrow(
      /score: binary cross-entropy needs data in \[0, 1\], but shifted has -0\.49\d+ \(use --score mse/,
    );
    model.dispose();
  });

  it('elbo scores a VAE by its negative ELBO, seeded, averaged over draws', async () => {
    const model = build({ kind: 'vae', hidden: [32], latent: 3 });
    trainOnBlobs(model, 150);
    const data = blobsAndCheckerboards(30, 10, 4);
    const calibration = makeDataset('calibration', [8, 8, 1], blobs(50, 5).dataSync() as Float32Array);
    const a = await detectAnomalies(model, { data, calibration }, { score: 'elbo', seed: 1 });
    const b = await detectAnomalies(model, { data, calibration }, { score: 'elbo', seed: 1 });
    expect(Array.from(a.scores)).toEqual(Array.from(b.scores));
    expect(a.evaluation?.auroc).toBeGreaterThan(0.9);
    // One draw per sample is what negativeElbo gives with the batch's seed (seed + start of batch).
    const x = tf.tensor(data.x, [data.size, 8, 8, 1]);
    const direct = tf.tidy(() =>
      (
        model as unknown as { negativeElbo: (x: tf.Tensor, l: undefined, s: number) => tf.Tensor }
      ).negativeElbo(x, undefined, 1),
    );
    expectClose(a.scores, direct.dataSync(), 1e-5);
    tf.dispose([x, direct]);
    const averaged = await detectAnomalies(
      model,
      { data, calibration },
      { score: 'elbo', seed: 1, elboSamples: 4 },
    );
    expect(averaged.scores[0]).not.toBe(a.scores[0]);
    model.dispose();
  });
});

describe('scores a model cannot give', () => {
  it('elbo on a GAN says it has neither a likelihood nor the encoder every other score reads', async () => {
    const gan = build({ kind: 'gan', latent: 2, generatorHidden: [8], discriminatorHidden: [8] });
    await expect(anomalyScorer(gan, 'elbo')).rejects.toThrow(
      '"gan" has none (nor an encoder, which every other score needs)',
    );
    gan.dispose();
  });
});

describe('runs', () => {
  it('one-class protocol on MNIST: scores, flags, heat maps, AUROC, and the CLI', async () => {
    await withTempDir(async (dir) => {
      const runDir = join(dir, 'ae');
      const trained = await trainRun(
        {
          model: { kind: 'dense-ae', hidden: [64], latent: 8 },
          data: { source: 'mnist' },
          train: { epochs: 1, limit: 500, batchSize: 64 },
        },
        runDir,
        { monitor: false },
      );
      trained.model.dispose();
      const result = await detectRun({
        run: runDir,
        limit: 300,
        options: { normalClasses: [1], top: 4 },
        command: 'latentlab detect',
      });
      const d = result.detection;
      expect(d.samples).toBe(300);
      // Calibration keeps the normal class of the model's own validation split.
      expect(d.threshold.calibration).toBe('mnist/validation (class 1)');
      expect(d.threshold.quantile).toBe(0.99);
      expect(d.evaluation?.rule).toBe('normal: class 1; anomalous: the others');
      // A model this small ranks badly (the ones are far from its blurry mean digit): check the bookkeeping.
      const truth = Array.from(d.labels ?? [], (l) => (l === 1 ? 0 : 1));
      expect(d.evaluation?.auroc).toBe(auroc(d.scores, truth));
      expect(d.evaluation?.auprc).toBe(auprc(d.scores, truth));
      expect(d.evaluation?.anomalies).toBe(truth.filter((t) => t === 1).length);
      expect(d.evaluation?.atThreshold.falsePositiveRate).toBeLessThan(0.2);
      expect(result.files.dir).toBe(join(runDir, 'detect'));
      const csv = (await readFile(result.files.scores, 'utf8')).trim().split('\n');
      expect(csv[0]).toBe('id,score,flag,label');
      expect(csv).toHaveLength(301);
      const [id, score, flag] = csv[1].split(',').map(Number);
      expect([id, score, flag]).toEqual([0, d.scores[0], d.flags[0]]);
      const summary = JSON.parse(await readFile(result.files.summary, 'utf8'));
      expect(summary).toMatchObject({ score: 'mse', samples: 300, command: 'latentlab detect', run: runDir });
      expect(summary.scores).toBeUndefined();
      // Overview: 4 rows of original | reconstruction | error map, scale 3, padding 2.
      const png = decodePng(await readFile(result.files.heatmaps as string));
      expect([png.width, png.height]).toEqual([3 * 84 + 4 * 2, 4 * 84 + 5 * 2]);
      const files = await readdir(result.files.heatmapDir as string);
      expect(files.sort()).toEqual(d.top.map((id, rank) => `${rank + 1}-id${id}.png`).sort());

      // Mahalanobis and BCE on the same run.
      for (const score of ['mahalanobis', 'bce'] as const) {
        const other = await detectRun({
          run: runDir,
          limit: 300,
          out: join(dir, score),
          options: { score, normalClasses: [1], top: 0 },
        });
        expect(other.detection.evaluation?.auroc).toBeGreaterThanOrEqual(0);
        expect(other.files.heatmaps).toBeUndefined();
      }

      // The CLI: the same run, printed.
      const ok = await runInProcess([
        'detect',
        runDir,
        '--limit',
        '200',
        '--normal-class',
        '1',
        '--top',
        '2',
        '--contamination',
        '0.05',
      ]);
      expect(ok.stderr).not.toMatch(/error/);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/^mnist\/test: 200 samples scored by mse\n/);
      expect(ok.stdout).toMatch(
        /threshold [\d.e-]+: the 0.95 quantile of \d+ normal scores \(mnist\/validation \(class 1\)\)/,
      );
      expect(ok.stdout).toMatch(/AUROC 0\.\d{4} {3}AUPRC 0\.\d{4} \(chance 0\.\d{4}\)/);
      expect(ok.stdout).toMatch(
        /heat maps: .*top-anomalies\.png \(original \| reconstruction \| squared error/,
      );
      const labelsOnly = await runInProcess([
        'detect',
        runDir,
        '--limit',
        '50',
        '--top',
        '0',
        '--out',
        join(dir, 'plain'),
      ]);
      expect(labelsOnly.stdout).toMatch(/labels are classes: pass --normal-class K for AUROC and AUPRC/);

      // Errors name the flag or file; usage and config mistakes exit 2, files 1.
      const bad = [
        [['--quantile', '1.5'], 2, /--quantile: expected a quantile between 0 and 1/],
        [
          ['--quantile', '0.9', '--contamination', '0.1'],
          2,
          /--contamination: give a quantile or a contamination rate, not both/,
        ],
        [
          ['--score', 'elbo'],
          2,
          /error: --score: elbo needs a model with a likelihood .*"dense-ae" has none/,
        ],
        [
          ['--normal-class', '12'],
          2,
          /error: --normal-class: class 12 does not exist: mnist\/test has classes 0 to 9/,
        ],
        [['--normal-class', 'x'], 2, /expected class numbers such as 3 or 0,1 for --normal-class, got "x"/],
      ] as const;
      for (const [args, code, message] of bad) {
        const r = await runInProcess(['detect', runDir, '--limit', '20', ...args]);
        expect(r.code, args.join(' ')).toBe(code);
        expect(r.stderr, args.join(' ')).toMatch(message);
      }
      const foreign = join(dir, 'mine');
      await mkdir(foreign);
      await writeFile(join(foreign, 'notes.txt'), 'keep me');
      const refused = await runInProcess(['detect', runDir, '--limit', '20', '--out', foreign]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/mine: holds "notes.txt", which detect did not write/);
      expect(existsSync(join(foreign, 'notes.txt'))).toBe(true);
    });
  });

  it('tables: a CSV with a 0/1 anomaly column, no heat maps', async () => {
    await withTempDir(async (dir) => {
      const rng = createRng(2);
      const normal = () => Math.sqrt(-2 * Math.log(Math.max(rng(), 1e-12))) * Math.cos(2 * Math.PI * rng());
      const lines = ['a,b,c,d,anomaly'];
      for (let i = 0; i < 600; i++) {
        const anomaly = i % 10 === 0;
        const t = normal();
        // Normal rows lie near a line in 4-D; anomalies are off it.
        const row = anomaly
          ? [normal() * 3, normal() * 3, normal() * 3, normal() * 3]
          : [t, 2 * t, -t, 0.5 * t].map((v) => v + 0.05 * normal());
        lines.push([...row.map((v) => v.toFixed(4)), anomaly ? 1 : 0].join(','));
      }
      const path = join(dir, 'table.csv');
      await writeFile(path, `${lines.join('\n')}\n`);
      const runDir = join(dir, 'run');
      const trained = await trainRun(
        {
          model: { kind: 'dense-ae', hidden: [16], latent: 1 },
          data: { source: 'csv', path, labelColumn: 'anomaly', scaling: 'standard' },
          train: { epochs: 15, batchSize: 32 },
        },
        runDir,
        { monitor: false },
      );
      trained.model.dispose();
      const result = await detectRun({ run: runDir, options: { score: 'mse' } });
      const e = result.detection.evaluation;
      expect(e?.rule).toBe('label 0 normal, 1 anomalous');
      expect(result.detection.samples).toBe(120);
      expect(e?.auroc).toBeGreaterThan(0.9);
      expect(result.files.heatmaps).toBeUndefined();
      expect(await readdir(result.files.dir)).toEqual(['scores.csv', 'summary.json']);
    });
  });
});
