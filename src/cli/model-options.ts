// The model options of `latentlab train` and `latentlab models`, derived from the registered families' config
// schemas: one flag per option, parsed by the chosen kind's type, so that a family (or an option) added later has
// flags and help without CLI edits. The schemas are read through JSON Schema, as the studio builds its form.
import { Option } from 'commander';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import type { ModelFamily } from '../models/family.js';
import { renamedArchitecture, renamedOption } from '../models/legacy.js';
import { listFamilies } from '../models/registry.js';

/** The part of JSON Schema that zod writes for the model configs. */
export interface FieldSchema {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  items?: FieldSchema;
  anyOf?: FieldSchema[];
  properties?: Record<string, FieldSchema>;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
}

/** How an option whose value is an object is written on the command line, where JSON would be a chore. */
interface ObjectSyntax {
  placeholder: string;
  parse: (flag: string, text: string, field: FieldSchema) => unknown;
  format: (value: unknown) => string;
}

interface Alias {
  /** Flags users already type for this option (`--kl-warmup` predates `--kl-warmup-epochs`). */
  flags?: string[];
  syntax?: ObjectSyntax;
}

/** `--noise gaussian:0.3`; the level left out is the schema's default level. */
const noiseSyntax: ObjectSyntax = {
  placeholder: '<type[:level]>',
  parse(flag, text, field) {
    const [type, level, ...rest] = text.split(':');
    const types = field.properties?.type?.enum ?? [];
    if (rest.length > 0 || !types.includes(type))
      throw new UsageError(`expected type[:level] with type one of ${types.join(', ')}, got "${text}"`, {
        path: flag,
      });
    const levelField = field.properties?.level ?? {};
    return { type, level: level === undefined ? levelField.default : parseScalar(flag, level, levelField) };
  },
  format: (value) => {
    const { type, level } = value as { type: string; level: number };
    return `${type}:${level}`;
  },
};

/** The small hand-kept part: short flags people use, and object syntaxes. Keys are config names. */
const ALIASES: Record<string, Alias> = {
  klWarmupEpochs: { flags: ['--kl-warmup'] },
  generatorLearningRate: { flags: ['--g-lr'] },
  discriminatorLearningRate: { flags: ['--d-lr'] },
  noise: { syntax: noiseSyntax },
};

export const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The attribute commander stores a flag's value under (`--g-lr` → `gLr`). */
const attributeOf = (flag: string) =>
  flag.slice(2).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export interface ModelOption {
  /** The config name, e.g. klWarmupEpochs. */
  key: string;
  flag: string;
  aliases: string[];
  /** The option's schema in each family that has it, in registration order. */
  byKind: Map<string, FieldSchema>;
}

/** A schema with `$ref`s into its `$defs` replaced by what they name (zod writes them for schemas given an id). */
function inlineRefs(schema: Record<string, unknown>): Record<string, unknown> {
  const defs = (schema.$defs ?? {}) as Record<string, unknown>;
  const inline = (node: unknown, seen: Set<string>): unknown => {
    if (Array.isArray(node)) return node.map((item) => inline(item, seen));
    if (typeof node !== 'object' || node === null) return node;
    const { $ref, ...rest } = node as Record<string, unknown>;
    const name = typeof $ref === 'string' ? $ref.replace('#/$defs/', '') : undefined;
    const target = name !== undefined && !seen.has(name) ? defs[name] : undefined;
    const merged = target ? { ...(target as object), ...rest } : rest;
    const inner = name ? new Set([...seen, name]) : seen;
    return Object.fromEntries(Object.entries(merged).map(([key, value]) => [key, inline(value, inner)]));
  };
  return inline(schema, new Set()) as Record<string, unknown>;
}

const familySchemas = new Map<string, Record<string, FieldSchema>>();

/** A family's options by config name (without `kind`), from its schema as JSON Schema. */
export function familyFields(family: ModelFamily): Record<string, FieldSchema> {
  let fields = familySchemas.get(family.kind);
  if (!fields) {
    const json = inlineRefs(
      z.toJSONSchema(family.configSchema, { io: 'input', unrepresentable: 'any' }),
    ) as FieldSchema;
    if (!json.properties)
      throw new Error(
        `the config schema of "${family.kind}" is not an object; the CLI cannot list its options`,
      );
    const { kind: _kind, ...options } = json.properties;
    fields = options;
    familySchemas.set(family.kind, fields);
  }
  return fields;
}

