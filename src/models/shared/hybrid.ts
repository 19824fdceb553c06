// What the autoencoder + GAN hybrids (aae, latentgan, aegan) share: an autoencoder body (dense or conv, built
// functionally so an encoder can have several heads), priors over codes, and adversarial updates for any
// discriminator. Each hybrid family file only wires these into its phases.
import { z } from 'zod';
import { type Scalar, type Tensor, tf, tfl } from '../../engine/tf.js';
import { ConfigError, UsageError } from '../../errors.js';
import {
  type BuildContext,
  type LossRecord,
  type NetworkRole,
  SAMPLES_INPUT,
  samplesOutput,
} from '../family.js';
import { units } from '../limits.js';
import type { Architecture } from './architecture.js';
import {
  Activation,
  activationLayer,
  type InLayerActivation,
  ReconstructionLoss,
  reconstructionLoss,
  seededInit,
  strideTwoGeometry,
  withActivation,
} from './autoencoder-base.js';
import {
  discriminatorLoss,
  GanLoss,
  generatorLoss,
  gradientPenalty,
  r1Penalty,
  wassersteinEstimate,
} from './gan-losses.js';
import { buildDiscriminator, discriminate, type NetworkSpec } from './gan-networks.js';

type Symbolic = tfl.SymbolicTensor;
const width = units();

// --- Autoencoder body ---

/** Options of a hybrid's autoencoder, spread into each hybrid's schema. */
export const autoencoderBodyOptions = {
  /** `dense` works on any sample shape; `conv` (stride-2 convolutions, mirrored) on images. */
  architecture: z.enum(['dense', 'conv']).default('dense'),
  /** Dense encoder hidden widths, input side first; the decoder mirrors them. */
  hidden: z.array(width).default([512, 256]),
  /** Conv encoder channels of its stride-2 convolutions, input side first. */
  filters: z.array(width).min(1).default([32, 64]),
  kernelSize: width.default(3),
  /** Size of the code. */
  latent: width.default(32),
  activation: Activation.default('relu'),
  /** Sigmoid suits data in [0, 1] (images, min-max scaled tables); linear suits standardised tables. */
  outputActivation: z.enum(['sigmoid', 'linear']).default('sigmoid'),
  /** Reconstruction loss. */
  loss: ReconstructionLoss.default('mse'),
};

/** The code-standardising option of the hybrids whose generator targets codes (latentgan, aegan). */
export const standardizeCodeOption = {
  /** Codes standardised by batch norm (scale and shift frozen at 1 and 0), so generated codes aim at unit scale. */
  standardizeCode: z.boolean().default(true),
};

export interface AutoencoderBody {
  architecture: 'dense' | 'conv';
  hidden: number[];
  filters: number[];
  kernelSize: number;
  latent: number;
  activation: Activation;
  outputActivation: 'sigmoid' | 'linear';
  loss: ReconstructionLoss;
}

function chain(layers: tfl.layers.Layer[], input: Symbolic): Symbolic {
  return layers.reduce((h, layer) => layer.apply(h) as Symbolic, input);
}

/** Seeded initialisers for one network; networks of a model take disjoint offsets. */
function initialisers(context: BuildContext, offset: number) {
  let layer = offset;
  return () => seededInit(context, layer++);
}

/**
 * Encoder: samples [n, ...sampleShape] → one output per head ([n, units] each, linear). Dense: flatten and
 * hidden layers; conv: stride-2 convolutions and flatten.
 */
