// PNG input limits for the CLI (issue 16, item 14): the size in the header is checked before any pixel is
// decoded, and a truncated file is reported plainly, naming it, instead of with pngjs's internal message.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadImages } from '../../src/data/sources/images.js';
import { DataError } from '../../src/errors.js';
import { decodePng, encodeImage, MAX_IMAGE_PIXELS, pngSize } from '../../src/io/png.js';
import { withTempDir } from '../helpers.js';

/** A PNG signature and IHDR for a width x height 8-bit grey image, and no pixel data at all. */
function headerOnly(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grey
  const type = Buffer.from('IHDR', 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, ihdr])));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(13);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    length,
    type,
    ihdr,
    crc,
  ]);
}

describe('PNG limits', () => {
  it('reads the size from the header', () => {
    expect(pngSize(headerOnly(20000, 20000))).toEqual({ width: 20000, height: 20000 });
    expect(pngSize(Buffer.from('not a png at all, no'))).toBeUndefined();
  });

  it('refuses a 20000x20000 image by its header, naming the file and the limit', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'huge.png'), headerOnly(20000, 20000));
      const error = await loadImages({ dir, height: 8, width: 8, channels: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataError);
      expect((error as Error).message).toBe(
        `${join(dir, 'huge.png')}: image is 20000x20000 (400,000,000 pixels); the limit is ${MAX_IMAGE_PIXELS.toLocaleString('en')} pixels`,
      );
    });
  });

  it('reports a truncated PNG as not complete, naming the file', async () => {
    await withTempDir(async (dir) => {
      const whole = encodeImage(new Float32Array(64 * 64).fill(0.5), [64, 64, 1]);
      const file = join(dir, 'cut.png');
      await writeFile(file, whole.subarray(0, whole.length - 20));
      const error = await loadImages({ dir, height: 8, width: 8, channels: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataError);
      expect((error as Error).message).toMatch(
        new RegExp(`^${file}: not a complete PNG \\(the file ends early`),
      );
      expect((error as Error).message).not.toContain('waitng');
      expect(() => decodePng(whole.subarray(0, 100), 'x.png')).toThrow(/^x\.png: not a complete PNG/);
    });
  });
});
