// GAIN, generative adversarial imputation (Yoon, Jordon & van der Schaar 2018, and their code): a generator
// fills a row's missing cells from its observed ones (missing cells given noise U(0, 0.01)) and the mask; a
// discriminator, given the filled row and a hint (the mask revealed on a random `hintRate` share of cells, 0
// elsewhere, as the authors' code does), guesses which cells were observed. The generator's loss is the
// adversarial term on missing cells plus `alpha` times its error on the observed ones.
// Values are min-max scaled to [0, 1] as GAIN expects: each value span of the table's encoding is mapped from
// its encoded units through the column's observed range (min and max in the encoding; a mode-specific alpha from
// [-1, 1]), and the generator gives it through a sigmoid; a categorical group stays one-hot and the generator
// gives it through a softmax, its error a cross-entropy (table-heads) instead of the paper's squared error. Rows
// without an encoding are taken as scaled to [0, 1] already. Cells are spans: mask, hint and the
// discriminator's guess are one per cell, not one per one-hot position.
import { type Tensor, tf, tfl } from '../../engine/tf.js';
import type { Batch, BuildContext, LossRecord, ModelFamily, NetworkRole, TrainableModel } from '../family.js';
import { checkModelSize } from '../limits.js';
import { denseLayers, initialisers, type Symbolic } from '../shared/layers.js';
import { evaluationStep, slotSeed } from '../shared/seeds.js';
import { gradientsOf, minimize, requireOptimizers, trainableVariables } from '../shared/step.js';
import { groupSpans, type SpanGroups, spanLoss } from '../shared/table-heads.js';
import { spanMask, type TableLayout, tableLayout } from '../shared/table-layout.js';
import { GainConfig } from './config.js';

export * from './config.js';

/** Noise given to missing cells, U(0, NOISE_HIGH), as the authors' code. */
const NOISE_HIGH = 0.01;
/** Seed of the noise drawn when imputing (fixed, so imputation repeats). */
const IMPUTE_SEED = 2_018;

/** Per position, u = a·x + b maps the encoded row to GAIN's [0, 1] (identity for one-hot positions). */
export function unitScaling(
  context: BuildContext,
  layout: TableLayout,
): { a: Float32Array; b: Float32Array } {
  const a = new Float32Array(layout.width).fill(1);
  const b = new Float32Array(layout.width);
  for (const span of layout.groups.spans) {
    if (span.kind !== 'value') continue;
    if (span.bounded) {
      a[span.start] = 0.5;
      b[span.start] = 0.5;
      continue;
    }
    const column = context.table?.columns[span.column];
    if (!column || !('offset' in column)) continue;
    const range = column.max - column.min;
    if (!(range > 0)) continue;
    a[span.start] = column.scale / range;
    b[span.start] = (column.offset - column.min) / range;
  }
  return { a, b };
}

function buildNetwork(
  name: 'generator' | 'discriminator',
  inputs: { name: string; width: number }[],
  hidden: readonly number[],
  out: number,
  config: GainConfig,
  init: () => ReturnType<ReturnType<typeof initialisers>>,
): tfl.LayersModel {
  const symbols = inputs.map((input) => tfl.input({ shape: [input.width], name: `${name}_${input.name}` }));
  let h = tfl.layers.concatenate({ name: `${name}_concat` }).apply(symbols) as Symbolic;
  hidden.forEach((units, i) => {
    for (const layer of denseLayers(units, `${name}_dense_${i + 1}`, config.activation, init))
      h = layer.apply(h) as Symbolic;
  });
  for (const layer of denseLayers(out, `${name}_output`, 'linear', init)) h = layer.apply(h) as Symbolic;
  return tfl.model({ name, inputs: symbols, outputs: h });
}

export class GainModel implements TrainableModel<GainConfig> {
  readonly kind = 'gain';
  readonly optimizerNames = ['generator', 'discriminator'] as const;
  readonly networks: { generator: tfl.LayersModel; discriminator: tfl.LayersModel };
  private readonly layout: TableLayout;
  /** The spans with every value linear: the generator's values are already squashed into [0, 1]. */
  private readonly unitGroups: SpanGroups;
  private readonly a: Float32Array;
  private readonly b: Float32Array;

