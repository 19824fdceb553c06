// FSDD: recording names, the digest over a folder, finding it on disk and the verified download into the cache.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { c as createTar } from 'tar';
import { afterAll, describe, expect, it } from 'vitest';
import {
  downloadFsdd,
  FSDD_COMMIT,
  FSDD_RECORDINGS,
  FSDD_SPEAKERS,
  FSDD_URL,
  type FsddChecksum,
  findFsdd,
  fsddCacheDir,
  fsddDigest,
  fsddLocalDataset,
  fsddRecordings,
  howToGetFsdd,
} from '../../src/data/audio/fsdd.js';
import { DataError } from '../../src/errors.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MIRROR = join(ROOT, '..', 'shared', 'data', 'fsdd', 'recordings');

const made: string[] = [];
async function tempDir(tag: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `latentlab-fsdd-${tag}-`));
  made.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

async function fill(dir: string, files: Record<string, string | Uint8Array>): Promise<string> {
  await mkdir(dir, { recursive: true });
  await Promise.all(Object.entries(files).map(([name, bytes]) => writeFile(join(dir, name), bytes)));
  return dir;
}

const sha256 = (bytes: string | Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Two fake recordings (bytes that only need to be stable) and what they hash to, by hand. */
const FAKE = { '3_theo_12.wav': 'RIFF three', '0_jackson_4.wav': 'RIFF zero' };
function fakeChecksum(files: Record<string, string> = FAKE): FsddChecksum {
  const lines = Object.keys(files)
    .sort()
    .map((name) => `${name} ${sha256(files[name])}\n`)
    .join('');
  return { count: Object.keys(files).length, sha256: sha256(lines) };
}

/** A GitHub-like archive: `<repo>-<commit>/` with the recordings, metadata.py and files that are not wanted. */
async function fakeArchive(recordings: Record<string, string> = FAKE): Promise<Uint8Array> {
  const dir = await tempDir('archive');
  const top = `free-spoken-digit-dataset-${FSDD_COMMIT}`;
  await fill(join(dir, top, 'recordings'), recordings);
  await fill(join(dir, top), { 'metadata.py': 'metadata = {}\n', 'README.md': '# FSDD\n' });
  await fill(join(dir, top, 'utils'), { 'spectrogramer.py': 'pass\n' });
  // A link among the recordings must never be written (it could point anywhere).
  await symlink('/etc/passwd', join(dir, top, 'recordings', '9_lucas_1.wav'));
  const file = join(dir, 'fsdd.tar.gz');
  await createTar({ gzip: true, cwd: dir, file, portable: true }, [top]);
  return readFile(file);
}

/** A fake `fetch` serving `body` for any URL, recording the URLs asked for. */
function serve(body: Uint8Array | undefined, urls: string[] = []): typeof fetch {
  return (async (input: string | URL | Request) => {
    urls.push(String(input));
    return body
      ? new Response(new Uint8Array(body))
      : new Response('not found', { status: 404, statusText: 'Not Found' });
  }) as typeof fetch;
}

async function failure(promise: Promise<unknown>): Promise<DataError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataError);
  return error as DataError;
}

/** Every name of the pinned set (10 digits x 6 speakers x 50), with empty files. */
async function fullGrid(dir: string, skip?: string): Promise<string> {
  const files: Record<string, string> = {};
  for (let digit = 0; digit < 10; digit++)
    for (const { name } of FSDD_SPEAKERS)
      for (let index = 0; index < 50; index++) files[`${digit}_${name}_${index}.wav`] = '';
  if (skip) delete files[skip];
  return fill(dir, files);
}

