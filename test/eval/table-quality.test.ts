import { beforeAll, describe, expect, it } from 'vitest';
import type { Table, TableColumn } from '../../src/data/table/table.js';
import { tf } from '../../src/engine/tf.js';
import { quantile } from '../../src/eval/anomaly.js';
import {
  binNumbers,
  classificationScores,
  closestDistances,
  columnShapes,
  formatTableQuality,
  ksComplement,
  machineLearningEfficacy,
  pairTrends,
  privacy,
  tableQuality,
  tvComplement,
} from '../../src/eval/table-quality.js';
import { useBackend } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const N = Number.NaN;
const num = (name: string, values: number[]): TableColumn => ({
  name,
  type: 'numeric',
  values: Float64Array.from(values),
});
const cat = (name: string, cells: (string | null)[], levels?: string[]): TableColumn => {
  const known = levels ?? [...new Set(cells.filter((c): c is string => c !== null))];
  return {
    name,
    type: 'categorical',
    levels: known,
    codes: Int32Array.from(cells, (c) => (c === null ? -1 : known.indexOf(c))),
  };
};
const table = (name: string, columns: TableColumn[]): Table => ({
  name,
  rows: 'codes' in columns[0] ? columns[0].codes.length : columns[0].values.length,
  columns,
});

// The reference figures come from scipy.stats.ks_2samp, numpy.histogram_bin_edges and sklearn.metrics on the
// same cells: the script is in docs/tables/synthetic.md ("Checking the metrics").
const real = table('real', [
  num('a', [1, 2, 2, 3, 5, 8, N, 4]),
  num('b', [0.5, 1.5, 1, 3, 4, 9, 2, N]),
  cat('c', ['x', 'y', 'x', 'x', null, 'z', 'y', 'x']),
]);
const synthetic = table('synthetic', [
  num('a', [1, 1, 2, 6, 7, N, 3, 2]),
  num('b', [2, 1, 0.5, 5, 6, 1, N, 2]),
  // Levels in another order and one the real table lacks: matched by text.
  cat('c', ['y', 'y', 'x', 'w', 'x', 'z', null, 'x'], ['z', 'y', 'x', 'w']),
]);

describe('column shapes', () => {
  it('KSComplement is 1 - the two-sample KS statistic, missing cells left out (scipy: 0.857143)', () => {
    expect(
      ksComplement(Float64Array.from([1, 2, 2, 3, 5, 8, N, 4]), Float64Array.from([1, 1, 2, 6, 7, N, 3, 2])),
    ).toBeCloseTo(0.8571428571428572, 12);
    // Hand: {1,2,3} vs {4,5,6} never overlap, D = 1; the same sample gives D = 0.
    expect(ksComplement(Float64Array.from([1, 2, 3]), Float64Array.from([4, 5, 6]))).toBe(0);
    expect(ksComplement(Float64Array.from([3, 1, 2]), Float64Array.from([1, 2, 3]))).toBe(1);
  });

  it('TVComplement is 1 - half the L1 distance of the level frequencies', () => {
    // Hand: p = (1/2, 1/2), q = (1/4, 3/4): TV = 1/4.
    expect(tvComplement([0, 1], [0, 1, 1, 1], 2)).toBeCloseTo(0.75, 12);
    expect(tvComplement([0, -1, 1], [1, 0], 2)).toBe(1);
  });

  it('scores every column with its metric, levels matched by text (reference 0.857143 each)', () => {
    const shapes = columnShapes(real, synthetic);
    expect(shapes.map((s) => [s.column, s.metric])).toEqual([
      ['a', 'KSComplement'],
      ['b', 'KSComplement'],
      ['c', 'TVComplement'],
    ]);
    for (const s of shapes) expect(s.score).toBeCloseTo(0.8571428571428572, 12);
  });
});

describe('pair trends', () => {
  it('bins numbers as numpy.histogram_bin_edges over the real range, outer bins open', () => {
    const bin = binNumbers(Float64Array.from([0, 10, N]));
    expect([...bin(Float64Array.from([-5, 0, 0.99, 1, 5, 9.99, 10, 50, N]))]).toEqual([
      0, 0, 0, 1, 5, 9, 9, 9, -1,
    ]);
  });

  it('matches the reference: correlation 0.979393, contingency 0.166667 (a, c) and 0.285714 (b, c)', () => {
    const pairs = pairTrends(real, synthetic);
    const score = (a: string, b: string) => pairs.find((p) => p.columns[0] === a && p.columns[1] === b)!;
    expect(score('a', 'b').metric).toBe('CorrelationSimilarity');
    expect(score('a', 'b').score).toBeCloseTo(0.9793927327724827, 10);
    expect(score('a', 'c').metric).toBe('ContingencySimilarity');
    expect(score('a', 'c').score).toBeCloseTo(0.16666666666666652, 10);
    expect(score('b', 'c').score).toBeCloseTo(0.2857142857142857, 10);
  });

  it('gives 1 for a table against itself, and the overall score is the mean of the two properties', () => {
    const report = tableQuality(real, real, real, { privacyRows: 10 });
    expect(report.scores.columnShapes).toBe(1);
    expect(report.scores.pairTrends).toBe(1);
    const other = tableQuality(real, real, synthetic, { privacyRows: 10 });
    expect(other.scores.overall).toBeCloseTo((other.scores.columnShapes + other.scores.pairTrends) / 2, 12);
    expect(other.scores.columnShapes).toBeCloseTo(0.8571428571428572, 12);
  });

  it('refuses a synthetic table without the real columns, naming them', () => {
    const short = table('fake.csv', [num('a', [1, 2])]);
    expect(() => columnShapes(real, short)).toThrow('fake.csv: the synthetic table lacks the column(s) b, c');
    const retyped = table('fake.csv', [cat('a', ['1']), num('b', [1]), cat('c', ['x'])]);
    expect(() => columnShapes(real, retyped)).toThrow(
      'column "a" is numeric in the real table but categorical',
    );
  });
});

