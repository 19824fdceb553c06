// Variational autoencoders: a Gaussian encoder q(z|x), a Bernoulli or Gaussian decoder p(x|z), trained on the
// ELBO (beta, KL warm-up, free bits), with importance-weighted bounds on -log p(x). Dense, conv, conditional.
import type { z } from 'zod';
import { meanSquaredError } from '../../engine/kernels/row-loss.js';
import { type Scalar, type Tensor, tf, type tfl } from '../../engine/tf.js';
import { UsageError } from '../../errors.js';
import {
  type Autoencoder,
  type Batch,
  type BuildContext,
  type GenerativeModel,
  type LikelihoodModel,
  type LossRecord,
  type ModelFamily,
  type NetworkRole,
  SAMPLES_INPUT,
  type TrainableModel,
} from '../family.js';
import { gaussianKl, klWeight } from '../shared/gaussian-code.js';
import { oneHot } from '../shared/labels.js';
import type { BodySpec } from '../shared/layers.js';
import { evaluationStep, stepSeed } from '../shared/seeds.js';
import { minimize, trainableVariables } from '../shared/step.js';
import { ConvVaeConfig, CvaeConfig, type VaeBaseConfig, VaeConfig, type VaeVariantConfig } from './config.js';
import { bernoulliNll, gaussianNll, klObjective } from './losses.js';
import { buildNetworks, classCount, convBody, denseBody, variantBody } from './networks.js';

export { gaussianKl, klWeight, LOG_VARIANCE_LIMIT, softClamp } from '../shared/gaussian-code.js';
export * from './config.js';
export * from './losses.js';
export { LOG_SIGMA_LIMIT, variantBody } from './networks.js';

/** Floats of decoder activations per importance-weighting pass (16 MB); k is split into passes to fit. */
const IWAE_BUDGET = 1 << 22;

/** Floats of activations one sample makes in a network's forward pass (sizes importance-weighting passes). */
function activationsPerSample(network: tfl.LayersModel): number {
  let total = 0;
  for (const layer of network.layers) {
    const shape = layer.outputShape;
    const shapes = (Array.isArray(shape[0]) ? shape : [shape]) as (number | null)[][];
    for (const s of shapes) total += s.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
  }
  return total;
}

/** The seed of importance sample i: sample 0 uses `seed` itself, so k = 1 draws what negativeElbo draws. */
function sampleSeed(seed: number, i: number): number {
  return i === 0 ? seed : seed + i * 1_000_003;
}

// --- The model ---

/** The networks of a VAE: encoder and decoder, and any a variant adds (a flow, a critic, pseudo-inputs). */
export type VaeNetworks = { encoder: tfl.LayersModel; decoder: tfl.LayersModel } & Record<
  string,
  tfl.LayersModel
>;

/** One forward pass of a VAE on a batch (see VaeModel.forward). */
export interface VaePass {
  /** The batch's samples [n, ...sampleShape]. */
  x: Tensor;
  /** One-hot labels [n, classes] of a conditional model. */
  y?: Tensor;
  /** Parameters of q(z|x) from the encoder: [n, latent] each. */
  mean: Tensor;
  logVar: Tensor;
  /** The standard normal draw [n, latent] behind z. */
  eps: Tensor;
  /** The code decoded: mean + exp(logVar / 2) · eps, or a flow's output [n, latent]. */
  z: Tensor;
  /** Decoder output for z: logits (Bernoulli) or the mean (Gaussian) [n, ...sampleShape]. */
  out: Tensor;
  logSigma?: Tensor;
  /** -log p(x|z) per sample, in nats: [n]. */
  nll: Tensor;
  /** log q(z|x) - log N(z; mean, e^logVar) when z went through a flow (minus the log-determinants): [n]. */
  logDetJacobian?: Tensor;
}

/** What an objective knows besides the pass: training or evaluation, the step's seed and the KL weight. */
export interface ObjectiveContext {
  training: boolean;
  seed: number;
  /** beta, after KL warm-up for the epoch. */
  weight: number;
  batch: Batch;
}

