// Table autoencoders that learn from incomplete rows and fill their gaps. Each step the encoder sees the row's
// observed cells less a random share of them (`hideRate`, whole cells), zeroed where unseen, with the mask of
// what it sees; the loss is span-aware (table-heads: squared error for values, cross-entropy for categories)
// over every observed cell, the hidden ones included, so the decoder learns to fill what the encoder did not
// see. Missing cells (Batch.mask 0) never reach the encoder or the loss. table-vae adds a Gaussian code (KL to
// N(0, I), the reparameterised draw), and samples rows from the prior.
import type { z } from 'zod';
import { type Tensor, tf, type tfl } from '../../engine/tf.js';
import type {
  Autoencoder,
  Batch,
  BuildContext,
  GenerativeModel,
  LossRecord,
  ModelFamily,
  NetworkRole,
} from '../family.js';
import { gaussianKl, klWeight } from '../shared/gaussian-code.js';
import { evaluationStep, slotSeed } from '../shared/seeds.js';
import { minimize, trainableVariables } from '../shared/step.js';
import { activateSpans, observedSpans, spanLoss } from '../shared/table-heads.js';
import { hideCells, type TableLayout, tableLayout } from '../shared/table-layout.js';
import {
  type AnyTableAutoencoderConfig,
  TableAutoencoderConfig,
  type TableVaeConfig,
  TableVaeConfig as TableVaeSchema,
} from './config.js';
import { buildNetworks, type EncoderInputs, encoderFeed, encoderInputs } from './networks.js';

export * from './config.js';

