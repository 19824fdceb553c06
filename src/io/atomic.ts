// Writes that never leave a half-written file: write a temporary sibling, fsync, then rename over the target.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = tempSibling(path);
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temp, path);
}

/**
 * Build a directory under a temporary name and move it into place, replacing any previous one.
 * A crash leaves either the old directory or the new one, plus at worst a stray temporary.
 */
export async function writeDirAtomic(path: string, fill: (tempDir: string) => Promise<void>): Promise<void> {
  const { mkdir } = await import('node:fs/promises');
  const temp = tempSibling(path);
  await mkdir(temp, { recursive: true });
  try {
    await fill(temp);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  const old = `${temp}.old`;
  let hadOld = false;
  try {
    await rename(path, old);
    hadOld = true;
  } catch {
    // No previous directory.
  }
  await rename(temp, path);
  if (hadOld) await rm(old, { recursive: true, force: true });
}
