// The seed policy every family follows: per-step seeds, evaluation seeds apart from training's, the preview's
// fixed draws. One place, so a family cannot drift from the seeds its saved runs were trained and resumed with.

/** Seed of the preview's prior draws: the same every epoch, so frames compare. */
export const PREVIEW_SEED_OFFSET = 7_777;
/** Evaluation draws with other seeds than the training step of the same number. */
export const EVAL_SEED_OFFSET = 104_729;