  constructor(
    readonly config: GainConfig,
    readonly context: BuildContext,
    generator: tfl.LayersModel,
    discriminator: tfl.LayersModel,
  ) {
    this.networks = { generator, discriminator };
    this.layout = tableLayout(context, 'gain');
    this.unitGroups = groupSpans(this.layout.groups.spans.map((span) => ({ ...span, bounded: false })));
    ({ a: this.a, b: this.b } = unitScaling(context, this.layout));
  }

  networkRoles(): Record<string, NetworkRole> {
    return {
      generator: {
        summary: 'fills the missing cells of a row scaled to [0, 1]',
        inputs: [
          'the row in [0, 1] [n, width], missing cells replaced by noise U(0, 0.01)',
          'mask [n, width]: 1 where observed',
        ],
        outputs: ['raw outputs [n, width]: a sigmoid gives each value, a softmax each categorical group'],
      },
      discriminator: {
        summary: 'guesses which cells of a filled row were observed',
        inputs: [
          'the filled row in [0, 1] [n, width]',
          'hint [n, cells]: the mask on a random share of cells, else 0',
        ],
        outputs: ['logits [n, cells] that each cell was observed'],
      },
    };
  }

  /** Encoded units → [0, 1]. */
  private toUnit(x: Tensor): Tensor {
    return tf.add(tf.mul(x, tf.tensor1d(this.a)), tf.tensor1d(this.b));
  }

  /** [0, 1] → encoded units. */
  private fromUnit(u: Tensor): Tensor {
    return tf.div(tf.sub(u, tf.tensor1d(this.b)), tf.tensor1d(this.a));
  }

  /** The generator's raw outputs → [0, 1] values (sigmoid) and category probabilities (softmax). */
  private activate(raw: Tensor): Tensor {
    const parts = this.layout.groups.spans.map((span) => {
      const piece = tf.slice(raw, [0, span.start], [-1, span.width]);
      return span.kind === 'choice' ? tf.softmax(piece) : tf.sigmoid(piece);
    });
    return parts.length === 1 ? parts[0] : tf.concat(parts, 1);
  }

  /** Generator pass: raw outputs and the filled row in [0, 1]. */
  private fill(unit: Tensor, mask: Tensor, seed: number, training: boolean) {
    const noise = tf.randomUniform(unit.shape, 0, NOISE_HIGH, 'float32', seed);
    const given = tf.add(tf.mul(mask, unit), tf.mul(tf.sub(1, mask), noise));
    const raw = this.networks.generator.apply([given, mask], { training }) as Tensor;
    const generated = this.activate(raw);
    const filled = tf.add(tf.mul(mask, unit), tf.mul(tf.sub(1, mask), generated));
    return { raw, filled };
  }

  /** Both players' losses on a batch; `step` seeds the noise and the hint. */
  private losses(batch: Batch, step: number, training: boolean) {
    const mask = batch.mask ?? tf.onesLike(batch.x);
    const unit = this.toUnit(batch.x);
    const { raw, filled } = this.fill(unit, mask, slotSeed(this.context.seed, step, 0), training);
    const cells = spanMask(this.layout, mask); // [n, spans]
    const reveal = tf.cast(
      tf.less(
        tf.randomUniform(cells.shape, 0, 1, 'float32', slotSeed(this.context.seed, step, 1)),
        this.config.hintRate,
      ),
      'float32',
    );
    const hint = tf.mul(reveal, cells);
    const logits = this.networks.discriminator.apply([filled, hint], { training }) as Tensor;
    // -[m log D + (1 - m) log(1 - D)] with D = sigmoid(logits), written with softplus so it never sees log 0.
    const discriminator = tf.mean(
      tf.add(tf.mul(cells, tf.softplus(tf.neg(logits))), tf.mul(tf.sub(1, cells), tf.softplus(logits))),
    ) as tf.Scalar;
    const adversarial = tf.mean(tf.mul(tf.sub(1, cells), tf.softplus(tf.neg(logits)))) as tf.Scalar;
    // The generator's error on observed cells (in [0, 1] units; cross-entropy for categories), per observed cell.
    const unitRaw = tf.concat(
      this.layout.groups.spans.map((span) => {
        const piece = tf.slice(raw, [0, span.start], [-1, span.width]);
        return span.kind === 'choice' ? piece : tf.sigmoid(piece);
      }),
      1,
    );
    const mse = tf.div(
      tf.sum(spanLoss(unitRaw, unit, this.unitGroups, mask)),
      tf.maximum(tf.sum(cells), 1),
    ) as tf.Scalar;
    const generator = tf.add(adversarial, tf.mul(this.config.alpha, mse)) as tf.Scalar;
    return { discriminator, generator, adversarial, mse };
  }

