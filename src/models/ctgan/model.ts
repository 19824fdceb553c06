// CTGAN (Xu et al. 2019, as SDV's ctgan package builds it): a conditional WGAN-GP over the encoded table. The
// generator (residual blocks with batch norm) takes noise and a conditional vector over the categorical columns;
// its outputs go through tanh (mode alphas) and a Gumbel-softmax (choices); a PacGAN discriminator judges `pac`
// rows at once; training-by-sampling draws real rows that hold the conditioned level, and the generator pays a
// cross-entropy on the conditioned column. Missing cells: a fake row is masked like the real row beside it, so
// the discriminator compares observed cells only.
import type { Dataset } from '../../data/dataset.js';
import { createRng } from '../../data/random.js';
import { tableSpans } from '../../data/table/encoding.js';
import { type Scalar, type Tensor, tf, tfl } from '../../engine/tf.js';
import { ConfigError, UsageError } from '../../errors.js';
import type {
  Batch,
  BuildContext,
  GenerativeModel,
  LossRecord,
  ModelFamily,
  NetworkRole,
} from '../family.js';
import { gradientPenalty, wassersteinEstimate } from '../shared/gan-losses.js';
import { chain, initialisers, type Symbolic } from '../shared/layers.js';
import { evaluationStep, slotSeed } from '../shared/seeds.js';
import { minimize, requireOptimizers, trainableVariables } from '../shared/step.js';
import {
  type RowCondition,
  requireTable,
  type SpanGroups,
  type TableSampler,
  weightDecayPenalty,
} from '../shared/table-heads.js';
import { CtganConfig } from './config.js';
import {
  ConditionalSampler,
  type Conditions,
  conditionOf,
  type DiscreteColumn,
  discreteColumns,
  samplingConditions,
} from './sampler.js';

export * from './config.js';
export * from './sampler.js';

/** torch's BatchNorm1d: momentum 0.1 (tfjs counts the other way), epsilon 1e-5. */
const BATCH_NORM = { momentum: 0.9, epsilon: 1e-5 };
const LEAK = 0.2;

/** Generator: [noise ++ cond] → raw outputs [n, width]; each residual block appends relu(bn(dense(h))) to h. */
function buildGenerator(config: CtganConfig, context: BuildContext, condWidth: number): tfl.LayersModel {
  const init = initialisers(context, 0);
  const width = context.sampleShape[0];
  const input = tfl.input({ shape: [config.latent + condWidth], name: 'generator_input' });
  let h: Symbolic = input;
  config.generatorHidden.forEach((units, i) => {
    const name = `generator_residual_${i + 1}`;
    const out = chain(
      [
        tfl.layers.dense({ units, kernelInitializer: init(), name: `${name}_dense` }),
        tfl.layers.batchNormalization({ ...BATCH_NORM, name: `${name}_bn` }),
        tfl.layers.reLU({ name: `${name}_relu` }),
      ],
      h,
    );
    h = tfl.layers.concatenate({ name: `${name}_concat` }).apply([out, h]) as Symbolic;
  });
  const output = chain(
    [tfl.layers.dense({ units: width, kernelInitializer: init(), name: 'generator_output' })],
    h,
  );
  return tfl.model({ name: 'generator', inputs: input, outputs: output });
}

/**
 * Discriminator over packed rows [n / pac, pac · (width + cond)] → a critic score [n / pac, 1]. The saved network
 * has no dropout (inference has none); training applies it between the layers (seeded, see discriminate()).
 */
function buildDiscriminator(config: CtganConfig, context: BuildContext, condWidth: number): tfl.LayersModel {
  const init = initialisers(context, 100);
  const input = tfl.input({
    shape: [config.pac * (context.sampleShape[0] + condWidth)],
    name: 'discriminator_input',
  });
  let h: Symbolic = input;
  config.discriminatorHidden.forEach((units, i) => {
    h = chain(
      [
        tfl.layers.dense({ units, kernelInitializer: init(), name: `discriminator_dense_${i + 1}` }),
        tfl.layers.leakyReLU({ alpha: LEAK, name: `discriminator_act_${i + 1}` }),
      ],
      h,
    );
  });
  const output = chain(
    [tfl.layers.dense({ units: 1, kernelInitializer: init(), name: 'discriminator_output' })],
    h,
  );
  return tfl.model({ name: 'discriminator', inputs: input, outputs: output });
}

