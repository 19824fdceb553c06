// Fashion-MNIST: found on disk (the Debian package), or downloaded with checksums into the cache.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadData } from '../../src/data/load.js';
import {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_FILES,
  FASHION_MNIST_SYSTEM_DIR,
  type FashionMnistFile,
  fashionMnistCacheDir,
  fashionMnistSearchDirs,
  loadFashionMnist,
} from '../../src/data/sources/fashion-mnist.js';
import { DataError } from '../../src/errors.js';

const hasSystemCopy = existsSync(join(FASHION_MNIST_SYSTEM_DIR, FASHION_MNIST_FILES.trainImages.name));
const made: string[] = [];
async function tempDir(tag: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `latentlab-fashion-${tag}-`));
  made.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

function idxBytes(dims: number[], data: ArrayLike<number>): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  for (const [i, d] of dims.entries()) header.writeUInt32BE(d, 4 + 4 * i);
  return Buffer.concat([header, Buffer.from(Uint8Array.from(data))]);
}

/** A fake `fetch` serving `bytes` by file name, recording the URLs asked for. */
function fakeFetch(bytes: Record<string, Uint8Array>, urls: string[] = []): typeof fetch {
  return (async (input: string | URL | Request) => {
    const url = String(input);
    urls.push(url);
    const name = url.slice(url.lastIndexOf('/') + 1);
    const body = bytes[name];
    return body
      ? new Response(new Uint8Array(body))
      : new Response('not found', { status: 404, statusText: 'Not Found' });
  }) as typeof fetch;
}

/** Four tiny gzipped IDX files (2 train, 1 test image of 28x28) and their SHA-256. */
function tinyRelease() {
  const files: Record<FashionMnistFile, Uint8Array> = {
    trainImages: gzipSync(idxBytes([2, 28, 28], new Uint8Array(2 * 784).fill(255))),
    trainLabels: gzipSync(idxBytes([2], [9, 3])),
    testImages: gzipSync(idxBytes([1, 28, 28], new Uint8Array(784))),
    testLabels: gzipSync(idxBytes([1], [0])),
  };
  const keys = Object.keys(files) as FashionMnistFile[];
  const byName = Object.fromEntries(keys.map((k) => [FASHION_MNIST_FILES[k].name, files[k]]));
  const sha256 = Object.fromEntries(
    keys.map((k) => [k, createHash('sha256').update(files[k]).digest('hex')]),
  ) as Record<FashionMnistFile, string>;
  return { byName, sha256 };
}

