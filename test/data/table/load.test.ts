// csv: data as encoded tables: which path a file takes, splits with masks, labels and ids, the encoders fitted on
// the training split, and new data read with a saved model's encoding (columns checked and named).
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
