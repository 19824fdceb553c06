// TVAE (Xu et al. 2019, as SDV's ctgan package builds it): a VAE over the encoded table whose decoder gives each
// span its own likelihood: values a Gaussian with a learned sigma per position (clamped to [0.01, 1]), choices
// a categorical (cross-entropy); loss = lossFactor · reconstruction + KL, per row; missing cells cost nothing.
import { type Tensor, tf, tfl } from '../../engine/tf.js';
import { UsageError } from '../../errors.js';
import type {
  Autoencoder,
  Batch,
  BuildContext,
  GenerativeModel,
  LossRecord,
  ModelFamily,
  NetworkRole,
} from '../family.js';
import { gaussianKl, LOG_VARIANCE_LIMIT, softClamp } from '../shared/gaussian-code.js';
import {
  type BodySpec,
  decoderBody,
  encoderBody,
  encoderHeads,
  initialisers,
  learnedConstant,
} from '../shared/layers.js';
import { evaluationStep, stepSeed } from '../shared/seeds.js';
import { minimize, trainableVariables } from '../shared/step.js';
import {
  activateSpans,
  type RowCondition,
  requireTable,
  type SpanGroups,
  spanLoss,
  type TableSampler,
  weightDecayPenalty,
} from '../shared/table-heads.js';
import { TvaeConfig } from './config.js';

export * from './config.js';

/** SDV keeps the decoder's sigmas in [0.01, 1] (clamped after every step) and starts them at 0.1. */
const LOG_SIGMA_RANGE: [number, number] = [Math.log(0.01), 0];
const LOG_SIGMA_START = Math.log(0.1);
const LOG_SIGMA_LAYER = 'decoder_log_sigma';

function body(config: TvaeConfig): BodySpec {
  return { architecture: 'dense', hidden: config.hidden, filters: [], kernelSize: 1, activation: 'relu' };
}

/**
 * Encoder x [n, width] → [mean, logVariance] [n, latent]; decoder z → [raw outputs [n, width], log-sigma
 * [n, width]]. The log-sigma is the bias of a dense layer fed a frozen zero, so it is saved with the decoder.
 */
function buildNetworks(config: TvaeConfig, context: BuildContext) {
  const init = initialisers(context);
  const spec = body(config);
  const x = tfl.input({ shape: context.sampleShape, name: 'encoder_input' });
  const h = encoderBody(spec, context, init, x, { what: 'tvae' });
  const [mean, rawLogVar] = encoderHeads(
    h,
    [
      { name: 'encoder_mean', units: config.latent },
      { name: 'encoder_log_variance_dense', units: config.latent },
    ],
    init,
  );
  const logVar = softClamp(rawLogVar, LOG_VARIANCE_LIMIT, 'encoder_log_variance');
  const encoder = tfl.model({ name: 'encoder', inputs: x, outputs: [mean, logVar] });

  const z = tfl.input({ shape: [config.latent], name: 'decoder_input' });
  const out = decoderBody(spec, context, init, z, undefined, 'tvae');
  const logSigma = learnedConstant(z, context.sampleShape[0], LOG_SIGMA_START, {
    zero: 'decoder_sigma_zero',
    bias: LOG_SIGMA_LAYER,
  });
  const decoder = tfl.model({ name: 'decoder', inputs: z, outputs: [out, logSigma] });
  return { encoder, decoder };
}

export class TvaeModel implements Autoencoder<TvaeConfig>, GenerativeModel<TvaeConfig>, TableSampler {
  readonly kind = 'tvae';
  readonly encodesToPrior = true;
  readonly optimizerNames = ['tvae'] as const;
  readonly networks: { encoder: tfl.LayersModel; decoder: tfl.LayersModel };
  private readonly groups: SpanGroups;
  private readonly logSigmaBias: tf.Variable;

