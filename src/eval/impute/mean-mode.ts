// The simplest imputer: each number's observed mean, each category's most frequent observed level.
import {
  argmax,
  completeRows,
  type EncodedRows,
  type Imputer,
  type Layout,
  layoutOf,
  observed,
} from './imputer.js';

/** Per position: the observed mean of value spans, observed level counts of choice spans (one row's worth). */
export function meanModeRow(table: EncodedRows, layout: Layout): Float32Array {
  const row = new Float32Array(layout.width);
  for (const span of layout.spans) {
    let count = 0;
    for (let r = 0; r < layout.rows; r++) {
      if (!observed(table, layout, r, span)) continue;
      const at = r * layout.width + span.start;
      if (span.kind === 'value') row[span.start] += table.x[at];
      else row[span.start + argmax(table.x, at, span.width)]++;
      count++;
    }
    if (span.kind === 'value') {
      row[span.start] = count > 0 ? row[span.start] / count : 0;
    } else if (count === 0) {
      // A column missing everywhere: its most frequent level in the data the encoding was fitted on.
      const column = table.encoding.columns[span.column];
      if ('counts' in column && column.counts.length === span.width)
        for (let k = 0; k < span.width; k++) row[span.start + k] = column.counts[k];
    }
  }
  return row;
}

/** Each row filled from meanModeRow (ties between levels go to the first level). */
export function meanModeFill(table: EncodedRows, layout: Layout): Float32Array {
  const row = meanModeRow(table, layout);
  const fill = new Float32Array(layout.rows * layout.width);
  for (let r = 0; r < layout.rows; r++) fill.set(row, r * layout.width);
  return completeRows(table, layout, fill);
}

export const meanModeImputer: Imputer = {
  name: 'mean/mode',
  async impute(table) {
    return meanModeFill(table, layoutOf(table));
  },
};
