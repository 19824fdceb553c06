// What a studio run may read: the built-in sources, and files under the data roots the operator named
// (`--data-root`), symlinks resolved; refusals name the field, and no reply or job error quotes a file.
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRaw } from '../../src/data/load.js';
import { buildServer } from '../../src/server/app.js';
import { shownError } from '../../src/server/studio/jobs.js';
import { createStudioPlugin } from '../../src/server/studio/plugin.js';
import { trainRun } from '../../src/train/run.js';
import { runInProcess } from '../apps/cli-helper.js';
import { useBackend } from '../helpers.js';
import { pngOf } from '../server/helpers.js';

const PASSWD_FIRST_LINE = existsSync('/etc/passwd')
  ? (await readFile('/etc/passwd', 'utf8')).split('\n')[0]
  : 'root:x:0:0:root:/root:/bin/bash';
// A table whose header is the secret: a wrong label column must not make the studio quote it.
const SECRET_HEADER = 'hunter2:x:1000:1000,sk-live-4242,password=swordfish';

let temp: string;
let roots: string;
let privateDir: string;

/** Twenty 8x8 greyscale PNGs (a bright square at a place depending on i) in `dir`. */
async function writeImages(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < 20; i++) {
    const values = Array.from({ length: 64 }, (_, p) => (Math.abs((p % 8) - (i % 8)) < 2 ? 0.9 : 0.1));
    await writeFile(join(dir, `${String(i).padStart(2, '0')}.png`), pngOf(values, 8, 8));
  }
}

/** A tiny run on `dir`'s images, trained here (as `latentlab train` would make it), into runs/name. */
async function imageRun(dir: string, name: string): Promise<void> {
  const result = await trainRun(
    {
      model: { kind: 'dense-ae', hidden: [8], latent: 2 },
      data: { source: 'images', dir, height: 8, width: 8 },
      train: { epochs: 1, batchSize: 8 },
    },
    join(temp, 'runs', name),
    { monitor: false },
  );
  result.model.dispose();
}

beforeAll(async () => {
  await useBackend('wasm');
  temp = await mkdtemp(join(tmpdir(), 'latentlab-studio-roots-'));
  roots = join(temp, 'data');
  privateDir = join(temp, 'private');
  await mkdir(join(temp, 'runs'));
  await mkdir(roots);
  await writeImages(join(privateDir, 'photos'));
  await writeImages(join(roots, 'digits'));
  await writeFile(join(privateDir, 'secret.csv'), `${SECRET_HEADER}\n1,2,3\n4,5,6\n`);
  await writeFile(join(roots, 'secret.csv'), `${SECRET_HEADER}\n1,2,3\n4,5,6\n`);
  await symlink(join(privateDir, 'secret.csv'), join(roots, 'link.csv'));
  await symlink(join(privateDir, 'photos'), join(roots, 'photos-link'));
  await imageRun(join(privateDir, 'photos'), 'private-photos');
  await imageRun(join(roots, 'digits'), 'digits');
});

afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

async function studio(dataRoots?: string[]): Promise<FastifyInstance> {
  const assets = join(temp, 'app');
  await mkdir(assets, { recursive: true });
  return buildServer({
    runsDir: join(temp, 'runs'),
    plugins: [createStudioPlugin({ assetsDir: assets, dataRoots })],
  });
}

const config = (data: unknown) => ({
  config: { model: { kind: 'dense-ae', hidden: [8], latent: 2 }, data, train: { epochs: 1, batchSize: 8 } },
});

/** Every piece of text the studio shows about its runs: the list (with jobs' errors) and the reply given. */
function expectNoSecrets(...texts: string[]): void {
  for (const text of texts) {
    expect(text).not.toContain(PASSWD_FIRST_LINE);
    expect(text).not.toContain('root:x:0');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('swordfish');
  }
}