/** Every option of every registered family, in the order the families declare them. */
export function modelOptions(): ModelOption[] {
  const options = new Map<string, ModelOption>();
  for (const family of listFamilies()) {
    for (const [key, field] of Object.entries(familyFields(family))) {
      let option = options.get(key);
      if (!option) {
        option = { key, flag: `--${kebab(key)}`, aliases: ALIASES[key]?.flags ?? [], byKind: new Map() };
        options.set(key, option);
      }
      option.byKind.set(family.kind, field);
    }
  }
  return [...options.values()];
}

// ---- types, in words ----

function choicesOf(field: FieldSchema): unknown[] | undefined {
  if (field.enum) return field.enum;
  if (field.const !== undefined) return [field.const];
  return undefined;
}

function bounds(field: FieldSchema): string {
  const parts: string[] = [];
  if (field.exclusiveMinimum !== undefined) parts.push(`> ${field.exclusiveMinimum}`);
  if (field.minimum !== undefined) parts.push(`>= ${field.minimum}`);
  // zod's int() writes the safe-integer limit as a maximum; that says nothing to a user.
  if (field.maximum !== undefined && field.maximum < Number.MAX_SAFE_INTEGER)
    parts.push(`<= ${field.maximum}`);
  if (field.exclusiveMaximum !== undefined) parts.push(`< ${field.exclusiveMaximum}`);
  return parts.length > 0 ? ` ${parts.join(' and ')}` : '';
}

/** `an integer > 0`, `one of bernoulli, gaussian`, `a number > 0 or one of learned, learned-per-pixel`. */
export function describeType(field: FieldSchema): string {
  const choices = choicesOf(field);
  if (choices && field.type !== 'boolean') return `one of ${choices.join(', ')}`;
  if (field.anyOf) return field.anyOf.map(describeType).join(' or ');
  switch (field.type) {
    case 'integer':
      return `an integer${bounds(field)}`;
    case 'number':
      return `a number${bounds(field)}`;
    case 'boolean':
      return field.const !== undefined ? `always ${field.const}` : 'true or false (the flag alone: true)';
    case 'array': {
      const least = field.minItems ? ` (at least ${field.minItems})` : '';
      const item = field.items ? describeType(field.items) : 'any value';
      return `a comma list of values${least}, each ${item}`;
    }
    case 'object':
      return `an object {${Object.keys(field.properties ?? {}).join(', ')}}`;
    case 'string':
      return 'text';
    default:
      return 'JSON or text';
  }
}

