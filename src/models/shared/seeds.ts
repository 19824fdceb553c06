// The seed policy every family follows: per-step seeds, evaluation seeds apart from training's, the preview's
// fixed draws. One place, so a family cannot drift from the seeds its saved runs were trained and resumed with.

/** Seed of the preview's prior draws: the same every epoch, so frames compare. */
export const PREVIEW_SEED_OFFSET = 7_777;
/** Evaluation draws with other seeds than the training step of the same number. */
export const EVAL_SEED_OFFSET = 104_729;

/** Seed of training step `step` for a step that draws once (an autoencoder's corruption, a VAE's ε). */
export function stepSeed(seed: number, step: number): number {
  return seed * 7919 + step;
}

/** Seed of `slot` within training step `step`, for steps that draw several times (GANs, hybrids, VAE-GAN). */
export function slotSeed(seed: number, step: number, slot: number): number {
  return (seed * 7919 + step * 4099 + slot) >>> 0;
}

/** The step number whose seeds evaluation of batch `step` uses: apart from every training step's. */
export function evaluationStep(step: number): number {
  return step + EVAL_SEED_OFFSET;
}

/**
 * Seed of the preview's draws (GANs, hybrids). The VAE and VAE-GAN draw theirs from the model's seed itself,
 * as their saved runs' previews always have.
 */
export function previewSeed(seed: number): number {
  return (seed + PREVIEW_SEED_OFFSET) >>> 0;
}
