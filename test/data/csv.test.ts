// CSV tables: labels from a column, scaling fitted on the training split only, and `file:line` for bad rows.
import { describe, expect, it } from 'vitest';
import { makeDataset } from '../../src/data/dataset.js';
import { loadData } from '../../src/data/load.js';
import { applyScaling, fitScaling, invertScaling } from '../../src/data/scaling.js';
import { loadCsv } from '../../src/data/sources/csv.js';
import { DataSpec } from '../../src/data/spec.js';
import { DataError } from '../../src/errors.js';
import { csvFolder, errorFrom } from './csv-files.js';

const csvFile = csvFolder('latentlab-csv-');

describe('loadCsv', () => {
  it('reads features and maps label texts to sorted class indices', async () => {
    const file = await csvFile(
      'pets.csv',
      'weight,kind,height\n4.5,dog,30\n3,cat,25\r\n\n5e1,dog,-1.5\n2,bird,.5\n',
    );
    const raw = await loadCsv({ path: file, labelColumn: 'kind' });
    expect(raw.sampleShape).toEqual([2]);
    expect(Array.from(raw.train.x)).toEqual([4.5, 30, 3, 25, 50, -1.5, 2, 0.5]);
    expect(raw.classNames).toEqual(['bird', 'cat', 'dog']);
    expect(Array.from(raw.train.labels!)).toEqual([2, 1, 2, 0]);
  });

  it('sorts numeric labels as numbers', async () => {
    const file = await csvFile('digits.csv', 'a,y\n1,10\n2,9\n3,2\n4,9\n');
    const raw = await loadCsv({ path: file, labelColumn: 'y' });
    expect(raw.classNames).toEqual(['2', '9', '10']);
    expect(Array.from(raw.train.labels!)).toEqual([2, 1, 0, 1]);
  });

  it('has no labels without a label column', async () => {
    const file = await csvFile('plain.csv', 'a,b\n1,2\n3,4\n');
    const raw = await loadCsv({ path: file });
    expect(raw.sampleShape).toEqual([2]);
    expect(raw.train.labels).toBeUndefined();
    expect(raw.classNames).toBeUndefined();
  });

  const bad: Array<[string, string, RegExp]> = [
    ['non-numeric cell', 'a,b\n1,2\n3,4\n5,abc\n', /:4: column "b": expected a number, got "abc"$/],
    ['empty cell', 'a,b\n1,2\n,4\n', /:3: empty cell in column "a"$/],
    ['NaN text', 'a,b\n1,NaN\n', /:2: column "b": expected a finite number, got "NaN"$/],
    [
      'Infinity text',
      'a,b\n1,2\n\n-Infinity,2\n',
      /:4: column "a": expected a finite number, got "-Infinity"$/,
    ],
    ['ragged row (short)', 'a,b,c\n1,2,3\n4,5\n', /:3: expected 3 columns \(as in the header\), got 2$/],
    ['ragged row (long)', 'a,b\n1,2\n3,4\n5,6,7\n', /:4: expected 2 columns \(as in the header\), got 3$/],
    ['hexadecimal', 'a\n0x1f\n', /:2: column "a": expected a number, got "0x1f"$/],
    [
      'CRLF and a quoted line break',
      'a,b\r\n1,"2\r\n3"\r\n4,x\r\n',
      /:2: column "b": expected a number, got "2\\r\\n3"$/,
    ],
  ];
  for (const [what, text, message] of bad) {
    it(`rejects a ${what} with file:line`, async () => {
      const file = await csvFile(`${what.replace(/\W+/g, '-')}.csv`, text);
      const error = await errorFrom(loadCsv({ path: file }));
      expect(error.message.startsWith(`${file}:`)).toBe(true);
      expect(error.message).toMatch(message);
    });
  }

  it('counts lines after a multi-line quoted cell', async () => {
    const file = await csvFile('quoted.csv', 'a,b\n1,"two\nlines"\nx,y\n');
    const error = await errorFrom(loadCsv({ path: file, labelColumn: 'b' }));
    expect(error.path).toBe(`${file}:4`);
  });

  it('rejects a file with a header and no data rows', async () => {
    const file = await csvFile('header-only.csv', 'a,b\n');
    const error = await errorFrom(loadCsv({ path: file }));
    expect(error.message).toBe(`${file}: expected data rows after the header, got none`);
  });

  it('rejects an empty file', async () => {
    const file = await csvFile('empty.csv', '');
    await errorFrom(loadCsv({ path: file }));
  });

  it('rejects an unknown label column, listing the columns', async () => {
    const file = await csvFile('cols.csv', 'a,b\n1,2\n');
    const error = await errorFrom(loadCsv({ path: file, labelColumn: 'class' }));
    expect(error.message).toBe(
      `${file}: label column "class" not in the header; columns are a, b (or name it by 0-based position, e.g. #1)`,
    );
  });

  it('reports an unclosed quote with its line', async () => {
    const file = await csvFile('unclosed.csv', 'a,b\n1,2\n3,"4\n');
    const error = await errorFrom(loadCsv({ path: file }));
    expect(error.message).toMatch(/^.*unclosed\.csv:\d+: malformed CSV: Quote Not Closed/);
  });
});

