// Shared test helpers: backend start-up, temp dirs, closeness checks.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { selectBackend } from '../src/engine/backend.js';

export async function useBackend(name: 'wasm' | 'cpu' = 'wasm') {
  return selectBackend({ backend: name });
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'latentlab-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(diff <= worst)) worst = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff;
  }
  expect(worst).toBeLessThanOrEqual(tolerance);
}

/**
 * Serve `root` over plain HTTP on loopback while `fn` runs, so tests can load saved models the way a browser
 * does (stock tfl.loadLayersModel with a URL, no latentlab code on the path).
 */
export async function withStaticServer<T>(root: string, fn: (baseUrl: string) => Promise<T>): Promise<T> {
  const server = createServer(async (req, res) => {
    try {
      res.end(await readFile(join(root, decodeURIComponent(req.url ?? '/'))));
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    return await fn(`http://127.0.0.1:${port}`);
  } finally {
    server.close();
  }
}
