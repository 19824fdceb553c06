// Sequence models on token ids (issue 18; Bowman et al. 2016): seq-ae (an encoder to a code, a decoder
// conditioned on it, teacher forcing), seq-vae (the same with a Gaussian code: ELBO with KL annealing, free
// bits, word dropout, optionally conditional on a class) and lm (the decoder alone, a language model).
// The networks are RNNs (GRU/LSTM) or causal transformers (networks.ts); the decoding here works on either.
// Losses are cross-entropies over the non-pad positions of x (the <eos> counts), in nats.
import type { z } from 'zod';
import { type Tensor, tf, type tfl } from '../../engine/tf.js';
import { UsageError } from '../../errors.js';
import type {
  Autoencoder,
  Batch,
  BuildContext,
  GenerativeModel,
  LikelihoodModel,
  LossRecord,
  ModelFamily,
  NetworkRole,
  TrainableModel,
} from '../family.js';
import { gaussianKl } from '../shared/gaussian-code.js';
import { oneHot } from '../shared/labels.js';
import { evaluationStep, slotSeed } from '../shared/seeds.js';
import { minimize, trainableVariables } from '../shared/step.js';
import { type AnySeqConfig, LanguageModelConfig, SeqAutoencoderConfig, SeqVaeConfig } from './config.js';
import { beamSearch } from './decoding.js';
import { klAnnealWeight, klObjective, padAfterEos, shiftRight, tokenNll, wordDropout } from './losses.js';
import { BOS, buildNetworks, classCount, PAD, type SeqNetworks, textShape } from './networks.js';

export * from './config.js';
export { beamSearch, lengthNormaliser, type NextLogProbs } from './decoding.js';
export { klAnnealWeight, padAfterEos, shiftRight, tokenNll, wordDropout } from './losses.js';
export { BOS, EOS, FIRST_TOKEN, PAD, UNK } from './networks.js';

/** Logits the beam search asks the decoder for at once (2^26 floats, 256 MB), rows × maxLength × vocabulary. */
const DECODER_VALUES = 2 ** 26;

const TOKENS_INPUT = 'token ids [n, maxLength] as float32: tokens, <eos> (3), then <pad> (0)';
const SHIFTED_INPUT =
  'teacher-forcing ids [n, maxLength]: <bos> (2), then the sentence shifted right one step';
const LOGITS_OUTPUT = 'next-token logits [n, maxLength, vocabulary] (softmax over the last axis)';

/**
 * How decoding picks each token: `temperature` 0 takes the most likely one (greedy); above 0 it draws from the
 * softmax of logits / temperature, among the `topK` most likely (0: all), seeded by `seed` and the position.
 * `beam` above 1 searches instead for the most likely sentence with that many hypotheses per row (0 or 1: off),
 * ranking finished ones by log p / ((5 + length) / 6)^lengthPenalty (GNMT; 0, the default, ranks by log p).
 */
export interface TokenChoice {
  temperature: number;
  topK: number;
  seed: number;
  beam: number;
  lengthPenalty: number;
}

/** Greedy: the most likely token at each step. */
export const GREEDY: Readonly<TokenChoice> = { temperature: 0, topK: 0, seed: 0, beam: 0, lengthPenalty: 0 };

/** Whether a model decodes token by token and can be told how to choose (the sequence families). */
export function choosesTokens(model: object): model is { decoding: TokenChoice } {
  return typeof (model as { decoding?: unknown }).decoding === 'object';
}

/** Whether a model writes sentences of its own from <bos> (a language model: no code to decode). */
export function writesSentences(model: object): model is { writeSentences(n: number): Tensor } {
  return typeof (model as { writeSentences?: unknown }).writeSentences === 'function';
}

/** Whether a model gives each sentence's log-probability, Σ_t log p(x_t | x_<t, z): the sequence families. */
export function scoresSentences(
  model: object,
): model is { logProbability(x: Tensor, z?: Tensor, labels?: Tensor): Tensor } {
  return typeof (model as { logProbability?: unknown }).logProbability === 'function';
}

/** What every sequence model shares: the decoder, its teacher-forced loss, token-by-token decoding. */
abstract class SeqBase<C extends AnySeqConfig> implements TrainableModel<C> {
  readonly kind: string;
  /** How decode(), generate() and reconstruct() choose tokens; greedy unless a caller says otherwise. */
  decoding: TokenChoice = { ...GREEDY };
  readonly optimizerNames = ['seq'] as const;
  abstract readonly networks: Record<string, tfl.LayersModel> & { decoder: tfl.LayersModel };
  readonly conditional: boolean;
  protected readonly maxLength: number;
  protected readonly numClasses: number;