export class TableAutoencoderModel<C extends AnyTableAutoencoderConfig = AnyTableAutoencoderConfig>
  implements Autoencoder<C>, GenerativeModel<C>
{
  readonly kind: string;
  readonly optimizerNames = ['autoencoder'] as const;
  readonly networks: { encoder: tfl.LayersModel; decoder: tfl.LayersModel };
  readonly encodesToPrior: boolean;
  private readonly layout: TableLayout;
  private readonly cut: EncoderInputs;

  constructor(
    readonly config: C,
    readonly context: BuildContext,
    encoder: tfl.LayersModel,
    decoder: tfl.LayersModel,
    /** table-vae: a Gaussian code trained with KL; table-ae: a deterministic one. */
    readonly variational: boolean,
  ) {
    this.kind = config.kind;
    this.networks = { encoder, decoder };
    this.encodesToPrior = variational;
    this.layout = tableLayout(context, config.kind);
    this.cut = encoderInputs(this.layout);
  }

  get latentSize(): number {
    return this.config.latent;
  }

  networkRoles(): Record<string, NetworkRole> {
    const inputs = [
      ...(this.cut.plain.length > 0
        ? ['encoded row [n, k] at the positions outside embedded columns, 0 where missing']
        : []),
      ...this.cut.embedded.map(
        (span) => `one-hot of column ${span.column} [n, ${span.width}], 0 where missing`,
      ),
      'mask [n, width]: 1 where the cell is observed',
    ];
    return {
      encoder: {
        summary: 'maps an incomplete encoded table row and its mask to a code',
        inputs,
        outputs: this.variational
          ? ['mean of q(z|x) [n, latent]', 'log-variance of q(z|x) [n, latent]']
          : ['the code [n, latent]'],
      },
      decoder: {
        summary: 'maps a code to raw outputs per encoded position',
        inputs: ['a code [n, latent]'],
        outputs: [
          'raw outputs [n, width]: values as they are (tanh for mode-specific alphas), a softmax over each categorical group',
        ],
      },
    };
  }

  /** Code (or the VAE's mean and log-variance) of rows `x` seen through `seen` (1 where the encoder sees a cell). */
  private encodeSeen(x: Tensor, seen: Tensor, training: boolean): Tensor[] {
    const out = this.networks.encoder.apply(encoderFeed(this.cut, tf.mul(x, seen), seen), { training });
    return Array.isArray(out) ? (out as Tensor[]) : [out as Tensor];
  }

  private losses(batch: Batch, training: boolean, step: number): LossRecord {
    const { x } = batch;
    const n = x.shape[0];
    const mask = batch.mask ?? tf.onesLike(x);
    const hidden = hideCells(this.layout, mask, this.config.hideRate, slotSeed(this.context.seed, step, 0));
    const seen = tf.sub(mask, hidden);
    const [codeOrMean, logVar] = this.encodeSeen(x, seen, training);
    const code = this.variational
      ? tf.add(
          codeOrMean,
          tf.mul(
            tf.exp(tf.mul(0.5, logVar)),
            tf.randomNormal(codeOrMean.shape, 0, 1, 'float32', slotSeed(this.context.seed, step, 1)),
          ),
        )
      : codeOrMean;
    const raw = this.networks.decoder.apply(code, { training }) as Tensor;
    // Sum over the row's observed cells (a VAE's reconstruction term), mean over rows.
    const reconstruction = tf.mean(spanLoss(raw, x, this.layout.groups, mask)) as tf.Scalar;
    // Per hidden cell: how well the gaps made this step are filled (the figure imputation is judged by).
    const hiddenCells = tf.sum(tf.gather(hidden, this.layout.spanStarts, 1));
    const imputation = tf.div(
      tf.sum(spanLoss(raw, x, this.layout.groups, hidden)),
      tf.maximum(hiddenCells, 1),
    ) as tf.Scalar;
    const perCell = tf.div(
      tf.sum(spanLoss(raw, x, this.layout.groups, mask)),
      tf.sum(observedSpans(this.layout.groups, mask, n)),
    ) as tf.Scalar;
    if (!this.variational) return { loss: reconstruction, perCell, imputation };
    const config = this.config as TableVaeConfig;
    const kl = tf.sum(tf.mean(gaussianKl(codeOrMean, logVar), 0)) as tf.Scalar;
    const weight = training ? klWeight(config, batch.epoch) : config.beta;
    const loss = tf.add(reconstruction, tf.mul(weight, kl)) as tf.Scalar;
    return { loss, reconstruction, kl, perCell, imputation };
  }

  trainStep(batch: Batch, optimizers: Record<string, tf.Optimizer>): LossRecord {
    return minimize(
      optimizers.autoencoder,
      trainableVariables(this.networks.encoder, this.networks.decoder),
      () => this.losses(batch, true, batch.step),
      'loss',
    );
  }

  /** The same objective, with the cells hidden by seeds apart from training's. */
  evaluate(batch: Batch): LossRecord {
    return tf.tidy(() => this.losses(batch, false, evaluationStep(batch.step)));
  }

  /**
   * Rows `x` [n, width] with cells missing where `mask` is 0 → the model's whole row, activated (values,
   * category probabilities); a VAE decodes its mean code. What imputation fills the gaps with.
   */
  reconstructMasked(x: Tensor, mask: Tensor): Tensor {
    return tf.tidy(() => this.decode(this.encodeSeen(x, mask, false)[0]));
  }

  /** Code of complete rows: [n, latent] (a VAE's mean). */
  encode(x: Tensor): Tensor {
    return tf.tidy(() => this.encodeSeen(x, tf.onesLike(x), false)[0]);
  }

  /** Code of rows with gaps (`mask` 0), as training saw them: [n, latent] (a VAE's mean). */
  encodeMasked(x: Tensor, mask: Tensor): Tensor {
    return tf.tidy(() => this.encodeSeen(x, mask, false)[0]);
  }

  /** Code → the encoded row, activated: [n, width]. */
  decode(z: Tensor): Tensor {
    return tf.tidy(() =>
      activateSpans(this.networks.decoder.apply(z, { training: false }) as Tensor, this.layout.groups),
    );
  }

  reconstruct(x: Tensor): Tensor {
    return tf.tidy(() => this.decode(this.encode(x)));
  }

  samplePrior(n: number, seed: number): Tensor {
    return tf.randomNormal([n, this.config.latent], 0, 1, 'float32', seed);
  }

  /** Rows decoded from codes (category probabilities, not draws): [n, width]. */
  generate(z: Tensor): Tensor {
    return this.decode(z);
  }

  dispose(): void {
    this.networks.encoder.dispose();
    this.networks.decoder.dispose();
  }
}

function tableAutoencoderKind<S extends typeof TableAutoencoderConfig | typeof TableVaeSchema>(
  kind: z.output<S>['kind'],
  description: string,
  configSchema: S,
  variational: boolean,
): ModelFamily<S> {
  return {
    kind,
    description,
    configSchema,
    // Every csv: table is encoded for it (a table of numbers without gaps too), so the model saves the column
    // encoders that `impute` reads new rows with and writes them back by.
    tableEncoding: {},
    build(config, context) {
      const layout = tableLayout(context, kind);
      const { encoder, decoder } = buildNetworks(config, context, layout, variational);
      return new TableAutoencoderModel(config, context, encoder, decoder, variational);
    },
    restore(config, context, networks) {
      return new TableAutoencoderModel(config, context, networks.encoder, networks.decoder, variational);
    },
  };
}

export const tableAutoencoderFamily = tableAutoencoderKind(
  'table-ae',
  'masked denoising autoencoder for tables with mixed types and missing cells (learns to fill gaps)',
  TableAutoencoderConfig,
  false,
);

export const tableVaeFamily = tableAutoencoderKind(
  'table-vae',
  'variational autoencoder for tables with mixed types and missing cells (fills gaps, samples rows)',
  TableVaeSchema,
  true,
);

/** Both kinds, for the registry. */
export const tableAutoencoderFamilies: readonly ModelFamily[] = [tableAutoencoderFamily, tableVaeFamily];
