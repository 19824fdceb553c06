// Imputation by a trained table model (table-ae, table-vae, gain): the model fills each row's gaps from its
// observed cells and mask. Later rounds (`rounds` > 1) feed the filled row back as if complete and take the
// model's reconstruction of the gaps again, as denoising-autoencoder imputation iterates; observed cells are
// never changed. Rows go through in batches, each inside a tidy.
import { type Tensor, tf } from '../../engine/tf.js';
import type { TrainableModel } from '../../models/family.js';
import { completeRows, type EncodedRows, type Imputer, layoutOf } from './imputer.js';

/** A model that fills gaps: rows [n, width] with `mask` 0 where missing → its whole row, activated. */
export interface MaskedReconstructor {
  reconstructMasked(x: Tensor, mask: Tensor): Tensor;
}

export function fillsGaps(model: TrainableModel): model is TrainableModel & MaskedReconstructor {
  return typeof (model as Partial<MaskedReconstructor>).reconstructMasked === 'function';
}

export interface ModelImputerOptions {
  /** Passes over the rows: the first with the mask, each later one with the previous fill taken as observed. */
  rounds?: number;
  batchSize?: number;
  /** How reports name it (default: the model's kind). */
  name?: string;
  /** After each batch of the last round: rows done so far. */
  onBatch?: (rowsDone: number) => void;
}

export function modelImputer(
  model: TrainableModel & MaskedReconstructor,
  options: ModelImputerOptions = {},
): Imputer {
  const { rounds = 1, batchSize = 1024 } = options;
  return {
    name: options.name ?? model.kind,
    async impute(table: EncodedRows) {
      const layout = layoutOf(table);
      const { rows, width } = layout;
      let current = table.x;
      for (let round = 0; round < rounds; round++) {
        const fill = new Float32Array(rows * width);
        for (let start = 0; start < rows; start += batchSize) {
          const n = Math.min(batchSize, rows - start);
          const range = [start * width, (start + n) * width] as const;
          const out = tf.tidy(() => {
            const x = tf.tensor2d(current.subarray(...range), [n, width]);
            const mask =
              round === 0 ? tf.tensor2d(table.mask.subarray(...range), [n, width]) : tf.onesLike(x);
            return model.reconstructMasked(x, mask);
          });
          fill.set(await out.data(), start * width);
          out.dispose();
          if (round === rounds - 1) options.onBatch?.(start + n);
        }
        current = completeRows(table, layout, fill);
      }
      return current;
    },
  };
}
