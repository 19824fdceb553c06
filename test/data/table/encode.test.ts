// Column encoders: fitted on training rows only (hand-computed), the encoded layout and mask against the spans,
// unseen categories as missing with a note, and encode-then-decode giving the table back on observed cells.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random.js';
import { decodeRows, encodeTable } from '../../../src/data/table/encode.js';
import { encodedWidth, TableEncoding, tableSpans } from '../../../src/data/table/encoding.js';
import { fitTableEncoding } from '../../../src/data/table/fit.js';
import { typeTable } from '../../../src/data/table/infer.js';
import { readCsvCells } from '../../../src/data/table/read.js';
import {
  type CategoryColumnData,
  isMissing,
  isNumberColumn,
  type NumberColumn,
  type Table,
} from '../../../src/data/table/table.js';

const PEOPLE = fileURLToPath(new URL('../../fixtures/tables/people.csv', import.meta.url));
const people = async () => typeTable(await readCsvCells(PEOPLE), { columns: { id: 'ignore' } });

/** A synthetic table: a two-mode number, an integer, a category with a rare level, a boolean; 5% missing. */
function synthetic(rows: number, seed = 1): Table {
  const rng = createRng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const values = new Float64Array(rows);
  const counts = new Float64Array(rows);
  const colour = new Int32Array(rows);
  const flag = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    values[r] = rng() < 0.6 ? -3 + 0.5 * gauss() : 5 + 1.5 * gauss();
    counts[r] = Math.floor(rng() * 40) + 18;
    colour[r] = rng() < 0.05 ? 2 : rng() < 0.5 ? 0 : 1;
    flag[r] = rng() < 0.3 ? 1 : 0;
    if (rng() < 0.05) values[r] = Number.NaN;
    if (rng() < 0.05) colour[r] = -1;
  }
  return {
    name: 'synthetic',
    rows,
    columns: [
      { name: 'value', type: 'numeric', values },
      { name: 'count', type: 'integer', values: counts },
      { name: 'colour', type: 'categorical', levels: ['blue', 'green', 'red'], codes: colour },
      { name: 'flag', type: 'boolean', levels: ['false', 'true'], codes: flag },
    ],
  };
}

const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

describe('fitTableEncoding', () => {
  it('standard and min-max on the training rows only, missing cells counted, the label left out', async () => {
    const table = await people();
    // Training rows 0, 1, 3, 4: height 1.80, 1.65, (missing), 1.91.
    const train = [0, 1, 3, 4];
    const encoding = fitTableEncoding(table, train, { labelColumn: 'member' });
    expect(TableEncoding.parse(encoding)).toEqual(encoding);
    expect(encoding.labelColumn).toBe('member');
    expect(encoding.columns.map((c) => c.name)).toEqual(['age', 'workclass', 'income', 'height', 'city']);
    const height = encoding.columns[3];
    const mean = (1.8 + 1.65 + 1.91) / 3;
    const std = Math.sqrt(((1.8 - mean) ** 2 + (1.65 - mean) ** 2 + (1.91 - mean) ** 2) / 3);
    expect(height).toMatchObject({ type: 'numeric', method: 'standard', missing: 1, min: 1.65, max: 1.91 });
    expect((height as { offset: number }).offset).toBeCloseTo(mean, 12);
    expect((height as { scale: number }).scale).toBeCloseTo(std, 12);
    // Levels seen in training only (Private appears in row 3; State-gov, Self-emp in 0, 1; row 4's ? is missing).
    expect(encoding.columns[1]).toEqual({
      name: 'workclass',
      type: 'categorical',
      method: 'onehot',
      missing: 1,
      levels: ['Private', 'Self-emp', 'State-gov'],
      counts: [1, 1, 1],
    });
    const minmax = fitTableEncoding(table, train, { numeric: 'minmax', categorical: 'embedding' });
    expect(minmax.columns[0]).toMatchObject({ method: 'minmax', offset: 28, scale: 25, min: 28, max: 53 });
    expect(minmax.columns[1]).toMatchObject({ method: 'embedding' });
    expect(minmax.missingTokens).toEqual(['', 'NA', 'NaN', '?']);
  });
});