/** Standard Gumbel noise -log(-log U), U kept off 0 and 1 so neither log overflows. */
function gumbel(shape: number[], seed: number): Tensor {
  return tf.neg(tf.log(tf.neg(tf.log(tf.randomUniform(shape, 1e-10, 1 - 1e-7, 'float32', seed)))));
}

export class CtganModel implements GenerativeModel<CtganConfig>, TableSampler {
  readonly kind = 'ctgan';
  readonly optimizerNames = ['generator', 'discriminator'] as const;
  readonly networks: { generator: tfl.LayersModel; discriminator: tfl.LayersModel };
  readonly discrete: readonly DiscreteColumn[];
  private readonly groups: SpanGroups;
  private readonly condWidth: number;
  private readonly hidden: tfl.layers.Layer[];
  private readonly output: tfl.layers.Layer;
  /** Training rows for training-by-sampling, set by prepare(); without them a step draws from its own batch. */
  private training?: { sampler: ConditionalSampler; x: Float32Array; mask?: Float32Array };

  constructor(
    readonly config: CtganConfig,
    readonly context: BuildContext,
    generator: tfl.LayersModel,
    discriminator: tfl.LayersModel,
  ) {
    const { encoding, groups } = requireTable(context, 'ctgan');
    this.groups = groups;
    this.discrete = discreteColumns(encoding, tableSpans(encoding));
    this.condWidth = this.discrete.reduce((sum, c) => sum + c.span.width, 0);
    this.networks = { generator, discriminator };
    this.hidden = config.discriminatorHidden.map((_, i) =>
      discriminator.getLayer(`discriminator_dense_${i + 1}`),
    );
    this.output = discriminator.getLayer('discriminator_output');
  }

  /** SDV's Adam: betas (0.5, 0.9) for both networks. */
  get optimizerSettings() {
    const betas = { beta1: 0.5, beta2: 0.9 };
    return {
      generator: { learningRate: this.config.generatorLearningRate, ...betas },
      discriminator: { learningRate: this.config.discriminatorLearningRate, ...betas },
    };
  }

  get latentSize(): number {
    return this.config.latent;
  }

  networkRoles(): Record<string, NetworkRole> {
    return {
      generator: {
        summary: 'maps noise and a conditional vector to raw encoded rows',
        inputs: [
          `noise z ~ N(0, I) [n, ${this.config.latent}] followed by the conditional vector [n, ${this.condWidth}] (one level of one categorical column set to 1)`,
        ],
        outputs: [
          'raw outputs [n, width]: tanh for bounded values (mode alphas), as they are for other values, softmax (or a Gumbel-max draw) per choice group',
        ],
      },
      discriminator: {
        summary: `a Wasserstein critic over ${this.config.pac} rows at once (PacGAN)`,
        inputs: [
          `${this.config.pac} rows, each [activated row ++ conditional vector], flattened [n / pac, pac · (width + cond)]`,
        ],
        outputs: ['a raw score [n / pac, 1] (higher means more real)'],
      },
    };
  }

  /**
   * Before the first epoch: the whole training split, so training-by-sampling draws real rows by level from all
   * of it (SDV's DataSampler), not only from the step's batch. The trainer calls it when the family has it.
   */
  prepare(train: Dataset): void {
    const width = this.groups.width;
    if (train.sampleShape.length !== 1 || train.sampleShape[0] !== width)
      throw new ConfigError(
        `ctgan: the training rows are [${train.sampleShape.join(', ')}], not [${width}]`,
        {
          path: train.name,
        },
      );
    const sampler = new ConditionalSampler(
      this.discrete,
      train.x,
      train.mask,
      width,
      this.config.logFrequency,
    );
    this.training = { sampler, x: train.x, mask: train.mask };
  }

  /** Rows per step: the batch's, rounded down to whole packs (at least one pack). */
  private rowsPerStep(batchRows: number): number {
    return Math.max(this.config.pac, Math.floor(batchRows / this.config.pac) * this.config.pac);
  }

  /** Where real rows come from: the prepared training split, else the batch itself. */
  private source(batch: Batch): { sampler: ConditionalSampler; x: Float32Array; mask?: Float32Array } {
    if (this.training) return this.training;
    const x = batch.x.dataSync() as Float32Array;
    const mask = batch.mask?.dataSync() as Float32Array | undefined;
    const sampler = new ConditionalSampler(
      this.discrete,
      x,
      mask,
      this.groups.width,
      this.config.logFrequency,
    );
    return { sampler, x, mask };
  }

