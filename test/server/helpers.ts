// Tiny runs for the server tests: trained here on the bundled MNIST, a few hundred samples, one epoch.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { ModelConfigInput } from '../../src/models/configs.js';
import { trainRun } from '../../src/train/run.js';

export async function makeRunsDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'latentlab-server-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Train `model` for one epoch on 500 MNIST digits into runsDir/name. */
export async function tinyRun(runsDir: string, name: string, model: ModelConfigInput): Promise<void> {
  const trained = await trainRun(
    {
      model,
      data: { source: 'mnist' },
      train: { epochs: 1, limit: 500, batchSize: 100 },
    },
    join(runsDir, name),
    { monitor: false },
  );
  trained.model.dispose();
}

/** A greyscale PNG of one [h, w] image with values in [0, 1] (8-bit, as a client would upload it). */
export function pngOf(values: ArrayLike<number>, height: number, width: number): Buffer {
  const png = new PNG({ width, height });
  for (let p = 0; p < width * height; p++) {
    const v = Math.round(Math.min(1, Math.max(0, values[p])) * 255);
    png.data[4 * p] = v;
    png.data[4 * p + 1] = v;
    png.data[4 * p + 2] = v;
    png.data[4 * p + 3] = 255;
  }
  return PNG.sync.write(png);
}

/** A multipart/form-data body: files (name, bytes) and text fields. */
export function multipartBody(
  files: Array<{ name: string; bytes: Buffer }>,
  fields: Record<string, string> = {},
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = '----latentlab-test-boundary';
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields))
    parts.push(
      Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
  files.forEach(({ name, bytes }, i) => {
    parts.push(
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="${name}"; filename="${i}.png"\r\ncontent-type: image/png\r\n\r\n`,
      ),
      bytes,
      Buffer.from('\r\n'),
    );
  });
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(parts),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}