export function buildEncoder(
  body: AutoencoderBody,
  context: BuildContext,
  heads: { name: string; units: number }[] = [{ name: 'encoder_latent', units: body.latent }],
  { standardizeCode = false }: { standardizeCode?: boolean } = {},
): tfl.LayersModel {
  const init = initialisers(context, 0);
  const x = tfl.input({ shape: context.sampleShape, name: 'encoder_input' });
  let h: Symbolic;
  if (body.architecture === 'dense') {
    h = context.sampleShape.length > 1 ? chain([tfl.layers.flatten({ name: 'encoder_flatten' })], x) : x;
    body.hidden.forEach((units, i) => {
      const name = `encoder_dense_${i + 1}`;
      h = chain(
        withActivation(
          (activation) => tfl.layers.dense({ units, activation, kernelInitializer: init(), name }),
          body.activation,
          `${name}_act`,
        ),
        h,
      );
    });
  } else {
    strideTwoGeometry('architecture "conv"', body.filters, context.sampleShape);
    h = x;
    body.filters.forEach((filters, i) => {
      const name = `encoder_conv_${i + 1}`;
      const conv = (activation: InLayerActivation | undefined) =>
        tfl.layers.conv2d({
          filters,
          kernelSize: body.kernelSize,
          strides: 2,
          padding: 'same',
          activation,
          kernelInitializer: init(),
          name,
        });
      h = chain(withActivation(conv, body.activation, `${name}_act`), h);
    });
    h = chain([tfl.layers.flatten({ name: 'encoder_flatten' })], h);
  }
  const outputs = heads.map((head) =>
    chain([tfl.layers.dense({ units: head.units, kernelInitializer: init(), name: head.name })], h),
  );
  if (standardizeCode) {
    // Batch norm with its scale and shift frozen at 1 and 0: codes of mean 0 and variance 1 per dimension (running statistics at
    // inference, saved with the encoder), so a code GAN or mapping network starts at the codes' scale.
    outputs[0] = chain(
      [tfl.layers.batchNormalization({ name: `${heads[0].name}${STANDARDIZED}` })],
      outputs[0],
    );
  }
  const encoder = tfl.model({
    name: 'encoder',
    inputs: x,
    outputs: outputs.length === 1 ? outputs[0] : outputs,
  });
  return freezeCodeStandardization(encoder);
}

const STANDARDIZED = '_standardized';

/**
 * Keeps a standardising batch norm's scale and shift at 1 and 0 (tfjs-layers' batch norm cannot train without
 * them: it reads gamma unconditionally). Trainability is not saved, so restore() calls this again.
 */
export function freezeCodeStandardization(encoder: tfl.LayersModel): tfl.LayersModel {
  for (const layer of encoder.layers.filter((l) => l.name.endsWith(STANDARDIZED))) {
    for (const weight of layer.weights) if (/gamma|beta/.test(weight.originalName)) weight.trainable = false;
  }
  return encoder;
}

/** Decoder: codes [n, inputSize] → samples [n, ...sampleShape], mirroring buildEncoder. */
export function buildDecoder(
  body: AutoencoderBody,
  context: BuildContext,
  inputSize = body.latent,
): tfl.LayersModel {
  const init = initialisers(context, 500);
  const { sampleShape } = context;
  const z = tfl.input({ shape: [inputSize], name: 'decoder_input' });
  let h: Symbolic = z;
  const dense = (units: number, name: string, activation: Activation) =>
    withActivation(
      (fused) => tfl.layers.dense({ units, activation: fused, kernelInitializer: init(), name }),
      activation,
      `${name}_act`,
    );
  if (body.architecture === 'dense') {
    [...body.hidden].reverse().forEach((units, i) => {
      h = chain(dense(units, `decoder_dense_${i + 1}`, body.activation), h);
    });
    const size = sampleShape.reduce((a, b) => a * b, 1);
    h = chain(dense(size, 'decoder_output', body.outputActivation), h);
    h = chain([tfl.layers.reshape({ targetShape: sampleShape, name: 'decoder_reshape' })], h);
  } else {
    const { channels, innerShape } = strideTwoGeometry(
      'architecture "conv"',
      body.filters,
      context.sampleShape,
    );
    h = chain(dense(innerShape[0] * innerShape[1] * innerShape[2], 'decoder_dense', body.activation), h);
    h = chain([tfl.layers.reshape({ targetShape: innerShape, name: 'decoder_reshape' })], h);
    const deconv = (filters: number, name: string) =>
      tfl.layers.conv2dTranspose({
        filters,
        kernelSize: body.kernelSize,
        strides: 2,
        padding: 'same',
        kernelInitializer: init(),
        name,
      });
    [...body.filters]
      .reverse()
      .slice(1)
      .forEach((filters, i) => {
        h = chain(
          [
            deconv(filters, `decoder_deconv_${i + 1}`),
            activationLayer(body.activation, `decoder_act_${i + 1}`),
          ],
          h,
        );
      });
    h = chain(
      [deconv(channels, 'decoder_output'), activationLayer(body.outputActivation, 'decoder_output_act')],
      h,
    );
  }
  return tfl.model({ name: 'decoder', inputs: z, outputs: h });
}

