// csv: data as encoded tables: which path a file takes, splits with masks, labels and ids, the encoders fitted on
// the training split, and new data read with a saved model's encoding (columns checked and named).
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadData, loadTableData, loadTableWhole } from '../../../src/data/load.js';
import { DataSpec, parseDataSpec } from '../../../src/data/spec.js';
import { encodedWidth } from '../../../src/data/table/encoding.js';
import { UsageError } from '../../../src/errors.js';
import { csvFolder, errorFrom } from '../csv-files.js';

const csvFile = csvFolder('latentlab-table-load-');
const csvSpec = (input: Record<string, unknown>) => {
  const spec = DataSpec.parse({ source: 'csv', ...input });
  if (spec.source !== 'csv') throw new Error('unreachable');
  return spec;
};

// 50 rows: a number with gaps, a colour, a yes/no label.
const MIXED = `size,colour,buys\n${Array.from(
  { length: 50 },
  (_, i) =>
    `${i % 9 === 0 ? 'NA' : (i * 1.5).toFixed(1)},${['red', 'green', 'blue'][i % 3]},${i % 4 ? 'no' : 'yes'}`,
).join('\n')}\n`;
const NUMBERS = `a,b\n${Array.from({ length: 20 }, (_, i) => `${i},${i * i}`).join('\n')}\n`;