describe('fashion-mnist locations', () => {
  it('searches $LATENTLAB_DATA, then the Debian directory; caches under $XDG_CACHE_HOME', () => {
    const env = { LATENTLAB_DATA: '/data', XDG_CACHE_HOME: '/xdg', HOME: '/home/u' };
    expect(fashionMnistSearchDirs(env)).toEqual(['/data', '/data/fashion-mnist', FASHION_MNIST_SYSTEM_DIR]);
    expect(fashionMnistCacheDir(env)).toBe('/xdg/latentlab/fashion-mnist');
    expect(fashionMnistCacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/latentlab/fashion-mnist');
  });
});

describe('fashion-mnist from the Debian package', () => {
  it.skipIf(!hasSystemCopy)('loads 60,000 + 10,000 images with the known statistics', async () => {
    const cacheDir = join(await tempDir('unused'), 'cache');
    const raw = await loadFashionMnist({ searchDirs: [FASHION_MNIST_SYSTEM_DIR], cacheDir, download: false });
    expect(raw.sampleShape).toEqual([28, 28, 1]);
    expect(raw.classNames).toEqual([...FASHION_MNIST_CLASSES]);
    expect(raw.train.x.length).toBe(60000 * 784);
    expect(raw.train.labels!.length).toBe(60000);
    expect(raw.test!.x.length).toBe(10000 * 784);
    expect(raw.test!.labels!.length).toBe(10000);
    for (const labels of [raw.train.labels!, raw.test!.labels!]) {
      expect(Math.min(...labels)).toBe(0);
      expect(Math.max(...labels)).toBe(9);
    }
    let sum = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of raw.train.x) {
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    // The published training-set mean of Fashion-MNIST is 0.2860 (std 0.3530).
    expect(sum / raw.train.x.length).toBeCloseTo(0.286, 3);
    expect([min, max]).toEqual([0, 1]);
    // Balanced: 6,000 of each class in training.
    expect(raw.train.labels!.filter((l) => l === 9).length).toBe(6000);
    expect(existsSync(cacheDir)).toBe(false);
  });

  it.skipIf(!hasSystemCopy)('keeps the official test part as the test split', async () => {
    const splits = await loadData({ source: 'fashion-mnist' });
    expect(splits.test.size).toBe(10000);
    expect(splits.train.size).toBe(54000);
    expect(splits.validation.size).toBe(6000);
  });
});

describe('fashion-mnist download', () => {
  it('downloads the four files into the cache when checksums match, then loads them', async () => {
    const cacheDir = join(await tempDir('good'), 'cache');
    const { byName, sha256 } = tinyRelease();
    const urls: string[] = [];
    const raw = await loadFashionMnist({ searchDirs: [], cacheDir, fetch: fakeFetch(byName, urls), sha256 });
    expect(urls).toEqual(
      Object.values(FASHION_MNIST_FILES).map(
        (f) => `http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/${f.name}`,
      ),
    );
    expect((await readdir(cacheDir)).sort()).toEqual(Object.keys(byName).sort());
    expect(Array.from(raw.train.labels!)).toEqual([9, 3]);
    expect(raw.train.x[0]).toBe(1);
    expect(raw.test!.x.length).toBe(784);

    // Second time round the cache is found and nothing is fetched.
    const again = await loadFashionMnist({ searchDirs: [], cacheDir, fetch: fakeFetch({}, urls), sha256 });
    expect(urls.length).toBe(4);
    expect(Array.from(again.train.labels!)).toEqual([9, 3]);
  });

  it.skipIf(!hasSystemCopy)('accepts the official files against the built-in checksums', async () => {
    const cacheDir = join(await tempDir('official'), 'cache');
    const byName: Record<string, Uint8Array> = {};
    for (const { name } of Object.values(FASHION_MNIST_FILES)) {
      byName[name] = await readFile(join(FASHION_MNIST_SYSTEM_DIR, name));
    }
    const raw = await loadFashionMnist({ searchDirs: [], cacheDir, fetch: fakeFetch(byName) });
    expect(raw.train.labels!.length).toBe(60000);
    expect((await readdir(cacheDir)).length).toBe(4);
  });

  it('rejects bytes with the wrong checksum and leaves nothing in the cache', async () => {
    const cacheDir = join(await tempDir('bad'), 'cache');
    const { byName, sha256 } = tinyRelease();
    // The first file is fine, the second is corrupt: even the good one must not be kept.
    byName['train-labels-idx1-ubyte.gz'] = Uint8Array.from([1, 2, 3]);
    const error = await loadFashionMnist({
      searchDirs: [],
      cacheDir,
      fetch: fakeFetch(byName),
      sha256,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toMatch(/checksum mismatch for .*train-labels-idx1-ubyte\.gz/);
    expect((error as Error).message).toContain(`expected SHA-256 ${sha256.trainLabels}`);
    const left = existsSync(cacheDir) ? await readdir(cacheDir) : [];
    expect(left).toEqual([]);
  });

  it('rejects wrong bytes against the built-in checksums', async () => {
    const cacheDir = join(await tempDir('bad-official'), 'cache');
    const { byName } = tinyRelease();
    const error = await loadFashionMnist({ searchDirs: [], cacheDir, fetch: fakeFetch(byName) }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toContain(FASHION_MNIST_FILES.trainImages.sha256);
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('offline: names the apt package and the cache path', async () => {
    const cacheDir = join(await tempDir('offline'), 'cache');
    const offline = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    const error = await loadFashionMnist({ searchDirs: [], cacheDir, fetch: offline }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DataError);
    const message = (error as Error).message;
    expect(message).toContain('apt-get install -y dataset-fashion-mnist');
    expect(message).toContain(cacheDir);
    expect(message).toContain('fetch failed');
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('an HTTP error is a failed download too', async () => {
    const cacheDir = join(await tempDir('http'), 'cache');
    const error = await loadFashionMnist({ searchDirs: [], cacheDir, fetch: fakeFetch({}) }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/HTTP 404 Not Found/);
    expect((error as Error).message).toContain('dataset-fashion-mnist');
  });
});
