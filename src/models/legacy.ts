// Model configs in the words of latentlab 0.1.0, read into today's: saved runs, manifests, checkpoints and config
// files written before the vocabulary was unified keep loading, resuming and serving. Each rename is one line
// below; today's words pass through untouched, so this runs before every schema parse of a model config.
// test/compat/fixture-runs.test.ts loads a run of every family saved by 0.1.0.

/** Old architecture words → `dense` | `conv` (src/models/shared/architecture.ts). */
const ARCHITECTURE_WORDS: Record<string, string> = { mlp: 'dense', dcgan: 'conv', cnn: 'conv' };

/** Per kind: option keys that were renamed (old → new), and the options whose values are architecture words. */
const RENAMED: Record<string, { keys?: Record<string, string>; architectureOptions: string[] }> = {
  gan: { keys: { loss: 'adversarialLoss' }, architectureOptions: ['architecture'] },
  vaegan: { architectureOptions: ['architecture'] },
  classifier: { architectureOptions: ['architecture'] },
  aegan: {
    keys: { discriminator: 'discriminatorArchitecture' },
    architectureOptions: ['discriminatorArchitecture'],
  },
  latentgan: {
    keys: { imageDiscriminator: 'imageDiscriminatorArchitecture' },
    architectureOptions: ['imageDiscriminatorArchitecture'],
  },
};

/**
 * `raw` with 0.1.0's option names and values in today's words (a new object; anything not an object, or of a
 * kind without renames, is returned as it is). A config that names both an old key and its new one keeps the
 * new one's value and drops the old, so the schema does not refuse a key it no longer knows.
 */
export function upgradeModelConfig(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const config = raw as Record<string, unknown>;
  const renames = RENAMED[String(config.kind)];
  if (!renames) return raw;
  const upgraded: Record<string, unknown> = { ...config };
  for (const [old, now] of Object.entries(renames.keys ?? {})) {
    if (!(old in upgraded)) continue;
    if (!(now in upgraded)) upgraded[now] = upgraded[old];
    delete upgraded[old];
  }
  for (const option of renames.architectureOptions) {
    const value = upgraded[option];
    if (typeof value === 'string' && value in ARCHITECTURE_WORDS)
      upgraded[option] = ARCHITECTURE_WORDS[value];
  }
  return upgraded;
}

/** Today's name of an option `kind` called `key` in 0.1.0, if it was renamed (the GAN's `loss`: adversarialLoss). */
export function renamedOption(kind: string, key: string): string | undefined {
  return RENAMED[kind]?.keys?.[key];
}

/** Today's word for a 0.1.0 architecture word (`mlp`, `dcgan`, `cnn`), if `word` is one. */
export function renamedArchitecture(word: string): string | undefined {
  return ARCHITECTURE_WORDS[word];
}
