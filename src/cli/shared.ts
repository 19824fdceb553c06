// Pieces every command shares: backend start-up, number/list flag parsing, output writing, run lookup.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { type BackendName, describeBackend, selectBackend } from '../engine/backend.js';
import { IoError } from '../errors.js';

export interface GlobalOptions {
  backend?: BackendName;
  verbose?: boolean;
}

export async function startBackend(options: GlobalOptions): Promise<string> {
  const info = await selectBackend({
    backend: options.backend,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  return describeBackend(info);
}

export function parseNumber(
  flag: string,
  { integer = false, min }: { integer?: boolean; min?: number } = {},
) {
  return (value: string): number => {
    const n = Number(value);
    if (
      value.trim() === '' ||
      !Number.isFinite(n) ||
      (integer && !Number.isInteger(n)) ||
      (min !== undefined && n < min)
    ) {
      throw new InvalidArgumentError(
        `expected ${integer ? 'an integer' : 'a number'}${min !== undefined ? ` >= ${min}` : ''} for ${flag}, got "${value}"`,
      );
    }
    return n;
  };
}

export function parseIntList(flag: string) {
  return (value: string): number[] => {
    if (value.trim() === '') return [];
    return value.split(',').map((part) => parseNumber(flag, { integer: true, min: 1 })(part.trim()));
  };
}

/** A run directory, or the model directory inside one; returns the model directory. */
export function resolveModelDir(runOrModel: string): string {
  if (existsSync(join(runOrModel, 'manifest.json'))) return runOrModel;
  const inner = join(runOrModel, 'model');
  if (existsSync(join(inner, 'manifest.json'))) return inner;
  throw new IoError(
    'no trained model here (expected model/manifest.json in a run directory, or manifest.json)',
    {
      path: runOrModel,
    },
  );
}
