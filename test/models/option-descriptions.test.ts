// Every option a user can set carries a one-line description in its zod schema (`.describe()`), which reaches
// the JSON Schema that `--help`, `latentlab models KIND` and the studio's new-run form read. Checked on the same
// JSON Schema they use (input side), for every registered family, the train options and the data spec.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DataSpec } from '../../src/data/spec.js';
import { listFamilies } from '../../src/models/registry.js';
import { RunConfig, TrainConfig } from '../../src/train/config.js';

interface JsonSchema {
  description?: string;
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
}

const jsonSchema = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;

/** The object variants of a schema: itself when it has properties, else those of its oneOf/anyOf. */
function variants(schema: JsonSchema): JsonSchema[] {
  if (schema.properties) return [schema];
  return [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])].filter((s) => s.properties !== undefined);
}

/**
 * Paths (`noise.level`, `schedule.decay`) of the options under `schema` without a non-empty description: every
 * property of every object variant, nested objects included. Tag properties fixed by a `const` (kind, source,
 * a schedule's type) are not options and are skipped.
 */
function undescribed(schema: JsonSchema, prefix = ''): string[] {
  const missing: string[] = [];
  for (const variant of variants(schema)) {
    for (const [name, property] of Object.entries(variant.properties ?? {})) {
      if (name === 'kind' || (property.const !== undefined && variants(schema).length > 1)) continue;
      const path = `${prefix}${name}`;
      if (!property.description?.trim()) missing.push(path);
      missing.push(...undescribed(property, `${path}.`));
    }
  }
  return [...new Set(missing)];
}

/** One line, and short enough for a help column. */
function tooLong(schema: JsonSchema, prefix = ''): string[] {
  const found: string[] = [];
  for (const variant of variants(schema)) {
    for (const [name, property] of Object.entries(variant.properties ?? {})) {
      const text = property.description ?? '';
      if (text.includes('\n') || text.length > 120) found.push(`${prefix}${name} (${text.length} chars)`);
      found.push(...tooLong(property, `${prefix}${name}.`));
    }
  }
  return found;
}

describe('option descriptions', () => {
  const families = listFamilies();

  it('covers every registered family', () => {
    expect(families.length).toBeGreaterThan(0);
  });

  it.each(families.map((family) => [family.kind, family] as const))(
    '%s: every option has a description',
    (kind, family) => {
      const missing = undescribed(jsonSchema(family.configSchema));
      expect(missing, `options of "${kind}" without a .describe(): ${missing.join(', ')}`).toEqual([]);
    },
  );

  it.each(families.map((family) => [family.kind, family] as const))(
    '%s: descriptions are one short line',
    (kind, family) => {
      const long = tooLong(jsonSchema(family.configSchema));
      expect(long, `"${kind}" descriptions over one line or 120 characters: ${long.join(', ')}`).toEqual([]);
    },
  );

  it.each([
    ['TrainConfig', TrainConfig],
    ['DataSpec', DataSpec],
    ['RunConfig', RunConfig],
  ] as const)('%s: every option has a description', (name, schema) => {
    const json = jsonSchema(schema);
    const missing = undescribed(json);
    expect(missing, `options of ${name} without a .describe(): ${missing.join(', ')}`).toEqual([]);
    const long = tooLong(json);
    expect(long, `${name} descriptions over one line or 120 characters: ${long.join(', ')}`).toEqual([]);
  });
});