describe('encodeTable', () => {
  it('writes each cell into its spans, 0 and mask 0 across a missing cell', async () => {
    const table = await people();
    const encoding = fitTableEncoding(table, all(6), { numeric: 'mode', maxModes: 2 });
    const spans = tableSpans(encoding);
    const width = encodedWidth(encoding);
    const { x, mask, rows, notes } = encodeTable(table, encoding);
    expect(rows).toBe(6);
    expect(x.length).toBe(6 * width);
    expect(notes).toEqual([]);
    for (let r = 0; r < 6; r++) {
      for (const span of spans) {
        const column = table.columns.find((c) => c.name === encoding.columns[span.column].name)!;
        const cells = Array.from(mask.subarray(r * width + span.start, r * width + span.start + span.width));
        const values = Array.from(x.subarray(r * width + span.start, r * width + span.start + span.width));
        if (isMissing(column, r)) {
          expect(cells.every((m) => m === 0)).toBe(true);
          expect(values.every((v) => v === 0)).toBe(true);
        } else {
          expect(cells.every((m) => m === 1)).toBe(true);
          // A choice span is one-hot; a value span is one number (alpha within [-1, 1] when bounded).
          if (span.kind === 'choice') expect(values.reduce((a, b) => a + b, 0)).toBe(1);
          if (span.bounded) expect(Math.abs(values[0])).toBeLessThanOrEqual(1);
        }
      }
    }
    // workclass row 0 (State-gov, level 2 of Private, Self-emp, State-gov) is one-hot at its third position.
    const work = spans.find((s) => encoding.columns[s.column].name === 'workclass')!;
    expect(Array.from(x.subarray(work.start, work.start + 3))).toEqual([0, 0, 1]);
  });

  it('reads a category never seen in training as missing, with a note naming the column and values', async () => {
    const table = await people();
    // Rows 2-5 (Private, ?, Private, Private for workclass): State-gov and Self-emp unseen.
    const encoding = fitTableEncoding(table, [2, 3, 4, 5]);
    const { mask, notes } = encodeTable(table, encoding);
    expect(notes).toEqual([
      'column "workclass": 2 rows have 2 categories never seen in training, read as missing: "State-gov", "Self-emp"',
    ]);
    const width = encodedWidth(encoding);
    const work = tableSpans(encoding).find((s) => encoding.columns[s.column].name === 'workclass')!;
    expect(mask[0 * width + work.start]).toBe(0);
    expect(mask[2 * width + work.start]).toBe(1);
  });

  it('passes numbers outside the training range through; decoding clips them back into it', () => {
    const table: Table = {
      name: 't',
      rows: 3,
      columns: [{ name: 'v', type: 'numeric', values: Float64Array.from([0, 10, 30]) }],
    };
    const encoding = fitTableEncoding(table, [0, 1], { numeric: 'minmax' });
    const { x } = encodeTable(table, encoding);
    expect(Array.from(x)).toEqual([0, 1, 3]);
    expect(Array.from((decodeRows(x, encoding).columns[0] as NumberColumn).values)).toEqual([0, 10, 10]);
  });

  it('rounds decoded numbers to the decimals the training values were written with (none kept beyond 6)', () => {
    const table: Table = {
      name: 't',
      rows: 3,
      columns: [
        { name: 'mass', type: 'numeric', values: Float64Array.from([24.1, 30.5, 27.3]) },
        { name: 'ratio', type: 'numeric', values: Float64Array.from([0.12345678, 0.5, 0.25]) },
      ],
    };
    const encoding = fitTableEncoding(table, [0, 1, 2]);
    const [mass, ratio] = encoding.columns as Array<{ decimals?: number }>;
    expect(mass.decimals).toBe(1);
    expect(ratio.decimals).toBeUndefined();
    // A model's output between written values: mass comes back with one decimal, ratio as it is.
    const { x } = encodeTable(table, encoding);
    const nudged = x.map((v) => v + 0.0123);
    const decoded = decodeRows(nudged, encoding).columns as NumberColumn[];
    for (const v of decoded[0].values) expect(Number(v.toFixed(1))).toBe(v);
    expect(decoded[1].values.some((v) => Number(v.toFixed(6)) !== v)).toBe(true);
  });

  it('refuses a table without a column of the encoding, or with a category where it had numbers', async () => {
    const table = await people();
    const encoding = fitTableEncoding(table, all(6));
    const fewer: Table = { ...table, columns: table.columns.filter((c) => c.name !== 'city') };
    expect(() => encodeTable(fewer, encoding)).toThrow(
      'people.csv: the encoding has column "city" that the table lacks; its columns are age, workclass, income, height, member',
    );
    const swapped: Table = {
      ...table,
      columns: table.columns.map((c) =>
        c.name === 'age' ? { name: 'age', type: 'categorical', levels: ['x'], codes: new Int32Array(6) } : c,
      ),
    };
    expect(() => encodeTable(swapped, encoding)).toThrow(
      'column "age" is categorical in the table, integer in the encoding',
    );
  });
});