export class VaeModel<C extends VaeBaseConfig = VaeBaseConfig>
  implements Autoencoder<C>, GenerativeModel<C>, LikelihoodModel<C>
{
  readonly kind: string;
  readonly encodesToPrior = true;
  readonly optimizerNames: readonly string[] = ['vae'];
  readonly networks: VaeNetworks;
  readonly conditional: boolean;
  protected readonly numClasses: number;
  protected readonly seed: number;
  private readonly decoderActivations: number;

  constructor(
    readonly config: C,
    readonly context: BuildContext,
    networks: VaeNetworks,
  ) {
    this.kind = config.kind;
    this.networks = networks;
    const { decoder } = networks;
    this.conditional = config.conditional;
    this.numClasses = classCount(config, context);
    this.seed = context.seed;
    this.decoderActivations = activationsPerSample(decoder);
  }

  get latentSize(): number {
    return this.config.latent;
  }

  networkRoles(): Record<string, NetworkRole> {
    const label = this.conditional ? ['the class, one-hot [n, classes]'] : [];
    const bernoulli = this.config.likelihood === 'bernoulli';
    return {
      encoder: {
        summary: 'the approximate posterior q(z|x): [mean, logVariance] heads',
        inputs: [SAMPLES_INPUT, ...label],
        outputs: [
          'mean of q(z|x) [n, latent]: the code latentlab encodes to',
          'log-variance of q(z|x) [n, latent]: z = mean + exp(logVariance / 2) · ε',
        ],
      },
      decoder: {
        summary:
          'p(x|z): maps a code (or a prior draw z ~ N(0, I)) to the parameters of the data distribution',
        inputs: ['a code z [n, latent]', ...label],
        outputs: [
          bernoulli
            ? 'logits: apply a sigmoid for pixels (Bernoulli probabilities) [n, ...sampleShape]'
            : 'mean of p(x|z) [n, ...sampleShape] in the units of the (scaled) training data',
          'log σ of p(x|z) (learned Gaussian scale)',
        ],
      },
    };
  }

  protected requireLabels(labels: Tensor | undefined, what: string): void {
    if (this.conditional && !labels) {
      throw new UsageError(`${this.kind} is conditional: ${what} needs class labels (int32 [n])`, {
        path: 'labels',
      });
    }
  }

  /** One-hot labels [n, classes] for a conditional model (undefined otherwise); call inside a tidy. */
  protected labelInput(labels: Tensor | undefined, what: string): Tensor | undefined {
    this.requireLabels(labels, what);
    return this.conditional ? oneHot(labels!, this.numClasses) : undefined;
  }

  /** [mean, logVariance], each [n, latent]. */
  protected encoderOutputs(x: Tensor, y: Tensor | undefined, training: boolean): [Tensor, Tensor] {
    return this.networks.encoder.apply(y ? [x, y] : x, { training }) as [Tensor, Tensor];
  }

  /** Logits (Bernoulli) or mean (Gaussian) [n, ...sampleShape], and a learned log-sigma when there is one. */
  protected decoderOutputs(
    z: Tensor,
    y: Tensor | undefined,
    training: boolean,
  ): { out: Tensor; logSigma?: Tensor } {
    const result = this.networks.decoder.apply(y ? [z, y] : z, { training });
    if (Array.isArray(result)) return { out: result[0] as Tensor, logSigma: result[1] as Tensor };
    return { out: result as Tensor };
  }

  /** Data space: probabilities (Bernoulli) or the mean (Gaussian). */
  protected toData(out: Tensor): Tensor {
    return this.config.likelihood === 'bernoulli' ? tf.sigmoid(out) : out;
  }

  /** -log p(x|z) in nats per sample: [..., n] for a decoder output [..., n, ...sampleShape]. */
  protected nll(x: Tensor, out: Tensor, logSigma: Tensor | undefined): Tensor {
    const rank = this.context.sampleShape.length;
    if (this.config.likelihood === 'bernoulli') return bernoulliNll(x, out, rank);
    return gaussianNll(x, out, logSigma ?? Math.log(this.config.sigma as number), rank);
  }

  /** z = mean + exp(logVar / 2) · eps (the reparameterisation, so gradients reach the encoder). */
  protected sample(mean: Tensor, logVar: Tensor, eps: Tensor): Tensor {
    return tf.add(mean, tf.mul(tf.exp(tf.mul(0.5, logVar)), eps));
  }

  /**
   * One forward pass on a batch: the posterior's parameters, a reparameterised draw, its decoding and -log p(x|z).
   * Variants that change how z is drawn (normalising flows) override it; the rest reuse it as it is.
   */
  protected forward(batch: Batch, training: boolean, seed: number): VaePass {
    const y = this.labelInput(batch.labels, training ? 'training' : 'evaluation');
    const [mean, logVar] = this.encoderOutputs(batch.x, y, training); // [n, latent] each
    const eps = tf.randomNormal(mean.shape, 0, 1, 'float32', seed);
    const z = this.sample(mean, logVar, eps);
    const { out, logSigma } = this.decoderOutputs(z, y, training);
    return { x: batch.x, y, mean, logVar, eps, z, out, logSigma, nll: this.nll(batch.x, out, logSigma) };
  }

  /**
   * The objective on one pass (a VAE variant's own term goes here): `loss` is minimised, the rest are reported.
   * The VAE's: reconstruction + weight · KL (free bits applied), and the unweighted -ELBO beside it.
   */
  protected objective(pass: VaePass, context: ObjectiveContext): Record<string, Scalar> & { loss: Scalar } {
    const klPerDim = gaussianKl(pass.mean, pass.logVar); // [n, latent]
    const reconstruction = tf.mean(pass.nll) as Scalar;
    const kl = tf.sum(tf.mean(klPerDim, 0)) as Scalar;
    const klTerm = this.config.freeBits > 0 ? klObjective(klPerDim, this.config.freeBits) : kl;
    const loss = tf.add(reconstruction, tf.mul(context.weight, klTerm)) as Scalar;
    const negElbo = tf.add(reconstruction, kl) as Scalar;
    return { loss, reconstruction, kl, negElbo };
  }

  protected losses(batch: Batch, training: boolean, seed: number, weight: number): LossRecord {
    const pass = this.forward(batch, training, seed);
    const record = this.objective(pass, { training, seed, weight, batch });
    // Training reports the error of the sampled reconstruction (no extra pass); evaluation decodes the
    // mean code, as reconstruct() does, so its mse compares with the deterministic autoencoders'.
    const recon = this.toData(training ? pass.out : this.decoderOutputs(pass.mean, pass.y, false).out);
    const mse = meanSquaredError(batch.x, recon);
    return { ...record, mse };
  }

  /**
   * One step on the weighted objective: reconstruction + klWeight(epoch) · KL (free bits applied), in nats
   * per sample. eps is seeded by the step, so a run reproduces.
   */
  trainStep(batch: Batch, optimizers: Record<string, tf.Optimizer>): LossRecord {
    // Checked before minimize: a throw inside its tape leaves tensors behind.
    this.requireLabels(batch.labels, 'training');
    const weight = klWeight(this.config, batch.epoch);
    return minimize(
      optimizers[this.optimizerNames[0]],
      this.trainableVariables(),
      () => this.losses(batch, true, stepSeed(this.seed, batch.step), weight),
      'loss',
    );
  }

  /** Losses with the full KL weight (beta), whatever the epoch. */
  evaluate(batch: Batch): LossRecord {
    return tf.tidy(() =>
      this.losses(batch, false, stepSeed(this.seed, evaluationStep(batch.step)), this.config.beta),
    );
  }

  /** The mean of q(z|x): [n, latent]. */
  encode(x: Tensor, labels?: Tensor): Tensor {
    return tf.tidy(() => this.encoderOutputs(x, this.labelInput(labels, 'encode'), false)[0]);
  }

  /** Bernoulli probabilities or the Gaussian mean: [n, ...sampleShape]. */
  decode(z: Tensor, labels?: Tensor): Tensor {
    return tf.tidy(() => this.toData(this.decoderOutputs(z, this.labelInput(labels, 'decode'), false).out));
  }

  reconstruct(x: Tensor, labels?: Tensor): Tensor {
    return tf.tidy(() => this.decode(this.encode(x, labels), labels));
  }

  /** Draws from the prior N(0, I): [n, latent]. */
  samplePrior(n: number, seed: number): Tensor {
    return tf.randomNormal([n, this.config.latent], 0, 1, 'float32', seed);
  }

  /** The decoder's mean for each code (pixel probabilities for Bernoulli), not a noisy draw from p(x|z). */
  generate(z: Tensor, labels?: Tensor): Tensor {
    return this.decode(z, labels);
  }

  /** Single-sample estimate of -ELBO = -log p(x|z) + KL(q(z|x) || p(z)) in nats: [n]. */
  negativeElbo(x: Tensor, labels: Tensor | undefined, seed: number): Tensor {
    return tf.tidy(() => {
      this.requireLabels(labels, 'negativeElbo');
      const pass = this.forward({ x, labels, step: 0 }, false, seed);
      return tf.add(pass.nll, this.klPerSample(pass));
    });
  }

  /**
   * KL(q(z|x) || p(z)) per sample, in nats: [n]. Closed form for the Gaussian posterior and N(0, I) prior; a
   * variant with another prior or a flow overrides it (with the one-draw estimate log q(z|x) - log p(z)).
   */
  protected klPerSample(pass: VaePass): Tensor {
    return tf.sum(gaussianKl(pass.mean, pass.logVar), -1);
  }

  /**
   * IWAE bound on -log p(x) in nats: -log (1/k Σ_i p(x|z_i) p(z_i) / q(z_i|x)), z_i ~ q(z|x): [n]. The k
   * samples are decoded in passes of `samplesPerPass` (default: as many as fit a 16 MB activation budget);
   * each sample has its own seed, so the result does not depend on the split.
   */
  importanceWeightedBound(
    x: Tensor,
    labels: Tensor | undefined,
    k: number,
    seed: number,
    options: { samplesPerPass?: number } = {},
  ): Tensor {
    if (!Number.isInteger(k) || k < 1) throw new UsageError(`k must be a positive integer, got ${k}`);
    const n = x.shape[0];
    const perPass =
      options.samplesPerPass ?? Math.max(1, Math.floor(IWAE_BUDGET / (n * this.decoderActivations)));
    const encoded = tf.tidy(() => {
      const y = this.labelInput(labels, 'importanceWeightedBound');
      return [...this.encoderOutputs(x, y, false), ...(y ? [y] : [])];
    });
    const [mean, logVar, y] = encoded;
    let total: Tensor | undefined; // [n] running log-sum-exp of the log weights
    try {
      for (let start = 0; start < k; start += perPass) {
        const count = Math.min(perPass, k - start);
        const previous = total;
        total = tf.tidy(() => {
          const passTotal = tf.logSumExp(this.logWeights(x, mean, logVar, y, start, count, seed), 0);
          return previous ? tf.logSumExp(tf.stack([previous, passTotal]), 0) : passTotal;
        });
        previous?.dispose();
      }
      const sum = total!;
      return tf.tidy(() => tf.sub(Math.log(k), sum));
    } finally {
      tf.dispose([...encoded, total]);
    }
  }

  /** log p(x|z_i) + log p(z_i) - log q(z_i|x) for importance samples start .. start+count-1: [count, n]. */
  protected logWeights(
    x: Tensor,
    mean: Tensor,
    logVar: Tensor,
    y: Tensor | undefined,
    start: number,
    count: number,
    seed: number,
  ): Tensor {
    const [n, latent] = mean.shape;
    const eps = tf.stack(
      Array.from({ length: count }, (_, j) =>
        tf.randomNormal([n, latent], 0, 1, 'float32', sampleSeed(seed, start + j)),
      ),
    ); // [count, n, latent]
    const { z, logDet } = this.importanceCodes(mean, logVar, eps); // [count, n, latent]
    const { out, logSigma } = this.decoderOutputs(
      tf.reshape(z, [count * n, latent]),
      y ? tf.tile(y, [count, 1]) : undefined,
      false,
    );
    const unflatten = (t: Tensor) => tf.reshape(t, [count, n, ...t.shape.slice(1)]);
    const logPx = tf.neg(this.nll(x, unflatten(out), logSigma && unflatten(logSigma)));
    return tf.add(logPx, this.logPriorOverPosterior(z, eps, logVar, logDet));
  }

  /**
   * The codes of importance draws eps [count, n, latent]: mean + exp(logVar / 2) · eps; a flow posterior passes
   * them through its flow and gives the log-determinant logDet [count, n] that logPriorOverPosterior needs.
   */
  protected importanceCodes(mean: Tensor, logVar: Tensor, eps: Tensor): { z: Tensor; logDet?: Tensor } {
    return { z: this.sample(mean, logVar, eps) };
  }

  /**
   * log p(z) - log q(z|x) for draws z = mean + exp(logVar / 2) · eps: [count, n]. The VAE's N(0, I) prior and
   * Gaussian posterior; a variant with another prior (VampPrior) or posterior (flows: `logDet` from
   * importanceCodes) overrides it.
   */
  protected logPriorOverPosterior(z: Tensor, eps: Tensor, logVar: Tensor, _logDet?: Tensor): Tensor {
    // log N(z; 0, I) - log N(z; mean, e^logVar), with (z - mean)² / e^logVar = eps²; the 2π terms cancel.
    return tf.mul(
      0.5,
      tf.add(tf.sub(tf.sum(tf.square(eps), -1), tf.sum(tf.square(z), -1)), tf.sum(logVar, -1)),
    );
  }

  /**
   * Originals, reconstructions and decoded prior samples (rows: 3). A conditional model uses `labels` for the
   * reconstructions, else the class that explains each image best; its prior samples cycle through the classes.
   */
  preview(x: Tensor, labels?: Tensor) {
    if (this.context.sampleShape.length !== 3) return undefined;
    return tf.tidy(() => {
      const n = x.shape[0];
      const given = this.conditional ? (labels ?? this.inferLabels(x)) : undefined;
      const recon = this.reconstruct(x, given);
      const cycle = this.conditional
        ? tf.tensor1d(
            Int32Array.from({ length: n }, (_, i) => i % this.numClasses),
            'int32',
          )
        : undefined;
      // The same prior draws every epoch, so successive previews show the decoder improving.
      const samples = this.generate(this.samplePrior(n, this.seed), cycle);
      return { images: tf.concat([x, recon, samples], 0), rows: 3, cols: n };
    });
  }

  /** Per image, the class with the smallest negative ELBO at z = mean: int32 [n]. */
  protected inferLabels(x: Tensor): Tensor {
    return tf.tidy(() => {
      const n = x.shape[0];
      const costs = Array.from({ length: this.numClasses }, (_, c) => {
        const y = oneHot(tf.fill([n], c, 'int32'), this.numClasses);
        const [mean, logVar] = this.encoderOutputs(x, y, false);
        const { out, logSigma } = this.decoderOutputs(mean, y, false);
        return tf.add(this.nll(x, out, logSigma), tf.sum(gaussianKl(mean, logVar), -1));
      });
      return tf.argMin(tf.stack(costs), 0);
    });
  }

  /** The variables the 'vae' optimiser trains: the encoder's and decoder's (and a variant's own, e.g. flows). */
  trainableVariables(): tf.Variable[] {
    return trainableVariables(this.networks.encoder, this.networks.decoder);
  }

  dispose(): void {
    for (const network of Object.values(this.networks)) network.dispose();
  }
}

