// The capability of a model whose codes are a grid of indices into a codebook with an autoregressive prior over
// them (the VQ-VAE): what range-coded compression asks of a model, never its kind.
import type { Tensor } from '../../engine/tf.js';
import type { Autoencoder, TrainableModel } from '../family.js';

export interface DiscreteCodeModel extends Autoencoder {
  /** Height and width of the code grid. */
  readonly codeGrid: readonly [number, number];
  /** Codes in the codebook: each grid position holds one of 0 .. codebookSize - 1. */
  readonly codebookSize: number;
  /** Samples [n, ...sampleShape] → the nearest code's index at each position, int32 [n, h, w]. */
  codeIndices(x: Tensor): Tensor;
  /** Code indices [n, h, w] → the codes' vectors flattened as encode() gives them, [n, latentSize]. */
  embedIndices(indices: Tensor): Tensor;
  /**
   * Log-probabilities [n, h, w, codebookSize] of every code at every position given the codes before it in
   * raster order (only those: the value at a position does not depend on the indices at or after it).
   */
  priorLogProbabilities(indices: Tensor): Tensor;
  /**
   * The same for one row: log-probabilities [n, w, codebookSize] of row `row` of the grids `indices` (int32,
   * [n, h, w] row-major), of which only the codes before each position are read. Coding calls it position by
   * position, so it runs only the rows it needs.
   */
  rowLogProbabilities(indices: Int32Array, n: number, row: number): Tensor;
}

export function hasDiscreteCodes(model: TrainableModel): model is DiscreteCodeModel {
  const m = model as Partial<DiscreteCodeModel>;
  return typeof m.codeIndices === 'function' && typeof m.priorLogProbabilities === 'function';
}