describe('studio without --data-root', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await studio();
  });
  afterAll(async () => {
    await app.close();
  });

  it('refuses every file source, saying how to allow one, and reads nothing', async () => {
    const passwd = await app.inject({
      method: 'POST',
      url: '/studio/api/runs',
      payload: config({ source: 'csv', path: '/etc/passwd', labelColumn: 'zzz' }),
    });
    expect(passwd.statusCode).toBe(403);
    expect(passwd.json().field).toBe('config.data.path');
    expect(passwd.json().error).toContain('start the studio with --data-root DIR');
    const images = await app.inject({
      method: 'POST',
      url: '/studio/api/runs',
      payload: config({ source: 'images', dir: join(privateDir, 'photos') }),
    });
    expect(images.statusCode).toBe(403);
    expect(images.json().field).toBe('config.data.dir');
    const idx = await app.inject({
      method: 'POST',
      url: '/studio/api/runs',
      payload: config({ source: 'idx', images: '/etc/passwd' }),
    });
    expect(idx.statusCode).toBe(403);
    expect(idx.json().field).toBe('config.data.images');
    const extra = await app.inject({
      method: 'POST',
      url: '/studio/api/runs',
      payload: {
        config: {
          ...config({ source: 'mnist' }).config,
          train: { epochs: 1, extraData: { data: { source: 'csv', path: '/etc/passwd' } } },
        },
      },
    });
    expect(extra.statusCode).toBe(403);
    expect(extra.json().field).toBe('config.train.extraData.data.path');
    const list = await app.inject({ url: '/studio/api/runs' });
    expect(
      list
        .json()
        .runs.map((r: { name: string }) => r.name)
        .sort(),
    ).toEqual(['digits', 'private-photos']);
    expectNoSecrets(passwd.body, images.body, idx.body, extra.body, list.body);
  });
});

describe('studio with --data-root', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await studio([roots]);
  });
  afterAll(async () => {
    await app.close();
  });

  const start = (data: unknown) =>
    app.inject({ method: 'POST', url: '/studio/api/runs', payload: config(data) });

  it('refuses files outside the roots, naming the field and the roots allowed', async () => {
    const passwd = await start({ source: 'csv', path: '/etc/passwd', labelColumn: 'zzz' });
    expect(passwd.statusCode).toBe(403);
    expect(passwd.json()).toMatchObject({ field: 'config.data.path' });
    expect(passwd.json().error).toContain(roots);
    const photos = await start({ source: 'images', dir: join(privateDir, 'photos') });
    expect(photos.statusCode).toBe(403);
    expect(photos.json().field).toBe('config.data.dir');
    const dotted = await start({ source: 'csv', path: join(roots, '..', 'private', 'secret.csv') });
    expect(dotted.statusCode).toBe(403);
    const labels = await start({
      source: 'idx',
      images: join(roots, 'secret.csv'),
      labels: join(privateDir, 'secret.csv'),
    });
    expect(labels.statusCode).toBe(403);
    expect(labels.json().field).toBe('config.data.labels');
    const text = await start({ source: 'text', path: '/etc/passwd' });
    expect(text.statusCode).toBe(403);
    expect(text.json().field).toBe('config.data.path');
    expectNoSecrets(passwd.body, photos.body, dotted.body, labels.body, text.body);
  });

  it('refuses symlinks inside a root that lead outside it', async () => {
    const file = await start({ source: 'csv', path: join(roots, 'link.csv'), labelColumn: 'zzz' });
    expect(file.statusCode).toBe(403);
    expect(file.json().field).toBe('config.data.path');
    const dir = await start({ source: 'images', dir: join(roots, 'photos-link') });
    expect(dir.statusCode).toBe(403);
    expect(dir.json().field).toBe('config.data.dir');
    expectNoSecrets(file.body, dir.body);
  });

  it('reads an image folder under a root without following the symlinks inside it', async () => {
    const dir = join(roots, 'mixed');
    await writeImages(dir);
    await symlink(join(privateDir, 'photos', '00.png'), join(dir, 'zz-outside.png'));
    await symlink(join(privateDir, 'photos'), join(dir, 'zz-class'));
    const raw = await loadRaw({ source: 'images', dir, height: 8, width: 8, channels: 1 });
    expect(raw.train.x.length).toBe(20 * 64);
    expect(raw.classNames).toBeUndefined();
  });

  it('answers 400 for a file under a root that does not exist', async () => {
    const missing = await start({ source: 'csv', path: join(roots, 'nope.csv') });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().field).toBe('config.data.path');
  });

  it('accepts a file under a root, and its job error names the file but quotes nothing of it', async () => {
    const reply = await start({ source: 'csv', path: join(roots, 'secret.csv'), labelColumn: 'zzz' });
    expect(reply.statusCode).toBe(201);
    const { run } = reply.json();
    let job: { status: string; error?: string; field?: string } = { status: 'starting' };
    let list = '';
    for (let i = 0; i < 600 && job.status !== 'failed' && job.status !== 'finished'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      list = (await app.inject({ url: '/studio/api/runs' })).body;
      job = JSON.parse(list).runs.find((r: { name: string }) => r.name === run)?.job ?? job;
    }
    expect(job.status).toBe('failed');
    const details = (await app.inject({ url: `/studio/api/runs/${run}` })).body;
    expectNoSecrets(list, details, reply.body);
    expect(job.error).toContain('secret.csv');
    expect(job.field).toBe('data.path');
  }, 60_000);

  it('serves the items of runs on data under a root, not of runs on data outside the roots', async () => {
    const inside = await app.inject({ url: '/studio/api/runs/digits/items/0' });
    expect(inside.statusCode).toBe(200);
    expect(inside.headers['content-type']).toBe('image/png');
    for (const url of ['/studio/api/runs/private-photos/items/0', '/studio/api/runs/private-photos/latent']) {
      const reply = await app.inject({ url });
      expect(reply.statusCode).toBe(403);
      expect(reply.json().error).toContain('outside the studio');
    }
    for (const [url, payload] of [
      ['/studio/api/runs/private-photos/interpolate', { from: 0, to: 1 }],
      ['/studio/api/runs/private-photos/sample', {}],
      ['/studio/api/runs/private-photos/decode', { code: [0, 0] }],
    ] as const) {
      const reply = await app.inject({ method: 'POST', url, payload });
      expect(reply.statusCode).toBe(403);
    }
    // Resuming it would read the photos again.
    await cp(join(temp, 'runs', 'private-photos'), join(temp, 'runs', 'private-again'), {
      recursive: true,
    });
    const resume = await app.inject({
      method: 'POST',
      url: '/studio/api/runs/private-again/resume',
      payload: { epochs: 2 },
    });
    expect(resume.statusCode).toBe(403);
    expect(resume.json().field).toBe('data.dir');
  });
});