/** Reconstruction loss and, when that is not already MSE, the MSE beside it. */
export function reconstructionParts(
  body: Pick<AutoencoderBody, 'loss'>,
  x: Tensor,
  recon: Tensor,
): { reconstruction: Scalar; mse: Scalar } {
  const reconstruction = reconstructionLoss(body.loss, x, recon);
  const mse =
    body.loss === 'mse' ? reconstruction.clone() : (tf.mean(tf.squaredDifference(x, recon)) as Scalar);
  return { reconstruction, mse };
}

// --- Priors over codes ---

export const CodePrior = z.enum(['gaussian', 'mixture', 'uniform']);
export type CodePrior = z.infer<typeof CodePrior>;

/** Options of a prior over codes, spread into a schema. */
export const codePriorOptions = {
  /**
   * gaussian: N(0, I). mixture: `mixtureComponents` Gaussians of std `mixtureStd` whose means lie on a circle
   * of radius `mixtureRadius` in the first two dimensions (Makhzani et al.'s 2-D mixture, extended to more
   * dimensions by the same spread in the others). uniform: U(-1, 1) in every dimension.
   */
  prior: CodePrior.default('gaussian'),
  mixtureComponents: z.number().int().min(2).default(10),
  mixtureRadius: z.number().positive().default(4),
  mixtureStd: z.number().positive().default(0.5),
};

export interface CodePriorSpec {
  prior: CodePrior;
  mixtureComponents: number;
  mixtureRadius: number;
  mixtureStd: number;
}

/** Means of the mixture prior's components: [components, latent]. */
export function mixtureMeans(spec: CodePriorSpec, latent: number): Float32Array {
  const k = spec.mixtureComponents;
  const means = new Float32Array(k * latent);
  for (let c = 0; c < k; c++) {
    if (latent === 1) {
      means[c] = spec.mixtureRadius * ((2 * c) / (k - 1) - 1);
    } else {
      const angle = (2 * Math.PI * c) / k;
      means[c * latent] = spec.mixtureRadius * Math.cos(angle);
      means[c * latent + 1] = spec.mixtureRadius * Math.sin(angle);
    }
  }
  return means;
}

/** Seeded draws from a prior over codes: [n, latent]. */
export function samplePriorCodes(spec: CodePriorSpec, n: number, latent: number, seed: number): Tensor {
  return tf.tidy(() => {
    switch (spec.prior) {
      case 'gaussian':
        return tf.randomNormal([n, latent], 0, 1, 'float32', seed);
      case 'uniform':
        return tf.randomUniform([n, latent], -1, 1, 'float32', seed);
      case 'mixture': {
        const k = spec.mixtureComponents;
        const component = tf.cast(
          tf.floor(tf.mul(tf.randomUniform([n], 0, 1, 'float32', seed), k - 1e-4)),
          'int32',
        );
        const means = tf.gather(tf.tensor2d(mixtureMeans(spec, latent), [k, latent]), component);
        return tf.add(means, tf.randomNormal([n, latent], 0, spec.mixtureStd, 'float32', seed + 1));
      }
    }
  });
}

// --- Networks of the adversarial parts ---

/** A GAN NetworkSpec for dense networks over flat [n, size] vectors (codes). */
export function codeNetworkSpec(
  noise: number,
  generatorHidden: number[],
  discriminatorHidden: number[],
): NetworkSpec {
  return {
    architecture: 'dense',
    latent: noise,
    generatorHidden,
    discriminatorHidden,
    generatorFilters: [1],
    discriminatorFilters: [1],
    kernelSize: 1,
    outputActivation: 'linear',
    generatorClasses: 0,
    discriminatorClasses: 0,
    auxiliaryClasses: 0,
  };
}