/** A value as it would be typed on the command line. */
export function formatValue(key: string, value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '""' : value.join(',');
  const syntax = ALIASES[key]?.syntax;
  if (syntax && value !== undefined) return syntax.format(value);
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

export function placeholder(option: ModelOption): string {
  const syntax = ALIASES[option.key]?.syntax;
  if (syntax) return syntax.placeholder;
  const shapes = new Set([...option.byKind.values()].map(placeholderFor));
  return shapes.size === 1 ? [...shapes][0] : '<value>';
}

function placeholderFor(field: FieldSchema): string {
  if (field.type === 'boolean') return '[bool]';
  if (choicesOf(field)) return '<name>';
  if (field.anyOf) return '<value>';
  if (field.type === 'integer') return '<n>';
  if (field.type === 'number') return '<x>';
  if (field.type === 'array') return '<list>';
  if (field.type === 'object') return '<json>';
  return '<value>';
}

// ---- parsing, once the kind is known ----

function parseScalar(flag: string, text: string, field: FieldSchema): number {
  const n = Number(text);
  const fits =
    text.trim() !== '' &&
    Number.isFinite(n) &&
    (field.type !== 'integer' || Number.isInteger(n)) &&
    (field.minimum === undefined || n >= field.minimum) &&
    (field.exclusiveMinimum === undefined || n > field.exclusiveMinimum) &&
    (field.maximum === undefined || n <= field.maximum) &&
    (field.exclusiveMaximum === undefined || n < field.exclusiveMaximum);
  if (!fits) throw new UsageError(`expected ${describeType(field)}, got "${text}"`, { path: flag });
  return n;
}

function parseBoolean(flag: string, value: string | true): boolean {
  if (value === true || value === 'true') return true;
  if (value === 'false') return false;
  throw new UsageError(`expected true or false (or the flag alone for true), got "${value}"`, { path: flag });
}

/** A flag's text as the chosen kind's option of that name: the error names the flag, what it takes and the text. */
export function parseOptionValue(
  flag: string,
  key: string,
  field: FieldSchema,
  value: string | true,
): unknown {
  if (field.type === 'boolean') return parseBoolean(flag, value);
  const text = value === true ? '' : value;
  const choices = choicesOf(field);
  if (choices) {
    if (!choices.map(String).includes(text)) {
      const renamed = renamedArchitecture(text);
      const hint = renamed && choices.includes(renamed) ? ` ("${text}" is now called "${renamed}")` : '';
      throw new UsageError(`expected one of ${choices.join(', ')}, got "${text}"${hint}`, { path: flag });
    }
    return choices.find((choice) => String(choice) === text);
  }
  if (field.anyOf) {
    // A union such as sigma (a number, or a word): the first branch that takes the text.
    for (const branch of field.anyOf) {
      try {
        return parseOptionValue(flag, key, branch, text);
      } catch {}
    }
    throw new UsageError(`expected ${describeType(field)}, got "${text}"`, { path: flag });
  }
  switch (field.type) {
    case 'integer':
    case 'number':
      return parseScalar(flag, text, field);
    case 'array': {
      if (text.trim() === '') return [];
      const items = field.items ?? {};
      return text.split(',').map((part) => parseOptionValue(flag, key, items, part.trim()));
    }
    case 'object': {
      const syntax = ALIASES[key]?.syntax;
      if (syntax) return syntax.parse(flag, text, field);
      return parseJsonObject(flag, text, field);
    }
    case 'string':
      return text;
    default:
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
  }
}

function parseJsonObject(flag: string, text: string, field: FieldSchema): unknown {
  const example = `{${Object.keys(field.properties ?? {})
    .map((name) => `"${name}": ...`)
    .join(', ')}}`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`expected a JSON object such as ${example}, got "${text}"`, { path: flag });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError(`expected a JSON object such as ${example}, got "${text}"`, { path: flag });
  return value;
}

// ---- commander ----

interface FlagEntry {
  flag: string;
  option: ModelOption;
}

/** Attribute name → the flag and option it belongs to, aliases included. */
function flagTable(options: ModelOption[]): Map<string, FlagEntry> {
  const table = new Map<string, FlagEntry>();
  for (const option of options)
    for (const flag of [option.flag, ...option.aliases]) table.set(attributeOf(flag), { flag, option });
  return table;
}

const MODEL_OPTIONS_HEADING = 'Model options (each kind takes its own; `latentlab models KIND` lists them):';

function kindList(kinds: string[], all: string[]): string {
  if (kinds.length === all.length) return 'all kinds';
  if (kinds.length > all.length / 2 && kinds.length > 2)
    return `all but ${all.filter((kind) => !kinds.includes(kind)).join(', ')}`;
  return kinds.join(', ');
}

/**
 * A property that may differ by kind, in words: how many values it takes, the commonest, and all of them as the
 * commonest followed by the others with their kinds (`512,256; 256 for dense-ae, classifier`). Undefined where
 * no kind has it.
 */
function perKind(
  option: ModelOption,
  render: (field: FieldSchema) => string | undefined,
): { count: number; commonest: string | undefined; text: string | undefined } {
  const groups = new Map<string, string[]>();
  for (const [kind, field] of option.byKind) {
    const value = render(field);
    if (value === undefined) continue;
    groups.set(value, [...(groups.get(value) ?? []), kind]);
  }
  const [commonest, ...others] = [...groups].sort((a, b) => b[1].length - a[1].length);
  if (!commonest) return { count: 0, commonest: undefined, text: undefined };
  const text = [commonest[0], ...others.map(([value, kinds]) => `${value} for ${kinds.join(', ')}`)].join(
    '; ',
  );
  return { count: groups.size, commonest: commonest[0], text };
}

