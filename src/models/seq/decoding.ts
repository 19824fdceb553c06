// Beam search over a decoder's next-token log-probabilities (issue 18): batched over rows, with finished
// hypotheses kept aside and an optional GNMT length penalty. Pure bookkeeping around a `next` function, so the
// same search serves seq-ae and seq-vae (decoding a code) and lm (from <bos> alone), and tests can feed it a table.
import { tf } from '../../engine/tf.js';
import { UsageError } from '../../errors.js';
import { BOS, EOS, PAD } from './networks.js';

/**
 * Log-probabilities of the token at position `t` for `rows` rows of decoder input ids [rows, maxLength] (<bos>,
 * then the tokens chosen so far, then anything): [rows, vocabulary], in nats, over the whole vocabulary.
 */
export type NextLogProbs = (input: Float32Array, rows: number, t: number) => tf.Tensor2D;

export interface BeamOptions {
  /** Hypotheses kept per row. */
  width: number;
  /** GNMT's α (Wu et al. 2016): finished hypotheses are ranked by log p / ((5 + length) / 6)^α; 0: by log p. */
  lengthPenalty: number;
  maxLength: number;
}

/** GNMT's length normaliser ((5 + length) / 6)^α, length counting <eos>: 1 for a one-token sentence or α = 0. */
export function lengthNormaliser(length: number, alpha: number): number {
  return ((5 + length) / 6) ** alpha;
}

/** A beam width (an integer ≥ 1) and α (≥ 0), or a UsageError naming `field`. */
export function checkBeam(options: Pick<BeamOptions, 'width' | 'lengthPenalty'>, field = 'decoding'): void {
  if (!Number.isInteger(options.width) || options.width < 1)
    throw new UsageError(`expected a beam width of at least 1, got ${options.width}`, {
      path: `${field}.beam`,
    });
  if (!(options.lengthPenalty >= 0))
    throw new UsageError(`expected a length penalty α ≥ 0, got ${options.lengthPenalty}`, {
      path: `${field}.lengthPenalty`,
    });
}

/**
 * Beam search for n rows at once: `next` runs on n · width rows (row i's hypotheses at i · width + b). Each step
 * ranks every live hypothesis' extensions by summed log-probability; <pad> and <bos> are never chosen. As in
 * fairseq, the extensions among a row's `width` best that say <eos> are finished and kept aside, and the `width`
 * best others stay live, so width 1 is greedy decoding. A row stops once no live hypothesis can beat its best
 * finished one (log p only falls as tokens are added, and the normaliser only grows); a hypothesis that reaches
 * maxLength without <eos> is finished as it is, like a greedy row. Returns the best finished hypothesis of each
 * row as ids [n, maxLength] (float32): tokens, <eos>, then <pad>.
 */
export function beamSearch(next: NextLogProbs, n: number, options: BeamOptions): Float32Array {
  checkBeam(options);
  const { width, lengthPenalty, maxLength: length } = options;
  const rows = n * width;
  // Per hypothesis: the decoder's input (<bos>, then its tokens) and its summed log-probability.
  let input = new Float32Array(rows * length);
  for (let r = 0; r < rows; r++) input[r * length] = BOS;
  let scores = new Float64Array(rows).fill(Number.NEGATIVE_INFINITY);
  for (let i = 0; i < n; i++) scores[i * width] = 0; // one live hypothesis per row to begin with
  const best = Array.from({ length: n }, () => ({
    score: Number.NEGATIVE_INFINITY,
    ids: new Float32Array(length),
  }));
  const done = new Array<boolean>(n).fill(false);
  // A live hypothesis' bound: its log p, normalised as if it ran to maxLength (see above).
  const ceiling = lengthNormaliser(length, lengthPenalty);

  for (let t = 0; t < length && done.some((d) => !d); t++) {
    const previous = scores;
    const [values, indices, vocabulary] = tf.tidy(() => {
      const logProbs = next(input, rows, t);
      const v = logProbs.shape[1];
      const banned = new Float32Array(v);
      banned[PAD] = Number.NEGATIVE_INFINITY;
      banned[BOS] = Number.NEGATIVE_INFINITY;
      const totals = tf.add(
        tf.add(logProbs, tf.tensor1d(banned)),
        tf.tensor2d(Float32Array.from(previous), [rows, 1]),
      );
      // Among the 2 · width best extensions at most width say <eos> (one per hypothesis), leaving width others.
      const top = tf.topk(tf.reshape(totals, [n, width * v]), Math.min(2 * width, width * v));
      return [top.values.dataSync(), top.indices.dataSync(), v] as const;
    });
    const k = values.length / n;
    const nextInput = new Float32Array(rows * length);
    for (let r = 0; r < rows; r++) nextInput[r * length] = BOS; // slots left empty stay well-formed
    scores = new Float64Array(rows).fill(Number.NEGATIVE_INFINITY);
    for (let i = 0; i < n; i++) {
      if (done[i]) continue;
      let live = 0;
      for (let c = 0; c < k && live < width; c++) {
        const score = values[i * k + c];
        if (score === Number.NEGATIVE_INFINITY) break;
        const from = i * width + Math.floor(indices[i * k + c] / vocabulary);
        const token = indices[i * k + c] % vocabulary;
        if (token === EOS || t + 1 === length) {
          // Finished: an <eos> among the row's width best, or a hypothesis that reached maxLength.
          if (c >= width) continue;
          const normalised = score / lengthNormaliser(t + 1, lengthPenalty);
          if (normalised > best[i].score) {
            best[i].score = normalised;
            best[i].ids.fill(PAD);
            best[i].ids.set(input.subarray(from * length + 1, from * length + t + 1));
            best[i].ids[t] = token;
          }
          continue;
        }
        const to = i * width + live++;
        nextInput.set(input.subarray(from * length, from * length + t + 1), to * length);
        nextInput[to * length + t + 1] = token;
        scores[to] = score;
      }
      let bound = Number.NEGATIVE_INFINITY;
      for (let b = 0; b < width; b++) bound = Math.max(bound, scores[i * width + b] / ceiling);
      if (best[i].score >= bound) done[i] = true;
    }
    input = nextInput;
  }
  const out = new Float32Array(n * length);
  best.forEach((hypothesis, i) => {
    out.set(hypothesis.ids, i * length);
  });
  return out;
}
