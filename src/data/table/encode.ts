// A table to the flat float rows a model trains on (with the mask of observed cells), and a model's rows back to
// a table with the original column names and types. The layout is the encoding's spans (encoding.ts).
import { DataError } from '../../errors.js';
import { createRng } from '../random.js';
import {
  type CategoryColumn,
  type ColumnEncoder,
  type ModeColumn,
  type TableEncoding,
  type TableSpan,
  tableSpans,
} from './encoding.js';
import { type Mixture, modeLogDensities } from './gmm.js';
import { isNumberColumn, type Table, type TableColumn } from './table.js';

export interface EncodedTable {
  /** rows x encodedWidth, row-major; a missing cell holds 0 across its spans. */
  x: Float32Array;
  /** Same layout: 1 where the cell is observed, 0 across a missing cell's spans. */
  mask: Float32Array;
  /** Rows of the table (x.length / encodedWidth). */
  rows: number;
  /** What encoding did that the user should hear of: categories never seen in training, read as missing. */
  notes: string[];
}

export interface EncodeOptions {
  /**
   * Mode-specific columns: which mode a value is written in. `likely` (default): the most likely mode, so the
   * encoding is deterministic; `sample`: drawn from the modes' posterior, as CTGAN's and RDT's transformers do.
   */
  modes?: 'likely' | 'sample';
  /** Seeds `modes: 'sample'`. */
  seed?: number;
}

const isMode = (column: ColumnEncoder): column is ModeColumn => 'means' in column;
const isCategory = (column: ColumnEncoder): column is CategoryColumn => 'levels' in column;

/** Each encoded column's table column, found by name and checked to be of a matching kind. */
function matchColumns(table: Table, encoding: TableEncoding): TableColumn[] {
  const byName = new Map(table.columns.map((column) => [column.name, column]));
  const absent = encoding.columns.filter((column) => !byName.has(column.name)).map((c) => c.name);
  if (absent.length > 0)
    throw new DataError(
      `the encoding has column${absent.length > 1 ? 's' : ''} ${absent.map((n) => `"${n}"`).join(', ')} that the table lacks; its columns are ${table.columns.map((c) => c.name).join(', ')}`,
      { path: table.name },
    );
  return encoding.columns.map((encoder) => {
    const column = byName.get(encoder.name) as TableColumn;
    if (isNumberColumn(column) === isCategory(encoder))
      throw new DataError(
        `column "${encoder.name}" is ${column.type} in the table, ${encoder.type} in the encoding`,
        { path: table.name },
      );
    return column;
  });
}

/** Encode every row of `table` with `encoding` (whose columns the table must have, by name). */
export function encodeTable(
  table: Table,
  encoding: TableEncoding,
  options: EncodeOptions = {},
): EncodedTable {
  const columns = matchColumns(table, encoding);
  const spans = tableSpans(encoding);
  const width = spans.reduce((sum, span) => sum + span.width, 0);
  const n = table.rows;
  const x = new Float32Array(n * width);
  const mask = new Float32Array(n * width);
  const notes: string[] = [];
  const rng = createRng(options.seed ?? 0);
  // Spans per column: [value] for scaled numbers, [value, modes] for mode-specific ones, [choice] for categories.
  const spansOf: TableSpan[][] = encoding.columns.map(() => []);
  for (const span of spans) spansOf[span.column].push(span);
  const observe = (row: number, span: TableSpan) =>
    mask.fill(1, row * width + span.start, row * width + span.start + span.width);
  encoding.columns.forEach((encoder, c) => {
    const column = columns[c];
    const [first, second] = spansOf[c];
    if (isCategory(encoder)) {
      if (isNumberColumn(column)) return;
      const position = new Map(encoder.levels.map((level, i) => [level, i]));
      const map = Int32Array.from(column.levels, (level) => position.get(level) ?? -1);
      const unseen = new Map<string, number>();
      for (let r = 0; r < n; r++) {
        const code = column.codes[r];
        if (code < 0) continue;
        const at = map[code];
        if (at < 0) {
          unseen.set(column.levels[code], (unseen.get(column.levels[code]) ?? 0) + 1);
          continue;
        }
        x[r * width + first.start + at] = 1;
        observe(r, first);
      }
      if (unseen.size > 0) {
        const rows = [...unseen.values()].reduce((a, b) => a + b, 0);
        const shown = [...unseen.keys()].slice(0, 5).map((level) => JSON.stringify(level));
        notes.push(
          `column "${encoder.name}": ${rows} row${rows > 1 ? 's have' : ' has'} ${unseen.size > 1 ? `${unseen.size} categories` : 'a category'} never seen in training, read as missing: ${shown.join(', ')}${unseen.size > 5 ? ', ...' : ''}`,
        );
      }
      return;
    }
    if (!isNumberColumn(column)) return;
    if (isMode(encoder)) {
      const densities = new Float64Array(encoder.means.length);
      for (let r = 0; r < n; r++) {
        const v = column.values[r];
        if (Number.isNaN(v)) continue;
        const k = chooseMode(encoder, v, densities, options.modes === 'sample' ? rng : undefined);
        const alpha = (v - encoder.means[k]) / (4 * encoder.stds[k]);
        x[r * width + first.start] = Math.max(-1, Math.min(1, alpha));
        x[r * width + second.start + k] = 1;
        observe(r, first);
        observe(r, second);
      }
      return;
    }
    for (let r = 0; r < n; r++) {
      const v = column.values[r];
      if (Number.isNaN(v)) continue;
      // Numbers outside the training range pass through (a standardised 5, a min-max 1.3).
      x[r * width + first.start] = (v - encoder.offset) / encoder.scale;
      observe(r, first);
    }
  });
  return { x, mask, rows: n, notes };
}

