// The imputation benchmark's protocol on a table: hide a share of the observed cells completely at random
// (seeded), then score what an imputer put there against the truth: RMSE over the hidden numeric cells in units
// of each column's standard deviation (so columns of any scale weigh alike), accuracy over the hidden
// categorical cells.
import { createRng } from '../../data/random.js';
import { isNumberColumn, type Table, type TableColumn } from '../../data/table/table.js';
import { DataError } from '../../errors.js';

export interface HiddenCells {
  /** The table with the hidden cells missing. */
  readonly table: Table;
  /** Per column of the table, the rows whose cell was hidden (ascending). */
  readonly rows: readonly Int32Array[];
  readonly count: number;
}

/** Each observed cell hidden with probability `rate` (MCAR), seeded; cells already missing stay missing. */
export function hideAtRandom(table: Table, rate: number, seed: number): HiddenCells {
  if (!(rate > 0 && rate < 1))
    throw new DataError(`expected a share of cells to hide between 0 and 1, got ${rate}`, { path: 'rate' });
  const random = createRng(seed);
  const hidden: number[][] = table.columns.map(() => []);
  // Row-major draws, so a table's hidden cells depend only on its shape, its gaps and the seed.
  for (let row = 0; row < table.rows; row++)
    table.columns.forEach((column, c) => {
      const missing = isNumberColumn(column) ? Number.isNaN(column.values[row]) : column.codes[row] < 0;
      if (!missing && random() < rate) hidden[c].push(row);
    });
  const columns = table.columns.map((column, c): TableColumn => {
    if (isNumberColumn(column)) {
      const values = Float64Array.from(column.values);
      for (const row of hidden[c]) values[row] = Number.NaN;
      return { ...column, values };
    }
    const codes = Int32Array.from(column.codes);
    for (const row of hidden[c]) codes[row] = -1;
    return { ...column, codes };
  });
  return {
    table: { ...table, columns },
    rows: hidden.map((rows) => Int32Array.from(rows)),
    count: hidden.reduce((sum, rows) => sum + rows.length, 0),
  };
}

/** Standard deviation of a number column's observed cells (population), or 1 when it has under two distinct values. */
export function columnSd(column: TableColumn): number {
  if (!isNumberColumn(column)) return 1;
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (const v of column.values) {
    if (Number.isNaN(v)) continue;
    n++;
    const delta = v - mean;
    mean += delta / n;
    m2 += delta * (v - mean);
  }
  const sd = n > 0 ? Math.sqrt(m2 / n) : 0;
  return sd > 0 ? sd : 1;
}

export interface ImputationScore {
  /** RMSE over the hidden numeric cells, each error in its column's standard deviations; NaN without any. */
  readonly rmse: number;
  /** Share of hidden categorical cells given their true level; NaN without any. */
  readonly accuracy: number;
  readonly numericCells: number;
  readonly categoricalCells: number;
  /** Per scored column: normalised RMSE (numbers) or accuracy (categories) on its hidden cells. */
  readonly columns: Record<string, { cells: number; rmse?: number; accuracy?: number }>;
}

/**
 * Scores `imputed` (a table holding the columns by name, e.g. decoded from an imputer's rows) on the cells
 * `hidden` took out of `truth`. Standard deviations are the truth's, over its observed cells.
 */
export function scoreImputation(truth: Table, hidden: HiddenCells, imputed: Table): ImputationScore {
  let squared = 0;
  let numericCells = 0;
  let right = 0;
  let categoricalCells = 0;
  const columns: Record<string, { cells: number; rmse?: number; accuracy?: number }> = {};
  truth.columns.forEach((column, c) => {
    const rows = hidden.rows[c];
    if (rows.length === 0) return;
    const filled = imputed.columns.find((candidate) => candidate.name === column.name);
    if (!filled) return;
    if (isNumberColumn(column)) {
      if (!isNumberColumn(filled))
        throw new DataError(`imputed column "${column.name}" is categorical, the truth numeric`, {
          path: imputed.name,
        });
      const sd = columnSd(column);
      let sum = 0;
      for (const row of rows) sum += ((filled.values[row] - column.values[row]) / sd) ** 2;
      squared += sum;
      numericCells += rows.length;
      columns[column.name] = { cells: rows.length, rmse: Math.sqrt(sum / rows.length) };
    } else {
      if (isNumberColumn(filled))
        throw new DataError(`imputed column "${column.name}" is numeric, the truth categorical`, {
          path: imputed.name,
        });
      let hits = 0;
      for (const row of rows) {
        const code = filled.codes[row];
        if (code >= 0 && filled.levels[code] === column.levels[column.codes[row]]) hits++;
      }
      right += hits;
      categoricalCells += rows.length;
      columns[column.name] = { cells: rows.length, accuracy: hits / rows.length };
    }
  });
  return {
    rmse: numericCells > 0 ? Math.sqrt(squared / numericCells) : Number.NaN,
    accuracy: categoricalCells > 0 ? right / categoricalCells : Number.NaN,
    numericCells,
    categoricalCells,
    columns,
  };
}
