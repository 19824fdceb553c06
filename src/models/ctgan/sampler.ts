// CTGAN's conditional vector and training-by-sampling (Xu et al. 2019, SDV's DataSampler): over the discrete
// columns (categories; a number's modes are not conditioned on, as in SDV), pick a column uniformly, a level by
// log frequency, and a real row holding that level; at sampling time, levels by their plain frequency.
import type { TableEncoding, TableSpan } from '../../data/table/encoding.js';
import { UsageError } from '../../errors.js';

export interface DiscreteColumn {
  /** Index into TableEncoding.columns, its name, and its one-hot span in the encoded row. */
  column: number;
  name: string;
  span: TableSpan;
  levels: readonly string[];
  /** Where its levels sit in the conditional vector. */
  condStart: number;
}

/** The categorical columns' choice spans, in row order, with their places in the conditional vector. */
export function discreteColumns(encoding: TableEncoding, spans: readonly TableSpan[]): DiscreteColumn[] {
  const out: DiscreteColumn[] = [];
  let condStart = 0;
  for (const span of spans) {
    const column = encoding.columns[span.column];
    if (span.kind !== 'choice' || !('levels' in column)) continue;
    out.push({ column: span.column, name: column.name, span, levels: column.levels, condStart });
    condStart += span.width;
  }
  return out;
}

/** A draw of conditions for n rows: the one-hot conditional vector, which column each row conditions on. */
export interface Conditions {
  /** [n, condWidth] row-major. */
  cond: Float32Array;
  /** [n, discrete columns] row-major: 1 at the conditioned column (which span the generator's CE reads). */
  chosen: Float32Array;
  columns: Int32Array;
  levels: Int32Array;
}

/** Index drawn from unnormalised weights. */
function draw(weights: Float64Array, total: number, random: () => number): number {
  let u = random() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u < 0) return i;
  }
  // Rounding can leave u at 0 past the last weight: the last level with any weight.
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
  return 0;
}

export class ConditionalSampler {
  readonly condWidth: number;
  /** Rows of `x`. */
  readonly rows: number;
  /** Per discrete column, per level, the rows holding it. */
  private readonly rowsByLevel: Int32Array[][];
  private readonly trainWeights: Float64Array[];
  private readonly trainTotals: number[];

  /**
   * `x` [rows, width] encoded rows (and `mask`, 1 observed) whose rows are drawn; a row with the column missing
   * is never drawn for it. Level weights: log(count + 1) with `logFrequency` (SDV), else the count.
   */
  constructor(
    readonly columns: readonly DiscreteColumn[],
    x: Float32Array,
    mask: Float32Array | undefined,
    readonly width: number,
    logFrequency: boolean,
  ) {
    this.condWidth = columns.reduce((sum, c) => sum + c.span.width, 0);
    const rows = x.length / width;
    this.rows = rows;
    this.rowsByLevel = columns.map(({ span }) => {
      const lists: number[][] = Array.from({ length: span.width }, () => []);
      for (let r = 0; r < rows; r++) {
        const at = r * width + span.start;
        if (mask && mask[at] === 0) continue;
        let best = 0;
        for (let k = 1; k < span.width; k++) if (x[at + k] > x[at + best]) best = k;
        if (x[at + best] > 0) lists[best].push(r);
      }
      return lists.map((list) => Int32Array.from(list));
    });
    this.trainWeights = this.rowsByLevel.map((levels) =>
      Float64Array.from(levels, (list) => (logFrequency ? Math.log(list.length + 1) : list.length)),
    );
    // A level with no row gets no weight even under log frequency (log(0 + 1) = 0 already).
    this.trainTotals = this.trainWeights.map((w) => w.reduce((a, b) => a + b, 0));
  }

  /**
   * Training conditions for n rows: a column uniformly (among those with a row to draw), a level by (log)
   * frequency among the rows held. Without such a column (no categories, or all missing) no row is conditioned:
   * column -1, an all-zero vector.
   */
  trainingConditions(n: number, random: () => number): Conditions {
    const drawable = this.trainTotals.flatMap((total, c) => (total > 0 ? [c] : []));
    const columns = Int32Array.from({ length: n }, () =>
      drawable.length > 0 ? drawable[Math.floor(random() * drawable.length)] : -1,
    );
    const levels = Int32Array.from(columns, (c) =>
      c < 0 ? -1 : draw(this.trainWeights[c], this.trainTotals[c], random),
    );
    return this.conditionsOf(columns, levels);
  }

  /** Rows (indices into `x`) holding each condition's level, drawn uniformly among them (any row for -1). */
  rowsFor(conditions: Conditions, random: () => number): Int32Array {
    return Int32Array.from(conditions.columns, (c, i) => {
      const list = c < 0 ? undefined : this.rowsByLevel[c][conditions.levels[i]];
      return list ? list[Math.floor(random() * list.length)] : Math.floor(random() * this.rows);
    });
  }

  /** The one-hot vectors of given (column, level) pairs. */
  conditionsOf(columns: Int32Array, levels: Int32Array): Conditions {
    const n = columns.length;
    const cond = new Float32Array(n * this.condWidth);
    const chosen = new Float32Array(n * this.columns.length);
    for (let i = 0; i < n; i++) {
      if (columns[i] < 0) continue;
      cond[i * this.condWidth + this.columns[columns[i]].condStart + levels[i]] = 1;
      chosen[i * this.columns.length + columns[i]] = 1;
    }
    return { cond, chosen, columns, levels };
  }
}

/**
 * Conditions for sampling (SDV's sample_original_condvec): a column uniformly, a level by its training count
 * (the encoding's `counts`), so generated rows follow the real level frequencies.
 */
export function samplingConditions(
  columns: readonly DiscreteColumn[],
  encoding: TableEncoding,
  n: number,
  random: () => number,
  sampler: Pick<ConditionalSampler, 'conditionsOf'>,
): Conditions {
  const weights = columns.map((c) => {
    const column = encoding.columns[c.column];
    const counts = 'counts' in column && column.counts.length === c.levels.length ? column.counts : [];
    // An encoding without counts: levels uniformly.
    return Float64Array.from(c.levels, (_, k) => (counts.length > 0 ? counts[k] : 1));
  });
  const totals = weights.map((w) => w.reduce((a, b) => a + b, 0));
  const picked = Int32Array.from({ length: n }, () =>
    columns.length > 0 ? Math.floor(random() * columns.length) : -1,
  );
  const levels = Int32Array.from(picked, (c) =>
    c < 0
      ? -1
      : totals[c] > 0
        ? draw(weights[c], totals[c], random)
        : Math.floor(random() * columns[c].levels.length),
  );
  return sampler.conditionsOf(picked, levels);
}

/** (column, level) of a named condition, or an error naming the columns or levels there are. */
export function conditionOf(
  columns: readonly DiscreteColumn[],
  condition: { column: string; level: string },
): { column: number; level: number } {
  const column = columns.findIndex((c) => c.name === condition.column);
  if (column < 0)
    throw new UsageError(
      `no categorical column "${condition.column}" to condition on: expected one of ${columns.map((c) => c.name).join(', ') || '(none)'}`,
      { path: 'condition.column' },
    );
  const level = columns[column].levels.indexOf(condition.level);
  if (level < 0)
    throw new UsageError(
      `"${condition.column}" has no level "${condition.level}": its levels are ${columns[column].levels.join(', ')}`,
      { path: 'condition.level' },
    );
  return { column, level };
}
