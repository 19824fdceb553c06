// Tables written as CSV: names and types kept, integers without decimals, missing cells empty, quoting per RFC 4180,
// and what is written reads back as the same table.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeRows, encodeTable } from '../../src/data/table/encode.js';
import { fitTableEncoding } from '../../src/data/table/fit.js';
import { typeTable } from '../../src/data/table/infer.js';
import { readCsvCells } from '../../src/data/table/read.js';
import type { CategoryColumnData, Table } from '../../src/data/table/table.js';
import { csvField, writeTableCsv } from '../../src/io/table-files.js';
import { withTempDir } from '../helpers.js';

const table: Table = {
  name: 't',
  rows: 3,
  columns: [
    { name: 'age', type: 'integer', values: Float64Array.from([39, Number.NaN, 28.0000001]) },
    { name: 'weight, kg', type: 'numeric', values: Float64Array.from([70.25, 1e-7, 81]) },
    {
      name: 'job',
      type: 'categorical',
      levels: ['Adm-clerical', 'said "no"', ' lead', 'two\nlines'],
      codes: Int32Array.from([1, 2, -1]),
    },
    { name: 'member', type: 'boolean', levels: ['no', 'yes'], codes: Int32Array.from([1, 0, 1]) },
  ],
};

describe('writeTableCsv', () => {
  it('quotes only where needed', () => {
    expect(['plain', 'a,b', 'say "hi"', ' lead', 'x\r\ny'].map(csvField)).toEqual([
      'plain',
      '"a,b"',
      '"say ""hi"""',
      '" lead"',
      '"x\r\ny"',
    ]);
  });

  it('writes names, integers without decimals and empty missing cells, atomically; it reads back the same', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'out.csv');
      await writeTableCsv(file, table);
      expect(await readFile(file, 'utf8')).toBe(
        'age,"weight, kg",job,member\n39,70.25,"said ""no""",yes\n,1e-7," lead",no\n28,81,,yes\n',
      );
      expect(await readdir(dir)).toEqual(['out.csv']);
      const back = typeTable(await readCsvCells(file), { columns: { job: 'categorical' } });
      expect(back.columns.map((c) => [c.name, c.type])).toEqual([
        ['age', 'integer'],
        ['weight, kg', 'numeric'],
        ['job', 'categorical'],
        ['member', 'boolean'],
      ]);
      // The reader trims unquoted cells only: the quoted leading space comes back.
      expect((back.columns[2] as CategoryColumnData).levels).toEqual([' lead', 'said "no"']);
    });
  });

  it('a decoded table (encode, decode, write, read) keeps the column names, types and values', async () => {
    await withTempDir(async (dir) => {
      const original: Table = {
        name: 'o',
        rows: 4,
        columns: [
          { name: 'n', type: 'numeric', values: Float64Array.from([1.5, -2.25, 3, 0.125]) },
          { name: 'i', type: 'integer', values: Float64Array.from([1, 2, 3, 4]) },
          { name: 'c', type: 'categorical', levels: ['a', 'b'], codes: Int32Array.from([0, 1, 1, 0]) },
        ],
      };
      const encoding = fitTableEncoding(original, [0, 1, 2, 3], { numeric: 'minmax' });
      const decoded = decodeRows(encodeTable(original, encoding).x, encoding);
      const file = join(dir, 'decoded.csv');
      await writeTableCsv(file, decoded);
      const lines = (await readFile(file, 'utf8')).trim().split('\n');
      expect(lines[0]).toBe('n,i,c');
      expect(lines.slice(1).map((line) => line.split(',').slice(1).join(','))).toEqual([
        '1,a',
        '2,b',
        '3,b',
        '4,a',
      ]);
      const back = typeTable(await readCsvCells(file));
      expect(back.columns.map((c) => c.type)).toEqual(['numeric', 'integer', 'categorical']);
      const n = (back.columns[0] as { values: Float64Array }).values;
      [1.5, -2.25, 3, 0.125].forEach((v, r) => {
        expect(n[r]).toBeCloseTo(v, 6);
      });
    });
  });
});
