// The layout a table family trains on: the spans of the data's encoding (data/table), or, for flat numeric rows
// without one (a numeric CSV), one linear value span per position; and which column each position belongs to,
// so a whole cell (a category's one-hot group, a mode-specific number's two spans) is hidden or kept at once.
// Shared by table-ae, table-vae and gain.
import { type TableSpan, tableSpans } from '../../data/table/encoding.js';
import { type Tensor, tf } from '../../engine/tf.js';
import { ConfigError } from '../../errors.js';
import type { BuildContext } from '../family.js';
import { groupSpans, type SpanGroups } from './table-heads.js';

export interface TableLayout {
  readonly groups: SpanGroups;
  /** Encoded positions per row. */
  readonly width: number;
  /** Cells per row: the table's columns. */
  readonly columns: number;
  /** Per position, the column it belongs to. */
  readonly positionColumn: Int32Array;
  /** Per span, its first position (where a span's mask is read). */
  readonly spanStarts: Int32Array;
  /** Per position, the span it belongs to. */
  readonly positionSpan: Int32Array;
}

export function tableLayout(context: BuildContext, kind: string): TableLayout {
  let spans: TableSpan[];
  if (context.table) {
    spans = tableSpans(context.table);
  } else if (context.sampleShape.length === 1) {
    spans = Array.from({ length: context.sampleShape[0] }, (_, i) => ({
      column: i,
      kind: 'value' as const,
      start: i,
      width: 1,
    }));
  } else {
    throw new ConfigError(
      `${kind} models table rows, but the data has samples of shape [${context.sampleShape}]: use csv: data`,
      { path: 'model.kind' },
    );
  }
  const groups = groupSpans(spans);
  if (groups.width !== context.sampleShape.reduce((a, b) => a * b, 1)) {
    throw new ConfigError(
      `the table's encoding makes rows of ${groups.width} values, but the samples have shape [${context.sampleShape}]`,
      { path: 'model.kind' },
    );
  }
  const positionColumn = new Int32Array(groups.width);
  const positionSpan = new Int32Array(groups.width);
  spans.forEach((span, index) => {
    positionColumn.fill(span.column, span.start, span.start + span.width);
    positionSpan.fill(index, span.start, span.start + span.width);
  });
  const columns = spans.reduce((most, span) => Math.max(most, span.column + 1), 0);
  return {
    groups,
    width: groups.width,
    columns,
    positionColumn,
    spanStarts: Int32Array.from(spans, (span) => span.start),
    positionSpan,
  };
}

/**
 * Whole cells of observed data hidden at random, seeded: [n, width], 1 where a cell observed in `mask` is hidden
 * this step (each column of each row with probability `rate`, all its positions together).
 */
export function hideCells(layout: TableLayout, mask: Tensor, rate: number, seed: number): Tensor {
  return tf.tidy(() => {
    const n = mask.shape[0];
    if (rate <= 0) return tf.zerosLike(mask);
    const perColumn = tf.cast(
      tf.less(tf.randomUniform([n, layout.columns], 0, 1, 'float32', seed), rate),
      'float32',
    );
    return tf.mul(tf.gather(perColumn, layout.positionColumn, 1), mask);
  });
}

/** Per-row mask [n, spans] from a position mask [n, width]: each span's mask, read at its first position. */
export function spanMask(layout: TableLayout, mask: Tensor): Tensor {
  return tf.gather(mask, layout.spanStarts, 1);
}
