/// <reference types="vite/client" />
// The model families as the page sees them: every family module of src/models, found by Vite at build time, so
// the page trains with latentlab's own networks and steps and a new family needs no line here. (The registry
// itself reads data sources from files, so the page takes the family objects from their modules instead.)
import type { ModelFamily } from '../../../src/models/family.js';
import { checkModelSize } from '../../../src/models/limits.js';

const modules = import.meta.glob<Record<string, unknown>>('../../../src/models/*/model.ts', { eager: true });

const isFamily = (value: unknown): value is ModelFamily =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as ModelFamily).kind === 'string' &&
  typeof (value as ModelFamily).build === 'function' &&
  typeof (value as ModelFamily).configSchema === 'object';

function collect(): Map<string, ModelFamily> {
  const found = new Map<string, ModelFamily>();
  for (const exports of Object.values(modules))
    for (const value of Object.values(exports))
      for (const family of Array.isArray(value) ? value : [value])
        if (isFamily(family) && !found.has(family.kind)) found.set(family.kind, family);
  return found;
}

const families = collect();

/** The family of `kind`, its builds sized first as the registry sizes them; undefined when the page has none. */
export function pageFamily(kind: string): ModelFamily | undefined {
  const family = families.get(kind);
  if (!family) return undefined;
  return {
    ...family,
    build: (config, context) => {
      checkModelSize(config as Record<string, unknown>, context.sampleShape, 'model', context.vocabularySize);
      return family.build(config, context);
    },
  };
}