describe('latentlab studio --data-root', () => {
  it('refuses a root that is not an existing folder, naming the flag', async () => {
    const { code, stderr } = await runInProcess([
      'studio',
      '--runs',
      join(temp, 'runs'),
      '--port',
      '0',
      '--data-root',
      roots,
      '--data-root',
      join(temp, 'nowhere'),
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      `--data-root: data root "${join(temp, 'nowhere')}" is not an existing directory`,
    );
  });
});

describe('job errors of runs on files', () => {
  const files = [
    { file: '/data/t.csv', source: 'csv', field: 'data.path' },
    { file: '/data/extra', source: 'images', field: 'train.extraData.data.dir' },
  ];
  it('keep where loading failed and drop why; other errors stay whole', () => {
    const header = {
      message: '/data/t.csv:1: label column "zzz" not in the header; columns are root:x:0:0',
      field: '/data/t.csv:1',
      code: 'data',
    };
    expect(shownError(files, header)).toEqual({
      message:
        'cannot use /data/t.csv:1 as csv data; the reason is not shown in the studio, as it may quote the file: latentlab train with the same config shows it',
      field: 'data.path',
    });
    const image = { message: 'cannot decode image: …', field: '/data/extra/a/1.png', code: 'data' };
    expect(shownError(files, image).field).toBe('train.extraData.data.dir');
    expect(shownError(files, { message: 'Invalid Opening Quote: root:x' }).message).not.toContain('root');
    const config = {
      message: 'config.model.latent: expected a positive integer',
      field: 'model.latent',
      code: 'config',
    };
    expect(shownError(files, config)).toEqual({ message: config.message, field: config.field });
    expect(shownError([], header)).toEqual({ message: header.message, field: header.field });
  });
});