describe('encode then decode', () => {
  const roundTrip = (numeric: 'standard' | 'minmax' | 'mode') => {
    const table = synthetic(2000);
    const encoding = fitTableEncoding(table, all(1500), { numeric });
    const { x } = encodeTable(table, encoding);
    const back = decodeRows(x, encoding);
    expect(back.rows).toBe(2000);
    table.columns.forEach((column, c) => {
      const decoded = back.columns[c];
      expect(decoded.name).toBe(column.name);
      expect(decoded.type).toBe(column.type);
      if (isNumberColumn(column)) {
        const enc = encoding.columns[c] as { min: number; max: number };
        const span = enc.max - enc.min;
        const values = (decoded as NumberColumn).values;
        for (let r = 0; r < 2000; r++) {
          const v = column.values[r];
          if (Number.isNaN(v)) continue;
          const expected = Math.max(enc.min, Math.min(enc.max, v));
          // float32 encoded values: 1e-6 relative to the value or the column's range.
          expect(Math.abs(values[r] - expected)).toBeLessThanOrEqual(
            1e-6 * Math.max(Math.abs(expected), span),
          );
          if (column.type === 'integer') expect(values[r]).toBe(expected);
        }
      } else {
        const levels = (decoded as CategoryColumnData).levels;
        for (let r = 0; r < 2000; r++) {
          const code = column.codes[r];
          if (code >= 0) expect(levels[(decoded as CategoryColumnData).codes[r]]).toBe(column.levels[code]);
        }
      }
    });
  };
  it('gives the table back on observed cells (standard)', () => roundTrip('standard'));
  it('gives the table back on observed cells (min-max)', () => roundTrip('minmax'));
  it('gives the table back on observed cells (mode-specific)', () => roundTrip('mode'));

  it('with the mask, missing cells decode as missing; clip: false keeps numbers outside the training range', () => {
    const table = synthetic(300);
    const encoding = fitTableEncoding(table, all(200), { numeric: 'mode' });
    const { x, mask } = encodeTable(table, encoding);
    const back = decodeRows(x, encoding, { mask, clip: false });
    table.columns.forEach((column, c) => {
      for (let r = 0; r < 300; r++) expect(isMissing(back.columns[c], r)).toBe(isMissing(column, r));
    });
    const minmax = fitTableEncoding(table, all(200), { numeric: 'minmax' });
    const encoded = encodeTable(table, minmax);
    const unclipped = decodeRows(encoded.x, minmax, { mask: encoded.mask, clip: false })
      .columns[0] as NumberColumn;
    const values = (table.columns[0] as NumberColumn).values;
    for (let r = 0; r < 300; r++)
      if (!Number.isNaN(values[r])) expect(unclipped.values[r]).toBeCloseTo(values[r], 4);
    expect(() => decodeRows(x, encoding, { mask: mask.subarray(1) })).toThrow('expected a mask of');
  });

  it('sampling draws levels in proportion to the choice span, seeded', () => {
    const encoding = TableEncoding.parse({
      columns: [
        { name: 'c', type: 'categorical', method: 'onehot', missing: 0, levels: ['a', 'b'], counts: [1, 1] },
      ],
      rows: 2,
      missingTokens: [''],
    });
    const x = new Float32Array(20_000).map((_, i) => (i % 2 === 0 ? 0.25 : 0.75));
    const drawn = decodeRows(x, encoding, { sample: true, seed: 3 }).columns[0] as CategoryColumnData;
    const bs = Array.from(drawn.codes).filter((c) => c === 1).length;
    expect(bs / 10_000).toBeCloseTo(0.75, 1);
    expect(decodeRows(x, encoding, { sample: true, seed: 3 })).toEqual(
      decodeRows(x, encoding, { sample: true, seed: 3 }),
    );
    expect(
      Array.from((decodeRows(x, encoding).columns[0] as CategoryColumnData).codes).every((c) => c === 1),
    ).toBe(true);
  });
});
