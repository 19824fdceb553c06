// InfoGAN (Chen et al. 2016): the generator takes noise and structured codes, categorical (one-hot) and
// continuous (uniform on [-1, 1]); a Q head on the discriminator's body predicts the codes from a sample, and both
// the generator and Q minimise -E[log Q(c | G(z, c))], the variational lower bound on I(c; G(z, c)) with H(c)
// left out. The networks are the GAN family's (the Q head is the AC-GAN auxiliary head over the shared body).
//
// Generator input, the model's latent space [n, latentSize]: noise [noiseSize] ~ N(0, I), then each categorical
// code one-hot [k_i], then the continuous codes [continuous]. encode(x) fills the same layout from Q: zeros for
// the noise (its prior mean; Q does not estimate it), the categorical probabilities, the continuous means; the
// codes are the columns codeColumns() names.
import { type Scalar, type Tensor, tf, type tfl } from '../../engine/tf.js';
import { UsageError } from '../../errors.js';
import {
  type Autoencoder,
  type Batch,
  type BuildContext,
  type GenerativeModel,
  type LossRecord,
  type ModelFamily,
  type NetworkRole,
  samplesOutput,
} from '../family.js';
import { adversarialAdam, discriminatorObjective, discriminatorStepsOf } from '../shared/adversarial.js';
import { discriminatorOutput, generatorLoss } from '../shared/gan-losses.js';
import {
  buildDiscriminator,
  buildGenerator,
  discriminate,
  type NetworkSpec,
} from '../shared/gan-networks.js';
import { oneHot } from '../shared/labels.js';
import { evaluationStep, previewSeed, slotSeed } from '../shared/seeds.js';
import { minimize, requireOptimizers, trainableVariables } from '../shared/step.js';
import { InfoGanConfig } from './config.js';

export * from './config.js';

const PREVIEW_COLS = 8;
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
/** Bounds of a learned log-std: keeps exp(-2·logStd) from overflowing while Q is still guessing. */
const LOG_STD_RANGE = [-5, 2] as const;

/** Where the codes sit in the generator's input and in Q's output. */
export interface CodeLayout {
  noise: number;
  categorical: readonly number[];
  continuous: number;
  learnedStd: boolean;
}

export function codeLayout(config: InfoGanConfig): CodeLayout {
  return {
    noise: config.noiseSize,
    categorical: config.categorical,
    continuous: config.continuous,
    learnedStd: config.continuousStd === 'learned',
  };
}

/** Columns of the codes (categorical one-hots, then continuous) in a generator input. */
export function codeSize(layout: CodeLayout): number {
  return layout.categorical.reduce((a, b) => a + b, 0) + layout.continuous;
}

/** Q's outputs: categorical logits per code, continuous means, and with a learned std their log-stds. */
export function qSize(layout: CodeLayout): number {
  return codeSize(layout) + (layout.learnedStd ? layout.continuous : 0);
}

/**
 * The information terms (inside a tidy or tape), as negative log-likelihoods of the codes under Q, in nats per
 * sample: `categorical` = Σ_i CE(logits_i, c_i), `continuous` = Σ_j ½log 2π + log σ_j + ½((c_j - μ_j)/σ_j)²
 * (σ = 1 when fixed), both averaged over the batch. `q` [n, qSize], `codes` [n, codeSize].
 */
export function informationLoss(
  q: Tensor,
  codes: Tensor,
  layout: CodeLayout,
): { categorical: Scalar; continuous: Scalar } {
  return tf.tidy(() => {
    let offset = 0;
    let categorical: Tensor = tf.scalar(0);
    for (const k of layout.categorical) {
      const logits = tf.slice(q, [0, offset], [-1, k]);
      const target = tf.slice(codes, [0, offset], [-1, k]);
      categorical = tf.add(categorical, tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), -1))));
      offset += k;
    }
    let continuous: Tensor = tf.scalar(0);
    const c = layout.continuous;
    if (c > 0) {
      const mean = tf.slice(q, [0, offset], [-1, c]);
      const target = tf.slice(codes, [0, offset], [-1, c]);
      const error = tf.sub(target, mean);
      let perDim: Tensor;
      if (layout.learnedStd) {
        const logStd = tf.clipByValue(tf.slice(q, [0, offset + c], [-1, c]), ...LOG_STD_RANGE);
        perDim = tf.add(logStd, tf.mul(0.5, tf.square(tf.div(error, tf.exp(logStd)))));
      } else {
        perDim = tf.mul(0.5, tf.square(error));
      }
      continuous = tf.add(HALF_LOG_2PI * c, tf.mean(tf.sum(perDim, -1)));
    }
    return { categorical: categorical as Scalar, continuous: continuous as Scalar };
  });
}

