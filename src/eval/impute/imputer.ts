// Imputation over an encoded table (data/table): an Imputer takes the encoded rows, their mask and the encoding
// and returns the rows with every missing cell filled (observed cells unchanged; a categorical cell filled with
// one level's one-hot). The baselines (mean/mode, kNN, MICE) and the model imputers (table-ae, table-vae, GAIN)
// share this shape, so the benchmark and `latentlab impute` treat them alike.
import { encodedWidth, type TableEncoding, type TableSpan, tableSpans } from '../../data/table/encoding.js';
import { DataError } from '../../errors.js';

export interface EncodedRows {
  /** rows * width encoded values; missing cells hold anything (0 by convention). */
  readonly x: Float32Array;
  /** Per value of x: 1 observed, 0 missing. */
  readonly mask: Float32Array;
  readonly encoding: TableEncoding;
}

export interface Imputer {
  /** How reports name it ("mean/mode", "kNN (k=5)", "table-ae"). */
  readonly name: string;
  /** The rows with their missing cells filled; observed cells as they were. */
  impute(table: EncodedRows): Promise<Float32Array>;
}

/** The layout every imputer reads: spans, width and rows, checked against the arrays. */
export interface Layout {
  readonly spans: readonly TableSpan[];
  readonly width: number;
  readonly rows: number;
}

export function layoutOf(table: EncodedRows): Layout {
  const width = encodedWidth(table.encoding);
  if (table.x.length % width !== 0 || table.mask.length !== table.x.length) {
    throw new DataError(
      `expected x and mask of equal lengths, a multiple of the encoded width ${width}; got ${table.x.length} and ${table.mask.length}`,
      { path: 'table' },
    );
  }
  return { spans: tableSpans(table.encoding), width, rows: table.x.length / width };
}

/** Whether row `row`'s cell in `span` is observed (a span's mask is read at its first position). */
export function observed(table: EncodedRows, layout: Layout, row: number, span: TableSpan): boolean {
  return table.mask[row * layout.width + span.start] > 0;
}

/** Index of the largest of `width` values from `at` (the first on ties). */
export function argmax(values: ArrayLike<number>, at: number, width: number): number {
  let best = 0;
  for (let k = 1; k < width; k++) if (values[at + k] > values[at + best]) best = k;
  return best;
}

/**
 * The final rows from a fill: observed cells copied from `table.x`, missing value cells from `fill`, missing
 * categorical cells as the one-hot of `fill`'s largest entry in the group (probabilities, votes or scores).
 */
export function completeRows(table: EncodedRows, layout: Layout, fill: ArrayLike<number>): Float32Array {
  const out = Float32Array.from(table.x);
  for (let row = 0; row < layout.rows; row++) {
    const base = row * layout.width;
    for (const span of layout.spans) {
      if (observed(table, layout, row, span)) continue;
      const at = base + span.start;
      if (span.kind === 'value') {
        out[at] = fill[at];
      } else {
        const level = argmax(fill, at, span.width);
        out.fill(0, at, at + span.width);
        out[at + level] = 1;
      }
    }
  }
  return out;
}

/** Cells missing per encoded column (by TableEncoding.columns index). */
export function missingPerColumn(table: EncodedRows): number[] {
  const layout = layoutOf(table);
  const counts = new Array<number>(table.encoding.columns.length).fill(0);
  for (let row = 0; row < layout.rows; row++) {
    // One count per cell, however many spans the column has.
    const seen = new Set<number>();
    for (const span of layout.spans) {
      if (!seen.has(span.column) && !observed(table, layout, row, span)) counts[span.column]++;
      seen.add(span.column);
    }
  }
  return counts;
}