  /** The rows at `indices` of a row-major [rows, width] array, as a tensor [n, width]. */
  private gather(from: Float32Array, indices: Int32Array): Tensor {
    const width = this.groups.width;
    const out = new Float32Array(indices.length * width);
    indices.forEach((r, i) => {
      out.set(from.subarray(r * width, (r + 1) * width), i * width);
    });
    return tf.tensor2d(out, [indices.length, width]);
  }

  /** Raw generator outputs [n, width] for noise z [n, latent] and conditions [n, cond]. */
  private runGenerator(z: Tensor, cond: Tensor, training: boolean): Tensor {
    const input = this.condWidth > 0 ? tf.concat([z, cond], 1) : z;
    return this.networks.generator.apply(input, { training }) as Tensor;
  }

  /**
   * Activated rows: tanh for bounded values, linear values as they are, choices through a Gumbel-softmax at
   * temperature gumbelTau (training), or (hard) one-hot at argmax(logits + Gumbel): an exact draw from the
   * softmax, which is what SDV's sampling (Gumbel-softmax, then argmax) amounts to.
   */
  private activate(raw: Tensor, seed: number, hard: boolean): Tensor {
    const parts = this.groups.spans.map((span, i) => {
      const piece = tf.slice(raw, [0, span.start], [-1, span.width]);
      if (span.kind === 'value') return span.bounded ? tf.tanh(piece) : piece;
      const noisy = tf.add(piece, gumbel(piece.shape, seed + i));
      if (!hard) return tf.softmax(tf.div(noisy, this.config.gumbelTau));
      return tf.cast(tf.oneHot(tf.argMax(noisy, 1), span.width), 'float32');
    });
    return parts.length === 1 ? parts[0] : tf.concat(parts, 1);
  }

  /** Rows [n, d] as packs [n / pac, pac · d]: each critic input is pac rows side by side. */
  private pack(rows: Tensor): Tensor {
    return tf.reshape(rows, [-1, this.config.pac * rows.shape[1]!]);
  }

  /** Critic scores [n / pac, 1] of packed rows [n / pac, pac · (width + cond)]; dropout (seeded) when training. */
  private discriminate(packed: Tensor, training: boolean, seed: number): Tensor {
    let h = packed;
    this.hidden.forEach((layer, i) => {
      h = tf.leakyRelu(layer.apply(h) as Tensor, LEAK);
      const rate = this.config.dropout;
      if (training && rate > 0) {
        const keep = tf.cast(
          tf.greaterEqual(tf.randomUniform(h.shape, 0, 1, 'float32', seed + i), rate),
          'float32',
        );
        h = tf.mul(h, tf.div(keep, 1 - rate));
      }
    });
    return this.output.apply(h) as Tensor;
  }