// --- Families ---

/** A VAE family: the kinds differ only in their schema and in the bodies (dense or conv) around the same model. */
function vaeKind<S extends typeof VaeConfig | typeof CvaeConfig | typeof ConvVaeConfig>(
  kind: z.output<S>['kind'],
  description: string,
  configSchema: S,
  body: (config: z.output<S>, context: BuildContext) => BodySpec,
  needsImages = false,
): ModelFamily<S> {
  return {
    kind,
    description,
    configSchema,
    ...(needsImages ? { needsImages } : {}),
    build: (config, context) =>
      new VaeModel(config, context, buildNetworks(config, context, body(config, context))),
    restore: (config, context, networks) => new VaeModel(config, context, networks as VaeNetworks),
  };
}

/**
 * The family of a VAE variant (the VAE zoo: IWAE, beta-TCVAE, VampPrior, flows...): a VaeModel subclass over the
 * VAE's encoder and decoder, on a body its config picks, plus the networks of its own (`extraNetworks`, built
 * after the encoder and decoder and saved beside them).
 */
export function vaeVariantFamily<S extends z.ZodType>(spec: {
  kind: string;
  description: string;
  configSchema: S;
  /** The encoder's and decoder's body; default variantBody (dense or conv, as the config's `architecture` says). */
  body?: (config: z.output<S>, context: BuildContext) => BodySpec;
  model: (config: z.output<S>, context: BuildContext, networks: VaeNetworks) => TrainableModel<z.output<S>>;
  extraNetworks?: (config: z.output<S>, context: BuildContext) => Record<string, tfl.LayersModel>;
  needsImages?: boolean;
}): ModelFamily<S> {
  return {
    kind: spec.kind,
    description: spec.description,
    configSchema: spec.configSchema,
    ...(spec.needsImages ? { needsImages: true } : {}),
    build(config, context) {
      const body = spec.body ? spec.body(config, context) : variantBody(config as VaeVariantConfig, context);
      const networks = buildNetworks(config as VaeBaseConfig, context, body);
      return spec.model(config, context, { ...networks, ...spec.extraNetworks?.(config, context) });
    },
    restore(config, context, networks) {
      return spec.model(config, context, networks as VaeNetworks);
    },
  };
}

export const vaeFamily = vaeKind(
  'vae',
  'variational autoencoder, dense (Bernoulli or Gaussian decoder; beta, KL warm-up, free bits)',
  VaeConfig,
  denseBody,
);

export const cvaeFamily = vaeKind(
  'cvae',
  'conditional variational autoencoder, dense (class labels into encoder and decoder)',
  CvaeConfig,
  denseBody,
);

export const convVaeFamily = vaeKind(
  'conv-vae',
  'convolutional variational autoencoder for images (conditional through an option)',
  ConvVaeConfig,
  convBody,
  true,
);

/** Every VAE kind, for the registry. */
export const vaeFamilies: readonly ModelFamily[] = [vaeFamily, convVaeFamily, cvaeFamily];