  /** One discriminator update, then one generator update on the same batch, noise and hint (the authors' loop). */
  trainStep(batch: Batch, optimizers: Record<string, tf.Optimizer>): LossRecord {
    requireOptimizers(optimizers, this.optimizerNames, 'gain');
    const d = gradientsOf(
      trainableVariables(this.networks.discriminator),
      () => this.losses(batch, batch.step, true),
      'discriminator',
    );
    optimizers.discriminator.applyGradients(d.grads);
    tf.dispose([...Object.values(d.grads), d.parts.generator, d.parts.adversarial, d.parts.mse]);
    const g = minimize(
      optimizers.generator,
      trainableVariables(this.networks.generator),
      () => this.losses(batch, batch.step, true),
      'generator',
    );
    g.discriminator.dispose();
    return {
      loss: g.generator,
      discriminator: d.parts.discriminator,
      adversarial: g.adversarial,
      mse: g.mse,
    };
  }

  evaluate(batch: Batch): LossRecord {
    return tf.tidy(() => {
      const { generator, ...rest } = this.losses(batch, evaluationStep(batch.step), false);
      return { loss: generator, ...rest };
    });
  }

  /**
   * Rows `x` [n, width] with cells missing where `mask` is 0 → the generator's whole row in encoded units
   * (category probabilities for categorical groups): what imputation fills the gaps with.
   */
  reconstructMasked(x: Tensor, mask: Tensor): Tensor {
    return tf.tidy(() => {
      const unit = this.toUnit(x);
      const noise = tf.randomUniform(unit.shape, 0, NOISE_HIGH, 'float32', IMPUTE_SEED);
      const given = tf.add(tf.mul(mask, unit), tf.mul(tf.sub(1, mask), noise));
      const generated = this.activate(
        this.networks.generator.apply([given, mask], { training: false }) as Tensor,
      );
      // Back to encoded units on value positions; probabilities stay as they are (a and b are 1 and 0 there).
      return this.fromUnit(generated);
    });
  }

  dispose(): void {
    this.networks.generator.dispose();
    this.networks.discriminator.dispose();
  }
}

export const gainFamily: ModelFamily<typeof GainConfig> = {
  kind: 'gain',
  description: 'GAIN: generative adversarial imputation of missing table cells (Yoon et al. 2018)',
  configSchema: GainConfig,
  // As table-ae: the column encoders are saved with the model, for `impute`.
  tableEncoding: {},
  build(config, context) {
    const layout = tableLayout(context, 'gain');
    const hidden = config.hidden ?? [layout.width, layout.width];
    // The registry sizes the config before building, but the default widths come from the data: sized here.
    checkModelSize({ ...config, hidden }, context.sampleShape);
    const init = initialisers(context);
    const cells = layout.groups.spans.length;
    const generator = buildNetwork(
      'generator',
      [
        { name: 'row', width: layout.width },
        { name: 'mask', width: layout.width },
      ],
      hidden,
      layout.width,
      config,
      init,
    );
    const discriminator = buildNetwork(
      'discriminator',
      [
        { name: 'row', width: layout.width },
        { name: 'hint', width: cells },
      ],
      hidden,
      cells,
      config,
      init,
    );
    return new GainModel(config, context, generator, discriminator);
  },
  restore(config, context, networks) {
    return new GainModel(config, context, networks.generator, networks.discriminator);
  },
};
