// Families register here under their `kind`; the CLI, persistence and (later) server and studio look them up.
import { z } from 'zod';
import { featureShape } from '../data/audio/features.js';
import { audioFeatures } from '../data/audio/sources.js';
import { DataSpec, formatDataSpec, isAudioSpec } from '../data/spec.js';
import { ConfigError, parseOrThrow } from '../errors.js';
import { aaeFamily } from './aae/model.js';
import { aeGanFamily } from './aegan/model.js';
import { attentionAutoencoderFamily } from './attention-ae/model.js';
import { betaTcVaeFamily } from './beta-tcvae/model.js';
import { classifierFamily } from './classifier/model.js';
import { convAutoencoderFamily } from './conv-ae/model.js';
import { ctganFamily } from './ctgan/model.js';
import { denseAutoencoderFamily } from './dense-ae/model.js';
import { dipVaeFamily } from './dip-vae/model.js';
import { factorVaeFamily } from './factor-vae/model.js';
import type { ModelFamily } from './family.js';
import { gainFamily } from './gain/model.js';
import { ganFamily } from './gan/model.js';
import { infoGanFamily } from './infogan/model.js';
import { latentGanFamily } from './latentgan/model.js';
import { upgradeModelConfig } from './legacy.js';
import { checkModelSize } from './limits.js';
import { seqFamilies } from './seq/model.js';
import { tableAutoencoderFamilies } from './table-ae/model.js';
import { tvaeFamily } from './tvae/model.js';
import { vaeFamilies } from './vae/model.js';
import { vaeganFamily } from './vaegan/model.js';
import { vampPriorFamily } from './vamp-prior/model.js';
import { waveAutoencoderFamily } from './wave-ae/model.js';

const families = new Map<string, ModelFamily>();

export function registerFamily(family: ModelFamily): void {
  if (families.has(family.kind)) throw new ConfigError(`model family "${family.kind}" is already registered`);
  // Every build is sized first: a model too large to allocate is refused with its parameter count.
  families.set(family.kind, {
    ...family,
    build: (config, context) => {
      checkModelSize(config as Record<string, unknown>, context.sampleShape, 'model', context.vocabularySize);
      return family.build(config, context);
    },
  });
}

export function getFamily(kind: string): ModelFamily {
  const family = families.get(kind);
  if (!family) {
    throw new ConfigError(
      `unknown model kind "${kind}": expected one of ${[...families.keys()].join(', ')}`,
      {
        path: 'model.kind',
      },
    );
  }
  return family;
}

export function listFamilies(): ModelFamily[] {
  return [...families.values()];
}

/** Validate a model config against its family's schema; errors name the field. */
export function parseModelConfig(given: unknown, where = 'model'): { family: ModelFamily; config: unknown } {
  // Configs saved by earlier versions say some options in older words (src/models/legacy.ts).
  const raw = upgradeModelConfig(given);
  const kind = z.object({ kind: z.string() }).safeParse(raw);
  if (!kind.success)
    throw new ConfigError('expected an object with a string "kind"', { path: `${where}.kind` });
  const family = getFamily(kind.data.kind);
  const config = parseOrThrow(family.configSchema, raw, where);
  // Schemas drop keys they do not know; a misspelt or misplaced option must not vanish silently.
  const known = new Set(Object.keys(config as object));
  const unknown = Object.keys(raw as object).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new ConfigError(
      `"${family.kind}" has no option "${unknown[0]}" (its options: ${[...known].join(', ')})`,
      {
        path: `${where}.${unknown[0]}`,
      },
    );
  }
  return { family, config };
}

/**
 * Model options that depend on the data, filled in where the config leaves them out: a table scaled to no fixed
 * range (standard or none) gets a linear output, since a sigmoid cannot reach values outside [0, 1]. Images and
 * min-max scaled tables keep the family's default (sigmoid), as does a bce loss, which needs probabilities.
 */
export function modelDefaultsForData(
  model: Record<string, unknown>,
  data: DataSpec,
): Record<string, unknown> {
  if (model.kind === 'attention-ae' && model.patchSize === undefined && isAudioSpec(data)) {
    // Its default patch (7) is for 28x28 digits; a spectrogram gets the largest patch up to 8 that tiles it.
    const [height, width] = featureShape(audioFeatures(data));
    const fits = [8, 7, 6, 5, 4, 3, 2].find((p) => height % p === 0 && width % p === 0);
    if (fits !== undefined) return { ...model, patchSize: fits };
  }
  if (model.outputActivation !== undefined || model.loss === 'bce') return model;
  if (data.source !== 'csv' || data.scaling === 'minmax') return model;
  const family = families.get(String(model.kind));
  // Only families that take the option (a VAE's Bernoulli likelihood, say, refuses a linear output).
  const probe = family?.configSchema.safeParse({ ...model, outputActivation: 'linear' });
  if (!probe?.success || (probe.data as { outputActivation?: unknown }).outputActivation !== 'linear')
    return model;
  return { ...model, outputActivation: 'linear' };
}

/**
 * Combinations a model cannot fit its data with, said before training: a sigmoid output (or a Bernoulli
 * likelihood) on a table scaled to no fixed range caps every reconstruction in [0, 1]. Empty when the config is
 * invalid (training reports that).
 */
export function dataFitWarnings(config: { model?: unknown; data?: unknown }): string[] {
  const data = DataSpec.safeParse(config.data);
  if (!data.success || data.data.source !== 'csv' || data.data.scaling === 'minmax') return [];
  let model: Record<string, unknown>;
  try {
    model = parseModelConfig(modelDefaultsForData(config.model as Record<string, unknown>, data.data))
      .config as Record<string, unknown>;
  } catch {
    return [];
  }
  const scaled = `${formatDataSpec(data.data)} is scaled by ${data.data.scaling} (values outside [0, 1])`;
  if (model.likelihood === 'bernoulli')
    return [
      `a Bernoulli likelihood models values in [0, 1], but ${scaled}: use --likelihood gaussian or --scaling minmax`,
    ];
  if (model.outputActivation === 'sigmoid')
    return [
      `the model's output is a sigmoid (0 to 1), but ${scaled}: reconstructions cannot fit it; use --set outputActivation=linear or --scaling minmax`,
    ];
  return [];
}

registerFamily(denseAutoencoderFamily);
registerFamily(convAutoencoderFamily);
registerFamily(attentionAutoencoderFamily);
for (const family of vaeFamilies) registerFamily(family);
registerFamily(classifierFamily);
registerFamily(ganFamily);
registerFamily(aaeFamily);
registerFamily(latentGanFamily);
registerFamily(aeGanFamily);
registerFamily(vaeganFamily);
for (const family of seqFamilies) registerFamily(family);
registerFamily(waveAutoencoderFamily);
registerFamily(tvaeFamily);
registerFamily(ctganFamily);
for (const family of tableAutoencoderFamilies) registerFamily(family);
registerFamily(gainFamily);
registerFamily(betaTcVaeFamily);
registerFamily(factorVaeFamily);
registerFamily(dipVaeFamily);
registerFamily(vampPriorFamily);
registerFamily(infoGanFamily);
