// One writer per run directory, the way PostgreSQL's postmaster.pid works: a lock file created exclusively
// holding the writer's pid, host and start time; a lock whose pid is dead on this host is stale and taken over,
// and so is one from another host (a shared runs directory) that its writer has stopped touching.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { IoError } from '../errors.js';

export const LOCK_FILE = 'train.lock';

const LockContent = z.object({
  pid: z.number().int().positive(),
  hostname: z.string(),
  /** ISO time the writer took the lock. */
  since: z.string(),
  token: z.string().optional(),
});
type LockContent = z.infer<typeof LockContent>;

/** A lock file still empty or half-written this long after its creation belongs to a writer that died. */
const UNREADABLE_STALE_MS = 10_000;

/** How often a writer touches its lock (mtime), so writers on other hosts can tell it is alive. */
export const HEARTBEAT_MS = 10_000;
/** A lock from another host untouched this long is stale: six heartbeats missed, room for clock skew. */
export const FOREIGN_STALE_MS = 60_000;

export interface RunLock {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function heldFor(since: string): string {
  const seconds = Math.max(0, (Date.now() - Date.parse(since)) / 1000);
  if (!Number.isFinite(seconds)) return 'since an unknown time';
  if (seconds < 60) return `for ${Math.round(seconds)} s`;
  if (seconds < 3600) return `for ${(seconds / 60).toFixed(1)} min`;
  return `for ${(seconds / 3600).toFixed(1)} h`;
}

/** The holder of an existing lock, or the stale lock's text when it can be taken over. */
async function holder(path: string): Promise<LockContent | { stale: string } | 'gone'> {
  let text: string;
  let modified: number;
  try {
    [text, modified] = await Promise.all([readFile(path, 'utf8'), stat(path).then((s) => s.mtimeMs)]);
  } catch {
    return 'gone';
  }
  let parsed: ReturnType<typeof LockContent.safeParse> | undefined;
  try {
    parsed = LockContent.safeParse(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) return Date.now() - modified > UNREADABLE_STALE_MS ? { stale: text } : 'gone';
  const lock = parsed.data;
  if (lock.hostname === hostname()) return alive(lock.pid) ? lock : { stale: text };
  // A pid on another host cannot be checked from here (a worker machine of a sweep that died): its writer
  // touches the lock every HEARTBEAT_MS, so one untouched for FOREIGN_STALE_MS belongs to a writer gone.
  return Date.now() - modified > FOREIGN_STALE_MS ? { stale: text } : lock;
}

/**
 * Take the run's lock or fail with an IoError naming the holder. Call `release()` on every exit path; a
 * process killed outright leaves a lock the next writer finds stale.
 */
export async function acquireRunLock(
  runDir: string,
  { heartbeatMs = HEARTBEAT_MS }: { heartbeatMs?: number } = {},
): Promise<RunLock> {
  const path = join(runDir, LOCK_FILE);
  const mine: LockContent = {
    pid: process.pid,
    hostname: hostname(),
    since: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  const text = `${JSON.stringify(mine)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await writeFile(path, text, { flag: 'wx' });
      // Touched while held; unref'd, so a held lock never keeps the process alive by itself.
      const heartbeat = setInterval(() => {
        const now = new Date();
        utimes(path, now, now).catch(() => {});
      }, heartbeatMs);
      heartbeat.unref();
      return {
        async release() {
          clearInterval(heartbeat);
          // Only our own lock: a writer that took over a lock we lost must keep it.
          const now = await readFile(path, 'utf8').catch(() => '');
          if (now === text) await rm(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new IoError(`cannot create the run's lock file: ${(error as Error).message}`, {
          path,
          cause: error,
        });
      }
    }
    const found = await holder(path);
    if (found === 'gone') {
      // Removed meanwhile, or being written this instant: try again shortly.
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    if ('stale' in found) {
      // Still the dead writer's lock (not one a faster taker just made): remove it and try again.
      if ((await readFile(path, 'utf8').catch(() => '')) === found.stale) await rm(path, { force: true });
      continue;
    }
    throw new IoError(
      `run is being written by pid ${found.pid} on ${found.hostname} (${heldFor(found.since)}, since ${found.since}); ` +
        `wait for it to finish or stop it (a lock left by a crash on another host: remove ${LOCK_FILE})`,
      { path: runDir },
    );
  }
  throw new IoError(`could not take the run's lock (${LOCK_FILE}) after several tries`, { path: runDir });
}

/** `.NAME.PID.HEX.tmp` (and `.tmp.old`): the temporaries of src/io/atomic.ts. */
const TEMP_NAME = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp(\.old)?$/;

/**
 * Remove the temporaries of writes killed midway (checkpoints, model directories, metrics). Called under the
 * lock; a temporary whose writer is still alive is left alone.
 */
export async function removeStaleTemporaries(runDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(runDir)) {
    const match = TEMP_NAME.exec(name);
    if (!match || alive(Number(match[1]))) continue;
    await rm(join(runDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