/** The image discriminator of a hybrid: the GAN family's dense (MLP) or conv (DCGAN) discriminator. */
export function buildImageDiscriminator(
  architecture: Architecture,
  hidden: number[],
  filters: number[],
  context: BuildContext,
  seedOffset: number,
): tfl.LayersModel {
  const spec: NetworkSpec = {
    ...codeNetworkSpec(1, [], hidden),
    architecture,
    discriminatorFilters: filters,
    kernelSize: 4,
  };
  return buildDiscriminator(spec, { ...context, seed: context.seed + seedOffset });
}

// --- Adversarial updates ---

/** Options of a hybrid's adversarial game, spread into a schema. */
export const adversarialOptions = {
  /** GAN loss of the adversarial part (see the gan family). */
  adversarialLoss: GanLoss.default('non-saturating'),
  /** WGAN-GP's gradient-penalty weight lambda. */
  gradientPenaltyWeight: z.number().min(0).default(10),
  /** R1 penalty weight on real samples (losses other than wgan-gp); 0 disables. */
  r1: z.number().min(0).default(0),
  /** Discriminator updates per generator update; default 5 for wgan-gp, else 1. */
  discriminatorSteps: z.number().int().positive().optional(),
};

export interface AdversarialSettings {
  adversarialLoss: GanLoss;
  gradientPenaltyWeight: number;
  r1: number;
}

/** Discriminator updates per generator update, with the loss-dependent default filled in. */
export function discriminatorStepsOf(config: AdversarialSettings & { discriminatorSteps?: number }): number {
  return config.discriminatorSteps ?? (config.adversarialLoss === 'wgan-gp' ? 5 : 1);
}

/** Refuses r1 with wgan-gp, which has its own penalty (a schema refinement shared by the hybrids). */
export function checkAdversarial(config: AdversarialSettings, ctx: z.RefinementCtx): void {
  if (config.r1 > 0 && config.adversarialLoss === 'wgan-gp') {
    ctx.addIssue({
      code: 'custom',
      path: ['r1'],
      message: 'wgan-gp has its own gradient penalty (gradientPenaltyWeight); r1 is for the other losses',
    });
  }
}

/**
 * A discriminator's objective on real vs fake samples, penalties included (inside a tape or tidy):
 * `discriminator` (the total it minimises), and for wgan-gp `wasserstein`.
 */
export function discriminatorObjective(
  network: tfl.LayersModel,
  real: Tensor,
  fake: Tensor,
  settings: AdversarialSettings,
  seed: number,
): { discriminator: Scalar; wasserstein?: Scalar } {
  const logit = (x: Tensor) => discriminate(network, x, undefined, true).logit;
  const onReal = logit(real);
  const onFake = logit(fake);
  let total = discriminatorLoss(settings.adversarialLoss, onReal, onFake);
  if (settings.adversarialLoss === 'wgan-gp') {
    const penalty = gradientPenalty(logit, real, fake, { lambda: settings.gradientPenaltyWeight, seed });
    return {
      discriminator: tf.add(total, penalty) as Scalar,
      wasserstein: wassersteinEstimate(onReal, onFake),
    };
  }
  if (settings.r1 > 0) total = tf.add(total, r1Penalty(logit, real, settings.r1)) as Scalar;
  return { discriminator: total };
}

/** The generator side's adversarial loss on its samples (inside a tape). */
export function adversarialLossOf(network: tfl.LayersModel, fake: Tensor, loss: GanLoss): Scalar {
  return generatorLoss(loss, discriminate(network, fake, undefined, true).logit);
}

export interface AdversarialRound {
  discriminator: tfl.LayersModel;
  real: Tensor;
  /** Generated samples from noise, inside a tape (training mode). */
  fake: (noise: Tensor) => Tensor;
  noise: (n: number, seed: number) => Tensor;
  optimizers: { discriminator: tf.Optimizer; generator: tf.Optimizer };
  /** What the generator side updates. */
  variables: tf.Variable[];
  settings: AdversarialSettings & { discriminatorSteps?: number };
  /** Seed of a slot within this training step. */
  seed: (slot: number) => number;
  /** Name of the discriminator's loss in the returned parts (default `discriminator`). */
  discriminatorName?: string;
}

/**
 * One round of a GAN: discriminatorSteps updates of the discriminator on real vs generated samples (fresh noise
 * each, no tape through the generator), then one update of the generator side against it. Returns the
 * discriminator's loss (and `wasserstein` for wgan-gp) and the generator side's loss `generator`.
 */
