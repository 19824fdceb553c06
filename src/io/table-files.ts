// Tables written as CSV (a sampled synthetic table, an imputed one): the original column names, integers without
// decimals, missing cells empty, written atomically. RFC 4180 quoting is a few lines and csv-stringify is not a
// dependency, so it is done here: a field is quoted when it holds a comma, a quote or a line break, or starts or
// ends with white space (which readers trim), its quotes doubled.
import { isNumberColumn, type Table } from '../data/table/table.js';
import { writeFileAtomic } from './atomic.js';

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/** One CSV field, quoted when it must be. */
export function csvField(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The table as CSV text: a header of column names, then one line per row (LF line ends). */
export function tableCsv(table: Table): string {
  const lines: string[] = [table.columns.map((column) => csvField(column.name)).join(',')];
  const cell = table.columns.map((column) => {
    if (isNumberColumn(column)) {
      const integer = column.type === 'integer';
      return (row: number) => {
        const v = column.values[row];
        if (Number.isNaN(v)) return '';
        // Shortest text that reads back as the same float64; integers rounded (decoded ones already are).
        return integer ? String(Math.round(v)) : String(v);
      };
    }
    const quoted = column.levels.map(csvField);
    return (row: number) => {
      const code = column.codes[row];
      return code < 0 ? '' : quoted[code];
    };
  });
  for (let row = 0; row < table.rows; row++) lines.push(cell.map((write) => write(row)).join(','));
  return `${lines.join('\n')}\n`;
}

/** Write `table` to `path` as CSV, atomically (a temporary sibling renamed over it). */
export async function writeTableCsv(path: string, table: Table): Promise<void> {
  await writeFileAtomic(path, tableCsv(table));
}
