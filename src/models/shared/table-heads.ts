// The output side of every table model: a network emits one raw number per encoded position, and the spans of
// the table's encoding (data/table/encoding.ts) say what each group means. Values are numbers (linear, or tanh
// for a mode-specific alpha in [-1, 1]); choices are one-hot groups (softmax). Losses are per span, so a
// category costs one cross-entropy however many levels it has, and missing cells (mask 0) cost nothing.
// Callers run these inside tf.tidy.
import { type TableEncoding, type TableSpan, tableSpans } from '../../data/table/encoding.js';
import { type Tensor, tf } from '../../engine/tf.js';
import { ConfigError } from '../../errors.js';

/** The spans, grouped once per model: value positions (bounded or not) and the choice groups. */
export interface SpanGroups {
  readonly spans: readonly TableSpan[];
  readonly width: number;
  /** Positions of value spans whose output is linear, and of those that are tanh-bounded. */
  readonly linear: Int32Array;
  readonly bounded: Int32Array;
  readonly choices: readonly TableSpan[];
}

export function groupSpans(spans: readonly TableSpan[]): SpanGroups {
  const linear: number[] = [];
  const bounded: number[] = [];
  for (const span of spans) if (span.kind === 'value') (span.bounded ? bounded : linear).push(span.start);
  const last = spans[spans.length - 1];
  return {
    spans,
    width: last ? last.start + last.width : 0,
    linear: Int32Array.from(linear),
    bounded: Int32Array.from(bounded),
    choices: spans.filter((span) => span.kind === 'choice'),
  };
}

/**
 * Raw outputs [n, width] → the encoded row [n, width]: linear values as they are, bounded values through tanh,
 * each choice group through softmax (probabilities; argmax is the decoded level).
 */
export function activateSpans(raw: Tensor, groups: SpanGroups): Tensor {
  const parts = groups.spans.map((span) => {
    const piece = tf.slice(raw, [0, span.start], [-1, span.width]);
    if (span.kind === 'choice') return tf.softmax(piece);
    return span.bounded ? tf.tanh(piece) : piece;
  });
  return parts.length === 1 ? parts[0] : tf.concat(parts, 1);
}

export interface SpanLossOptions {
  /**
   * Value spans: `mse` (squared error), or `gaussian` with a learned log standard deviation per position
   * ([width] tensor, TVAE's decoder): 0.5 (x - mu)^2 / sigma^2 + log sigma.
   */
  logSigma?: Tensor;
}

/**
 * Per-row reconstruction loss [n]: the sum over spans of squared error (values, on the activated output) and
 * cross-entropy (choices, on the raw logits), each span counted only where the row's cell is observed
 * (`mask` [n, width], 1 observed; absent: all observed). A choice span's mask is read at its first position.
 */
export function spanLoss(
  raw: Tensor,
  target: Tensor,
  groups: SpanGroups,
  mask?: Tensor,
  options: SpanLossOptions = {},
): Tensor {
  const terms: Tensor[] = [];
  const maskAt = (start: number, width: number) => mask && tf.slice(mask, [0, start], [-1, width]);
  for (const span of groups.spans) {
    const out = tf.slice(raw, [0, span.start], [-1, span.width]);
    const truth = tf.slice(target, [0, span.start], [-1, span.width]);
    let term: Tensor;
    if (span.kind === 'choice') {
      // -sum(t log softmax(out)) over the group: one cross-entropy per category column.
      term = tf.neg(tf.sum(tf.mul(truth, tf.logSoftmax(out)), 1));
    } else {
      const value = span.bounded ? tf.tanh(out) : out;
      const squared = tf.squaredDifference(value, truth);
      if (options.logSigma) {
        const logSigma = tf.slice(options.logSigma, [span.start], [1]);
        term = tf.reshape(tf.add(tf.mul(0.5, tf.div(squared, tf.exp(tf.mul(2, logSigma)))), logSigma), [-1]);
      } else {
        term = tf.reshape(squared, [-1]);
      }
    }
    const observed = maskAt(span.start, 1);
    terms.push(observed ? tf.mul(term, tf.reshape(observed, [-1])) : term);
  }
  return terms.length === 1 ? terms[0] : tf.addN(terms);
}

/** Observed spans per row [n] (at least 1, so a mean over them never divides by 0). */
export function observedSpans(groups: SpanGroups, mask: Tensor | undefined, rows: number): Tensor {
  if (!mask) return tf.fill([rows], groups.spans.length);
  const starts = Int32Array.from(groups.spans, (span) => span.start);
  return tf.maximum(tf.sum(tf.gather(mask, starts, 1), 1), 1);
}

/**
 * A table model that draws its own encoded rows (TVAE adds its learned value noise, CTGAN draws its conditional
 * vector): `sample` reads it through this instead of generate(samplePrior()).
 */
export interface TableSampler {
  /**
   * Encoded rows [n, width]: values as numbers, choice groups as probabilities or one-hot. `condition` asks every
   * row for one level of a categorical column; a model that cannot condition refuses it.
   */
  sampleRows(n: number, seed: number, condition?: RowCondition): Tensor;
}

/** One level of one categorical column, by name (CTGAN's condition_column / condition_value). */
export interface RowCondition {
  column: string;
  level: string;
}

export function isTableSampler(model: object): model is TableSampler {
  return typeof (model as Partial<TableSampler>).sampleRows === 'function';
}

/**
 * weightDecay / 2 · Σ w² over the variables: torch's Adam `weight_decay` (a gradient term weightDecay · w), the
 * regulariser SDV's table families train with; tfjs' Adam has no such option.
 */
export function weightDecayPenalty(variables: readonly Tensor[], weightDecay: number): Tensor {
  return tf.mul(weightDecay / 2, tf.addN(variables.map((v) => tf.sum(tf.square(v)))));
}

/** The table encoding a table family is built for, or an error saying which data it needs. */
export function requireTable(
  context: { table?: TableEncoding; sampleShape: readonly number[] },
  kind: string,
) {
  if (!context.table)
    throw new ConfigError(
      `${kind} models tables of mixed types and needs their column encodings: read the data with --data csv:FILE (this data has none)`,
      { path: 'model.kind' },
    );
  const groups = groupSpans(tableSpans(context.table));
  if (context.sampleShape.length !== 1 || context.sampleShape[0] !== groups.width)
    throw new ConfigError(
      `${kind}: the table's encoding is ${groups.width} wide, but the samples are [${context.sampleShape.join(', ')}]`,
      { path: 'data' },
    );
  return { encoding: context.table, groups };
}