export function adversarialRound(round: AdversarialRound): Record<string, Scalar | undefined> {
  const n = round.real.shape[0];
  const name = round.discriminatorName ?? 'discriminator';
  const dVars = trainableVariables(round.discriminator);
  const kept: Record<string, Scalar | undefined> = {};
  try {
    for (let k = 0; k < discriminatorStepsOf(round.settings); k++) {
      tf.dispose([kept[name], kept.wasserstein].filter((v): v is Scalar => v !== undefined));
      const generated = tf.tidy(() => round.fake(round.noise(n, round.seed(10 * k))));
      try {
        const d = minimize(
          round.optimizers.discriminator,
          dVars,
          () =>
            discriminatorObjective(
              round.discriminator,
              round.real,
              generated,
              round.settings,
              round.seed(10 * k + 1),
            ),
          'discriminator',
        );
        kept[name] = d.discriminator;
        kept.wasserstein = d.wasserstein;
      } finally {
        generated.dispose();
      }
    }
    const noise = round.noise(n, round.seed(1000));
    try {
      const loss = round.settings.adversarialLoss;
      kept.generator = minimize(
        round.optimizers.generator,
        round.variables,
        () => ({ generator: adversarialLossOf(round.discriminator, round.fake(noise), loss) }),
        'generator',
      ).generator;
    } finally {
      noise.dispose();
    }
    return kept;
  } catch (error) {
    tf.dispose(Object.values(kept).filter((v): v is Scalar => v !== undefined));
    throw error;
  }
}

export function trainableVariables(...networks: tfl.LayersModel[]): tf.Variable[] {
  return networks.flatMap((n) => n.trainableWeights.map((w) => w.read() as tf.Variable));
}

/**
 * One optimiser update minimising `parts[key]` over `variables`. Returns every part (the caller owns them);
 * nothing else the objective made survives.
 */
export function minimize<T extends Record<string, Scalar | undefined>>(
  optimizer: tf.Optimizer,
  variables: tf.Variable[],
  objective: () => T,
  key: keyof T,
): T {
  let parts: T | undefined;
  const { grads } = tf.variableGrads(() => {
    parts = objective();
    for (const value of Object.values(parts)) if (value) tf.keep(value);
    return parts[key] as Scalar;
  }, variables);
  optimizer.applyGradients(grads);
  tf.dispose(Object.values(grads));
  return parts!;
}

/** The optimisers a step needs, or a clear error naming the missing one. */
export function requireOptimizers(
  optimizers: Record<string, tf.Optimizer>,
  names: readonly string[],
  kind: string,
): void {
  const missing = names.find((name) => !optimizers[name]);
  if (missing) {
    throw new UsageError(`a ${kind} step needs the optimizers ${names.map((n) => `"${n}"`).join(', ')}`, {
      path: `optimizers.${missing}`,
    });
  }
}

/** Adam settings of an adversarial optimiser: its learning rate and DCGAN's beta1 0.5. */
export function adversarialAdam(learningRate: number) {
  return { learningRate, beta1: 0.5 };
}

/** Drops the parts that are absent and keeps a LossRecord's shape: `loss` is a clone of `parts[main]`. */
export function lossRecord(parts: Record<string, Scalar | undefined>, main: string): LossRecord {
  const present = Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== undefined)) as Record<
    string,
    Scalar
  >;
  if (!present[main]) throw new Error(`loss record has no "${main}"`);
  return { ...present, loss: present[main].clone() };
}

/** Seed of the preview's prior draws: the same every epoch, so frames compare. */
const PREVIEW_SEED_OFFSET = 7_777;
/** Evaluation draws with other seeds than the training step of the same number. */
const EVAL_SEED_OFFSET = 104_729;

type AutoencoderNetworks = { encoder: tfl.LayersModel; decoder: tfl.LayersModel };

/**
 * What the hybrids' models share: an encoder and a decoder with their reconstruction update, per-step seeds,
 * the preview (originals, reconstructions, samples from fixed prior draws) and disposal. A family adds its
 * prior, its generator and its phases.
 */
export abstract class HybridModel<
  C extends AutoencoderBody & { kind: string },
  N extends AutoencoderNetworks & Record<string, tfl.LayersModel | undefined>,