/** What a flag takes, where the placeholder does not say it all: the choices, or the union's branches. */
function choicesText(field: FieldSchema): string | undefined {
  if (field.type === 'boolean') return undefined;
  const choices = choicesOf(field);
  if (choices) return choices.join(', ');
  if (field.anyOf) return field.anyOf.map((branch) => choicesText(branch) ?? describeType(branch)).join(', ');
  return undefined;
}

/** The help of one model option: description, the kinds that take it, choices, default. */
export function optionHelp(option: ModelOption, all: string[]): string {
  const descriptions = perKind(option, (field) => field.description);
  const choices = perKind(option, choicesText);
  const defaults = perKind(option, (field) =>
    field.default === undefined ? undefined : formatValue(option.key, field.default),
  );
  const parts: string[] = [];
  // Families word the same option their own way; one line of help gives the commonest wording, and `models KIND`
  // each family's own.
  if (descriptions.commonest)
    parts.push(
      descriptions.count > 1
        ? `${descriptions.commonest} (wording per kind: latentlab models KIND)`
        : descriptions.commonest,
    );
  parts.push(`[${kindList([...option.byKind.keys()], all)}]`);
  if (choices.text) parts.push(`(choices: ${choices.text})`);
  if (defaults.text) {
    const untidy = defaults.count > 3 || defaults.text.length > 100;
    parts.push(`(default: ${untidy ? 'per kind, see `latentlab models KIND`' : defaults.text})`);
  }
  return parts.join(' ');
}

/**
 * One commander option per model option and alias, values kept as text (or `true` for a bare flag): they are
 * parsed by modelConfigFromFlags once the kind is known, since `--loss` or `--architecture` take different
 * values in different families.
 */
export function modelOptionFlags(): Option[] {
  const options = modelOptions();
  const all = listFamilies().map((family) => family.kind);
  const result: Option[] = [];
  for (const option of options) {
    const arg = placeholder(option);
    const help = optionHelp(option, all);
    result.push(new Option(`${option.flag} ${arg}`, help).helpGroup(MODEL_OPTIONS_HEADING));
    for (const alias of option.aliases)
      result.push(
        new Option(`${alias} ${arg}`, `the same as ${option.flag}`).helpGroup(MODEL_OPTIONS_HEADING),
      );
  }
  return result;
}

/**
 * The model options given as flags, parsed by the kind's own schema. A flag the kind has no option for is
 * refused, naming the kinds that do have it; two flags for one option (`--kl-warmup`, `--kl-warmup-epochs`) too.
 */
export function modelConfigFromFlags(flags: Record<string, unknown>, kind: string): Record<string, unknown> {
  const family = listFamilies().find((candidate) => candidate.kind === kind);
  const table = flagTable(modelOptions());
  const fields = family ? familyFields(family) : {};
  const model: Record<string, unknown> = {};
  const givenBy = new Map<string, string>();
  for (const [attribute, { flag, option }] of table) {
    const value = flags[attribute];
    if (value === undefined) continue;
    const field = fields[option.key];
    if (!family) continue; // an unknown kind is reported by the config check, naming the known kinds
    if (!field) {
      const owners = [...option.byKind.keys()].join(', ');
      const renamed = renamedOption(kind, option.key);
      const now = renamed ? `; "${kind}" now calls it ${renamed}: --${kebab(renamed)}` : '';
      throw new UsageError(`${flag} is not an option of "${kind}" (it is an option of ${owners})${now}`);
    }
    const earlier = givenBy.get(option.key);
    if (earlier) throw new UsageError(`${earlier} and ${flag} both set ${option.key}; give one of them`);
    givenBy.set(option.key, flag);
    model[option.key] = parseOptionValue(flag, option.key, field, value as string | true);
  }
  return model;
}

/** The attribute names of the model flags, so that a command can tell its own flags from them. */
export function modelFlagAttributes(): string[] {
  return [...flagTable(modelOptions()).keys()];
}
