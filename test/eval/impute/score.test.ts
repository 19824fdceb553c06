// The benchmark's protocol by hand: hiding observed cells at random (seeded, never a missing one) and scoring the
// fills of hidden cells only, numbers in standard deviations of their column, categories by level text.
import { describe, expect, it } from 'vitest';
import type { Table } from '../../../src/data/table/table.js';
import { columnSd, hideAtRandom, scoreImputation } from '../../../src/eval/impute/score.js';

const table: Table = {
  name: 't',
  rows: 4,
  columns: [
    { name: 'n', type: 'numeric', values: Float64Array.from([1, 2, Number.NaN, 5]) },
    { name: 'k', type: 'categorical', levels: ['a', 'b'], codes: Int32Array.from([0, 1, 1, -1]) },
  ],
};

describe('hideAtRandom', () => {
  it('hides observed cells only, the same ones for the same seed, about rate of them', () => {
    const a = hideAtRandom(table, 0.5, 3);
    const b = hideAtRandom(table, 0.5, 3);
    expect(a.rows.map((r) => Array.from(r))).toEqual(b.rows.map((r) => Array.from(r)));
    expect(a.rows[0]).not.toContain(2);
    expect(a.rows[1]).not.toContain(3);
    for (const row of a.rows[0])
      expect(Number.isNaN((a.table.columns[0] as { values: Float64Array }).values[row])).toBe(true);
    const big: Table = {
      name: 'big',
      rows: 10_000,
      columns: [{ name: 'n', type: 'numeric', values: new Float64Array(10_000) }],
    };
    expect(hideAtRandom(big, 0.2, 1).count / 10_000).toBeCloseTo(0.2, 1);
    expect(() => hideAtRandom(table, 1, 0)).toThrow(/between 0 and 1, got 1/);
  });
});

describe('scoreImputation', () => {
  it('scores the hidden cells by hand', () => {
    // Hide n at rows 0 and 3, k at row 1, by hand.
    const hidden = { table, rows: [Int32Array.from([0, 3]), Int32Array.from([1])], count: 3 };
    // sd of n's observed 1, 2, 5 (population): mean 8/3, variance (25/9 + 4/9 + 49/9) / 3 = 78/27.
    const sd = Math.sqrt(78 / 27);
    expect(columnSd(table.columns[0])).toBeCloseTo(sd, 12);
    const imputed: Table = {
      name: 'filled',
      rows: 4,
      columns: [
        { name: 'k', type: 'categorical', levels: ['b', 'a'], codes: Int32Array.from([1, 0, 0, 0]) },
        { name: 'n', type: 'numeric', values: Float64Array.from([2, 99, 99, 3]) },
      ],
    };
    const score = scoreImputation(table, hidden, imputed);
    // Errors 1 and -2 in sd units: sqrt((1 + 4) / 2) / sd. k at row 1 is b, filled b (levels matched by text).
    expect(score.rmse).toBeCloseTo(Math.sqrt(5 / 2) / sd, 12);
    expect(score.accuracy).toBe(1);
    expect(score.numericCells).toBe(2);
    expect(score.categoricalCells).toBe(1);
    expect(score.columns.k).toEqual({ cells: 1, accuracy: 1 });
  });
});