/**
 * The lower bound on I(c; G(z, c)) in nats: H(c) minus the information terms, H(c) being Σ log k_i for uniform
 * categories and log 2 per continuous code (uniform on [-1, 1]).
 */
export function mutualInformationBound(
  layout: CodeLayout,
  terms: { categorical: Scalar; continuous: Scalar },
): Scalar {
  const entropy =
    layout.categorical.reduce((sum, k) => sum + Math.log(k), 0) + layout.continuous * Math.log(2);
  return tf.tidy(() => tf.sub(entropy, tf.add(terms.categorical, terms.continuous)) as Scalar);
}

export function networkSpec(config: InfoGanConfig, context: BuildContext): NetworkSpec {
  const layout = codeLayout(config);
  const images = context.sampleShape.length === 3;
  return {
    architecture: config.architecture,
    latent: layout.noise + codeSize(layout),
    generatorHidden: config.generatorHidden,
    discriminatorHidden: config.discriminatorHidden,
    generatorFilters: config.generatorFilters,
    discriminatorFilters: config.discriminatorFilters,
    kernelSize: config.kernelSize,
    outputActivation:
      config.outputActivation === 'auto' ? (images ? 'sigmoid' : 'linear') : config.outputActivation,
    generatorClasses: 0,
    discriminatorClasses: 0,
    // The AC-GAN head over the discriminator's body is exactly Q's: a linear layer on the shared features.
    auxiliaryClasses: qSize(layout),
    spectralNorm: config.spectralNorm,
  };
}

type InfoGanNetworks = { generator: tfl.LayersModel; discriminator: tfl.LayersModel };

/**
 * LossRecord of a step: `discriminator` (its adversarial loss, penalties and the weighted information terms on
 * generated samples, which train Q), `generator` (adversarial plus weighted information terms),
 * `infoCategorical` and `infoContinuous` (the generator step's terms, unweighted, nats), `mutualInformation`
 * (the bound in nats) and `wasserstein` for wgan-gp. `loss` is the generator's.
 */
export class InfoGanModel implements GenerativeModel<InfoGanConfig>, Autoencoder<InfoGanConfig> {
  readonly kind = 'infogan';
  readonly optimizerNames = ['generator', 'discriminator'] as const;
  get optimizerSettings() {
    return {
      generator: adversarialAdam(this.config.generatorLearningRate),
      discriminator: adversarialAdam(this.config.discriminatorLearningRate),
    };
  }
  readonly layout: CodeLayout;
  readonly spec: NetworkSpec;
  private readonly seed: number;

  constructor(
    readonly config: InfoGanConfig,
    readonly context: BuildContext,
    readonly networks: InfoGanNetworks,
  ) {
    this.layout = codeLayout(config);
    this.spec = networkSpec(config, context);
    this.seed = context.seed;
  }

  /** Noise plus codes: the generator's whole input. */
  get latentSize(): number {
    return this.spec.latent;
  }

  /** The code columns [start, end) of the latent space (encode's output, generate's input): what to traverse. */
  codeColumns(): { start: number; end: number } {
    return { start: this.layout.noise, end: this.latentSize };
  }

  networkRoles(): Record<string, NetworkRole> {
    const { noise, categorical, continuous, learnedStd } = this.layout;
    const codes = [
      ...categorical.map((k, i) => `categorical code ${i + 1} one-hot [${k}]`),
      ...(continuous > 0 ? [`${continuous} continuous codes in [-1, 1]`] : []),
    ];
    const q = [
      ...categorical.map((k, i) => `logits of categorical code ${i + 1} [${k}]`),
      ...(continuous > 0 ? [`means of the continuous codes [${continuous}]`] : []),
      ...(learnedStd && continuous > 0 ? [`log-stds of the continuous codes [${continuous}]`] : []),
    ];
    return {
      generator: {
        summary: 'maps noise and codes to samples',
        inputs: [`[n, ${this.latentSize}]: noise z ~ N(0, I) [${noise}], then ${codes.join(', then ')}`],
        outputs: [samplesOutput('samples', this.spec.outputActivation)],
      },
      discriminator: {
        summary: 'scores samples as real or generated; its Q head recovers the codes',
        inputs: ['samples [n, ...sampleShape]'],
        outputs: [
          discriminatorOutput(this.config.adversarialLoss),
          `Q [n, ${qSize(this.layout)}]: ${q.join(', then ')}`,
        ],
      },
    };
  }

