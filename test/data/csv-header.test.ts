// Headerless tables (issue 16, item 12): a first row of numbers is refused rather than read as column names,
// `header: false` and `skipRows` read such files whole, and a label column can be named by 0-based position.
import { describe, expect, it } from 'vitest';
import { loadCsv } from '../../src/data/sources/csv.js';
import { DataSpec, parseDataSpec } from '../../src/data/spec.js';
import { readMatrix } from '../../src/io/arrays.js';
import { csvFolder, errorFrom } from './csv-files.js';

const csvFile = csvFolder('latentlab-csv-header-');

const NUMBERS = '1.5,2,0\n3,4.25,1\n5,6,0\n';

describe('a first row of numbers', () => {
  it('is refused as a header, naming the file and line and the flag to pass', async () => {
    const file = await csvFile('numbers.csv', NUMBERS);
    const error = await errorFrom(loadCsv({ path: file }));
    expect(error.path).toBe(`${file}:1`);
    expect(error.message).toContain('the header row is all numbers (1.5, 2, 0)');
    expect(error.message).toContain('--no-header');
  });

  it('is data with header: false; rows keep file order and a label column is named by position', async () => {
    const file = await csvFile('numbers-nh.csv', NUMBERS);
    const raw = await loadCsv({ path: file, header: false, labelColumn: '2' });
    expect(raw.sampleShape).toEqual([2]);
    expect(Array.from(raw.train.x)).toEqual([1.5, 2, 3, 4.25, 5, 6]);
    expect(raw.classNames).toEqual(['0', '1']);
    expect(Array.from(raw.train.labels!)).toEqual([0, 1, 0]);
    const hashed = await loadCsv({ path: file, header: false, labelColumn: '#0' });
    expect(Array.from(raw.train.x).length).toBe(6);
    expect(Array.from(hashed.train.x)).toEqual([2, 0, 4.25, 1, 6, 0]);
    expect(hashed.classNames).toEqual(['1.5', '3', '5']);
  });

  it('headerless: an out-of-range position or a name is refused, listing the positions', async () => {
    const file = await csvFile('numbers-range.csv', NUMBERS);
    const far = await errorFrom(loadCsv({ path: file, header: false, labelColumn: '3' }));
    expect(far.message).toBe(
      `${file}: label column #3 does not exist: the table has 3 columns, #0 to #2 (0-based)`,
    );
    const named = await errorFrom(loadCsv({ path: file, header: false, labelColumn: 'class' }));
    expect(named.message).toContain('without a header, name the label column by its 0-based position');
  });

  it('headerless: bad cells name file:line and the column by position', async () => {
    const file = await csvFile('numbers-bad.csv', '1,2\n3,x\n');
    const error = await errorFrom(loadCsv({ path: file, header: false }));
    expect(error.message).toBe(`${file}:2: column #1: expected a number, got "x"`);
    const ragged = await csvFile('numbers-ragged.csv', '1,2\n3,4,5\n');
    const r = await errorFrom(loadCsv({ path: ragged, header: false }));
    expect(r.message).toBe(`${ragged}:2: expected 2 columns (as in line 1), got 3`);
  });
});

describe('label columns by position with a header', () => {
  it('#N is always a position; a plain number is a name when the header has it, else a position', async () => {
    const file = await csvFile('named.csv', 'a,7,b\n1,2,3\n4,5,6\n');
    const byHash = await loadCsv({ path: file, labelColumn: '#2' });
    expect(byHash.classNames).toEqual(['3', '6']);
    expect(Array.from(byHash.train.x)).toEqual([1, 2, 4, 5]);
    const byName = await loadCsv({ path: file, labelColumn: '7' });
    expect(Array.from(byName.train.x)).toEqual([1, 3, 4, 6]);
    const byPosition = await loadCsv({ path: file, labelColumn: '2' });
    expect(Array.from(byPosition.train.x)).toEqual([1, 2, 4, 5]);
    const missing = await errorFrom(loadCsv({ path: file, labelColumn: 'class' }));
    expect(missing.message).toBe(
      `${file}: label column "class" not in the header; columns are a, 7, b (or name it by 0-based position, e.g. #2)`,
    );
  });
});

describe('skipRows', () => {
  it("skips metadata lines such as sklearn's breast_cancer.csv first line; lines keep their numbers", async () => {
    const file = await csvFile('sklearn.csv', '3,2,malignant,benign\n1,2,0\n3,4,1\n5,y,0\n');
    const error = await errorFrom(loadCsv({ path: file, header: false, skipRows: 1 }));
    expect(error.message).toBe(`${file}:4: column #1: expected a number, got "y"`);
    const good = await csvFile('sklearn-good.csv', '3,2,malignant,benign\n1,2,0\n3,4,1\n5,6,0\n');
    const raw = await loadCsv({ path: good, header: false, skipRows: 1, labelColumn: '#2' });
    expect(Array.from(raw.train.x)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(raw.train.labels!)).toEqual([0, 1, 0]);
  });

  it('without skipRows, a short first line before longer rows hints at --skip-rows', async () => {
    const file = await csvFile('sklearn-raw.csv', '3,2,malignant,benign\n1,2,0,9,9\n');
    const error = await errorFrom(loadCsv({ path: file }));
    expect(error.message).toContain('expected 4 columns (as in the header), got 5');
    expect(error.message).toContain('--skip-rows');
  });
});

describe('data specs', () => {
  it('take header and skipRows as options and JSON fields, validated', () => {
    expect(parseDataSpec('csv:a.csv', { header: false, skipRows: 1, labelColumn: '#30' })).toEqual({
      source: 'csv',
      path: 'a.csv',
      header: false,
      skipRows: 1,
      labelColumn: '#30',
      scaling: 'minmax',
    });
    expect(DataSpec.parse({ source: 'csv', path: 'a.csv', labelColumn: 30 })).toMatchObject({
      labelColumn: '#30',
    });
    expect(DataSpec.safeParse({ source: 'csv', path: 'a.csv', skipRows: -1 }).success).toBe(false);
    expect(DataSpec.safeParse({ source: 'csv', path: 'a.csv', header: 'no' }).success).toBe(false);
  });
});

describe('decode --codes files (readMatrix)', () => {
  it('refuses a CSV whose header row is all numbers, and reads it whole with header: false', async () => {
    const file = await csvFile('codes.csv', '0.5,1\n2,3\n');
    const error = await errorFrom(readMatrix(file));
    expect(error.path).toBe(`${file}:1`);
    expect(error.message).toContain('--no-header');
    const m = await readMatrix(file, { header: false });
    expect(m.rows).toBe(2);
    expect(Array.from(m.data)).toEqual([0.5, 1, 2, 3]);
  });
});
