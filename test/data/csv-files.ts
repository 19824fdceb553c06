// CSV files for the data tests: written into one temporary folder per test file, removed after it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { DataError } from '../../src/errors.js';

/** Call at the top of a test file: returns `csvFile(name, text)`, writing into this file's temporary folder. */
export function csvFolder(prefix: string): (name: string, text: string) => Promise<string> {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return async (name, text) => {
    const file = join(dir, name);
    await writeFile(file, text);
    return file;
  };
}

/** The DataError `promise` rejects with (failing the test when it resolves or throws something else). */
export async function errorFrom(promise: Promise<unknown>): Promise<DataError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataError);
  return error as DataError;
}
