// The mirrored tables with genuine gaps (../shared/data/tables, README there): types and missing counts as the
// README gives them, and loading as encoded splits whose masks hold every gap.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadData } from '../../../src/data/load.js';
import { DataSpec } from '../../../src/data/spec.js';
import { tableSpans } from '../../../src/data/table/encoding.js';
import { type ColumnOverrides, typeTable } from '../../../src/data/table/infer.js';
import { readCsvCells } from '../../../src/data/table/read.js';
import { isMissing, type Table } from '../../../src/data/table/table.js';

const DIR = '/work/shared/data/tables';
const read = async (file: string, columns?: ColumnOverrides) =>
  typeTable(await readCsvCells(`${DIR}/${file}`), { columns });
const types = (table: Table) => Object.fromEntries(table.columns.map((c) => [c.name, c.type]));
const missing = (table: Table, name: string) => {
  const column = table.columns.find((c) => c.name === name)!;
  let n = 0;
  for (let r = 0; r < table.rows; r++) if (isMissing(column, r)) n++;
  return n;
};

describe.skipIf(!existsSync(`${DIR}/pima_indians_diabetes2.csv`))('mirrored tables with gaps', () => {
  it('pima_indians_diabetes2: integers and numbers with 652 gaps; loads with every gap masked', async () => {
    const table = await read('pima_indians_diabetes2.csv');
    expect(table.rows).toBe(768);
    expect(types(table)).toEqual({
      pregnant: 'integer',
      glucose: 'integer',
      pressure: 'integer',
      triceps: 'integer',
      insulin: 'integer',
      mass: 'numeric',
      pedigree: 'numeric',
      age: 'integer',
      diabetes: 'categorical',
    });
    expect(['glucose', 'pressure', 'triceps', 'insulin', 'mass'].map((n) => missing(table, n))).toEqual([
      5, 35, 227, 374, 11,
    ]);
    const spec = DataSpec.parse({
      source: 'csv',
      path: `${DIR}/pima_indians_diabetes2.csv`,
      labelColumn: 'diabetes',
    });
    const splits = await loadData(spec);
    expect(splits.train.classNames).toEqual(['neg', 'pos']);
    // Eight value spans, one per column: the masked positions are the gaps, 652 over the three splits.
    expect(tableSpans(splits.table!).length).toBe(8);
    const gaps = [splits.train, splits.validation, splits.test].reduce(
      (n, s) => n + s.mask!.filter((m) => m === 0).length,
      0,
    );
    expect(gaps).toBe(652);
  });

  it('titanic_survival, house_votes84 and gss_vocab: yes/no and y/n booleans, stated categories', async () => {
    const titanic = await read('titanic_survival.csv');
    expect(types(titanic)).toEqual({
      survived: 'boolean',
      sex: 'categorical',
      age: 'numeric',
      passengerClass: 'categorical',
    });
    expect(missing(titanic, 'age')).toBe(263);
    const votes = await read('house_votes84.csv');
    expect(votes.columns.filter((c) => c.type === 'boolean').length).toBe(16);
    expect(missing(votes, 'V16')).toBe(104);
    // gss_vocab's year is a factor written as numbers: inferred integer, a category when stated so.
    const gss = await read('gss_vocab.csv', { year: 'categorical' });
    expect(types(gss)).toMatchObject({
      year: 'categorical',
      nativeBorn: 'boolean',
      vocab: 'integer',
      age: 'integer',
    });
    expect((gss.columns[0] as { levels: readonly string[] }).levels.length).toBe(20);
    expect([missing(gss, 'nativeBorn'), missing(gss, 'vocab'), missing(gss, 'educ')]).toEqual([87, 1348, 81]);
  });
});
