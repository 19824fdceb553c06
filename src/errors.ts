// Typed errors: each has a code the CLI maps to an exit status and the server to an HTTP status,
// and a path (file, line, field) that says where the problem is.
import type { z } from 'zod';

export type ErrorCode =
  | 'usage' // bad flag or argument
  | 'config' // a config value fails its schema
  | 'data' // a data file is missing, malformed or inconsistent
  | 'io' // a run directory, checkpoint or model file is missing or corrupt
  | 'network' // a download failed
  | 'numeric' // NaN/Inf or a shape mismatch at run time
  | 'backend'; // a TensorFlow.js backend could not start

export class LatentlabError extends Error {
  readonly code: ErrorCode;
  /** Where the problem is: a file, `file:line`, or a dotted config field. */
  readonly path?: string;

  constructor(code: ErrorCode, message: string, options?: { path?: string; cause?: unknown }) {
    super(options?.path ? `${options.path}: ${message}` : message, { cause: options?.cause });
    this.name = 'LatentlabError';
    this.code = code;
    this.path = options?.path;
  }
}

export class UsageError extends LatentlabError {
  constructor(message: string, options?: { path?: string; cause?: unknown }) {
    super('usage', message, options);
    this.name = 'UsageError';
  }
}

export class ConfigError extends LatentlabError {
  constructor(message: string, options?: { path?: string; cause?: unknown }) {
    super('config', message, options);
    this.name = 'ConfigError';
  }
}

export class DataError extends LatentlabError {
  constructor(message: string, options?: { path?: string; cause?: unknown }) {
    super('data', message, options);
    this.name = 'DataError';
  }
}

export class IoError extends LatentlabError {
  constructor(message: string, options?: { path?: string; cause?: unknown }) {
    super('io', message, options);
    this.name = 'IoError';
  }
}

export class NumericError extends LatentlabError {
  constructor(message: string, options?: { path?: string; cause?: unknown }) {
    super('numeric', message, options);
    this.name = 'NumericError';
  }
}

export class BackendError extends LatentlabError {
  constructor(message: string, options?: { path?: string; cause?: unknown }) {
    super('backend', message, options);
    this.name = 'BackendError';
  }
}

/**
 * The first issue of a failed parse: where it is and what is wrong. An unknown key is named itself, rather than
 * the object holding it (`unknown <word> "key"`); the CLI and library say option, the server field.
 */
export function firstIssue(error: z.ZodError, word = 'option'): { path: PropertyKey[]; message: string } {
  const issue = error.issues[0];
  if (issue.code === 'unrecognized_keys')
    return { path: [...issue.path, issue.keys[0]], message: `unknown ${word} "${issue.keys[0]}"` };
  return { path: issue.path, message: issue.message };
}

/**
 * Where a parse failure points. A string prefixes the field: a dotted field (`families.ae`) joins it with '.', a
 * file ending in '#' (`run.json#`) directly (`run.json#train.epochs`), '' leaves the field alone. A function maps
 * the first part of the field to what the user typed (quantile → --quantile).
 */
export type ParseWhere = string | ((field: string) => string);

/** The first issue of a failed parse as a ConfigError naming its field. */
export function configErrorFrom(error: z.ZodError, where: ParseWhere = ''): ConfigError {
  const { path, message } = firstIssue(error);
  const [first, ...rest] = path.map(String);
  let field: string;
  if (typeof where === 'function')
    field = [first === undefined ? '' : where(first), ...rest].filter(Boolean).join('.');
  else {
    const inner = path.map(String).join('.');
    field = where.endsWith('#') ? `${where}${inner}` : [where, inner].filter(Boolean).join('.');
  }
  return new ConfigError(message, { path: field || undefined, cause: error });
}

/** `raw` parsed by `schema`, or a ConfigError naming the first field that fails it (see ParseWhere). */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  where: ParseWhere = '',
): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw configErrorFrom(parsed.error, where);
  return parsed.data;
}

/** A command the user stopped (Ctrl-C) after it kept what it could; the message says what was kept. */
export class InterruptedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InterruptedError';
  }
}

/**
 * CLI exit status: 2 for usage and config mistakes the user can fix by retyping, 130 for Ctrl-C (as a shell
 * reports SIGINT), 1 otherwise.
 */
export function exitCodeFor(error: unknown): 1 | 2 | 130 {
  if (error instanceof InterruptedError) return 130;
  if (error instanceof LatentlabError && (error.code === 'usage' || error.code === 'config')) return 2;
  return 1;
}