describe('loadData for csv tables', () => {
  it('loads a table with text and gaps as encoded splits with masks, labels, ids and the encoding', async () => {
    const file = await csvFile('mixed.csv', MIXED);
    const splits = await loadData(csvSpec({ path: file, labelColumn: 'buys' }), { seed: 2 });
    const encoding = splits.table!;
    expect(encoding.labelColumn).toBe('buys');
    expect(encoding.columns.map((c) => [c.name, c.type])).toEqual([
      ['size', 'numeric'],
      ['colour', 'categorical'],
    ]);
    expect(encoding.rows).toBe(splits.train.size);
    expect([splits.train.size, splits.validation.size, splits.test.size]).toEqual([36, 4, 10]);
    for (const part of [splits.train, splits.validation, splits.test]) {
      expect(part.sampleShape).toEqual([encodedWidth(encoding)]);
      expect(part.sampleShape).toEqual([4]);
      expect(part.table).toBe(encoding);
      expect(part.mask!.length).toBe(part.x.length);
      expect(part.classNames).toEqual(['no', 'yes']);
      part.ids!.forEach((id, i) => {
        const row = Number(id) - 1;
        // Row numbers join back to the file: its label, its gap, its colour.
        expect(part.labels![i]).toBe(row % 4 ? 0 : 1);
        expect(part.mask![i * 4]).toBe(row % 9 === 0 ? 0 : 1);
        expect(part.x[i * 4 + 1 + ['blue', 'green', 'red'].indexOf(['red', 'green', 'blue'][row % 3])]).toBe(
          1,
        );
      });
    }
    // The same seed gives the same rows as a table of numbers would get: splitting depends on count and seed only.
    const numbers = await csvFile(
      'mixed-numbers.csv',
      `i\n${Array.from({ length: 50 }, (_, i) => i + 1).join('\n')}\n`,
    );
    const plain = await loadData(csvSpec({ path: numbers, scaling: 'none' }), { seed: 2 });
    expect(Array.from(plain.test.x).map(String)).toEqual(splits.test.ids);
  });

  it('keeps the plain numeric path for numbers only; a gap, a table option or {table: true} make it a table', async () => {
    const file = await csvFile('numbers.csv', NUMBERS);
    const plain = await loadData(csvSpec({ path: file }));
    expect(plain.table).toBeUndefined();
    expect(plain.scaling?.method).toBe('minmax');
    const asked = await loadData(csvSpec({ path: file }), { table: { numeric: 'minmax' } });
    expect(asked.table?.columns.map((c) => c.method)).toEqual(['minmax', 'minmax']);
    expect(asked.train.mask).toBeUndefined();
    const stated = await loadData(csvSpec({ path: file, numeric: 'mode' }), { table: { numeric: 'minmax' } });
    expect(stated.table?.columns.map((c) => c.method)).toEqual(['mode', 'mode']);
    const gap = await csvFile('numbers-gap.csv', `${NUMBERS}3,\n`);
    const withGap = await loadData(csvSpec({ path: gap }));
    expect(withGap.table?.columns.map((c) => [c.type, c.method, c.missing])).toEqual([
      ['integer', 'standard', 0],
      ['integer', 'standard', expect.any(Number)],
    ]);
    // A model trained on numbers (its scaling given) reads the file as numbers: a gap is an error there.
    const error = await errorFrom(loadData(csvSpec({ path: gap }), { scaling: plain.scaling }));
    expect(error.message).toBe(`${gap}:22: empty cell in column "b"`);
    // So does one saved without a scaling (scaling none): numbersOnly.
    const unscaled = await errorFrom(
      loadData(csvSpec({ path: gap, scaling: 'none' }), { numbersOnly: true }),
    );
    expect(unscaled.message).toBe(`${gap}:22: empty cell in column "b"`);
  });

  it("reads new data with a saved model's encoding; differing columns are named", async () => {
    const file = await csvFile('train.csv', MIXED);
    const trained = await loadData(csvSpec({ path: file, labelColumn: 'buys' }));
    const saved = trained.table!;
    const again = await loadTableData(csvSpec({ path: file, labelColumn: 'buys' }), { tableEncoding: saved });
    expect(again.table).toBe(saved);
    expect(Array.from(again.train.x)).toEqual(Array.from(trained.train.x));

    const other = await csvFile('other.csv', 'colour,weight,buys\nred,1,no\n');
    const error = await errorFrom(loadTableWhole(csvSpec({ path: other }), saved));
    expect(error.message).toBe(
      `${other}: the table's columns differ from the model's: it lacks the model's "size" and has "weight" besides (leave out with --columns weight:ignore); the model's columns are size, colour`,
    );
    const fresh = await csvFile('fresh.csv', 'size,colour,weight\n3,purple,1\n2.5,red,2\nx,blue,3\n');
    const numbersThenText = await errorFrom(
      loadTableWhole(csvSpec({ path: fresh, columns: { weight: 'ignore' } }), saved),
    );
    expect(numbersThenText.message).toContain(
      `${fresh}:4: column "size" is stated numeric (the model's encoding), but this row has the text "x"`,
    );
    const ok = await csvFile('ok.csv', 'size,colour\n3,purple\n2.5,red\n,blue\n');
    const whole = await loadTableWhole(csvSpec({ path: ok }), saved);
    expect(whole.size).toBe(3);
    expect(whole.ids).toEqual(['1', '2', '3']);
    // purple was never seen: its row's colour is missing (mask 0), as is row 3's size.
    expect(Array.from(whole.mask!)).toEqual([1, 0, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1]);
    const splits = await loadTableData(csvSpec({ path: ok }), {
      tableEncoding: saved,
      testFraction: 0,
      validationFraction: 0,
    });
    expect(splits.notes).toEqual([
      'train: column "colour": 1 row has a category never seen in training, read as missing: "purple"',
    ]);
  });

  it('{table: true} encodes rows of numbers from other sources (#0, #1, ...); refuses images', async () => {
    const spec = { source: 'toy', name: 'ring8', size: 50 } as const;
    const plain = await loadData(spec, { seed: 1 });
    const table = await loadData(spec, { seed: 1, table: true });
    expect(table.table!.columns.map((c) => [c.name, c.type, c.method])).toEqual([
      ['#0', 'numeric', 'standard'],
      ['#1', 'numeric', 'standard'],
    ]);
    expect([table.train.size, table.validation.size, table.test.size]).toEqual([
      plain.train.size,
      plain.validation.size,
      plain.test.size,
    ]);
    // The same rows in the same order, standardised with the training split's mean and deviation.
    const [a, b] = table.table!.columns as { offset: number; scale: number }[];
    for (let i = 0; i < plain.test.size; i++) {
      expect(table.test.x[2 * i]).toBeCloseTo((plain.test.x[2 * i] - a.offset) / a.scale, 5);
      expect(table.test.x[2 * i + 1]).toBeCloseTo((plain.test.x[2 * i + 1] - b.offset) / b.scale, 5);
    }
    expect(table.test.labels).toEqual(plain.test.labels);
    expect(table.train.mask).toBeUndefined();
    const npz = DataSpec.parse({
      source: 'npz',
      path: fileURLToPath(new URL('../../fixtures/numpy/obvious.npz', import.meta.url)),
    });
    const [numbers, encoded] = [await loadData(npz), await loadData(npz, { table: true })];
    expect(encoded.table!.columns.length).toBe(numbers.train.sampleShape[0]);
    expect(encoded.train.classNames).toEqual(numbers.train.classNames);
    expect(encoded.test.ids).toEqual(numbers.test.ids);
    expect(encoded.test.labels).toEqual(numbers.test.labels);
    // Scored whole with the saved encoding: every row in file order, as encoded in the splits.
    const whole = await loadTableWhole(npz, encoded.table!);
    expect(whole.size).toBe(encoded.train.size + encoded.validation.size + encoded.test.size);
    // npz ids are numpy's row indices, from 0.
    const row = Number(encoded.test.ids![0]);
    const width = encoded.test.sampleShape[0];
    expect(Array.from(whole.x.subarray(row * width, (row + 1) * width))).toEqual(
      Array.from(encoded.test.x.subarray(0, width)),
    );
    const error = await errorFrom(loadData({ source: 'mnist' }, { table: true }));
    expect(error.message).toContain('mnist: is not a table (samples of shape [28,28,1])');
  });

  it('refuses a missing label, naming the line', async () => {
    const file = await csvFile('nolabel.csv', 'a,y\n1,x\n2,\n');
    const error = await errorFrom(loadData(csvSpec({ path: file, labelColumn: 'y' })));
    expect(error.message).toBe(`${file}:3: empty cell in column "y" (the label)`);
  });
});

describe('data specs for tables', () => {
  it('carry columns, missing tokens and encodings; refuse them for other sources', () => {
    expect(
      parseDataSpec('csv:t.csv', {
        columns: { age: 'numeric', id: 'ignore' },
        missing: ['-'],
        numericEncoding: 'mode',
        categoricalEncoding: 'embedding',
      }),
    ).toEqual({
      source: 'csv',
      path: 't.csv',
      scaling: 'minmax',
      columns: { age: 'numeric', id: 'ignore' },
      missing: ['-'],
      numeric: 'mode',
      categorical: 'embedding',
    });
    expect(DataSpec.safeParse({ source: 'csv', path: 't.csv', columns: { a: 'text' } }).success).toBe(false);
    expect(() => parseDataSpec('mnist', { missing: ['?'] })).toThrow(UsageError);
    expect(() => parseDataSpec('mnist', { numericEncoding: 'mode' })).toThrow(
      '--numeric-encoding: applies to tables (csv:PATH) only, not to mnist',
    );
  });
});