  /**
   * The generator's cross-entropy on the conditioned columns (SDV's _cond_loss): per row, -log softmax of the
   * conditioned level within its column's raw outputs; mean over rows.
   */
  private conditionLoss(raw: Tensor, cond: Tensor, chosen: Tensor): Scalar {
    const terms = this.discrete.map((column, d) => {
      const logits = tf.slice(raw, [0, column.span.start], [-1, column.span.width]);
      const target = tf.slice(cond, [0, column.condStart], [-1, column.span.width]);
      const ce = tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1));
      return tf.mul(ce, tf.reshape(tf.slice(chosen, [0, d], [-1, 1]), [-1]));
    });
    return tf.mean(terms.length === 1 ? terms[0] : tf.addN(terms)) as Scalar;
  }

  /** One draw of a step's inputs: conditions, noise, and real rows (with masks) holding the conditioned levels. */
  private draw(
    source: { sampler: ConditionalSampler; x: Float32Array; mask?: Float32Array },
    n: number,
    seed: number,
  ) {
    const random = createRng(seed);
    const conditions = source.sampler.trainingConditions(n, random);
    // Real rows hold a shuffled copy of the conditions (SDV's perm): the critic cannot pair rows by position.
    const perm = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    const permuted: Conditions = source.sampler.conditionsOf(
      Int32Array.from(perm, (p) => conditions.columns[p]),
      Int32Array.from(perm, (p) => conditions.levels[p]),
    );
    const rows = source.sampler.rowsFor(permuted, random);
    return tf.tidy(() => ({
      z: tf.randomNormal([n, this.config.latent], 0, 1, 'float32', seed),
      cond: tf.tensor2d(conditions.cond, [n, this.condWidth]),
      chosen: tf.tensor2d(conditions.chosen, [n, this.discrete.length]),
      realCond: tf.tensor2d(permuted.cond, [n, this.condWidth]),
      real: this.gather(source.x, rows),
      mask: source.mask ? this.gather(source.mask, rows) : undefined,
    }));
  }

  /** [rows ++ cond], the rows masked like the real rows when the data has gaps. */
  private withCond(rows: Tensor, cond: Tensor, mask: Tensor | undefined): Tensor {
    const masked = mask ? tf.mul(rows, mask) : rows;
    return this.condWidth > 0 ? tf.concat([masked, cond], 1) : masked;
  }

  private discriminatorParts(
    inputs: ReturnType<CtganModel['draw']>,
    fake: Tensor,
    training: boolean,
    seed: number,
  ): Record<string, Scalar> & { discriminator: Scalar } {
    const real = this.pack(this.withCond(inputs.real, inputs.realCond, inputs.mask));
    const generated = this.pack(this.withCond(fake, inputs.cond, inputs.mask));
    const onReal = this.discriminate(real, training, seed);
    const onFake = this.discriminate(generated, training, seed + 17);
    const wasserstein = wassersteinEstimate(onReal, onFake);
    // One alpha per pack, as SDV's calc_gradient_penalty: the critic's inputs are the packs.
    const penalty = gradientPenalty((x) => this.discriminate(x, training, seed + 31), real, generated, {
      lambda: this.config.gradientPenaltyWeight,
      seed: seed + 47,
    });
    let discriminator = tf.add(tf.neg(wasserstein), penalty) as Scalar;
    if (training && this.config.weightDecay > 0)
      discriminator = tf.add(
        discriminator,
        weightDecayPenalty(trainableVariables(this.networks.discriminator), this.config.weightDecay),
      ) as Scalar;
    return { discriminator, wasserstein, gradientPenalty: penalty };
  }

  private generatorParts(
    inputs: ReturnType<CtganModel['draw']>,
    training: boolean,
    seed: number,
  ): { generator: Scalar; conditional: Scalar } {
    const raw = this.runGenerator(inputs.z, inputs.cond, training);
    const fake = this.activate(raw, seed, false);
    const score = this.discriminate(
      this.pack(this.withCond(fake, inputs.cond, inputs.mask)),
      training,
      seed + 17,
    );
    const conditional =
      this.discrete.length > 0 ? this.conditionLoss(raw, inputs.cond, inputs.chosen) : tf.scalar(0);
    let generator = tf.add(tf.neg(tf.mean(score)), conditional) as Scalar;
    if (training && this.config.weightDecay > 0)
      generator = tf.add(
        generator,
        weightDecayPenalty(trainableVariables(this.networks.generator), this.config.weightDecay),
      ) as Scalar;
    return { generator, conditional };
  }

  /**
   * discriminatorSteps critic updates (fresh conditions, noise and real rows each), then one generator update.
   * `loss` is the critic's Wasserstein estimate (it tracks sample quality); the batch sets only how many rows a
   * step draws when the training split was prepared.
   */
  trainStep(batch: Batch, optimizers: Record<string, tf.Optimizer>): LossRecord {
    requireOptimizers(optimizers, this.optimizerNames, 'ctgan');
    const n = this.rowsPerStep(batch.x.shape[0]);
    const source = this.source(batch);
    const dVars = trainableVariables(this.networks.discriminator);
    const gVars = trainableVariables(this.networks.generator);
    let last: Record<string, Scalar> | undefined;
    for (let k = 0; k < this.config.discriminatorSteps; k++) {
      const seed = slotSeed(this.context.seed, batch.step, 4 * k);
      const inputs = this.draw(source, n, seed);
      try {
        // Generated outside the critic's tape: no gradient through the generator.
        const fake = tf.tidy(() =>
          this.activate(this.runGenerator(inputs.z, inputs.cond, true), seed + 1, false),
        );
        tf.dispose(last ? Object.values(last) : []);
        last = minimize(
          optimizers.discriminator,
          dVars,
          () => {
            const parts = this.discriminatorParts(inputs, fake, true, seed + 2);
            return parts;
          },
          'discriminator',
        );
        fake.dispose();
      } finally {
        tf.dispose(Object.values(inputs));
      }
    }
    const seed = slotSeed(this.context.seed, batch.step, 4 * this.config.discriminatorSteps);
    const inputs = this.draw(source, n, seed);
    try {
      const g = minimize(
        optimizers.generator,
        gVars,
        () => this.generatorParts(inputs, true, seed + 1),
        'generator',
      );
      return { ...last!, ...g, loss: last!.wasserstein.clone() };
    } finally {
      tf.dispose(Object.values(inputs));
    }
  }

  /** The step's losses on rows drawn from this batch, without dropout or updates. */
  evaluate(batch: Batch): LossRecord {
    const n = this.rowsPerStep(batch.x.shape[0]);
    const seed = slotSeed(this.context.seed, evaluationStep(batch.step), 0);
    const inputs = this.draw(this.source(batch), n, seed);
    try {
      return tf.tidy(() => {
        const fake = this.activate(this.runGenerator(inputs.z, inputs.cond, false), seed + 1, false);
        const d = this.discriminatorParts(inputs, fake, false, seed + 2);
        const g = this.generatorParts(inputs, false, seed + 3);
        return { ...d, ...g, loss: d.wasserstein.clone() };
      });
    } finally {
      tf.dispose(Object.values(inputs));
    }
  }

  samplePrior(n: number, seed: number): Tensor {
    return tf.randomNormal([n, this.config.latent], 0, 1, 'float32', seed);
  }

  /** Rows [n, width] for noise z: conditions drawn from the training level frequencies with the model's seed. */
  generate(z: Tensor): Tensor {
    return this.rowsFor(z, this.context.seed, undefined);
  }

  /**
   * n rows drawn as SDV samples: noise, a conditional vector from the training level frequencies (or the given
   * condition for every row: SDV's condition_column / condition_value), the generator in inference mode, values
   * through tanh, choices one-hot (a draw from each group's softmax).
   */
  sampleRows(n: number, seed: number, condition?: RowCondition): Tensor {
    const given = condition ? conditionOf(this.discrete, condition) : undefined;
    return tf.tidy(() => this.rowsFor(this.samplePrior(n, seed), seed, given));
  }

  private rowsFor(z: Tensor, seed: number, given: { column: number; level: number } | undefined): Tensor {
    const n = z.shape[0];
    const random = createRng(seed + 1);
    const sampler = new ConditionalSampler(
      this.discrete,
      new Float32Array(0),
      undefined,
      this.groups.width,
      false,
    );
    const conditions = given
      ? sampler.conditionsOf(new Int32Array(n).fill(given.column), new Int32Array(n).fill(given.level))
      : samplingConditions(this.discrete, this.context.table!, n, random, sampler);
    return tf.tidy(() => {
      const cond = tf.tensor2d(conditions.cond, [n, this.condWidth]);
      return this.activate(this.runGenerator(z, cond, false), seed + 2, true);
    });
  }

  /** Critic scores [n / pac] of rows [n, width] (n a multiple of pac) with their conditional vectors [n, cond]. */
  discriminatorScores(rows: Tensor, cond: Tensor): Tensor {
    if (rows.shape[0] % this.config.pac !== 0)
      throw new UsageError(`the critic judges ${this.config.pac} rows at once, got ${rows.shape[0]}`, {
        path: 'rows',
      });
    return tf.tidy(() =>
      tf.reshape(this.discriminate(this.pack(this.withCond(rows, cond, undefined)), false, 0), [-1]),
    );
  }

  dispose(): void {
    this.networks.generator.dispose();
    this.networks.discriminator.dispose();
  }
}

export const ctganFamily: ModelFamily<typeof CtganConfig> = {
  kind: 'ctgan',
  description:
    'CTGAN (Xu et al. 2019): a conditional WGAN-GP for tables of mixed types, training-by-sampling (needs --data csv)',
  configSchema: CtganConfig,
  // CTGAN's mode-specific normalisation of numbers, unless the data spec says otherwise.
  tableEncoding: { numeric: 'mode' },
  build(config, context) {
    const { encoding } = requireTable(context, 'ctgan');
    const condWidth = discreteColumns(encoding, tableSpans(encoding)).reduce((s, c) => s + c.span.width, 0);
    return new CtganModel(
      config,
      context,
      buildGenerator(config, context, condWidth),
      buildDiscriminator(config, context, condWidth),
    );
  },
  restore(config, context, networks) {
    return new CtganModel(config, context, networks.generator, networks.discriminator);
  },
};
