// The classical detectors against scikit-learn 1.2 (and PyOD's formulas) on the same rows. The figures are
// what `python3 bench/peers/anomaly-sklearn.py fixture` printed, fitting on all 160 rows of
// test/fixtures/numpy/anomaly.npz and scoring rows 0, 1, 2 (normal), 150 and 151 (outliers).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBackend } from '../../../src/engine/backend.js';
import { auroc } from '../../../src/eval/anomaly.js';
import type { Detector } from '../../../src/eval/detectors/detector.js';
import { EcodDetector } from '../../../src/eval/detectors/ecod.js';
import { averagePathLength, IsolationForest } from '../../../src/eval/detectors/iforest.js';
import { KnnDetector, LofDetector } from '../../../src/eval/detectors/knn.js';
import { OneClassSvm, scaleGamma } from '../../../src/eval/detectors/ocsvm.js';
import { PcaDetector } from '../../../src/eval/detectors/pca.js';
import type { Matrix } from '../../../src/io/arrays.js';
import { labelledTable, readNpz } from '../../../src/io/numpy.js';

const file = join(import.meta.dirname, '..', '..', 'fixtures', 'numpy', 'anomaly.npz');
const table = labelledTable(readNpz(readFileSync(file), 'anomaly.npz'), 'anomaly.npz');
const x: Matrix = { rows: table.rows, cols: table.cols, data: table.x };
const ROWS = [0, 1, 2, 150, 151];

async function fitScore(detector: Detector): Promise<Float64Array> {
  await detector.fit(x);
  return detector.score(x);
}

beforeAll(async () => {
  await ensureBackend();
});

describe('classical detectors match scikit-learn / PyOD on the same rows', () => {
  const cases: [string, () => Detector, number[], number, number][] = [
    ['ECOD', () => new EcodDetector(), [2.914791, 4.747551, 5.766393, 12.501076, 10.287172], 0.984667, 5],
    ['k-NN (k=5)', () => new KnnDetector(), [0.71033, 0.712942, 0.593, 3.959022, 2.748205], 0.986667, 5],
    ['LOF (k=20)', () => new LofDetector(), [0.937698, 1.033413, 1.001212, 2.536315, 2.040853], 0.985333, 5],
    ['PCA', () => new PcaDetector(), [0.39188, 2.668005, 1.926133, 23.030665, 12.087217], 0.965333, 3],
    [
      'OCSVM (nu=0.5, gamma=scale)',
      () => new OneClassSvm(),
      [-27.086223, -21.531317, -21.621097, -2.131632, -4.809433],
      0.978667,
      3,
    ],
  ];
  for (const [name, make, expected, expectedAuroc, digits] of cases) {
    it(name, async () => {
      const scores = await fitScore(make());
      ROWS.forEach((r, k) => {
        expect(scores[r]).toBeCloseTo(expected[k], digits);
      });
      expect(auroc(scores, table.y!)).toBeCloseTo(expectedAuroc, 5);
    });
  }
});

describe('isolation forest', () => {
  it('has c(n) of the paper: c(2) = 1, c(256) = 10.2448', () => {
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    // 2 (ln 255 + γ) − 2·255/256, by hand
    expect(averagePathLength(256)).toBeCloseTo(2 * (Math.log(255) + 0.5772156649) - (2 * 255) / 256, 8);
  });

  it('ranks as scikit-learn does (AUROC 0.979) and is the same for the same seed', async () => {
    const scores = await fitScore(new IsolationForest({ seed: 3 }));
    // scikit-learn's random_state=0 gives 0.979333; other draws of the forest land close to it.
    expect(Math.abs(auroc(scores, table.y!) - 0.979333)).toBeLessThan(0.02);
    // Scores are 2^(−E[h]/c(ψ)): in (0, 1), outliers above 0.5 and normal rows below (sklearn: 0.66, 0.59 vs 0.37).
    expect(scores[150]).toBeGreaterThan(0.55);
    expect(scores[0]).toBeLessThan(0.45);
    expect(Array.from(await fitScore(new IsolationForest({ seed: 3 })))).toEqual(Array.from(scores));
    expect(Array.from(await fitScore(new IsolationForest({ seed: 4 })))).not.toEqual(Array.from(scores));
  });
});

describe('detector contract', () => {
  it('gamma=scale is 1 / (features × variance)', () => {
    // values 0, 2, 0, 2: variance 1, 2 features
    expect(scaleGamma({ rows: 2, cols: 2, data: Float32Array.from([0, 2, 0, 2]) })).toBe(0.5);
  });

  it('refuses to score before fit, and rows of another width', async () => {
    await expect(new KnnDetector().score(x)).rejects.toThrow('knn: detector "knn" scores only after fit(x)');
    const ecod = new EcodDetector();
    await ecod.fit(x);
    await expect(ecod.score({ rows: 1, cols: 3, data: new Float32Array(3) })).rejects.toThrow(
      'ecod: expected rows of 4 features (as fitted), got 3',
    );
  });
});
