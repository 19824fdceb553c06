// VQ-VAE (van den Oord et al. 2017): the encoder's grid of vectors is snapped to the nearest codebook vectors,
// the decoder reads them back; gradients pass the quantisation straight through; a codebook loss pulls the codes
// to the encoder's outputs and a commitment loss (beta) the outputs to their codes. A gated PixelCNN prior over
// the grid's indices trains after (phase two), so the model samples ancestrally and its codes compress.
//
// encode() gives the quantised vectors flattened [n, h·w·embeddingDim]; samplePrior() gives prior draws in the
// same space. Interpolating two such codes moves every position's vector along a straight line, off the
// codebook between the ends: the decoder shows a blend of the two images, not a path through codes it knows.

import { meanSquaredError } from '../../engine/kernels/row-loss.js';
import { type Tensor, tf } from '../../engine/tf.js';
import type {
  Autoencoder,
  Batch,
  BuildContext,
  GenerativeModel,
  LossRecord,
  ModelFamily,
  NetworkRole,
} from '../family.js';
import { SAMPLES_INPUT, samplesOutput } from '../family.js';
import { reconstructionLoss } from '../shared/autoencoder-base.js';
import type { DiscreteCodeModel } from '../shared/discrete-codes.js';
import { phaseAt } from '../shared/hybrid-model.js';
import { previewSeed, slotSeed } from '../shared/seeds.js';
import { lossRecord, minimize, requireOptimizers, trainableVariables } from '../shared/step.js';
import { VqVaeConfig } from './config.js';
import {
  buildCodebook,
  buildDecoder,
  buildEncoder,
  codeGrid,
  squaredDistances,
  type VqVaeNetworks,
} from './networks.js';
import { buildPrior, priorLogProbabilities, priorLoss, rowLogits, samplePriorIndices } from './prior.js';

export type VqVaePhase = 'autoencoder' | 'prior';

/** The identity forwards, the quantised value backwards: z_e + sg(z_q − z_e) of the paper. */
const straightThrough = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
  const [, zq] = args as Tensor[];
  return { value: zq.clone(), gradFunc: (dy: Tensor) => [dy, tf.zerosLike(dy)] };
}) as (ze: Tensor, zq: Tensor) => Tensor;

/** sg(x): the value, with no gradient. */
const stopGradient = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
  const [x] = args as Tensor[];
  return { value: x.clone(), gradFunc: (dy: Tensor) => tf.zerosLike(dy) };
}) as (x: Tensor) => Tensor;

/**
 * LossRecord: `reconstruction`, `mse`, `codebook` (|sg(z_e) − z_q|²), `commitment` (|z_e − sg(z_q)|², before its
 * weight), `total` (the first phase's objective), `perplexity` (exp of the entropy of the batch's code use: the
 * codes in use, dead codes lowering it), `prior` (the prior's cross-entropy, nats per position) and `bitsPerImage`
 * (the same over the whole grid, in bits). A step's `loss` is its phase's objective (`total`, then `prior`);
 * evaluation's is their sum, which falls through both phases.
 */
export class VqVaeModel implements Autoencoder<VqVaeConfig>, GenerativeModel<VqVaeConfig>, DiscreteCodeModel {
  readonly kind = 'vq-vae';
  readonly optimizerNames = ['autoencoder', 'prior'] as const;
  readonly encodesToPrior = true;
  /** Each draw runs the PixelCNN once per grid position (see GenerativeModel.autoregressivePrior). */
  readonly autoregressivePrior = true;
  readonly codeGrid: readonly [number, number];
  readonly codebookSize: number;
  readonly latentSize: number;

  constructor(
    readonly config: VqVaeConfig,
    readonly context: BuildContext,
    readonly networks: VqVaeNetworks,
  ) {
    this.codeGrid = codeGrid(config, context);
    this.codebookSize = config.codebookSize;
    this.latentSize = this.codeGrid[0] * this.codeGrid[1] * config.embeddingDim;
  }

  phaseAt(epoch: number | undefined): VqVaePhase {
    return phaseAt(epoch, [{ phase: 'autoencoder', epochs: this.config.autoencoderEpochs }], 'prior');
  }

  /** The codebook [K, D]: the codebook network's embedding variable itself (its gradient trains it). */
  private codebook(): tf.Tensor2D {
    return this.networks.codebook.trainableWeights[0].read() as tf.Tensor2D;
  }