  constructor(
    readonly config: C,
    readonly context: BuildContext,
  ) {
    this.kind = config.kind;
    this.maxLength = textShape(config.kind, context).maxLength;
    this.numClasses = classCount(config, context);
    this.conditional = this.numClasses > 0;
  }

  protected requireLabels(labels: Tensor | undefined, what: string): void {
    if (this.conditional && !labels) {
      throw new UsageError(`${this.kind} is conditional: ${what} needs class labels (int32 [n])`, {
        path: 'labels',
      });
    }
  }

  /** One-hot labels for a conditional model (undefined otherwise); call inside a tidy. */
  protected labelInput(labels: Tensor | undefined, what: string): Tensor | undefined {
    this.requireLabels(labels, what);
    return this.conditional ? oneHot(labels!, this.numClasses) : undefined;
  }

  /** The decoder's input for teacher forcing: x shifted right (<bos> first), word dropout in training. */
  protected decoderInput(x: Tensor, training: boolean, seed: number): Tensor {
    const shifted = shiftRight(x);
    if (!training || this.config.wordDropout <= 0) return shifted;
    const dropped = wordDropout(shifted, this.config.wordDropout, seed);
    shifted.dispose();
    return dropped;
  }

  /** Logits [n, T, V] for decoder input ids and, for the latent models, a code (and one-hot class). */
  protected logits(input: Tensor, z: Tensor | undefined, y: Tensor | undefined, training: boolean): Tensor {
    const inputs = z ? [input, z, ...(y ? [y] : [])] : input;
    return this.networks.decoder.apply(inputs, { training }) as Tensor;
  }

  /**
   * Sum of log p(x_t | x_<t, z) over each row's non-pad positions (<eos> included), in nats: [n]. The score
   * decoding maximises; `z` (and a conditional model's labels) is the code for seq-ae and seq-vae, none for lm.
   */
  logProbability(x: Tensor, z?: Tensor, labels?: Tensor): Tensor {
    const hasCode = 'encoder' in this.networks;
    if (hasCode !== (z !== undefined))
      throw new UsageError(
        hasCode
          ? `${this.kind} scores a sentence given its code z`
          : `${this.kind} has no code to score with`,
        { path: 'z' },
      );
    return tf.tidy(() => {
      const y = this.labelInput(labels, 'logProbability');
      return tf.neg(tokenNll(this.logits(shiftRight(x), z, y, false), x).nll);
    });
  }

  /** Ids [n, maxLength] for n codes z (lm: none) as `decoding` says: greedy, drawn, or a beam search. */
  protected decodeTokens(z: Tensor | undefined, y: Tensor | undefined, n: number): Tensor {
    const { beam, temperature, lengthPenalty } = this.decoding;
    if (beam <= 1) return this.greedy(z, y, n);
    if (temperature > 0)
      throw new UsageError(
        `a beam search looks for the most likely sentence and draws nothing: it takes no temperature (got ${temperature})`,
        { path: 'decoding.beam' },
      );
    // Without a code every row would search alike (lm): search once and repeat it.
    const searched = z ? n : 1;
    // Row i's hypotheses are rows i · beam + b of the decoder's batch: each code repeated beam times.
    const [tiledZ, tiledY] = tf.tidy(() => {
      const rows = tf.tensor1d(
        Int32Array.from({ length: searched * beam }, (_, r) => Math.floor(r / beam)),
        'int32',
      );
      return [z && tf.gather(z, rows), y && tf.gather(y, rows)];
    });
    const length = this.maxLength;
    // The decoder gives logits at every position: chunks of rows keep beam × vocabulary within memory.
    const chunk = Math.max(1, Math.floor(DECODER_VALUES / (length * (this.context.vocabularySize ?? 1))));
    try {
      const ids = beamSearch(
        (input, rows, t) => {
          const parts: Tensor[] = [];
          for (let start = 0; start < rows; start += chunk) {
            const size = Math.min(chunk, rows - start);
            const part = (code: Tensor | undefined) => code && tf.slice(code, [start, 0], [size, -1]);
            const x = tf.tensor2d(input.subarray(start * length, (start + size) * length), [size, length]);
            const logits = this.logits(x, part(tiledZ), part(tiledY), false);
            const vocabulary = logits.shape[2]!;
            parts.push(tf.reshape(tf.slice(logits, [0, t, 0], [size, 1, vocabulary]), [size, vocabulary]));
          }
          return tf.logSoftmax(parts.length === 1 ? parts[0] : tf.concat(parts, 0)) as tf.Tensor2D;
        },
        searched,
        { width: beam, lengthPenalty, maxLength: length },
      );
      const out = new Float32Array(n * length);
      for (let row = 0; row < n; row++)
        out.set(ids.subarray((row % searched) * length, ((row % searched) + 1) * length), row * length);
      return tf.tensor2d(out, [n, length]);
    } finally {
      tf.dispose([tiledZ, tiledY].filter((t): t is Tensor => t !== undefined));
    }
  }

