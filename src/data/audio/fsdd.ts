// The Free Spoken Digit Dataset (Jakobovski): 3,000 recordings of the digits 0-9 by 6 speakers, 8 kHz mono.
// Found on disk ($LATENTLAB_DATA, the cache) or downloaded once from GitHub at a pinned commit, verified by a
// digest over the extracted recordings (GitHub's tarballs are not byte-stable, their contents are).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { DataError } from '../../errors.js';
import { writeDirAtomic } from '../../io/atomic.js';
import type { LocalDataset } from '../load.js';

export const FSDD_COMMIT = '26eb9aaf76e81b692f806f9140c2d2777410d7a1';
export const FSDD_URL = `https://github.com/Jakobovski/free-spoken-digit-dataset/archive/${FSDD_COMMIT}.tar.gz`;

/** What `FSDD_COMMIT`'s `recordings/` holds: how many, and SHA-256 over the lines `"<name> <sha256>\n"` sorted by name. */
export interface FsddChecksum {
  count: number;
  sha256: string;
}
export const FSDD_RECORDINGS: FsddChecksum = {
  count: 3000,
  sha256: 'dbd573d7cafe79c4b49f65718115e1304e24e067fa39eff18a660dc6cb9c360f',
};

/** The speakers in the order of the dataset's `metadata.py`; a speaker's label is its index here. */
export const FSDD_SPEAKERS = [
  { name: 'jackson', gender: 'male', accent: 'USA/neutral' },
  { name: 'nicolas', gender: 'male', accent: 'BEL/French' },
  { name: 'theo', gender: 'male', accent: 'USA/neutral' },
  { name: 'yweweler', gender: 'male', accent: 'DEU/German' },
  { name: 'george', gender: 'male', accent: 'GRC/Greek' },
  { name: 'lucas', gender: 'male', accent: 'DEU/German' },
] as const;
export type FsddSpeaker = (typeof FSDD_SPEAKERS)[number]['name'];
const SPEAKER_NAMES: readonly string[] = FSDD_SPEAKERS.map((s) => s.name);

/** Recordings per digit and speaker (indices 0-49); by the dataset's convention 0-4 are the test split. */
const PER_DIGIT_AND_SPEAKER = 50;
const TEST_INDICES = 5;

export interface FsddRecording {
  path: string;
  /** The file name, `{digit}_{speaker}_{index}.wav`. */
  file: string;
  digit: number;
  speaker: FsddSpeaker;
  index: number;
  split: 'train' | 'test';
}

export interface FsddOptions {
  /** Recordings folders searched in order before the cache; default `$LATENTLAB_DATA/fsdd/recordings`, `$LATENTLAB_DATA/recordings`. */
  searchDirs?: string[];
  /** Where the download goes (`recordings/`, `metadata.py`) and is looked for last; default ~/.cache/latentlab/fsdd. */
  cacheDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Download when no folder has the recordings (default true). */
  download?: boolean;
  /** Check a folder found on disk by its full digest, not only its file names (default false: reads 27 MB). */
  verify?: boolean;
  fetch?: typeof fetch;
  url?: string;
  /** Download timeout (default 10 minutes). */
  timeoutMs?: number;
  /** Largest archive accepted, and most bytes extracted from it (default 256 MiB; the archive is about 25 MB). */
  maxBytes?: number;
  /** The recordings expected, overriding the pinned commit's (tests, a re-packed mirror). */
  expected?: FsddChecksum;
}

const NAME = /^(\d)_([a-z]+)_(0|[1-9]\d*)\.wav$/;

/**
 * The recordings in `dir`, by digit, speaker (FSDD_SPEAKERS order) and index. Dot files are skipped; any other
 * entry not named `{digit}_{speaker}_{index}.wav` with a known speaker is a DataError naming it.
 */
export function fsddRecordings(dir: string): FsddRecording[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new DataError(`cannot read the FSDD recordings folder (${(error as Error).message})`, {
      path: dir,
      cause: error,
    });
  }
  const recordings: FsddRecording[] = [];
  for (const file of names) {
    if (file.startsWith('.')) continue;
    const match = NAME.exec(file);
    if (!match || !SPEAKER_NAMES.includes(match[2])) {
      const why = match
        ? `unknown speaker "${match[2]}" (FSDD's are ${SPEAKER_NAMES.join(', ')})`
        : 'expected {digit}_{speaker}_{index}.wav';
      throw new DataError(`not an FSDD recording name: ${why}`, { path: join(dir, file) });
    }
    const index = Number(match[3]);
    recordings.push({
      path: join(dir, file),
      file,
      digit: Number(match[1]),
      speaker: match[2] as FsddSpeaker,
      index,
      split: index < TEST_INDICES ? 'test' : 'train',
    });
  }
  return recordings.sort(
    (a, b) =>
      a.digit - b.digit ||
      SPEAKER_NAMES.indexOf(a.speaker) - SPEAKER_NAMES.indexOf(b.speaker) ||
      a.index - b.index,
  );
}

