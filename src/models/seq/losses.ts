// The sequence families' pieces of arithmetic, exported for tests: the teacher-forcing shift, word dropout,
// the masked per-token cross-entropy, the KL annealing schedule and the clean-up of a greedy decode.
import { softmaxCrossEntropy } from '../../engine/kernels/softmax-cross-entropy.js';
import { type Tensor, tf } from '../../engine/tf.js';
import type { SeqVaeConfig } from './config.js';
import { BOS, EOS, FIRST_TOKEN, PAD, UNK } from './networks.js';

/** The decoder's teacher-forcing input: x [n, T] shifted right one step, <bos> first (x's last id drops out). */
export function shiftRight(x: Tensor): Tensor {
  return tf.tidy(() => {
    const [n, length] = x.shape;
    const bos = tf.fill([n, 1], BOS, 'float32');
    return tf.concat([bos, tf.slice(tf.cast(x, 'float32'), [0, 0], [n, length - 1])], 1);
  });
}

/**
 * Word dropout (Bowman et al. 2016): each real token (id ≥ 4) of the decoder's input becomes <unk> with
 * probability `rate`, drawn with `seed`; <bos>, <eos> and <pad> stay. Applied to the input only: the targets are
 * x itself, untouched.
 */
export function wordDropout(input: Tensor, rate: number, seed: number): Tensor {
  if (rate <= 0) return tf.clone(input);
  return tf.tidy(() => {
    const drop = tf.logicalAnd(
      tf.less(tf.randomUniform(input.shape, 0, 1, 'float32', seed), rate),
      tf.greaterEqual(input, FIRST_TOKEN),
    );
    return tf.where(drop, tf.fill(input.shape, UNK, 'float32'), input);
  });
}

/** Per sentence: the summed cross-entropy of its non-pad targets (nats), its token count and correct argmaxes. */
export interface TokenNll {
  /** [n] Σ_t -log p(x_t | x_<t, ...) over positions with x_t ≠ <pad> (<eos> counts). */
  nll: Tensor;
  /** [n] non-pad positions. */
  tokens: Tensor;
  /** [n] non-pad positions where the logits' argmax is the target. */
  correct: Tensor;
}

/**
 * Masked cross-entropy of logits [n, T, V] against target ids x [n, T]; the mask is x ≠ <pad>. One fused
 * softmax cross-entropy (with the argmax) rather than logSoftmax times a one-hot: over a large vocabulary that
 * was most of a training step's elementwise work.
 */
export function tokenNll(logits: Tensor, x: Tensor): TokenNll {
  return tf.tidy(() => {
    const mask = tf.cast(tf.notEqual(x, PAD), 'float32');
    const { nll: perPosition, argMax } = softmaxCrossEntropy(logits, x);
    const hits = tf.cast(tf.equal(argMax, tf.cast(x, 'int32')), 'float32');
    return {
      nll: tf.sum(tf.mul(perPosition, mask), -1),
      tokens: tf.sum(mask, -1),
      correct: tf.sum(tf.mul(hits, mask), -1),
    };
  });
}

/**
 * KL weight at global training step `step` (0-based): linear beta · min(1, step / klAnnealSteps); logistic
 * (Bowman et al.) beta / (1 + exp(-k (step - klAnnealSteps / 2))) with k = 10 / klAnnealSteps, so about
 * 0.7% of beta at step 0, half at the midpoint and 99.3% at klAnnealSteps. `none`, or no step: beta.
 */
export function klAnnealWeight(
  config: Pick<SeqVaeConfig, 'beta' | 'klAnneal' | 'klAnnealSteps'>,
  step?: number,
): number {
  const { beta, klAnneal, klAnnealSteps } = config;
  if (step === undefined || klAnneal === 'none') return beta;
  if (klAnneal === 'linear') return beta * Math.min(1, Math.max(0, step) / klAnnealSteps);
  const k = 10 / klAnnealSteps;
  return beta / (1 + Math.exp(-k * (step - klAnnealSteps / 2)));
}

/** Free bits: Σ_d max(freeBits, batch-mean KL_d) (the batch-mean KL without a floor). */
export function klObjective(klPerDim: Tensor, freeBits: number): tf.Scalar {
  return tf.tidy(() => {
    const perDim = tf.mean(klPerDim, 0);
    return tf.sum(freeBits > 0 ? tf.maximum(perDim, freeBits) : perDim) as tf.Scalar;
  });
}

/** Rows of ids [n, T] with every id after a row's first <eos> set to <pad> (in place); returns `ids`. */
export function padAfterEos(ids: Float32Array, length: number): Float32Array {
  for (let row = 0; row * length < ids.length; row++) {
    let ended = false;
    for (let t = 0; t < length; t++) {
      const i = row * length + t;
      if (ended) ids[i] = PAD;
      else if (ids[i] === EOS) ended = true;
    }
  }
  return ids;
}
