// The likelihood pass's batches are bounded by values as well as by samples: a 64x64 split at k = 1 once went
// through a convolutional VAE in one batch and overran the wasm heap (`evaluate` on dSprites, 10,000 images).
import { describe, expect, it } from 'vitest';
import { LIKELIHOOD_BATCH_VALUES, likelihoodBatchSize } from '../../src/eval/likelihood.js';

describe('likelihoodBatchSize', () => {
  it('keeps 28x28 images at 20,000 / k samples for every k, so MNIST figures keep their batches', () => {
    for (const k of [1, 2, 5, 100, 200, 500, 1000, 5000])
      expect(likelihoodBatchSize(k, 28 * 28)).toBe(Math.floor(20_000 / k));
  });

  it('bounds large samples by values: a 64x64 split at k = 1 in batches of 4,882, not 10,000 at once', () => {
    expect(likelihoodBatchSize(1, 64 * 64)).toBe(4882);
    expect(likelihoodBatchSize(1, 64 * 64) * 64 * 64).toBeLessThanOrEqual(LIKELIHOOD_BATCH_VALUES);
    expect(likelihoodBatchSize(100, 64 * 64)).toBe(48);
    // Never below one sample, however large.
    expect(likelihoodBatchSize(1000, 1e6)).toBe(1);
  });
});