/** SHA-256 over the lines `"<file name> <sha256 of the file>\n"` of the recordings in `dir`, sorted by name. */
export async function fsddDigest(dir: string): Promise<string> {
  const files = fsddRecordings(dir)
    .map((r) => r.file)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const digest = createHash('sha256');
  for (const file of files) {
    const bytes = await readFile(join(dir, file));
    digest.update(`${file} ${createHash('sha256').update(bytes).digest('hex')}\n`);
  }
  return digest.digest('hex');
}

export function fsddCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(cacheHome, 'latentlab', 'fsdd');
}

function searchDirs(options: FsddOptions): string[] {
  const env = options.env ?? process.env;
  const data = env.LATENTLAB_DATA;
  const dirs =
    options.searchDirs ?? (data ? [join(data, 'fsdd', 'recordings'), join(data, 'recordings')] : []);
  return [...dirs, join(options.cacheDir ?? fsddCacheDir(env), 'recordings')];
}

function howToGetIt(cacheDir: string, url = FSDD_URL): string {
  return `it is downloaded from ${url} into ${cacheDir} on first use, or put its recordings folder at $LATENTLAB_DATA/fsdd/recordings`;
}

/** How to get FSDD when it is not found: the download and the folder to put it in. */
export function howToGetFsdd(env: NodeJS.ProcessEnv = process.env): string {
  return howToGetIt(fsddCacheDir(env));
}

/** A DataError's message without the `path: ` prefix its constructor added, to be put in another's words. */
function withoutPath(error: DataError): string {
  return error.path ? error.message.slice(error.path.length + 2) : error.message;
}

/** First names in `list`, then how many more. */
function some(list: string[], shown = 5): string {
  const more = list.length > shown ? ` and ${list.length - shown} more` : '';
  return list.slice(0, shown).join(', ') + more;
}

/**
 * The cheap check of a recordings folder: every name parses and the count is right. For the pinned set the
 * names must also be exactly the 10 digits x 6 speakers x 50 indices, and those missing or unexpected are named.
 */
function checkNames(dir: string, expected: FsddChecksum | undefined): void {
  const recordings = fsddRecordings(dir);
  const count = expected?.count ?? FSDD_RECORDINGS.count;
  const problems: string[] = [];
  if (recordings.length !== count) problems.push(`expected ${count} recordings, found ${recordings.length}`);
  if (!expected) {
    const present = new Set(recordings.map((r) => r.file));
    const grid: string[] = [];
    for (let digit = 0; digit < 10; digit++)
      for (const speaker of SPEAKER_NAMES)
        for (let index = 0; index < PER_DIGIT_AND_SPEAKER; index++)
          grid.push(`${digit}_${speaker}_${index}.wav`);
    const inGrid = new Set(grid);
    const missing = grid.filter((f) => !present.has(f));
    const unexpected = recordings.map((r) => r.file).filter((f) => !inGrid.has(f));
    if (missing.length > 0) problems.push(`missing ${some(missing)}`);
    if (unexpected.length > 0) problems.push(`not in the dataset: ${some(unexpected)}`);
  }
  if (problems.length > 0) {
    throw new DataError(
      `not the FSDD recordings of commit ${FSDD_COMMIT.slice(0, 7)}: ${problems.join('; ')}`,
      {
        path: dir,
      },
    );
  }
}