  constructor(
    readonly config: TvaeConfig,
    readonly context: BuildContext,
    encoder: tfl.LayersModel,
    decoder: tfl.LayersModel,
  ) {
    this.groups = requireTable(context, 'tvae').groups;
    this.networks = { encoder, decoder };
    const bias = decoder.getLayer(LOG_SIGMA_LAYER).weights.find((w) => w.originalName.endsWith('bias'));
    this.logSigmaBias = bias!.read() as tf.Variable;
  }

  get latentSize(): number {
    return this.config.latent;
  }

  networkRoles(): Record<string, NetworkRole> {
    return {
      encoder: {
        summary: 'the approximate posterior q(z|x) of an encoded table row: [mean, logVariance] heads',
        inputs: ["encoded rows [n, width] (tableSpans of the manifest's table; missing cells 0)"],
        outputs: ['mean of q(z|x) [n, latent]', 'log-variance of q(z|x) [n, latent]'],
      },
      decoder: {
        summary: "p(x|z): a code (or a prior draw z ~ N(0, I)) to each span's parameters",
        inputs: ['a code z [n, latent]'],
        outputs: [
          'raw outputs [n, width]: tanh for bounded values (mode alphas), as they are for other values, softmax per choice group',
          'log sigma of each value position [n, width] (the same in every row)',
        ],
      },
    };
  }

  private decoderOutputs(z: Tensor, training: boolean): { raw: Tensor; logSigma: Tensor } {
    const [raw, logSigma] = this.networks.decoder.apply(z, { training }) as Tensor[];
    // Every row holds the same learned log-sigma: one row is the parameter.
    return { raw, logSigma: tf.reshape(tf.slice(logSigma, [0, 0], [1, -1]), [-1]) };
  }

  private losses(batch: Batch, training: boolean, seed: number): LossRecord {
    const [mean, logVar] = this.networks.encoder.apply(batch.x, { training }) as [Tensor, Tensor];
    const eps = tf.randomNormal(mean.shape, 0, 1, 'float32', seed);
    const z = tf.add(mean, tf.mul(tf.exp(tf.mul(0.5, logVar)), eps));
    const { raw, logSigma } = this.decoderOutputs(z, training);
    const perRow = spanLoss(raw, batch.x, this.groups, batch.mask, { logSigma });
    const reconstruction = tf.mean(perRow) as tf.Scalar;
    const kl = tf.mean(tf.sum(gaussianKl(mean, logVar), 1)) as tf.Scalar;
    const elbo = tf.add(tf.mul(this.config.lossFactor, reconstruction), kl) as tf.Scalar;
    const loss =
      training && this.config.weightDecay > 0
        ? (tf.add(elbo, weightDecayPenalty(this.trainableVariables(), this.config.weightDecay)) as tf.Scalar)
        : elbo;
    return { loss, reconstruction, kl };
  }

  /** One Adam step on lossFactor · reconstruction + KL (+ weight decay), then the sigmas clamped as SDV does. */
  trainStep(batch: Batch, optimizers: Record<string, tf.Optimizer>): LossRecord {
    const record = minimize(
      optimizers[this.optimizerNames[0]],
      this.trainableVariables(),
      () => this.losses(batch, true, stepSeed(this.context.seed, batch.step)),
      'loss',
    );
    tf.tidy(() => this.logSigmaBias.assign(tf.clipByValue(this.logSigmaBias, ...LOG_SIGMA_RANGE)));
    return record;
  }

  evaluate(batch: Batch): LossRecord {
    return tf.tidy(() => this.losses(batch, false, stepSeed(this.context.seed, evaluationStep(batch.step))));
  }

  /** The mean of q(z|x): [n, latent]. */
  encode(x: Tensor): Tensor {
    return tf.tidy(() => (this.networks.encoder.apply(x, { training: false }) as Tensor[])[0]);
  }

  /** Encoded rows [n, width]: values at the decoder's mean, choice groups as probabilities. */
  decode(z: Tensor): Tensor {
    return tf.tidy(() => activateSpans(this.decoderOutputs(z, false).raw, this.groups));
  }