  /** Unquantised vectors [n, h, w, D] → nearest code indices [n·h·w] int32 and their vectors [n, h, w, D]. */
  private quantise(ze: Tensor): { indices: Tensor; zq: Tensor } {
    const flat = tf.reshape(ze, [-1, this.config.embeddingDim]) as tf.Tensor2D;
    const codebook = this.codebook();
    const indices = tf.argMin(squaredDistances(flat, codebook), 1);
    // One-hot rows times the codebook rather than a gather: the same vectors, and no int32 gradient for the
    // tape to refuse when training differentiates through the selection.
    const zq = tf.matMul(tf.oneHot(indices, this.codebookSize), codebook);
    return { indices, zq: tf.reshape(zq, ze.shape) };
  }

  codeIndices(x: Tensor): Tensor {
    return tf.tidy(() => {
      const ze = this.networks.encoder.apply(x, { training: false }) as Tensor;
      return tf.reshape(this.quantise(ze).indices, [x.shape[0], ...this.codeGrid]);
    });
  }

  embedIndices(indices: Tensor): Tensor {
    return tf.tidy(() =>
      tf.reshape(tf.gather(this.codebook(), tf.reshape(tf.cast(indices, 'int32'), [-1])), [
        indices.shape[0],
        this.latentSize,
      ]),
    );
  }

  priorLogProbabilities(indices: Tensor): Tensor {
    return priorLogProbabilities(this.networks.prior, indices, this.codebookSize);
  }

  rowLogProbabilities(indices: Int32Array, n: number, row: number): Tensor {
    return tf.tidy(() =>
      tf.logSoftmax(rowLogits(this.networks.prior, indices, n, [...this.codeGrid], this.codebookSize, row)),
    );
  }

  /** log p of each position's own code given the ones before it: [n, h, w] (nats). */
  codeLogProbabilities(indices: Tensor): Tensor {
    return tf.tidy(() =>
      tf.sum(
        tf.mul(this.priorLogProbabilities(indices), tf.oneHot(tf.cast(indices, 'int32'), this.codebookSize)),
        -1,
      ),
    );
  }

  encode(x: Tensor): Tensor {
    return tf.tidy(() => {
      const ze = this.networks.encoder.apply(x, { training: false }) as Tensor;
      return tf.reshape(this.quantise(ze).zq, [x.shape[0], this.latentSize]);
    });
  }

  decode(z: Tensor): Tensor {
    return this.networks.decoder.apply(z, { training: false }) as Tensor;
  }

  reconstruct(x: Tensor): Tensor {
    return tf.tidy(() => this.decode(this.encode(x)));
  }

  /** Code grids drawn ancestrally from the prior, as their vectors flattened [n, latentSize]. */
  samplePrior(n: number, seed: number): Tensor {
    const indices = samplePriorIndices(this.networks.prior, n, [...this.codeGrid], this.codebookSize, seed);
    try {
      return this.embedIndices(indices);
    } finally {
      indices.dispose();
    }
  }

  generate(z: Tensor): Tensor {
    return this.decode(z);
  }

  networkRoles(): Record<string, NetworkRole> {
    const [h, w] = this.codeGrid;
    const { embeddingDim: d, codebookSize: k } = this.config;
    return {
      encoder: {
        summary: 'maps samples to unquantised code vectors; each is replaced by its nearest codebook vector',
        inputs: [SAMPLES_INPUT],
        outputs: [`code vectors [n, ${h}, ${w}, ${d}] before quantisation`],
      },
      codebook: {
        summary: 'the codebook: code indices to their vectors',
        inputs: [`code indices [n, ${h * w}] (int32, raster order, each 0 .. ${k - 1})`],
        outputs: [`their vectors [n, ${h * w}, ${d}]`],
      },
      decoder: {
        summary: 'maps quantised code vectors back to samples',
        inputs: [`the code vectors flattened [n, ${h * w * d}] (position-major, vector last)`],
        outputs: [samplesOutput('reconstructions', this.config.outputActivation)],
      },
      prior: {
        summary: "the PixelCNN prior: each position's code given the codes before it in raster order",
        inputs: [`code indices one-hot [n, ${h}, ${w}, ${k}]`],
        outputs: [
          `logits [n, ${h}, ${w}, ${k}] (softmax over the last axis; position (i, j) sees only earlier ones)`,
        ],
      },
    };
  }

  /** The first phase's losses on x (inside a tape when training). */
  private autoencoderParts(x: Tensor, training: boolean) {
    const { encoder, decoder } = this.networks;
    const ze = encoder.apply(x, { training }) as Tensor;
    const { indices, zq } = this.quantise(ze);
    const recon = decoder.apply(tf.reshape(straightThrough(ze, zq), [x.shape[0], this.latentSize]), {
      training,
    }) as Tensor;
    const reconstruction = reconstructionLoss(this.config.loss, x, recon);
    const mse = meanSquaredError(x, recon);
    const codebook = meanSquaredError(stopGradient(ze), zq);
    const commitment = meanSquaredError(stopGradient(zq), ze);
    const total = tf.addN([
      reconstruction,
      codebook,
      tf.mul(this.config.commitment, commitment),
    ]) as tf.Scalar;
    const use = tf.mean(tf.oneHot(indices, this.codebookSize), 0);
    const perplexity = tf.exp(tf.neg(tf.sum(tf.mul(use, tf.log(tf.add(use, 1e-10)))))) as tf.Scalar;
    return { total, reconstruction, mse, codebook, commitment, perplexity };
  }

