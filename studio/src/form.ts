// A form generated from JSON Schema (the server's z.toJSONSchema of the config schemas): one input per field,
// named by its path (e.g. "model.latent"), so the form always matches the schemas with nothing written per model.
import { h, words } from './dom.js';

export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  description?: string;
}

/** A rendered field: its element (absent for constants) and a reader of its current value. */
export interface Field {
  element?: HTMLElement;
  read(): unknown;
}

/** The property every option of a oneOf fixes to a constant (e.g. "source", "type"), if there is one. */
function discriminator(options: JsonSchema[]): string | undefined {
  const first = options[0]?.properties ?? {};
  return Object.keys(first).find((key) => options.every((o) => o.properties?.[key]?.const !== undefined));
}

function label(path: string, text: string, input: HTMLElement, hint?: string): HTMLElement {
  return h('label', { class: 'field', 'data-path': path, title: hint }, h('span', {}, text), input);
}

function select(path: string, values: unknown[], current: unknown): HTMLSelectElement {
  const element = h('select', { name: path });
  for (const value of values) {
    const option = h('option', { value: JSON.stringify(value) }, String(value));
    if (JSON.stringify(value) === JSON.stringify(current)) option.selected = true;
    element.append(option);
  }
  return element;
}

export function renderField(path: string, name: string, schema: JsonSchema, value: unknown): Field {
  const current = value ?? schema.default;
  if (schema.const !== undefined) return { read: () => schema.const };
  if (schema.oneOf) return renderUnion(path, name, schema.oneOf, current);
  if (schema.anyOf?.every((s) => s.const !== undefined)) {
    const input = select(
      path,
      schema.anyOf.map((s) => s.const),
      current,
    );
    return { element: label(path, words(name), input), read: () => JSON.parse(input.value) };
  }
  if (schema.enum) {
    const input = select(path, schema.enum, current);
    return { element: label(path, words(name), input), read: () => JSON.parse(input.value) };
  }
  switch (schema.type) {
    case 'object':
      return renderObject(path, name, schema, current as Record<string, unknown> | undefined);
    case 'boolean': {
      const input = h('input', { type: 'checkbox', name: path, checked: current === true });
      return { element: label(path, words(name), input), read: () => input.checked };
    }
    case 'integer':
    case 'number': {
      const input = h('input', {
        type: 'number',
        name: path,
        step: schema.type === 'integer' ? 1 : 'any',
        min: schema.minimum ?? schema.exclusiveMinimum,
        max: schema.maximum !== undefined && schema.maximum < 1e15 ? schema.maximum : undefined,
        value: typeof current === 'number' ? current : '',
        placeholder: current === undefined ? 'auto' : undefined,
      });
      return {
        element: label(path, words(name), input, schema.description),
        read: () => (input.value.trim() === '' ? undefined : Number(input.value)),
      };
    }
    case 'array': {
      // Lists of numbers (layer widths, classes) as "256, 128".
      const input = h('input', {
        type: 'text',
        name: path,
        value: Array.isArray(current) ? current.join(', ') : '',
        placeholder: 'e.g. 256, 128',
      });
      const read = () =>
        input.value
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean)
          .map(Number);
      return { element: label(path, words(name), input), read };
    }
    default: {
      const input = h('input', {
        type: 'text',
        name: path,
        value: typeof current === 'string' ? current : '',
      });
      return {
        element: label(path, words(name), input),
        read: () => (input.value === '' ? undefined : input.value),
      };
    }
  }
}

function renderObject(
  path: string,
  name: string,
  schema: JsonSchema,
  value: Record<string, unknown> | undefined,
): Field {
  const fields: [string, Field][] = [];
  const box = h('div', { class: 'fields' });
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    const required = schema.required?.includes(key) ?? false;
    // Optional objects without a default (extra data sources and the like) are for config files, not the form.
    if (!required && property.default === undefined && (property.type === 'object' || property.oneOf))
      continue;
    const field = renderField(path ? `${path}.${key}` : key, key, property, value?.[key]);
    fields.push([key, field]);
    if (field.element) box.append(field.element);
  }
  const read = () => {
    const out: Record<string, unknown> = {};
    for (const [key, field] of fields) {
      const v = field.read();
      if (v !== undefined) out[key] = v;
    }
    return out;
  };
  if (!name) return { element: box, read };
  return {
    element: h('details', { class: 'group', 'data-path': path }, h('summary', {}, words(name)), box),
    read,
  };
}

function renderUnion(path: string, name: string, options: JsonSchema[], value: unknown): Field {
  const key = discriminator(options);
  if (!key) return { read: () => value };
  const tags = options.map((o) => o.properties![key].const);
  const chosen = (value as Record<string, unknown> | undefined)?.[key] ?? tags[0];
  const chooser = select(`${path}.${key}`, tags, chosen);
  const body = h('div', { class: 'fields' });
  let inner: Field = { read: () => ({}) };
  const draw = (tag: unknown, initial?: unknown) => {
    const schema = options[tags.findIndex((t) => JSON.stringify(t) === JSON.stringify(tag))];
    inner = renderObject(path, '', schema, initial as Record<string, unknown> | undefined);
    body.replaceChildren(inner.element ?? '');
  };
  draw(chosen, value);
  chooser.addEventListener('change', () => draw(JSON.parse(chooser.value)));
  const element = h(
    'div',
    { class: 'union' },
    label(`${path}.${key}`, `${words(name)} ${key}`, chooser),
    body,
  );
  return { element, read: () => ({ ...(inner.read() as object), [key]: JSON.parse(chooser.value) }) };
}
