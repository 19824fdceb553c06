// Reading tables: the streamed reader's cells, types inferred on the training rows, stated types, missing tokens,
// and every bad input of issue 20 as a clear error naming file:line and the fix.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { typeTable } from '../../../src/data/table/infer.js';
import { cellText, readCsvCells } from '../../../src/data/table/read.js';
import {
  type CategoryColumnData,
  isNumberColumn,
  type NumberColumn,
  type Table,
} from '../../../src/data/table/table.js';
import { UsageError } from '../../../src/errors.js';
import { csvFolder, errorFrom } from '../csv-files.js';

const csvFile = csvFolder('latentlab-table-read-');
const PEOPLE = fileURLToPath(new URL('../../fixtures/tables/people.csv', import.meta.url));

const column = (table: Table, name: string) => table.columns.find((c) => c.name === name);
const numbers = (table: Table, name: string) => column(table, name) as NumberColumn;
const categories = (table: Table, name: string) => column(table, name) as CategoryColumnData;

describe('readCsvCells and typeTable', () => {
  it('infers integer, numeric, boolean and categorical; trims leading spaces; ? NA and empty are missing', async () => {
    const cells = await readCsvCells(PEOPLE);
    expect(cells.rows).toBe(6);
    expect(Array.from(cells.lines)).toEqual([2, 3, 4, 5, 6, 7]);
    const table = typeTable(cells, { columns: { id: 'ignore' } });
    expect(table.columns.map((c) => [c.name, c.type])).toEqual([
      ['age', 'integer'],
      ['workclass', 'categorical'],
      ['income', 'numeric'],
      ['height', 'numeric'],
      ['member', 'boolean'],
      ['city', 'categorical'],
    ]);
    expect(Array.from(numbers(table, 'income').values)).toEqual([
      77516.5,
      83311,
      Number.NaN,
      234721.25,
      338409,
      284582,
    ]);
    expect(Number.isNaN(numbers(table, 'height').values[3])).toBe(true);
    const work = categories(table, 'workclass');
    expect(work.levels).toEqual(['Private', 'Self-emp', 'State-gov']);
    expect(Array.from(work.codes)).toEqual([2, 1, 0, 0, -1, 0]);
    // Booleans are [false, true] as written; NA is missing.
    const member = categories(table, 'member');
    expect(member.levels).toEqual(['no', 'yes']);
    expect(Array.from(member.codes)).toEqual([1, 0, 1, 0, 1, -1]);
  });

  it('infers on the training rows only: a column of numbers there with text elsewhere is refused at its line', async () => {
    const file = await csvFile('later-text.csv', 'a,b\n1,x\n2,y\n3,z\nabc,w\n');
    const cells = await readCsvCells(file);
    // Over every row, mostly numbers with a text: asked, not guessed.
    expect(() => typeTable(cells)).toThrow(
      `${file}:5: column "a" holds numbers in 3 of its 4 observed training cells, and the text "abc" here: list the text as missing (--missing "abc") or state the column categorical (--columns a:categorical)`,
    );
    // Mostly text with a number: a category.
    const mostlyText = await csvFile('mostly-text.csv', 'a\nx\ny\n3\n');
    expect(typeTable(await readCsvCells(mostlyText)).columns[0].type).toBe('categorical');
    expect(() => typeTable(cells, { trainRows: [0, 1, 2] })).toThrow(
      `${file}:5: column "a" holds only numbers in the training rows, so it is read as numbers, but this row has the text "abc": state the column categorical (--columns a:categorical) or list the text as missing (--missing "abc")`,
    );
    // Stated categorical, the numbers are levels by their text.
    const stated = typeTable(cells, { trainRows: [0, 1, 2], columns: { a: 'categorical' } });
    expect((stated.columns[0] as CategoryColumnData).levels).toEqual(['1', '2', '3', 'abc']);
  });

  it('a stated missing list replaces NA, NaN and ? (the empty cell stays missing)', async () => {
    const file = await csvFile('tokens.csv', 'a,b\n1,-\n2,NA\n,?\n4,x\n');
    const cells = await readCsvCells(file, { missing: ['', '-'] });
    expect(cellText(cells, 1, 1)).toBe('NA');
    const table = typeTable(cells);
    expect(Array.from((table.columns[0] as NumberColumn).values)).toEqual([1, 2, Number.NaN, 4]);
    expect((table.columns[1] as CategoryColumnData).levels).toEqual(['?', 'NA', 'x']);
    expect(Array.from((table.columns[1] as CategoryColumnData).codes)).toEqual([-1, 1, 0, 2]);
  });

  it('stated types win; integer stated over fractions, boolean over three levels, and unknown names are refused', async () => {
    const file = await csvFile('stated.csv', 'n,flag,c\n1,a,x\n2.5,b,y\n3,c,x\n');
    const cells = await readCsvCells(file);
    const table = typeTable(cells, { columns: { n: 'numeric', c: 'boolean' } });
    expect(table.columns.map((c) => c.type)).toEqual(['numeric', 'categorical', 'boolean']);
    expect(() => typeTable(cells, { columns: { n: 'integer' } })).toThrow(
      `${file}:3: column "n" is stated integer (--columns), but this row has 2.5`,
    );
    expect(() => typeTable(cells, { columns: { flag: 'boolean' } })).toThrow(
      'is stated boolean (--columns) but has 3 levels',
    );
    expect(() => typeTable(cells, { columns: { flag: 'numeric' } })).toThrow(
      `${file}:2: column "flag" is stated numeric (--columns), but this row has the text "a"`,
    );
    let error: unknown;
    try {
      typeTable(cells, { columns: { age: 'numeric', n: 'ignore' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      `--columns: "age" is not a column of ${file}; its columns are n, flag, c`,
    );
  });

  it('refuses a column with no observed training cell, and an id-like text column, suggesting :ignore', async () => {
    const rows = Array.from({ length: 150 }, (_, i) => `${i % 7},,user${i}`);
    const file = await csvFile('ids.csv', `x,empty,user\n${rows.join('\n')}\n`);
    const cells = await readCsvCells(file);
    expect(() => typeTable(cells, { columns: { user: 'ignore' } })).toThrow(
      `${file}: column "empty" has no observed cell in the 150 training rows (every one is one of the missing tokens "", "NA", "NaN", "?"): leave it out with --columns empty:ignore`,
    );
    expect(() => typeTable(cells, { columns: { empty: 'ignore' } })).toThrow(
      `${file}: column "user" has 150 distinct texts in 150 training rows (e.g. "user0", "user1", "user2"): an id or free text, not a category; leave it out with --columns user:ignore`,
    );
    const table = typeTable(cells, { columns: { empty: 'ignore', user: 'ignore' } });
    expect(table.columns.map((c) => c.name)).toEqual(['x']);
  });

  it('refuses infinities as numbers rather than making them categories', async () => {
    const file = await csvFile('inf.csv', 'a\n1\n2\ninf\n');
    const cells = await readCsvCells(file);
    expect(() => typeTable(cells)).toThrow(`${file}:4: column "a": expected a finite number, got "inf"`);
  });

  it('a metadata first line: refused with the --skip-rows hint, read with skipRows', async () => {
    const text = 'rows=3,cols=2\n1.5,2,a\n3,4,b\n5,6,a\n';
    const file = await csvFile('meta.csv', text);
    const error = await errorFrom(readCsvCells(file, { header: false }));
    expect(error.message).toBe(`${file}:2: expected 2 columns (as in line 1), got 3`);
    const withHeader = await errorFrom(readCsvCells(file));
    expect(withHeader.message).toContain('--skip-rows');
    const cells = await readCsvCells(file, { header: false, skipRows: 1, labelColumn: '#2' });
    expect(Array.from(cells.lines)).toEqual([2, 3, 4]);
    const table = typeTable(cells);
    expect(table.columns.map((c) => [c.name, c.type])).toEqual([
      ['#0', 'numeric'],
      ['#1', 'integer'],
      ['#2', 'categorical'],
    ]);
  });

  it('reads gzip, a BOM and CRLF; a quoted field keeps its commas; rows keep their lines past blank lines', async () => {
    const { gzipSync } = await import('node:zlib');
    const text = '\ufeffname,v\r\n"Smith, J",1\r\n\r\n"two\r\nlines",2\r\nx,3\r\n';
    const plain = await csvFile('crlf.csv', text);
    const zipped = await csvFile('crlf.csv.gz', '');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(zipped, gzipSync(Buffer.from(text)));
    for (const file of [plain, zipped]) {
      const cells = await readCsvCells(file);
      expect(cells.columns.map((c) => c.name)).toEqual(['name', 'v']);
      expect(Array.from(cells.lines)).toEqual([2, 4, 6]);
      expect(cellText(cells, 0, 0)).toBe('Smith, J');
      expect(cellText(cells, 0, 1)).toBe('two\r\nlines');
    }
  });

  it('streams a generated 20,000 x 50 table, row lines and values intact', async () => {
    const columns = 50;
    const header = Array.from({ length: columns }, (_, c) => `c${c}`).join(',');
    const lines = [header];
    for (let r = 0; r < 20_000; r++) {
      const row = Array.from({ length: columns }, (_, c) =>
        c === 3 ? `k${(r * 7) % 5}` : r % 97 === c ? '' : String(((r * 31 + c) % 1000) / 8),
      );
      lines.push(row.join(','));
    }
    const file = await csvFile('big.csv', `${lines.join('\n')}\n`);
    const cells = await readCsvCells(file);
    expect(cells.rows).toBe(20_000);
    expect(cells.lines[19_999]).toBe(20_001);
    const table = typeTable(cells);
    expect(table.columns[3].type).toBe('categorical');
    expect((table.columns[3] as CategoryColumnData).levels).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    const c10 = table.columns[10] as NumberColumn;
    expect(c10.values[12_345]).toBe(((12_345 * 31 + 10) % 1000) / 8);
    expect(Number.isNaN(c10.values[97 + 10])).toBe(true);
    expect(table.columns.filter(isNumberColumn).length).toBe(49);
  });
});

const ADULT = '/work/shared/data/tables/adult.csv';
describe.skipIf(!existsSync(ADULT))('the Adult mirror', () => {
  it('reads 32,561 rows with the types its README gives; ? is missing in workclass, occupation, native-country', async () => {
    const table = typeTable(await readCsvCells(ADULT));
    expect(table.rows).toBe(32_561);
    const types = Object.fromEntries(table.columns.map((c) => [c.name, c.type]));
    for (const name of ['age', 'fnlwgt', 'education-num', 'capital-gain', 'capital-loss', 'hours-per-week'])
      expect(types[name]).toBe('integer');
    for (const name of [
      'workclass',
      'education',
      'marital-status',
      'occupation',
      'relationship',
      'race',
      'native-country',
      'income',
    ])
      expect(types[name]).toBe('categorical');
    expect(types.sex).toBe('categorical');
    const missing = (name: string) => Array.from(categories(table, name).codes).filter((c) => c < 0).length;
    // UCI's counts of ? in the training file.
    expect([missing('workclass'), missing('occupation'), missing('native-country')]).toEqual([
      1836, 1843, 583,
    ]);
    expect(categories(table, 'income').levels).toEqual(['<=50K', '>50K']);
    expect(categories(table, 'sex').levels).toEqual(['Female', 'Male']);
  });
});