  /**
   * Decoding: from <bos>, each step feeds the token chosen so far back in (the argmax, or a draw as `decoding`
   * says), until every row has said <eos> or maxLength is reached; <pad> and <bos> are never chosen, and ids
   * after a row's <eos> are <pad>. The decoder
   * runs over the whole buffer each step (the decoder is causal, RNN or masked attention, so position t sees only ids ≤ t): O(T²) work,
   * but the saved network stays a plain stateless model. Returns ids [n, maxLength] as float32.
   */
  protected greedy(z: Tensor | undefined, y: Tensor | undefined, n: number): Tensor {
    const length = this.maxLength;
    const input = new Float32Array(n * length);
    const out = new Float32Array(n * length);
    for (let row = 0; row < n; row++) input[row * length] = BOS;
    const done = new Array<boolean>(n).fill(false);
    for (let t = 0; t < length && done.some((d) => !d); t++) {
      const next = tf.tidy(() => {
        const logits = this.logits(tf.tensor2d(input, [n, length]), z, y, false);
        const vocabulary = logits.shape[2]!;
        const step = tf.reshape(tf.slice(logits, [0, t, 0], [n, 1, vocabulary]), [n, vocabulary]);
        const banned = new Float32Array(vocabulary);
        banned[PAD] = -1e9;
        banned[BOS] = -1e9;
        const allowed = tf.add(step, tf.tensor1d(banned)) as tf.Tensor2D;
        const { temperature, topK, seed } = this.decoding;
        if (temperature <= 0) return tf.argMax(allowed, -1);
        let scaled = tf.div(allowed, temperature) as tf.Tensor2D;
        if (topK > 0 && topK < vocabulary) {
          // Everything below the k-th largest logit of its row is ruled out.
          const kth = tf.slice(tf.topk(scaled, topK).values, [0, topK - 1], [n, 1]);
          scaled = tf.where(tf.less(scaled, kth), tf.fill(scaled.shape, -1e9), scaled) as tf.Tensor2D;
        }
        return tf.reshape(tf.multinomial(scaled, 1, seed * 1009 + t), [n]);
      });
      const ids = next.dataSync();
      next.dispose();
      for (let row = 0; row < n; row++) {
        if (done[row]) continue;
        out[row * length + t] = ids[row];
        if (t + 1 < length) input[row * length + t + 1] = ids[row];
        if (ids[row] === 3) done[row] = true;
      }
    }
    return tf.tensor2d(padAfterEos(out, length), [n, length]);
  }

  /** The losses of a batch; `training` applies word dropout and the annealed KL weight. */
  protected abstract losses(batch: Batch, training: boolean): LossRecord;

  abstract networkRoles(): Record<string, NetworkRole>;

  trainStep(batch: Batch, optimizers: Record<string, tf.Optimizer>): LossRecord {
    // Checked before minimize: a throw inside its tape leaves tensors behind.
    this.requireLabels(batch.labels, 'training');
    return minimize(
      optimizers[this.optimizerNames[0]],
      trainableVariables(...Object.values(this.networks)),
      () => this.losses(batch, true),
      'loss',
    );
  }

  evaluate(batch: Batch): LossRecord {
    return tf.tidy(() => this.losses(batch, false));
  }

  /** Text has no image grid. */
  preview(): undefined {
    return undefined;
  }

  dispose(): void {
    for (const network of Object.values(this.networks)) network.dispose();
  }
}

/** Seeds of a step's two draws: word dropout (slot 0) and the VAE's ε (slot 1); evaluation's are apart. */
function drawSeed(seed: number, batch: Batch, training: boolean, slot: number): number {
  return slotSeed(seed, training ? batch.step : evaluationStep(batch.step), slot);
}