  reconstruct(x: Tensor): Tensor {
    return tf.tidy(() => this.decode(this.encode(x)));
  }

  samplePrior(n: number, seed: number): Tensor {
    return tf.randomNormal([n, this.config.latent], 0, 1, 'float32', seed);
  }

  generate(z: Tensor): Tensor {
    return this.decode(z);
  }

  /**
   * Rows decoded from z ~ N(0, I). With valueNoise (SDV's sampling) each value gets its learned sigma as noise,
   * a bounded one (a mode alpha) clipped back to [-1, 1]; choice groups are one-hot draws (choices: draw) or
   * probabilities, whose argmax the table decoder takes (choices: argmax, as SDV).
   */
  sampleRows(n: number, seed: number, condition?: RowCondition): Tensor {
    if (condition)
      throw new UsageError(
        `tvae draws rows from its prior and cannot ask for ${condition.column} = ${condition.level}: ctgan can`,
        { path: 'condition' },
      );
    return tf.tidy(() => {
      const { raw, logSigma } = this.decoderOutputs(this.samplePrior(n, seed), false);
      const rows =
        this.config.choices === 'draw' ? this.drawChoices(raw, seed + 2) : activateSpans(raw, this.groups);
      if (!this.config.valueNoise) return rows;
      const width = this.groups.width;
      const isValue = new Float32Array(width);
      const low = new Float32Array(width).fill(-Infinity);
      const high = new Float32Array(width).fill(Infinity);
      for (const at of this.groups.linear) isValue[at] = 1;
      for (const at of this.groups.bounded) {
        isValue[at] = 1;
        low[at] = -1;
        high[at] = 1;
      }
      const noise = tf.mul(
        tf.mul(tf.exp(logSigma), tf.tensor1d(isValue)),
        tf.randomNormal([n, width], 0, 1, 'float32', seed + 1),
      );
      return tf.minimum(tf.maximum(tf.add(rows, noise), tf.tensor1d(low)), tf.tensor1d(high));
    });
  }

  /**
   * Activated rows with each choice group one-hot at a level drawn from its softmax (values as activateSpans
   * gives them). A decoder that has learned little from z (a small table's posterior collapses) still gives
   * every level its share, where argmax would give every row the most likely one.
   */
  private drawChoices(raw: Tensor, seed: number): Tensor {
    const parts = this.groups.spans.map((span, i) => {
      const piece = tf.slice(raw, [0, span.start], [-1, span.width]);
      if (span.kind === 'value') return span.bounded ? tf.tanh(piece) : piece;
      const drawn = tf.reshape(tf.multinomial(piece as tf.Tensor2D, 1, seed + i), [-1]);
      return tf.cast(tf.oneHot(drawn, span.width), 'float32');
    });
    return parts.length === 1 ? parts[0] : tf.concat(parts, 1);
  }

  trainableVariables(): tf.Variable[] {
    return trainableVariables(this.networks.encoder, this.networks.decoder);
  }

  dispose(): void {
    this.networks.encoder.dispose();
    this.networks.decoder.dispose();
  }
}

export const tvaeFamily: ModelFamily<typeof TvaeConfig> = {
  kind: 'tvae',
  description:
    'TVAE (Xu et al. 2019): a VAE for tables of mixed types, per-column likelihoods (needs --data csv)',
  configSchema: TvaeConfig,
  // CTGAN's mode-specific normalisation of numbers, unless the data spec says otherwise.
  tableEncoding: { numeric: 'mode' },
  build(config, context) {
    requireTable(context, 'tvae');
    const { encoder, decoder } = buildNetworks(config, context);
    return new TvaeModel(config, context, encoder, decoder);
  },
  restore(config, context, networks) {
    return new TvaeModel(config, context, networks.encoder, networks.decoder);
  },
};