/** The full check: the digest over every recording's bytes. */
async function checkDigest(dir: string, expected: FsddChecksum | undefined): Promise<void> {
  const sha256 = (expected ?? FSDD_RECORDINGS).sha256;
  const actual = await fsddDigest(dir);
  if (actual !== sha256) {
    throw new DataError(
      `the FSDD recordings differ from commit ${FSDD_COMMIT.slice(0, 7)}: a recording's bytes changed ` +
        `(expected digest ${sha256}, got ${actual})`,
      { path: dir },
    );
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The first existing folder of the search list; one that fails the cheap check is an error, not skipped. */
function locate(options: FsddOptions): string | undefined {
  const cacheDir = options.cacheDir ?? fsddCacheDir(options.env ?? process.env);
  for (const dir of searchDirs(options)) {
    if (!isDir(dir)) continue;
    try {
      checkNames(dir, options.expected);
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      const fix =
        dirname(dir) === cacheDir
          ? `remove ${cacheDir} to download it again`
          : 'replace it with the recordings folder of that commit, or move it out of the way';
      throw new DataError(`${withoutPath(error)}; ${fix}`, { path: error.path, cause: error });
    }
    return dir;
  }
  return undefined;
}

/**
 * The FSDD recordings folder: the first of `$LATENTLAB_DATA/fsdd/recordings`, `$LATENTLAB_DATA/recordings` and the
 * cache that exists, checked by its names (and its digest with `verify`), else downloaded into the cache (unless
 * `download` is false: then undefined).
 */
export async function findFsdd(options: FsddOptions = {}): Promise<string | undefined> {
  const found = locate(options);
  if (found) {
    if (options.verify) await checkDigest(found, options.expected);
    return found;
  }
  if (options.download === false) return undefined;
  return downloadFsdd(options);
}

/** The response body, refused past `maxBytes` (by its Content-Length, or while it streams). */
async function readBounded(response: Response, maxBytes: number): Promise<Uint8Array> {
  const tooBig = (n: number | string) =>
    new Error(`the archive is larger than the ${maxBytes}-byte bound (${n} bytes)`);
  const length = Number(response.headers.get('content-length'));
  if (length > maxBytes) throw tooBig(length);
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooBig(`over ${maxBytes}`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

// Only the recordings and the speakers' metadata; links and other entry types are never written.
const WANTED = /^[^/]+\/(recordings\/[^/]+\.wav|metadata\.py)$/;

/**
 * Download FSDD_URL into `cacheDir` and return its recordings folder. The archive is fetched (bounded, with a
 * timeout), its recordings and metadata.py extracted into a temporary folder beside the cache, checked by count,
 * names and digest, and only then moved into place, so a failed or corrupt download leaves the cache as it was.
 */
export async function downloadFsdd(options: FsddOptions = {}): Promise<string> {
  const cacheDir = options.cacheDir ?? fsddCacheDir(options.env ?? process.env);
  const url = options.url ?? FSDD_URL;
  const fetchFn = options.fetch ?? globalThis.fetch;
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  const failed = (what: string, error?: unknown) =>
    new DataError(`${what}; nothing was saved. Retry, or ${howToGetIt(cacheDir, url)}`, {
      path: url,
      cause: error,
    });

  let archive: Uint8Array;
  try {
    const response = await fetchFn(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 600_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
    archive = await readBounded(response, maxBytes);
  } catch (error) {
    throw failed(
      `FSDD is not on this machine and downloading it failed (${(error as Error).message})`,
      error,
    );
  }

  await mkdir(dirname(cacheDir), { recursive: true });
  const staging = await mkdtemp(join(dirname(cacheDir), `.${basename(cacheDir)}.download-`));
  try {
    const file = join(staging, 'archive.tar.gz');
    await writeFile(file, archive);
    let extracted = 0;
    try {
      // Loaded here, the one place that unpacks an archive, rather than by every command that imports the data layer.
      const { x: extractTar } = await import('tar');
      await extractTar({
        file,
        cwd: staging,
        strip: 1,
        strict: true,
        filter: (path, entry) => {
          if (!WANTED.test(path) || !('type' in entry) || entry.type !== 'File') return false;
          // A bound on what is written, whatever the archive claims: entries past it are skipped and counted.
          extracted += entry.size ?? 0;
          return extracted <= maxBytes;
        },
      });
    } catch (error) {
      throw failed(`the download is not a readable .tar.gz archive (${(error as Error).message})`, error);
    }
    if (extracted > maxBytes) throw failed(`the archive unpacks to more than ${maxBytes} bytes`);
    const recordings = join(staging, 'recordings');
    if (!isDir(recordings)) throw failed('the archive has no recordings/ folder');
    try {
      checkNames(recordings, options.expected);
      await checkDigest(recordings, options.expected);
    } catch (error) {
      if (!(error instanceof DataError) || !error.path) throw error;
      // Named inside the archive: the staging folder is gone by the time anyone reads this.
      throw failed(`in the archive, ${relative(staging, error.path)}: ${withoutPath(error)}`, error);
    }
    await writeDirAtomic(cacheDir, async (temp) => {
      await rename(recordings, join(temp, 'recordings'));
      // The speakers' metadata is kept when the archive has it; only the recordings are pinned by the digest.
      const metadata = join(staging, 'metadata.py');
      if (existsSync(metadata)) await rename(metadata, join(temp, 'metadata.py'));
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return join(cacheDir, 'recordings');
}

/** The `latentlab datasets` entry: where FSDD is, or how it is got. */
export function fsddLocalDataset(options: FsddOptions = {}): LocalDataset {
  const entry = { name: 'fsdd', spec: 'fsdd', train: 2700, test: 300 };
  const from = `Jakobovski/free-spoken-digit-dataset at ${FSDD_COMMIT.slice(0, 7)}`;
  const cacheDir = options.cacheDir ?? fsddCacheDir(options.env ?? process.env);
  let dir: string | undefined;
  try {
    dir = locate(options);
  } catch (error) {
    return { ...entry, available: false, note: (error as Error).message };
  }
  if (dir) {
    return {
      ...entry,
      available: true,
      location: dir,
      note: `audio (${from}): 3,000 spoken digits, 6 speakers, 8 kHz; recordings 0-4 of each digit and speaker are the test split`,
    };
  }
  return {
    ...entry,
    available: false,
    note: `not found in ${searchDirs(options).join(', ')}; ${howToGetIt(cacheDir)} (${from}, checked by SHA-256)`,
  };
}