/** Per-token and per-sentence means of a batch's summed NLL. */
function nllStats(nll: TokenNll) {
  const total = tf.sum(nll.tokens);
  return {
    nll: tf.mean(nll.nll) as tf.Scalar,
    nllPerToken: tf.div(tf.sum(nll.nll), total) as tf.Scalar,
    accuracy: tf.div(tf.sum(nll.correct), total) as tf.Scalar,
  };
}
type TokenNll = ReturnType<typeof tokenNll>;

// --- lm ---

/**
 * A language model (RNN or causal transformer): p(x) = Π_t p(x_t | x_<t). `loss` is the NLL per sentence (summed
 * over its tokens, averaged over the batch): the seq-vae's scale, so the families `compare` sets side by side
 * train on one objective (Bowman et al. sum over tokens too).
 */
export class LanguageModel extends SeqBase<LanguageModelConfig> {
  readonly networks: { decoder: tfl.LayersModel };

  constructor(config: LanguageModelConfig, context: BuildContext, decoder: tfl.LayersModel) {
    super(config, context);
    this.networks = { decoder };
  }

  networkRoles(): Record<string, NetworkRole> {
    return {
      decoder: {
        summary: 'the language model: the distribution of each next token given the ones before it',
        inputs: [SHIFTED_INPUT],
        outputs: [LOGITS_OUTPUT],
      },
    };
  }

  protected losses(batch: Batch, training: boolean): LossRecord {
    const input = this.decoderInput(batch.x, training, drawSeed(this.context.seed, batch, training, 0));
    const stats = nllStats(tokenNll(this.logits(input, undefined, undefined, training), batch.x));
    return { loss: stats.nll.clone(), ...stats };
  }

  /** Sentences from <bos> on, each token chosen as `decoding` says (greedy by default): ids [n, maxLength]. */
  writeSentences(n: number): Tensor {
    return this.decodeTokens(undefined, undefined, n);
  }
}

// --- seq-ae ---

/** A deterministic sequence autoencoder: `loss` is the NLL per sentence of the teacher-forced reconstruction (as lm's). */
export class SeqAutoencoderModel<C extends SeqAutoencoderConfig | SeqVaeConfig = SeqAutoencoderConfig>
  extends SeqBase<C>
  implements Autoencoder<C>
{
  readonly networks: { encoder: tfl.LayersModel; decoder: tfl.LayersModel };

  constructor(config: C, context: BuildContext, encoder: tfl.LayersModel, decoder: tfl.LayersModel) {
    super(config, context);
    this.networks = { encoder, decoder };
  }

  get latentSize(): number {
    return this.config.latent;
  }

  networkRoles(): Record<string, NetworkRole> {
    return {
      encoder: {
        summary:
          "reads a sentence into its code (the RNN's last state, or the transformer's mean over tokens, projected)",
        inputs: [TOKENS_INPUT],
        outputs: ['the code [n, latent]'],
      },
      decoder: {
        summary: 'teacher-forced decoder: next-token logits given the ids so far and the code',
        inputs: [SHIFTED_INPUT, 'a code z [n, latent]'],
        outputs: [LOGITS_OUTPUT],
      },
    };
  }

  /** The code the decoder gets (a VAE: the mean, or a draw). Call inside a tidy. */
  protected code(x: Tensor, _y: Tensor | undefined, training: boolean): Tensor {
    return this.networks.encoder.apply(x, { training }) as Tensor;
  }

  protected losses(batch: Batch, training: boolean): LossRecord {
    const z = this.code(batch.x, undefined, training);
    const input = this.decoderInput(batch.x, training, drawSeed(this.context.seed, batch, training, 0));
    const stats = nllStats(tokenNll(this.logits(input, z, undefined, training), batch.x));
    return { loss: stats.nll.clone(), ...stats };
  }

  /** [n, maxLength] → [n, latent] (a VAE: the mean of q(z|x)). */
  encode(x: Tensor, labels?: Tensor): Tensor {
    return tf.tidy(() => this.code(x, this.labelInput(labels, 'encode'), false));
  }

  /** Codes [n, latent] decoded as `decoding` says (greedy by default) into ids [n, maxLength] (<pad> after <eos>). */
  decode(z: Tensor, labels?: Tensor): Tensor {
    const y = tf.tidy(() => this.labelInput(labels, 'decode'));
    try {
      return this.decodeTokens(z, y, z.shape[0]);
    } finally {
      y?.dispose();
    }
  }

  reconstruct(x: Tensor, labels?: Tensor): Tensor {
    const z = this.encode(x, labels);
    try {
      return this.decode(z, labels);
    } finally {
      z.dispose();
    }
  }
}

