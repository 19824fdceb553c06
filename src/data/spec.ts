// Data sources named by a URI-like spec on the CLI (`mnist`, `idx:PATH`, ...) and by an object in the API.
import { z } from 'zod';
import { UsageError } from '../errors.js';

export const DataSpec = z.discriminatedUnion('source', [
  z.strictObject({ source: z.literal('mnist') }),
  z.strictObject({ source: z.literal('fashion-mnist') }),
  z.strictObject({
    source: z.literal('idx'),
    images: z.string().min(1).describe('Path of the IDX image file (plain or .gz)'),
    labels: z
      .string()
      .min(1)
      .optional()
      .describe('Path of the IDX labels file; by default it is found beside the images file'),
  }),
  z.strictObject({
    source: z.literal('csv'),
    path: z.string().min(1).describe('Path of the CSV file'),
    /** A header name, or a 0-based position: `#N`, `N` when no column is named N, or the number N in JSON. */
    labelColumn: z
      .union([
        z.string().min(1),
        z
          .number()
          .int()
          .min(0)
          .transform((n) => `#${n}`),
      ])
      .optional()
      .describe('Label column: a header name or a 0-based position (#N); without it the data has no labels'),
    /** false: the file has no header row (the default, true, refuses a header of numbers only). */
    header: z
      .boolean()
      .optional()
      .describe('Whether the file has a header row (default true; false for a file without one)'),
    skipRows: z
      .number()
      .int()
      .min(0)
      .max(1_000_000, 'expected at most 1,000,000 lines to skip')
      .optional()
      .describe(
        'Lines skipped at the start of the file, before the header or first row (e.g. a metadata line)',
      ),
    scaling: z
      .enum(['minmax', 'standard', 'none'])
      .default('minmax')
      .describe('Column scaling: minmax to [0, 1], standard (zero mean, unit variance) or none'),
  }),
  z.strictObject({
    source: z.literal('images'),
    dir: z
      .string()
      .min(1)
      .describe('Folder of PNG/JPEG images, either all at the top or one subfolder per class'),
    height: z.number().int().positive().default(28).describe('Height in pixels every image is resized to'),
    width: z.number().int().positive().default(28).describe('Width in pixels every image is resized to'),
    channels: z
      .union([z.literal(1), z.literal(3)])
      .default(1)
      .describe('Colour channels: 1 (greyscale) or 3 (RGB)'),
  }),
  z.strictObject({
    source: z.literal('toy'),
    name: z
      .enum(['ring8', 'grid25', 'moons', 'spiral'])
      .describe('2-D toy distribution: ring8, grid25, moons or spiral'),
    size: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Training samples to draw (a test part of a fifth of that is drawn beside them)'),
  }),
]);
export type DataSpec = z.infer<typeof DataSpec>;
export type DataSpecInput = z.input<typeof DataSpec>;

export interface DataSpecOptions {
  labelColumn?: string;
  header?: boolean;
  skipRows?: number;
  scaling?: 'minmax' | 'standard' | 'none';
  imageSize?: number;
  channels?: 1 | 3;
}

/** `mnist`, `fashion-mnist`, `idx:PATH`, `csv:PATH`, `images:DIR`, `toy:NAME` → a validated spec. */
export function parseDataSpec(text: string, options: DataSpecOptions = {}): DataSpec {
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  const needPath = () => {
    if (!rest) throw new UsageError(`data spec "${text}" needs a path after "${kind}:"`, { path: '--data' });
    return rest;
  };
  switch (kind) {
    case 'mnist':
    case 'fashion-mnist':
      return DataSpec.parse({ source: kind });
    case 'idx':
      return DataSpec.parse({ source: 'idx', images: needPath() });
    case 'csv':
      return DataSpec.parse({
        source: 'csv',
        path: needPath(),
        labelColumn: options.labelColumn,
        // Only when not the default, so the saved spec of an ordinary CSV stays as it was.
        ...(options.header === false ? { header: false } : {}),
        ...(options.skipRows ? { skipRows: options.skipRows } : {}),
        scaling: options.scaling,
      });
    case 'images':
      return DataSpec.parse({
        source: 'images',
        dir: needPath(),
        height: options.imageSize,
        width: options.imageSize,
        channels: options.channels,
      });
    case 'toy': {
      // toy:NAME or toy:NAME:SIZE (training points; a test part of a fifth of that is drawn beside it).
      const [name, size, ...extra] = rest.split(':');
      const parsed = DataSpec.safeParse({
        source: 'toy',
        name,
        ...(size === undefined ? {} : { size: Number(size) }),
      });
      if (!parsed.success || extra.length > 0)
        throw new UsageError(
          `data spec "${text}": expected toy:ring8, toy:grid25, toy:moons or toy:spiral, optionally with a ` +
            'positive integer size, e.g. toy:ring8:50000',
          { path: '--data' },
        );
      return parsed.data;
    }
    default:
      throw new UsageError(
        `unknown data source "${kind}": expected mnist, fashion-mnist, idx:PATH, csv:PATH, images:DIR or toy:NAME`,
        { path: '--data' },
      );
  }
}

export function formatDataSpec(spec: DataSpec): string {
  switch (spec.source) {
    case 'mnist':
    case 'fashion-mnist':
      return spec.source;
    case 'idx':
      return `idx:${spec.images}`;
    case 'csv':
      return `csv:${spec.path}`;
    case 'images':
      return `images:${spec.dir}`;
    case 'toy':
      return spec.size === undefined ? `toy:${spec.name}` : `toy:${spec.name}:${spec.size}`;
  }
}