  /**
   * Dead-code restart: each code no vector of the batch chose moves onto one of the batch's encoder outputs
   * (drawn with `seed`), so it competes again. Cheap, and keeps the codebook in use where a small uniform start
   * otherwise leaves most codes unchosen for good (codebook collapse).
   */
  private restartDeadCodes(x: Tensor, seed: number): void {
    const variable = this.codebook() as unknown as tf.Variable;
    tf.tidy(() => {
      const ze = tf.reshape(this.networks.encoder.apply(x, { training: false }) as Tensor, [
        -1,
        this.config.embeddingDim,
      ]) as tf.Tensor2D;
      const indices = tf.argMin(squaredDistances(ze, this.codebook()), 1);
      const dead = tf.expandDims(tf.equal(tf.sum(tf.oneHot(indices, this.codebookSize), 0), 0), 1);
      const picks = tf.randomUniformInt([this.codebookSize], 0, ze.shape[0], seed);
      variable.assign(tf.where(dead, tf.gather(ze, picks), variable as tf.Tensor));
    });
  }

  private bitsPerImage(prior: tf.Scalar): tf.Scalar {
    return tf.mul(prior, (this.codeGrid[0] * this.codeGrid[1]) / Math.LN2) as tf.Scalar;
  }

  trainStep(batch: Batch, optimizers: Record<string, tf.Optimizer>): LossRecord {
    requireOptimizers(optimizers, this.optimizerNames, 'vq-vae');
    if (this.phaseAt(batch.epoch) === 'autoencoder') {
      const { encoder, codebook, decoder } = this.networks;
      const parts = minimize(
        optimizers.autoencoder,
        trainableVariables(encoder, codebook, decoder),
        () => this.autoencoderParts(batch.x, true),
        'total',
      );
      if (this.config.restartDeadCodes)
        this.restartDeadCodes(batch.x, slotSeed(this.context.seed, batch.step, 1));
      return lossRecord(parts, 'total');
    }
    // The autoencoder is frozen: the prior learns the codes it gives.
    const indices = this.codeIndices(batch.x);
    try {
      const parts = minimize(
        optimizers.prior,
        trainableVariables(this.networks.prior),
        () => ({ prior: priorLoss(this.networks.prior, indices, this.codebookSize, true) }),
        'prior',
      );
      return lossRecord({ ...parts, bitsPerImage: this.bitsPerImage(parts.prior) }, 'prior');
    } finally {
      indices.dispose();
    }
  }

  evaluate(batch: Batch): LossRecord {
    return tf.tidy(() => {
      const parts = this.autoencoderParts(batch.x, false);
      const indices = this.codeIndices(batch.x);
      const prior = priorLoss(this.networks.prior, indices, this.codebookSize, false);
      return {
        ...parts,
        prior,
        bitsPerImage: this.bitsPerImage(prior),
        loss: tf.add(parts.total, prior) as tf.Scalar,
      };
    });
  }

  /** Originals above reconstructions, then prior samples from fixed draws. */
  preview(x: Tensor): { images: Tensor; rows: number; cols: number } {
    return tf.tidy(() => {
      const n = x.shape[0];
      const samples = this.generate(this.samplePrior(n, previewSeed(this.context.seed)));
      return { images: tf.concat([x, this.reconstruct(x), samples], 0), rows: 3, cols: n };
    });
  }

  dispose(): void {
    for (const network of Object.values(this.networks)) network.dispose();
  }
}

export const vqVaeFamily: ModelFamily<typeof VqVaeConfig> = {
  kind: 'vq-vae',
  description:
    'VQ-VAE: a conv encoder onto a grid of codebook vectors and a PixelCNN prior over them (samples, range-coded compression)',
  configSchema: VqVaeConfig,
  needsImages: true,
  build(config, context) {
    const grid = codeGrid(config, context);
    return new VqVaeModel(config, context, {
      encoder: buildEncoder(config, context),
      codebook: buildCodebook(config, context, grid[0] * grid[1]),
      decoder: buildDecoder(config, context),
      prior: buildPrior(config, grid, context),
    });
  },
  restore(config, context, networks) {
    const { encoder, codebook, decoder, prior } = networks;
    return new VqVaeModel(config, context, { encoder, codebook, decoder, prior });
  },
};
