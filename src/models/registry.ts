// Families register here under their `kind`; the CLI, persistence and (later) server and studio look them up.
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { aaeFamily } from './aae.js';
import { aeGanFamily } from './aegan.js';
import { attentionAutoencoderFamily } from './attention-autoencoder.js';
import { classifierFamily } from './classifier.js';
import { convAutoencoderFamily } from './conv-autoencoder.js';
import { denseAutoencoderFamily } from './dense-autoencoder.js';
import type { ModelFamily } from './family.js';
import { ganFamily } from './gan/model.js';
import { latentGanFamily } from './latentgan.js';
import { checkModelSize } from './limits.js';
import { vaeFamilies } from './vae/model.js';
import { vaeganFamily } from './vaegan/model.js';

const families = new Map<string, ModelFamily>();

export function registerFamily(family: ModelFamily): void {
  if (families.has(family.kind)) throw new ConfigError(`model family "${family.kind}" is already registered`);
  // Every build is sized first: a model too large to allocate is refused with its parameter count.
  families.set(family.kind, {
    ...family,
    build: (config, context) => {
      checkModelSize(config as Record<string, unknown>, context.sampleShape);
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
export function parseModelConfig(raw: unknown, where = 'model'): { family: ModelFamily; config: unknown } {
  const kind = z.object({ kind: z.string() }).safeParse(raw);
  if (!kind.success)
    throw new ConfigError('expected an object with a string "kind"', { path: `${where}.kind` });
  const family = getFamily(kind.data.kind);
  const parsed = family.configSchema.safeParse(raw);
  if (!parsed.success) throw configErrorFrom(parsed.error, where);
  // Schemas drop keys they do not know; a misspelt or misplaced option must not vanish silently.
  const known = new Set(Object.keys(parsed.data as object));
  const unknown = Object.keys(raw as object).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new ConfigError(
      `"${family.kind}" has no option "${unknown[0]}" (its options: ${[...known].join(', ')})`,
      {
        path: `${where}.${unknown[0]}`,
      },
    );
  }
  return { family, config: parsed.data };
}

/**
 * The first issue of a failed parse as a ConfigError naming its field. `where` prefixes the field: a dotted
 * field (`families.ae`) joins it with '.', a file ending in '#' (`run.json#`) directly (`run.json#train.epochs`).
 */
export function configErrorFrom(error: z.ZodError, where: string): ConfigError {
  const issue = error.issues[0];
  // An unknown key is named itself, rather than the object holding it.
  const unknown = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const inner = [...issue.path.map(String), ...(unknown ? [unknown] : [])].join('.');
  const field = where.endsWith('#') ? `${where}${inner}` : [where, inner].filter(Boolean).join('.');
  const message = unknown ? `unknown option "${unknown}"` : issue.message;
  return new ConfigError(message, { path: field, cause: error });
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
