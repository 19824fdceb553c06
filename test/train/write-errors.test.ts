// A write that fails (a full disk) names the file it was writing and leaves the previous version in place.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { withTempDir } from '../helpers.js';

const full = { on: false };

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const enospc = () =>
    Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
  return {
    ...fs,
    open: async (...args: Parameters<typeof fs.open>) => {
      const handle = await fs.open(...args);
      if (!full.on) return handle;
      return Object.assign(Object.create(Object.getPrototypeOf(handle)), handle, {
        writeFile: async () => {
          throw enospc();
        },
        sync: () => handle.sync(),
        close: () => handle.close(),
      });
    },
  };
});

const { writeFileAtomic } = await import('../../src/io/atomic.js');

describe('write errors', () => {
  it('name the file, say the previous version is kept, and leave no temporary', async () => {
    await withTempDir(async (dir) => {
      const target = join(dir, 'checkpoint.lltf');
      await writeFile(target, 'previous');
      full.on = true;
      try {
        await expect(writeFileAtomic(target, 'next')).rejects.toThrow(
          `${target}: cannot write (ENOSPC: no space left on device, write); the previous version is kept`,
        );
      } finally {
        full.on = false;
      }
      expect(await readFile(target, 'utf8')).toBe('previous');
      expect(await readdir(dir)).toEqual(['checkpoint.lltf']);
    });
  });
});