// --- seq-vae ---

/**
 * A sequence VAE (Bowman et al. 2016): q(z|x) Gaussian from the encoder's last state, p(x|z) the teacher-forced
 * decoder. `loss` per sentence: NLL + klAnnealWeight(step) · KL (free bits applied); `negElbo` the true bound.
 */
export class SeqVaeModel
  extends SeqAutoencoderModel<SeqVaeConfig>
  implements GenerativeModel<SeqVaeConfig>, LikelihoodModel<SeqVaeConfig>
{
  readonly encodesToPrior = true;

  override networkRoles(): Record<string, NetworkRole> {
    const label = this.conditional ? ['the class, one-hot [n, classes]'] : [];
    return {
      encoder: {
        summary: 'the approximate posterior q(z|x) of a sentence: [mean, logVariance] heads',
        inputs: [TOKENS_INPUT, ...label],
        outputs: [
          'mean of q(z|x) [n, latent]: the code latentlab encodes to',
          'log-variance of q(z|x) [n, latent]: z = mean + exp(logVariance / 2) · ε',
        ],
      },
      decoder: {
        summary:
          'p(x|z), teacher-forced: next-token logits given the ids so far and z (a prior draw generates)',
        inputs: [SHIFTED_INPUT, 'a code z [n, latent]', ...label],
        outputs: [LOGITS_OUTPUT],
      },
    };
  }

  private posterior(x: Tensor, y: Tensor | undefined, training: boolean): [Tensor, Tensor] {
    return this.networks.encoder.apply(y ? [x, y] : x, { training }) as [Tensor, Tensor];
  }

  protected override code(x: Tensor, y: Tensor | undefined, training: boolean): Tensor {
    return this.posterior(x, y, training)[0];
  }

  /** Summed NLL [n] of x under z, and the KL per dimension [n, latent]. Call inside a tidy. */
  private terms(x: Tensor, y: Tensor | undefined, seed: number, training: boolean, dropoutSeed: number) {
    const [mean, logVar] = this.posterior(x, y, training);
    const eps = tf.randomNormal(mean.shape, 0, 1, 'float32', seed);
    const z = tf.add(mean, tf.mul(tf.exp(tf.mul(0.5, logVar)), eps));
    const input = this.decoderInput(x, training, dropoutSeed);
    return { nll: tokenNll(this.logits(input, z, y, training), x), klPerDim: gaussianKl(mean, logVar) };
  }

  protected override losses(batch: Batch, training: boolean): LossRecord {
    const seed = this.context.seed;
    const y = this.labelInput(batch.labels, training ? 'training' : 'evaluation');
    const { nll, klPerDim } = this.terms(
      batch.x,
      y,
      drawSeed(seed, batch, training, 1),
      training,
      drawSeed(seed, batch, training, 0),
    );
    const stats = nllStats(nll);
    const kl = tf.sum(tf.mean(klPerDim, 0)) as tf.Scalar;
    const weight = training ? klAnnealWeight(this.config, batch.step) : this.config.beta;
    const klTerm = this.config.freeBits > 0 ? klObjective(klPerDim, this.config.freeBits) : kl;
    const loss = tf.add(stats.nll, tf.mul(weight, klTerm)) as tf.Scalar;
    return { loss, ...stats, kl, negElbo: tf.add(stats.nll, kl) as tf.Scalar };
  }

  samplePrior(n: number, seed: number): Tensor {
    return tf.randomNormal([n, this.config.latent], 0, 1, 'float32', seed);
  }

  /** z decoded as `decoding` says (greedy by default: the decoder's most likely tokens, not a draw from p(x|z)). */
  generate(z: Tensor, labels?: Tensor): Tensor {
    return this.decode(z, labels);
  }

  /** Single-sample -ELBO per sentence in nats: [n]. */
  negativeElbo(x: Tensor, labels: Tensor | undefined, seed: number): Tensor {
    return tf.tidy(() => {
      const y = this.labelInput(labels, 'negativeElbo');
      const { nll, klPerDim } = this.terms(x, y, seed, false, 0);
      return tf.add(nll.nll, tf.sum(klPerDim, -1));
    });
  }

  /** IWAE bound on -log p(x) per sentence with k importance samples, in nats: [n]. */
  importanceWeightedBound(x: Tensor, labels: Tensor | undefined, k: number, seed: number): Tensor {
    if (!Number.isInteger(k) || k < 1) throw new UsageError(`k must be a positive integer, got ${k}`);
    return tf.tidy(() => {
      const y = this.labelInput(labels, 'importanceWeightedBound');
      const [mean, logVar] = this.posterior(x, y, false);
      const input = shiftRight(x);
      // One draw at a time, each in its own tidy: only its [n] log-weight outlives it, so memory holds one set
      // of logits ([n, maxLength, vocabulary]) rather than k of them (k = 100 over a 3,000-word vocabulary
      // was gigabytes, past the wasm heap).
      const logWeights = Array.from({ length: k }, (_, i) =>
        tf.tidy(() => {
          const eps = tf.randomNormal(mean.shape, 0, 1, 'float32', i === 0 ? seed : seed + i * 1_000_003);
          const z = tf.add(mean, tf.mul(tf.exp(tf.mul(0.5, logVar)), eps));
          const { nll } = tokenNll(this.logits(input, z, y, false), x);
          // log p(z) - log q(z|x) = Σ_d (ε² - z²) / 2 + logVar / 2 (the 2π terms cancel).
          const prior = tf.sum(
            tf.add(tf.mul(0.5, tf.sub(tf.square(eps), tf.square(z))), tf.mul(0.5, logVar)),
            -1,
          );
          return tf.sub(prior, nll);
        }),
      );
      return tf.sub(Math.log(k), tf.logSumExp(tf.stack(logWeights), 0));
    });
  }
}