describe('scaling', () => {
  const table = makeDataset('t', [3], Float32Array.from([1, 10, 0, 3, 10, 4, 5, 10, 8]));

  it('min-max maps the training range to [0, 1]; a constant feature maps to 0', () => {
    const scaling = fitScaling(table, 'minmax');
    expect(scaling).toEqual({ method: 'minmax', offset: [1, 10, 0], scale: [4, 1, 8] });
    expect(Array.from(applyScaling(table, scaling).x)).toEqual([0, 0, 0, 0.5, 0, 0.5, 1, 0, 1]);
  });

  it('standard gives zero mean and unit (population) variance', () => {
    const scaling = fitScaling(table, 'standard');
    expect(scaling.offset).toEqual([3, 10, 4]);
    // Deviations -2, 0, 2: variance 8/3.
    expect(scaling.scale[0]).toBeCloseTo(Math.sqrt(8 / 3), 12);
    expect(scaling.scale[1]).toBe(1);
    expect(scaling.scale[2]).toBeCloseTo(Math.sqrt(32 / 3), 12);
    const x = applyScaling(table, scaling).x;
    expect(x[0]).toBeCloseTo(-2 / Math.sqrt(8 / 3), 6);
    expect(x[1]).toBe(0);
  });

  it('invertScaling undoes applyScaling', () => {
    for (const method of ['minmax', 'standard'] as const) {
      const scaling = fitScaling(table, method);
      const back = invertScaling(applyScaling(table, scaling).x, scaling);
      for (let i = 0; i < back.length; i++) expect(back[i]).toBeCloseTo(table.x[i], 5);
    }
  });

  it('refuses data of a different width', () => {
    const scaling = fitScaling(table, 'minmax');
    expect(() => applyScaling(makeDataset('u', [2], new Float32Array(4)), scaling)).toThrow(DataError);
    expect(() => invertScaling(new Float32Array(4), scaling)).toThrow(DataError);
  });
});

describe('loadData for csv', () => {
  // 10 rows: feature a is the row number, b is constant, c has an outlier in row 10.
  const rows = Array.from(
    { length: 10 },
    (_, i) => `${i + 1},7,${i === 9 ? 1000 : i % 2},${i % 2 ? 'odd' : 'even'}`,
  );
  const text = `a,b,c,parity\n${rows.join('\n')}\n`;
  // Through the schema, so the default scaling (minmax) is the one under test.
  const csvSpec = (path: string) => {
    const spec = DataSpec.parse({ source: 'csv', path, labelColumn: 'parity' });
    if (spec.source !== 'csv') throw new Error('unreachable');
    return spec;
  };

  it('fits min-max on the training split only and applies it to all three', async () => {
    const file = await csvFile('ten.csv', text);
    const spec = csvSpec(file);
    const plain = await loadData({ ...spec, scaling: 'none' }, { seed: 4 });
    const splits = await loadData(spec, { seed: 4 });
    expect([splits.train.size, splits.validation.size, splits.test.size]).toEqual([7, 1, 2]);
    expect(splits.train.classNames).toEqual(['even', 'odd']);

    // Seed 4 holds out rows a=3 and a=10 (the one with c=1000) as test and a=9 as validation, so the fit
    // sees a in {1,2,4,5,6,7,8}: a -> (a-1)/7; b constant 7 -> 0 (scale 1); c in {0,1} -> c (not /1000).
    const column = (x: Float32Array, f: number) => Array.from(x).filter((_, i) => i % 3 === f);
    expect(column(plain.train.x, 0).sort((p, q) => p - q)).toEqual([1, 2, 4, 5, 6, 7, 8]);
    expect(column(plain.test.x, 0).sort((p, q) => p - q)).toEqual([3, 10]);
    expect(splits.scaling).toEqual({ method: 'minmax', offset: [1, 7, 0], scale: [7, 1, 1] });
    // Held-out rows are scaled with the training fit, not refitted: a=10 lands outside [0, 1].
    const test = Array.from(splits.test.x);
    const aTen = column(plain.test.x, 0).indexOf(10);
    expect(test[aTen * 3]).toBeCloseTo(9 / 7, 6);
    expect(test[aTen * 3 + 2]).toBe(1000);
    expect(column(splits.validation.x, 0)[0]).toBeCloseTo(8 / 7, 6);
    expect(Math.min(...splits.train.x)).toBe(0);
    expect(Math.max(...splits.train.x)).toBe(1);
    expect(column(splits.train.x, 1).every((v) => v === 0)).toBe(true);
  });

  it('applies a saved scaling as is instead of fitting', async () => {
    const file = await csvFile('ten-saved.csv', text);
    const scaling = { method: 'standard' as const, offset: [1, 7, 0], scale: [2, 1, 1] };
    const spec = csvSpec(file);
    const splits = await loadData(spec, { scaling });
    expect(splits.scaling).toBe(scaling);
    const raw = await loadData({ ...spec, scaling: 'none' });
    expect(splits.train.x[0]).toBe((raw.train.x[0] - 1) / 2);
    expect(raw.scaling).toBeUndefined();
  });
});
