// Fashion-MNIST (Zalando): 60,000 training and 10,000 test images of clothing, 28x28 grey.
// Found on disk (env dir, Debian package, user cache) or downloaded once into the cache, checksum-verified.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DataError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import type { RawData } from '../dataset.js';
import { readIdxSamples } from './idx.js';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

export const FASHION_MNIST_BASE_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';
export const FASHION_MNIST_APT_PACKAGE = 'dataset-fashion-mnist';
export const FASHION_MNIST_SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';

/** The official files and their SHA-256 (taken from the Debian package, identical to Zalando's release). */
export const FASHION_MNIST_FILES = {
  trainImages: {
    name: 'train-images-idx3-ubyte.gz',
    sha256: 'b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7',
  },
  trainLabels: {
    name: 'train-labels-idx1-ubyte.gz',
    sha256: '0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056',
  },
  testImages: {
    name: 't10k-images-idx3-ubyte.gz',
    sha256: 'cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa',
  },
  testLabels: {
    name: 't10k-labels-idx1-ubyte.gz',
    sha256: '8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05',
  },
} as const;
export type FashionMnistFile = keyof typeof FASHION_MNIST_FILES;
const FILE_KEYS = Object.keys(FASHION_MNIST_FILES) as FashionMnistFile[];

export interface FashionMnistOptions {
  /** Directories searched in order before the cache; default from $LATENTLAB_DATA and the Debian path. */
  searchDirs?: string[];
  /** Where downloads go (and are looked for last); default ~/.cache/latentlab/fashion-mnist. */
  cacheDir?: string;
  /** Download when no directory has the files (default true). */
  download?: boolean;
  fetch?: typeof fetch;
  baseUrl?: string;
  /** Expected SHA-256 per file, overriding the official ones (a mirror of re-packed files, tests). */
  sha256?: Partial<Record<FashionMnistFile, string>>;
  /** Per-file download timeout (default 5 minutes). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export function fashionMnistSearchDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs: string[] = [];
  if (env.LATENTLAB_DATA) dirs.push(env.LATENTLAB_DATA, join(env.LATENTLAB_DATA, 'fashion-mnist'));
  dirs.push(FASHION_MNIST_SYSTEM_DIR);
  return dirs;
}

export function fashionMnistCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(cacheHome, 'latentlab', 'fashion-mnist');
}

/** Paths of the four files in `dir` (each either gzipped or already unpacked), or undefined if any is missing. */
function filesIn(dir: string): Record<FashionMnistFile, string> | undefined {
  const found: Partial<Record<FashionMnistFile, string>> = {};
  for (const key of FILE_KEYS) {
    const gz = join(dir, FASHION_MNIST_FILES[key].name);
    const plain = gz.slice(0, -'.gz'.length);
    if (existsSync(gz)) found[key] = gz;
    else if (existsSync(plain)) found[key] = plain;
    else return undefined;
  }
  return found as Record<FashionMnistFile, string>;
}

/** The first directory (search dirs, then cache) that holds all four files. */
export function findFashionMnist(
  options: Pick<FashionMnistOptions, 'searchDirs' | 'cacheDir' | 'env'> = {},
): { dir: string; files: Record<FashionMnistFile, string> } | undefined {
  const env = options.env ?? process.env;
  const dirs = [
    ...(options.searchDirs ?? fashionMnistSearchDirs(env)),
    options.cacheDir ?? fashionMnistCacheDir(env),
  ];
  for (const dir of dirs) {
    const files = filesIn(dir);
    if (files) return { dir, files };
  }
  return undefined;
}

function howToGetIt(cacheDir: string): string {
  return (
    `install the Debian package (apt-get install -y ${FASHION_MNIST_APT_PACKAGE}, files in ${FASHION_MNIST_SYSTEM_DIR}) ` +
    `or put the four files (${FILE_KEYS.map((k) => FASHION_MNIST_FILES[k].name).join(', ')}) in ${cacheDir}`
  );
}

/**
 * Download the four files into `cacheDir`. All are fetched and verified in memory before any is written,
 * and each is written atomically, so a failed or corrupt download leaves the cache as it was.
 */
export async function downloadFashionMnist(options: FashionMnistOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const cacheDir = options.cacheDir ?? fashionMnistCacheDir(env);
  const fetchFn = options.fetch ?? globalThis.fetch;
  const baseUrl = options.baseUrl ?? FASHION_MNIST_BASE_URL;
  const timeoutMs = options.timeoutMs ?? 300_000;
  const fetched: Array<{ name: string; bytes: Uint8Array }> = [];
  for (const key of FILE_KEYS) {
    const { name } = FASHION_MNIST_FILES[key];
    const sha256 = options.sha256?.[key] ?? FASHION_MNIST_FILES[key].sha256;
    const url = new URL(name, baseUrl).href;
    let bytes: Uint8Array;
    try {
      const response = await fetchFn(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new DataError(
        `Fashion-MNIST is not on this machine and downloading ${url} failed (${reason}); ${howToGetIt(cacheDir)}`,
        { path: cacheDir, cause: error },
      );
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) {
      throw new DataError(
        `checksum mismatch for ${url}: expected SHA-256 ${sha256}, got ${actual} (${bytes.length} bytes); ` +
          `nothing was saved. Retry, or ${howToGetIt(cacheDir)}`,
        { path: name },
      );
    }
    fetched.push({ name, bytes });
  }
  await mkdir(cacheDir, { recursive: true });
  for (const { name, bytes } of fetched) await writeFileAtomic(join(cacheDir, name), bytes);
  return cacheDir;
}

/** `fashion-mnist`: the official train (60,000) and test (10,000) parts. */
export async function loadFashionMnist(options: FashionMnistOptions = {}): Promise<RawData> {
  let found = findFashionMnist(options);
  if (!found) {
    const cacheDir = options.cacheDir ?? fashionMnistCacheDir(options.env ?? process.env);
    if (options.download === false) {
      throw new DataError(`Fashion-MNIST not found; ${howToGetIt(cacheDir)}`, { path: cacheDir });
    }
    const dir = await downloadFashionMnist({ ...options, cacheDir });
    found = { dir, files: filesIn(dir)! };
  }
  const { files } = found;
  const train = await readIdxSamples(files.trainImages, files.trainLabels);
  const test = await readIdxSamples(files.testImages, files.testLabels);
  for (const part of [train, test]) {
    if (part.sampleShape[0] !== 28 || part.sampleShape[1] !== 28) {
      throw new DataError(`expected 28x28 images, got ${part.sampleShape[0]}x${part.sampleShape[1]}`, {
        path: part === train ? files.trainImages : files.testImages,
      });
    }
  }
  return {
    name: 'fashion-mnist',
    sampleShape: [28, 28, 1],
    classNames: [...FASHION_MNIST_CLASSES],
    train: { x: train.x, labels: train.labels },
    test: { x: test.x, labels: test.labels },
  };
}