  /** Generator inputs [n, latentSize]: Gaussian noise, uniformly drawn categories (one-hot), uniform codes. */
  samplePrior(n: number, seed: number): Tensor {
    return tf.tidy(() => {
      const parts = [tf.randomNormal([n, this.layout.noise], 0, 1, 'float32', seed)];
      this.layout.categorical.forEach((k, i) => {
        const drawn = tf.floor(tf.randomUniform([n], 0, k, 'float32', seed + 1 + i));
        // randomUniform's half-open range can round up to k in float32.
        parts.push(oneHot(tf.minimum(drawn, k - 1), k));
      });
      if (this.layout.continuous > 0) {
        const salt = seed + 1 + this.layout.categorical.length;
        parts.push(tf.randomUniform([n, this.layout.continuous], -1, 1, 'float32', salt));
      }
      return tf.concat(parts, 1);
    });
  }

  /** Samples [n, ...sampleShape] from full generator inputs [n, latentSize]. */
  generate(z: Tensor): Tensor {
    return this.networks.generator.apply(z, { training: false }) as Tensor;
  }

  decode(z: Tensor): Tensor {
    return this.generate(z);
  }

  /**
   * Q's estimate of the codes in the latent layout [n, latentSize]: zeros for the noise, each categorical code's
   * probabilities (softmax), the continuous means.
   */
  encode(x: Tensor): Tensor {
    return tf.tidy(() => {
      const q = discriminate(this.networks.discriminator, x, undefined, false).classes!;
      const n = x.shape[0];
      const parts: Tensor[] = [tf.zeros([n, this.layout.noise])];
      let offset = 0;
      for (const k of this.layout.categorical) {
        parts.push(tf.softmax(tf.slice(q, [0, offset], [-1, k])));
        offset += k;
      }
      if (this.layout.continuous > 0) parts.push(tf.slice(q, [0, offset], [-1, this.layout.continuous]));
      return tf.concat(parts, 1);
    });
  }

  /** A sample drawn from the codes Q reads in x (noise at its mean): what the codes alone keep of x. */
  reconstruct(x: Tensor): Tensor {
    return tf.tidy(() => this.generate(this.encode(x)));
  }

  private seedFor(step: number, k: number, slot: number): number {
    return slotSeed(this.seed, step, k * 3 + slot);
  }

  /** The code columns of generator inputs. */
  private codesOf(z: Tensor): Tensor {
    return tf.slice(z, [0, this.layout.noise], [-1, codeSize(this.layout)]);
  }

  /** The weighted information terms of generated samples (inside a tape) and the terms themselves. */
  private information(q: Tensor, z: Tensor) {
    const terms = informationLoss(q, this.codesOf(z), this.layout);
    const weighted = tf.add(
      tf.mul(this.config.lambdaCategorical, terms.categorical),
      tf.mul(this.config.lambdaContinuous, terms.continuous),
    ) as Scalar;
    return { weighted, ...terms };
  }

  private discriminatorLosses(real: Tensor, z: Tensor, fake: Tensor, seed: number) {
    const adversarial = discriminatorObjective(this.networks.discriminator, real, fake, this.config, seed);
    const q = discriminate(this.networks.discriminator, fake, undefined, true).classes!;
    const info = this.information(q, z);
    return {
      ...adversarial,
      discriminator: tf.add(adversarial.discriminator, info.weighted) as Scalar,
    };
  }

  private generatorLosses(z: Tensor, training: boolean, fake?: Tensor) {
    const samples = fake ?? (this.networks.generator.apply(z, { training }) as Tensor);
    const out = discriminate(this.networks.discriminator, samples, undefined, training);
    const info = this.information(out.classes!, z);
    const adversarial = generatorLoss(this.config.adversarialLoss, out.logit);
    return {
      generator: tf.add(adversarial, info.weighted) as Scalar,
      infoCategorical: info.categorical,
      infoContinuous: info.continuous,
      mutualInformation: mutualInformationBound(this.layout, info),
    };
  }

