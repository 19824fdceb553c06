// parseOrThrow: one conversion from a failed zod parse to a ConfigError naming the field, for the library, the
// CLI and (through firstIssue) the server.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, exitCodeFor, firstIssue, parseOrThrow } from '../src/errors.js';

const Options = z.strictObject({
  epochs: z.number().int().positive(),
  optimizer: z.strictObject({ learningRate: z.number().positive() }).optional(),
});

function failure(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseOrThrow', () => {
  it('returns the parsed value', () => {
    expect(parseOrThrow(Options, { epochs: 3 })).toEqual({ epochs: 3 });
  });

  it('names the failing field, prefixed by a dotted field or directly after a file ending in #', () => {
    const bare = failure(() => parseOrThrow(Options, { epochs: 0 }));
    expect(bare.path).toBe('epochs');
    expect(bare.message).toMatch(/^epochs: /);
    expect(failure(() => parseOrThrow(Options, { epochs: 0 }, 'train')).path).toBe('train.epochs');
    const file = failure(() =>
      parseOrThrow(Options, { epochs: 1, optimizer: { learningRate: -1 } }, 'run.json#'),
    );
    expect(file.path).toBe('run.json#optimizer.learningRate');
    expect(exitCodeFor(file)).toBe(2);
  });

  it('names an unknown key itself, not the object holding it', () => {
    const error = failure(() =>
      parseOrThrow(Options, { epochs: 1, optimizer: { learningRate: 1, lr: 2 } }, 'train'),
    );
    expect(error.message).toBe('train.optimizer.lr: unknown option "lr"');
  });

  it('maps the first part of the field to what the user typed', () => {
    const error = failure(() =>
      parseOrThrow(Options, { epochs: 1, optimizer: { learningRate: 0 } }, (field) => `--${field}`),
    );
    expect(error.path).toBe('--optimizer.learningRate');
  });

  it('has no path when the value as a whole fails', () => {
    const error = failure(() => parseOrThrow(Options, 'nope'));
    expect(error.path).toBeUndefined();
  });

  it('gives the server the same first issue, in its own word for an unknown key', () => {
    const parsed = Options.safeParse({ epochs: 1, extra: true });
    expect(parsed.success).toBe(false);
    expect(firstIssue(parsed.error!, 'field')).toEqual({ path: ['extra'], message: 'unknown field "extra"' });
  });
});