> {
  abstract readonly kind: string;
  protected readonly seed: number;

  constructor(
    readonly config: C,
    readonly context: BuildContext,
    readonly networks: N,
  ) {
    this.seed = context.seed;
  }

  get latentSize(): number {
    return this.config.latent;
  }

  abstract samplePrior(n: number, seed: number): Tensor;
  abstract generate(z: Tensor): Tensor;

  /** Seed of `slot` within training step `step`. */
  protected seedFor(step: number, slot: number): number {
    return (this.seed * 7919 + step * 4099 + slot) >>> 0;
  }

  /** Seed of evaluation draws for batch `step`, apart from every training seed of that step. */
  protected evaluationSeed(step: number): number {
    return this.seedFor(step + EVAL_SEED_OFFSET, 0);
  }

  /**
   * The encoder and decoder every hybrid has, read off their heads (a semi-supervised AAE's class head, a
   * decoder that also takes the class); a hybrid's other networks are declared by shape only.
   */
  networkRoles(): Record<string, NetworkRole> {
    const { encoder, decoder } = this.networks;
    const latent = this.config.latent;
    const extra = (decoder.inputs[0].shape[1] ?? latent) - latent;
    return {
      encoder: {
        summary: 'maps samples to codes',
        inputs: [SAMPLES_INPUT],
        outputs: encoder.outputs.map((output) =>
          output.name.includes('classes')
            ? `class logits [n, ${output.shape[1]}] (softmax for probabilities)`
            : `the code [n, ${latent}]`,
        ),
      },
      decoder: {
        summary: 'maps codes back to samples',
        inputs: [
          extra > 0
            ? `the code [n, ${latent}] followed by the class as one-hot [n, ${extra}]`
            : `the code [n, ${latent}]`,
        ],
        outputs: [samplesOutput('samples', this.config.outputActivation)],
      },
    };
  }

  encode(x: Tensor): Tensor {
    return this.networks.encoder.apply(x, { training: false }) as Tensor;
  }

  decode(code: Tensor): Tensor {
    return this.networks.decoder.apply(code, { training: false }) as Tensor;
  }

  reconstruct(x: Tensor): Tensor {
    return tf.tidy(() => this.decode(this.encode(x)));
  }

  /** One update of encoder and decoder on the reconstruction loss: its parts (`reconstruction`, `mse`). */
  protected reconstructionStep(x: Tensor, optimizer: tf.Optimizer) {
    const { encoder, decoder } = this.networks;
    return minimize(
      optimizer,
      trainableVariables(encoder, decoder),
      () => {
        const code = encoder.apply(x, { training: true }) as Tensor;
        return reconstructionParts(this.config, x, decoder.apply(code, { training: true }) as Tensor);
      },
      'reconstruction',
    );
  }

  /** Image data: originals above reconstructions, then samples from fixed prior draws. Undefined for tables. */
  preview(x: Tensor): { images: Tensor; rows: number; cols: number } | undefined {
    if (this.context.sampleShape.length !== 3) return undefined;
    return tf.tidy(() => {
      const n = x.shape[0];
      const samples = this.generate(this.samplePrior(n, (this.seed + PREVIEW_SEED_OFFSET) >>> 0));
      return { images: tf.concat([x, this.reconstruct(x), samples], 0), rows: 3, cols: n };
    });
  }

  dispose(): void {
    for (const network of Object.values(this.networks)) network?.dispose();
  }
}

/** Phase of a multi-stage hybrid at a training epoch (1-based; outside training, the first phase). */
export function phaseAt<P extends string>(
  epoch: number | undefined,
  phases: readonly { phase: P; epochs: number }[],
  last: P,
): P {
  let end = 0;
  for (const { phase, epochs } of phases) {
    end += epochs;
    if ((epoch ?? 1) <= end) return phase;
  }
  return last;
}

/** The class count of labelled data, or a ConfigError naming the option that needs it. */
export function requireClasses(context: BuildContext, option: string, what: string): number {
  if (!context.numClasses) {
    throw new ConfigError(`${what} needs class labels, but the data has none`, { path: `model.${option}` });
  }
  return context.numClasses;
}
