// Writes that never leave a half-written file: write a temporary sibling, fsync, then rename over the target.
// A failed write (a full disk) names the file and says the previous version is kept.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { IoError, LatentlabError } from '../errors.js';

/** `.NAME.PID.HEX.tmp`: the pid lets a later writer tell a dead writer's leftovers from a live one's. */
function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

function writeFailed(path: string, error: unknown): IoError {
  const reason = error instanceof Error ? error.message : String(error);
  return new IoError(`cannot write (${reason}); the previous version is kept`, { path, cause: error });
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = tempSibling(path);
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw writeFailed(path, error);
  }
}

/**
 * Build a directory under a temporary name and move it into place, replacing any previous one.
 * A crash leaves either the old directory or the new one, plus at worst a stray temporary.
 */
export async function writeDirAtomic(path: string, fill: (tempDir: string) => Promise<void>): Promise<void> {
  const temp = tempSibling(path);
  try {
    await mkdir(temp, { recursive: true });
    await fill(temp);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    // System errors (a full disk) get the path; the filler's own errors pass as they are.
    // (latentlab's errors carry a `code` too, "data" or "io": they are the filler's own.)
    throw (error as NodeJS.ErrnoException).code && !(error instanceof LatentlabError)
      ? writeFailed(path, error)
      : error;
  }
  const old = `${temp}.old`;
  let hadOld = false;
  try {
    await rename(path, old);
    hadOld = true;
  } catch {
    // No previous directory.
  }
  try {
    await rename(temp, path);
  } catch (error) {
    if (hadOld) await rename(old, path).catch(() => undefined);
    await rm(temp, { recursive: true, force: true });
    throw writeFailed(path, error);
  }
  if (hadOld) await rm(old, { recursive: true, force: true });
}