describe('fsdd recording names', () => {
  it('parses {digit}_{speaker}_{index}.wav, sorts by digit, speaker and index, and splits 0-4 to test', async () => {
    const dir = await fill(join(await tempDir('names'), 'recordings'), {
      '3_theo_12.wav': '',
      '3_jackson_5.wav': '',
      '3_jackson_40.wav': '',
      '0_lucas_4.wav': '',
      '.DS_Store': '',
    });
    const recordings = fsddRecordings(dir);
    expect(recordings.map((r) => [r.file, r.digit, r.speaker, r.index, r.split])).toEqual([
      ['0_lucas_4.wav', 0, 'lucas', 4, 'test'],
      ['3_jackson_5.wav', 3, 'jackson', 5, 'train'],
      ['3_jackson_40.wav', 3, 'jackson', 40, 'train'],
      ['3_theo_12.wav', 3, 'theo', 12, 'train'],
    ]);
    expect(recordings[0].path).toBe(join(dir, '0_lucas_4.wav'));
  });

  it('reads the committed fixture: recording 0 of each digit and speaker, all in the test split', async () => {
    const fixture = join(ROOT, 'test', 'fixtures', 'fsdd-sample', 'recordings');
    const recordings = fsddRecordings(fixture);
    expect(recordings.length).toBe(60);
    expect(recordings.every((r) => r.index === 0 && r.split === 'test')).toBe(true);
    expect(recordings.slice(0, 6).map((r) => r.file)).toEqual(FSDD_SPEAKERS.map((s) => `0_${s.name}_0.wav`));
    // A sample is not the dataset: as a search folder it is refused by count, naming what is missing.
    const error = await failure(
      findFsdd({ searchDirs: [fixture], cacheDir: join(fixture, 'none'), download: false }),
    );
    expect(error.message).toContain(
      'expected 3000 recordings, found 60; missing 0_jackson_1.wav, 0_jackson_2.wav',
    );
  });

  it('keeps the speakers in metadata.py order', () => {
    expect(FSDD_SPEAKERS.map((s) => s.name)).toEqual([
      'jackson',
      'nicolas',
      'theo',
      'yweweler',
      'george',
      'lucas',
    ]);
    expect(FSDD_SPEAKERS[1]).toEqual({ name: 'nicolas', gender: 'male', accent: 'BEL/French' });
  });

  it.each([
    ['notes.txt', 'expected {digit}_{speaker}_{index}.wav'],
    ['12_theo_1.wav', 'expected {digit}_{speaker}_{index}.wav'],
    ['1_theo_07.wav', 'expected {digit}_{speaker}_{index}.wav'],
    [
      '1_alice_7.wav',
      'unknown speaker "alice" (FSDD\'s are jackson, nicolas, theo, yweweler, george, lucas)',
    ],
  ])('refuses %s, naming the file', async (name, why) => {
    const dir = await fill(join(await tempDir('bad-name'), 'recordings'), { '1_theo_7.wav': '', [name]: '' });
    expect(() => fsddRecordings(dir)).toThrow(DataError);
    expect(() => fsddRecordings(dir)).toThrow(`${join(dir, name)}: not an FSDD recording name: ${why}`);
  });

  it('a missing folder is a DataError naming it', () => {
    expect(() => fsddRecordings('/nonexistent/recordings')).toThrow(
      /^\/nonexistent\/recordings: cannot read the FSDD recordings folder/,
    );
  });
});

describe('fsdd digest', () => {
  it('is SHA-256 over the sorted lines "<name> <sha256>\\n"', async () => {
    const dir = await fill(join(await tempDir('digest'), 'recordings'), FAKE);
    const byHand = sha256(
      `0_jackson_4.wav ${sha256('RIFF zero')}\n` + `3_theo_12.wav ${sha256('RIFF three')}\n`,
    );
    expect(await fsddDigest(dir)).toBe(byHand);
    expect(fakeChecksum()).toEqual({ count: 2, sha256: byHand });
  });
});