/** The mode a value is written in: the most likely one, or one drawn from the posterior when given `rng`. */
function chooseMode(mixture: Mixture, value: number, densities: Float64Array, rng?: () => number): number {
  modeLogDensities(mixture, value, densities);
  let best = 0;
  for (let j = 1; j < densities.length; j++) if (densities[j] > densities[best]) best = j;
  if (!rng) return best;
  let total = 0;
  for (let j = 0; j < densities.length; j++) {
    densities[j] = Math.exp(densities[j] - densities[best]);
    total += densities[j];
  }
  return drawFrom(densities, total, rng);
}

function drawFrom(weights: ArrayLike<number>, total: number, rng: () => number): number {
  let u = rng() * total;
  for (let j = 0; j < weights.length; j++) {
    u -= weights[j];
    if (u < 0) return j;
  }
  return weights.length - 1;
}

export interface DecodeOptions {
  /** false (default): the most likely level or mode (argmax of its span); true: drawn from the span's values. */
  sample?: boolean;
  seed?: number;
  /** The decoded table's name. */
  name?: string;
  /** The rows' mask (encodeTable's): a cell whose span is masked decodes as missing (NaN, code -1). */
  mask?: Float32Array;
  /**
   * false: numbers are not clipped to the training range (a real held-out row decoded to compare with, rather
   * than a model's output). Default true.
   */
  clip?: boolean;
}

/**
 * Encoded rows (a model's activated output: values, and probabilities in choice spans) back to a table of the
 * encoding's columns and types: a choice span gives its argmax level (or one drawn, weights clipped at 0), a
 * mode-specific number its mode's mean plus alpha * 4 std; numbers are clipped to the training range, as SDV
 * does, and integers rounded.
 */
export function decodeRows(x: Float32Array, encoding: TableEncoding, options: DecodeOptions = {}): Table {
  const spans = tableSpans(encoding);
  const width = spans.reduce((sum, span) => sum + span.width, 0);
  if (x.length % width !== 0)
    throw new DataError(`expected rows of ${width} encoded values, got ${x.length} values (not a multiple)`, {
      path: options.name ?? 'decode',
    });
  const n = x.length / width;
  if (options.mask && options.mask.length !== x.length)
    throw new DataError(
      `expected a mask of ${x.length} values (one per encoded value), got ${options.mask.length}`,
      {
        path: options.name ?? 'decode',
      },
    );
  const masked = (row: number, span: TableSpan) =>
    options.mask !== undefined && options.mask[row * width + span.start] === 0;
  const clip = options.clip ?? true;
  const rng = createRng(options.seed ?? 0);
  const pick = (row: number, span: TableSpan): number => {
    const at = row * width + span.start;
    if (options.sample) {
      let total = 0;
      for (let j = 0; j < span.width; j++) total += Math.max(0, x[at + j]);
      if (total > 0) {
        const weights = Array.from(x.subarray(at, at + span.width), (v) => Math.max(0, v));
        return drawFrom(weights, total, rng);
      }
    }
    let best = 0;
    for (let j = 1; j < span.width; j++) if (x[at + j] > x[at + best]) best = j;
    return best;
  };
  const spansOf: TableSpan[][] = encoding.columns.map(() => []);
  for (const span of spans) spansOf[span.column].push(span);
  const columns: TableColumn[] = encoding.columns.map((encoder, c) => {
    const [first, second] = spansOf[c];
    if (isCategory(encoder)) {
      const codes = new Int32Array(n);
      for (let r = 0; r < n; r++) codes[r] = masked(r, first) ? -1 : pick(r, first);
      return { name: encoder.name, type: encoder.type, levels: [...encoder.levels], codes };
    }
    const values = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      if (masked(r, first)) {
        values[r] = Number.NaN;
        continue;
      }
      let v: number;
      if (isMode(encoder)) {
        const k = pick(r, second);
        const alpha = Math.max(-1, Math.min(1, x[r * width + first.start]));
        v = alpha * 4 * encoder.stds[k] + encoder.means[k];
      } else {
        v = x[r * width + first.start] * encoder.scale + encoder.offset;
      }
      if (clip) v = Math.max(encoder.min, Math.min(encoder.max, v));
      // Integers rounded; other numbers to the decimals the training values were written with, when known.
      values[r] =
        encoder.type === 'integer'
          ? Math.round(v)
          : encoder.decimals === undefined
            ? v
            : Number(v.toFixed(encoder.decimals));
    }
    return { name: encoder.name, type: encoder.type, values };
  });
  return { name: options.name ?? 'decoded', rows: n, columns };
}