describe('classification scores', () => {
  it('match sklearn: macro F1 0.666667 and accuracy 0.7; binary F1 0.571429', () => {
    const macro = classificationScores([0, 1, 1, 0, 2, 2, 1, 0, 0, 1], [0, 1, 0, 0, 2, 1, 1, 2, 0, 1], 3);
    expect(macro.accuracy).toBeCloseTo(0.7, 12);
    expect(macro.f1).toBeCloseTo(0.6666666666666666, 12);
    const binary = classificationScores([0, 1, 1, 0, 0, 1, 0, 0], [0, 1, 0, 0, 1, 1, 0, 1], 2, 1);
    expect(binary.f1).toBeCloseTo(0.5714285714285715, 12);
  });
});

describe('machine-learning efficacy', () => {
  // y = 'hi' when u + v > 0 (a quarter of rows 'hi', so 'hi' is the positive class); w is noise.
  const rows = 400;
  const make = (name: string, flip: boolean, offset: number) => {
    const u: number[] = [];
    const v: number[] = [];
    const w: string[] = [];
    const y: string[] = [];
    for (let i = 0; i < rows; i++) {
      const a = Math.sin(i * 12.9898 + offset) * 2;
      const b = Math.cos(i * 78.233 + offset) * 2 - 1;
      u.push(a);
      v.push(b);
      w.push(i % 3 === 0 ? 'p' : 'q');
      y.push(a + b > 0 !== flip ? 'hi' : 'lo');
    }
    return table(name, [num('u', u), num('v', v), cat('w', w, ['p', 'q']), cat('y', y, ['lo', 'hi'])]);
  };
  const train = make('train', false, 0);
  const holdout = make('holdout', false, 1);

  it('learns the real rule from real rows and the flipped rule from flipped synthetic rows', () => {
    const efficacy = machineLearningEfficacy(train, holdout, make('flipped', true, 2), 'y', { epochs: 20 });
    expect(efficacy.f1).toBe('binary');
    expect(efficacy.positive).toBe('hi');
    for (const row of efficacy.classifiers) {
      expect(row.real.accuracy).toBeGreaterThan(0.93);
      expect(row.real.f1).toBeGreaterThan(0.85);
      expect(row.synthetic.accuracy).toBeLessThan(0.1);
    }
  });

  it('names the columns when the target is not one of them, and refuses a number target', () => {
    expect(() => machineLearningEfficacy(train, holdout, train, 'income')).toThrow(
      'no column "income" to predict: the table\'s columns are u, v, w, y',
    );
    expect(() => machineLearningEfficacy(train, holdout, train, 'u')).toThrow(
      'predicts a category, but "u" holds numeric',
    );
  });
});

describe('privacy', () => {
  it('measures distances to the closest training row on standardised features, by hand', () => {
    // Training x = [0, 2]: mean 1, std 1, so features -1 and 1; c one-hot over (a, b).
    const train = table('train', [num('x', [0, 2]), cat('c', ['a', 'b'])]);
    const fake = table('fake', [num('x', [1, 4, 2]), cat('c', ['a', 'b', 'b'])]);
    const holdout = table('holdout', [num('x', [0]), cat('c', ['b'])]);
    const result = privacy(train, holdout, fake);
    // Synthetic: x = 0 (feature) with a: to (-1, a) 1, to (1, b) sqrt(1 + 2) → 1; x = 3, b → 2; x = 1, b → 0.
    expect(result.synthetic.median).toBeCloseTo(1, 5);
    expect(result.synthetic.p5).toBeCloseTo(0.1, 5); // numpy: quantile([0, 1, 2], 0.05) = 0.1
    expect(result.synthetic.exactCopies).toBeCloseTo(1 / 3, 12);
    // Held out: (-1, b): to (-1, a) sqrt 2, to (1, b) 2.
    expect(result.holdout.median).toBeCloseTo(Math.SQRT2, 5);
    expect(result.holdout.exactCopies).toBe(0);
  });

  it('closestDistances agrees with a brute force over blocks, and quantile with numpy', () => {
    const from = { rows: 5, cols: 2, data: Float32Array.from([0, 0, 1, 1, 3, 4, -2, 0, 10, 10]) };
    const to = { rows: 3, cols: 2, data: Float32Array.from([0, 1, 3, 3, -3, 0]) };
    const got = closestDistances(from, to, 2);
    for (let i = 0; i < 5; i++) {
      let best = Number.POSITIVE_INFINITY;
      for (let j = 0; j < 3; j++)
        best = Math.min(
          best,
          Math.hypot(from.data[2 * i] - to.data[2 * j], from.data[2 * i + 1] - to.data[2 * j + 1]),
        );
      expect(got[i]).toBeCloseTo(best, 4);
    }
    expect(quantile(Float64Array.from([3, 1, 4, 1, 5, 9, 2, 6]), 0.05)).toBeCloseTo(1, 12);
    expect(quantile(Float64Array.from([3, 1, 4, 1, 5, 9, 2, 6]), 0.5)).toBeCloseTo(3.5, 12);
  });

  it('leaves no tensors behind, and the report formats as Markdown', () => {
    const before = tf.memory().numTensors;
    const report = tableQuality(real, real, synthetic, { target: 'c', epochs: 2 });
    expect(tf.memory().numTensors).toBe(before);
    const text = formatTableQuality(report);
    expect(text).toContain('| column shapes | pair trends | overall |');
    expect(text).toContain('machine-learning efficacy, target c');
    expect(text).toContain('macro F1');
  });
});