describe('fsdd on disk', () => {
  it('searches $LATENTLAB_DATA/fsdd/recordings, then $LATENTLAB_DATA/recordings, then the cache', async () => {
    const data = await tempDir('data');
    const cacheDir = join(data, 'cache');
    const expected = fakeChecksum();
    const env = { LATENTLAB_DATA: data, HOME: '/nonexistent' };
    const find = () => findFsdd({ env, cacheDir, expected, download: false });
    expect(await find()).toBeUndefined();
    await fill(join(cacheDir, 'recordings'), FAKE);
    expect(await find()).toBe(join(cacheDir, 'recordings'));
    await fill(join(data, 'recordings'), FAKE);
    expect(await find()).toBe(join(data, 'recordings'));
    await fill(join(data, 'fsdd', 'recordings'), FAKE);
    expect(await find()).toBe(join(data, 'fsdd', 'recordings'));
  });

  it('caches under $XDG_CACHE_HOME, else ~/.cache', () => {
    expect(fsddCacheDir({ XDG_CACHE_HOME: '/xdg', HOME: '/home/u' })).toBe('/xdg/latentlab/fsdd');
    expect(fsddCacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/latentlab/fsdd');
    expect(howToGetFsdd({ HOME: '/home/u' })).toBe(
      `it is downloaded from ${FSDD_URL} into /home/u/.cache/latentlab/fsdd on first use, ` +
        'or put its recordings folder at $LATENTLAB_DATA/fsdd/recordings',
    );
  });

  it('checks names and count cheaply, and the bytes only with verify', async () => {
    const dir = await fill(join(await tempDir('verify'), 'recordings'), {
      ...FAKE,
      '3_theo_12.wav': 'changed',
    });
    const options = {
      searchDirs: [dir],
      cacheDir: join(dir, 'none'),
      expected: fakeChecksum(),
      download: false,
    };
    expect(await findFsdd(options)).toBe(dir);
    const error = await failure(findFsdd({ ...options, verify: true }));
    expect(error.message).toBe(
      `${dir}: the FSDD recordings differ from commit 26eb9aa: a recording's bytes changed ` +
        `(expected digest ${fakeChecksum().sha256}, got ${fakeChecksum({ ...FAKE, '3_theo_12.wav': 'changed' }).sha256})`,
    );
  });

  it('a found folder with the wrong count is an error, not skipped', async () => {
    const dir = await fill(join(await tempDir('count'), 'recordings'), { '0_jackson_4.wav': 'RIFF zero' });
    const error = await failure(
      findFsdd({ searchDirs: [dir], cacheDir: join(dir, 'none'), expected: fakeChecksum(), download: false }),
    );
    expect(error.message).toBe(
      `${dir}: not the FSDD recordings of commit 26eb9aa: expected 2 recordings, found 1; ` +
        'replace it with the recordings folder of that commit, or move it out of the way',
    );
    expect(error.path).toBe(dir);
  });

  it('against the pinned set, names what is missing and what does not belong', async () => {
    const dir = await fullGrid(join(await tempDir('grid'), 'recordings'), '3_yweweler_17.wav');
    const find = () => findFsdd({ searchDirs: [dir], cacheDir: join(dir, 'none'), download: false });
    let error = await failure(find());
    expect(error.message).toContain(
      'not the FSDD recordings of commit 26eb9aa: expected 3000 recordings, found 2999; missing 3_yweweler_17.wav;',
    );
    await writeFile(join(dir, '3_yweweler_50.wav'), '');
    error = await failure(find());
    expect(error.message).toContain('missing 3_yweweler_17.wav; not in the dataset: 3_yweweler_50.wav;');
    await rm(join(dir, '3_yweweler_50.wav'));
    await writeFile(join(dir, '3_yweweler_17.wav'), '');
    // The right names pass the cheap check; empty files fail the pinned digest.
    expect(await find()).toBe(dir);
    error = await failure(findFsdd({ searchDirs: [dir], cacheDir: join(dir, 'none'), verify: true }));
    expect(error.message).toContain(`(expected digest ${FSDD_RECORDINGS.sha256}, got `);
  });

  it('a broken cache says how to download it again', async () => {
    const cacheDir = join(await tempDir('broken-cache'), 'fsdd');
    await fill(join(cacheDir, 'recordings'), { '0_jackson_4.wav': 'RIFF zero' });
    const error = await failure(findFsdd({ searchDirs: [], cacheDir, expected: fakeChecksum() }));
    expect(error.message).toMatch(new RegExp(`found 1; remove ${cacheDir} to download it again$`));
  });
});

describe('fsdd download', () => {
  it('fetches the pinned archive, extracts only the recordings and metadata.py, verifies and caches them', async () => {
    const cacheDir = join(await tempDir('download'), 'cache', 'fsdd');
    const urls: string[] = [];
    const archive = await fakeArchive();
    const options = { searchDirs: [], cacheDir, expected: fakeChecksum(), fetch: serve(archive, urls) };
    expect(await findFsdd(options)).toBe(join(cacheDir, 'recordings'));
    expect(urls).toEqual([
      'https://github.com/Jakobovski/free-spoken-digit-dataset/archive/26eb9aaf76e81b692f806f9140c2d2777410d7a1.tar.gz',
    ]);
    expect(urls[0]).toBe(FSDD_URL);
    expect((await readdir(cacheDir)).sort()).toEqual(['metadata.py', 'recordings']);
    expect((await readdir(join(cacheDir, 'recordings'))).sort()).toEqual([
      '0_jackson_4.wav',
      '3_theo_12.wav',
    ]);
    expect(await readFile(join(cacheDir, 'recordings', '3_theo_12.wav'), 'utf8')).toBe('RIFF three');
    // No staging folder is left beside the cache.
    expect(await readdir(join(cacheDir, '..'))).toEqual(['fsdd']);
    // Found the second time, with its full digest, without fetching.
    expect(await findFsdd({ ...options, verify: true })).toBe(join(cacheDir, 'recordings'));
    expect(urls.length).toBe(1);
  });

  it('a corrupt archive leaves the cache as it was', async () => {
    const parent = await tempDir('corrupt');
    const cacheDir = join(parent, 'fsdd');
    const archive = await fakeArchive();
    for (const body of [Uint8Array.from([1, 2, 3, 4]), archive.subarray(0, archive.length >> 1)]) {
      const error = await failure(
        findFsdd({ searchDirs: [], cacheDir, expected: fakeChecksum(), fetch: serve(body) }),
      );
      expect(error.message).toMatch(
        /^https:\/\/github\.com\/.*\.tar\.gz: the download is not a readable \.tar\.gz archive \(.+\); nothing was saved/,
      );
      expect(await readdir(parent)).toEqual([]);
    }
  });

  it('wrong recordings leave the previous cache in place', async () => {
    const cacheDir = join(await tempDir('wrong'), 'fsdd');
    await fill(join(cacheDir, 'recordings'), { '5_george_9.wav': 'old' });
    const archive = await fakeArchive({ ...FAKE, '3_theo_12.wav': 'tampered' });
    const error = await failure(downloadFsdd({ cacheDir, expected: fakeChecksum(), fetch: serve(archive) }));
    expect(error.message).toContain(
      `${FSDD_URL}: in the archive, recordings: the FSDD recordings differ from commit 26eb9aa: a recording's bytes changed`,
    );
    expect(error.message).toContain(`expected digest ${fakeChecksum().sha256}`);
    expect(error.message).toContain(
      `nothing was saved. Retry, or it is downloaded from ${FSDD_URL} into ${cacheDir}`,
    );
    expect(await readdir(join(cacheDir, '..'))).toEqual(['fsdd']);
    expect(await readdir(join(cacheDir, 'recordings'))).toEqual(['5_george_9.wav']);

    // A recording missing is named by the count.
    const short = await fakeArchive({ '0_jackson_4.wav': 'RIFF zero' });
    const missing = await failure(downloadFsdd({ cacheDir, expected: fakeChecksum(), fetch: serve(short) }));
    expect(missing.message).toContain('expected 2 recordings, found 1');
    expect(await readdir(join(cacheDir, 'recordings'))).toEqual(['5_george_9.wav']);

    // A recording that is not one is named by its place in the archive.
    const stray = await fakeArchive({ ...FAKE, 'notes.wav': '' });
    const named = await failure(downloadFsdd({ cacheDir, expected: fakeChecksum(), fetch: serve(stray) }));
    expect(named.message).toContain(
      `${FSDD_URL}: in the archive, recordings/notes.wav: not an FSDD recording name: expected {digit}_{speaker}_{index}.wav; nothing was saved`,
    );
  });

  it('an archive of other data: no recordings folder', async () => {
    const dir = await tempDir('other');
    await fill(join(dir, 'repo-main'), { 'README.md': 'hello' });
    await createTar({ gzip: true, cwd: dir, file: join(dir, 'x.tar.gz') }, ['repo-main']);
    const cacheDir = join(dir, 'cache', 'fsdd');
    const error = await failure(
      downloadFsdd({
        cacheDir,
        expected: fakeChecksum(),
        fetch: serve(await readFile(join(dir, 'x.tar.gz'))),
      }),
    );
    expect(error.message).toContain('the archive has no recordings/ folder; nothing was saved');
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('refuses an archive past the size bound', async () => {
    const cacheDir = join(await tempDir('big'), 'fsdd');
    const archive = await fakeArchive();
    const error = await failure(
      downloadFsdd({ cacheDir, expected: fakeChecksum(), fetch: serve(archive), maxBytes: 100 }),
    );
    expect(error.message).toContain(`downloading it failed (the archive is larger than the 100-byte bound`);
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('HTTP errors and no network name the URL and the way to get it', async () => {
    const cacheDir = join(await tempDir('offline'), 'fsdd');
    const http = await failure(findFsdd({ searchDirs: [], cacheDir, fetch: serve(undefined) }));
    expect(http.message).toBe(
      `${FSDD_URL}: FSDD is not on this machine and downloading it failed (HTTP 404 Not Found); nothing was saved. ` +
        `Retry, or it is downloaded from ${FSDD_URL} into ${cacheDir} on first use, or put its recordings folder at ` +
        '$LATENTLAB_DATA/fsdd/recordings',
    );
    const offline = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    const error = await failure(findFsdd({ searchDirs: [], cacheDir, fetch: offline }));
    expect(error.message).toContain('downloading it failed (fetch failed)');
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('gives up after the timeout', async () => {
    const cacheDir = join(await tempDir('slow'), 'fsdd');
    // A server that never answers: only the signal ends the wait.
    const hanging = ((_: unknown, init?: RequestInit) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      })) as typeof fetch;
    const error = await failure(downloadFsdd({ cacheDir, fetch: hanging, timeoutMs: 50 }));
    expect(error.message).toMatch(/downloading it failed \(.*timeout.*\); nothing was saved/);
    expect(existsSync(cacheDir)).toBe(false);
  });
});

describe('fsdd in `latentlab datasets`', () => {
  it('says where it is, or how it is got', async () => {
    const data = await tempDir('listing');
    const cacheDir = join(data, 'cache');
    const env = { LATENTLAB_DATA: data };
    const missing = fsddLocalDataset({ env, cacheDir });
    expect(missing).toMatchObject({ name: 'fsdd', spec: 'fsdd', available: false, train: 2700, test: 300 });
    expect(missing.note).toContain(
      `not found in ${join(data, 'fsdd', 'recordings')}, ${join(data, 'recordings')}, ${join(cacheDir, 'recordings')}`,
    );
    expect(missing.note).toContain(FSDD_URL);

    const dir = await fullGrid(join(data, 'fsdd', 'recordings'));
    expect(fsddLocalDataset({ env, cacheDir })).toMatchObject({ available: true, location: dir });
    await rm(join(dir, '0_george_0.wav'));
    const broken = fsddLocalDataset({ env, cacheDir });
    expect(broken.available).toBe(false);
    expect(broken.note).toContain('found 2999; missing 0_george_0.wav');
  });
});

describe.skipIf(!existsSync(MIRROR))('fsdd mirror (../shared/data/fsdd)', () => {
  it('is the pinned commit: 3,000 recordings with the committed digest', async () => {
    expect(await findFsdd({ searchDirs: [MIRROR], verify: true, download: false })).toBe(MIRROR);
    expect(await fsddDigest(MIRROR)).toBe(FSDD_RECORDINGS.sha256);
    const recordings = fsddRecordings(MIRROR);
    expect(recordings.length).toBe(3000);
    expect(recordings.filter((r) => r.split === 'test').length).toBe(300);
    for (const { name } of FSDD_SPEAKERS)
      expect(recordings.filter((r) => r.speaker === name).length).toBe(500);
  });
});