  private record(
    d: { discriminator: Scalar; wasserstein?: Scalar },
    g: ReturnType<InfoGanModel['generatorLosses']>,
  ): LossRecord {
    const present = Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined)) as Record<
      string,
      Scalar
    >;
    return { ...present, ...g, loss: g.generator.clone() };
  }

  /** discriminatorSteps updates of the discriminator and Q (fresh inputs each), then one generator update. */
  trainStep(batch: Batch, optimizers: Record<string, tf.Optimizer>): LossRecord {
    requireOptimizers(optimizers, this.optimizerNames, 'infogan');
    const n = batch.x.shape[0];
    const { generator, discriminator } = this.networks;
    const dVars = trainableVariables(discriminator);
    const gVars = trainableVariables(generator);
    const steps = discriminatorStepsOf(this.config);
    let d: { discriminator: Scalar; wasserstein?: Scalar } | undefined;
    try {
      for (let k = 0; k < steps; k++) {
        if (d) tf.dispose(Object.values(d));
        d = undefined;
        // Generated outside the discriminator's tape: no gradient through the generator.
        const z = this.samplePrior(n, this.seedFor(batch.step, k, 0));
        const fake = tf.tidy(() => generator.apply(z, { training: true }) as Tensor);
        try {
          const seed = this.seedFor(batch.step, k, 1);
          d = minimize(
            optimizers.discriminator,
            dVars,
            () => this.discriminatorLosses(batch.x, z, fake, seed),
            'discriminator',
          );
        } finally {
          tf.dispose([z, fake]);
        }
      }
      const z = this.samplePrior(n, this.seedFor(batch.step, steps, 0));
      let g: ReturnType<InfoGanModel['generatorLosses']>;
      try {
        g = minimize(optimizers.generator, gVars, () => this.generatorLosses(z, true), 'generator');
      } finally {
        z.dispose();
      }
      return this.record(d!, g);
    } catch (error) {
      if (d) tf.dispose(Object.values(d));
      throw error;
    }
  }

  /** The same losses as a training step, without updating anything. */
  evaluate(batch: Batch): LossRecord {
    return tf.tidy(() => {
      const seed = this.seedFor(evaluationStep(batch.step), 0, 0);
      const z = this.samplePrior(batch.x.shape[0], seed);
      const fake = this.networks.generator.apply(z, { training: false }) as Tensor;
      const d = this.discriminatorLosses(batch.x, z, fake, seed + 1);
      return this.record(d, this.generatorLosses(z, false, fake));
    });
  }

  /**
   * Generator inputs for a grid: one row per value of categorical code `code` (0-based), the same noise and
   * other codes in each column (drawn with `seed`), so a row shows what that category alone changes. Without a
   * categorical code, `rows` rows of draws.
   */
  categoryGrid(code: number, cols: number, seed: number): { z: Tensor; rows: number } {
    const { categorical, noise } = this.layout;
    if (categorical.length === 0) return { z: this.samplePrior(4 * cols, seed), rows: 4 };
    if (!Number.isInteger(code) || code < 0 || code >= categorical.length)
      throw new UsageError(`categorical code ${code} does not exist (the model has ${categorical.length})`, {
        path: 'code',
      });
    const rows = categorical[code];
    const offset = noise + categorical.slice(0, code).reduce((a, b) => a + b, 0);
    return tf.tidy(() => {
      const base = tf.tile(this.samplePrior(cols, seed), [rows, 1]);
      const category = tf.tensor1d(
        Int32Array.from({ length: rows * cols }, (_, i) => Math.floor(i / cols)),
        'int32',
      );
      const z = tf.concat(
        [
          tf.slice(base, [0, 0], [-1, offset]),
          oneHot(category, rows),
          tf.slice(base, [0, offset + rows], [-1, this.latentSize - offset - rows]),
        ],
        1,
      );
      return { z, rows };
    });
  }

  /** Image data only: one row per category of the first categorical code, the same noise down each column. */
  preview() {
    if (this.context.sampleShape.length !== 3) return undefined;
    return tf.tidy(() => {
      const { z, rows } = this.categoryGrid(0, PREVIEW_COLS, previewSeed(this.seed));
      return { images: this.generate(z), rows, cols: PREVIEW_COLS };
    });
  }

  dispose(): void {
    for (const network of Object.values(this.networks)) network.dispose();
  }
}

export const infoGanFamily: ModelFamily<typeof InfoGanConfig> = {
  kind: 'infogan',
  description:
    'InfoGAN: a GAN whose categorical and continuous codes are kept readable by a Q head (mutual-information term); encode gives Q’s codes',
  configSchema: InfoGanConfig,
  build(config, context) {
    const spec = networkSpec(config, context);
    return new InfoGanModel(config, context, {
      generator: buildGenerator(spec, context),
      discriminator: buildDiscriminator(spec, context),
    });
  },
  restore(config, context, networks) {
    return new InfoGanModel(config, context, {
      generator: networks.generator,
      discriminator: networks.discriminator,
    });
  },
};
