// PLACEHOLDER until the FSDD helper's module lands (same names): finds the recordings via $LATENTLAB_DATA.

import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '../../errors.js';

export const FSDD_SPEAKERS = [
  { name: 'george' },
  { name: 'jackson' },
  { name: 'lucas' },
  { name: 'nicolas' },
  { name: 'theo' },
  { name: 'yweweler' },
] as const;

export async function findFsdd(_options: { download?: boolean } = {}): Promise<string | undefined> {
  const root = process.env.LATENTLAB_DATA;
  if (root && existsSync(join(root, 'fsdd', 'recordings'))) return join(root, 'fsdd', 'recordings');
  return undefined;
}

export function howToGetFsdd(): string {
  return 'set LATENTLAB_DATA';
}

export async function fsddRecordings(dir: string) {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.wav')).sort();
  return files.map((file) => {
    const m = /^(\d)_([a-z]+)_(\d+)\.wav$/.exec(file);
    if (!m) throw new DataError('bad name', { path: file });
    return { path: join(dir, file), file, digit: Number(m[1]), speaker: m[2], index: Number(m[3]) };
  });
}