// --- The families ---

/**
 * Networks as built (FastGru where a GRU is: a saved file holds stock 'GRU' layers, which stock tfjs reads and
 * latentlab's loader builds as the stock class) with the loaded networks' weights, which are then disposed. So a
 * resumed or loaded model computes with the same layers, and the same float arithmetic, as the one trained.
 */
function rebuilt(built: SeqNetworks, loaded: Record<string, tfl.LayersModel>): SeqNetworks {
  for (const [name, network] of Object.entries(built) as [string, tfl.LayersModel | undefined][]) {
    if (!network) continue;
    const from = loaded[name];
    if (!from) throw new UsageError(`the saved model has no "${name}" network`, { path: name });
    network.setWeights(from.getWeights());
    from.dispose();
  }
  return built;
}

/** The context a saved model is restored with: its vocabulary read from the decoder when the manifest has none. */
/**
 * The family object of a sequence model with an encoder (seq-ae, seq-vae): both build the same two networks and
 * restore them into their model class. A saved manifest's context carries vocabularySize, as a build's does.
 */
function encodingFamily<S extends typeof SeqAutoencoderConfig | typeof SeqVaeConfig>(
  family: { kind: string; description: string; configSchema: S },
  Model: new (
    config: z.output<S>,
    context: BuildContext,
    encoder: tfl.LayersModel,
    decoder: tfl.LayersModel,
  ) => TrainableModel<z.output<S>>,
): ModelFamily<S> {
  return {
    ...family,
    needsSequences: true,
    build(config, context) {
      const { encoder, decoder } = buildNetworks(config, context);
      return new Model(config, context, encoder!, decoder);
    },
    restore(config, context, networks) {
      const { encoder, decoder } = rebuilt(buildNetworks(config, context), networks);
      return new Model(config, context, encoder!, decoder);
    },
  };
}

export const seqAutoencoderFamily = encodingFamily(
  {
    kind: 'seq-ae',
    description:
      'Sequence autoencoder: an RNN (GRU/LSTM) or transformer encoder to a code, a decoder, teacher forcing',
    configSchema: SeqAutoencoderConfig,
  },
  SeqAutoencoderModel,
);

export const seqVaeFamily = encodingFamily(
  {
    kind: 'seq-vae',
    description:
      'Sequence VAE (Bowman et al. 2016): RNN or transformer networks, KL annealing, word dropout, free bits',
    configSchema: SeqVaeConfig,
  },
  SeqVaeModel,
);

export const languageModelFamily: ModelFamily<typeof LanguageModelConfig> = {
  kind: 'lm',
  description: 'Language model (RNN or transformer): the decoder without a code, the baseline for text VAEs',
  configSchema: LanguageModelConfig,
  needsSequences: true,
  build(config, context) {
    return new LanguageModel(config, context, buildNetworks(config, context).decoder);
  },
  restore(config, context, networks) {
    return new LanguageModel(config, context, rebuilt(buildNetworks(config, context), networks).decoder);
  },
};

export const seqFamilies = [seqAutoencoderFamily, seqVaeFamily, languageModelFamily];
