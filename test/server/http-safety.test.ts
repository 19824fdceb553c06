// What a web page or a large upload must not do to the server: drive it through a foreign Host (DNS
// rebinding), forge state-changing requests (CSRF), or exhaust it with uploads (memory, event loop).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerFlags, serverOptionsFrom, withServerFlags } from '../../src/cli/commands/serve.js';
import { buildServer, hostAllowed, startServer } from '../../src/server/app.js';
import { createStudioPlugin } from '../../src/server/studio/plugin.js';
import { imageDecoder } from '../../src/server/uploads.js';
import { useBackend } from '../helpers.js';
import { makeRunsDir, multipartBody, pngOf, tinyRun } from './helpers.js';

let runs: { dir: string; cleanup: () => Promise<void> };
let assets: string;
let app: FastifyInstance;
const digit = () => Array.from({ length: 784 }, (_, i) => (i % 7) / 7);

beforeAll(async () => {
  await useBackend('wasm');
  runs = await makeRunsDir();
  await tinyRun(runs.dir, 'ae', { kind: 'dense-ae', hidden: [16], latent: 3 });
  await mkdir(join(runs.dir, 'idle'));
  await writeFile(join(runs.dir, 'idle', 'config.json'), '{}');
  assets = await mkdtemp(join(tmpdir(), 'latentlab-studio-app-'));
  await writeFile(join(assets, 'index.html'), '<!doctype html><title>studio</title>');
  app = await buildServer({
    runsDir: runs.dir,
    allowHosts: ['lab.example.org'],
    limits: { bodyBytes: 200_000 },
    plugins: [createStudioPlugin({ assetsDir: assets })],
  });
});

afterAll(async () => {
  await app?.close();
  await runs?.cleanup();
  await rm(assets, { recursive: true, force: true });
});

describe('the Host header (DNS rebinding)', () => {
  it('accepts the loopback names and the allowed hosts, with any port', async () => {
    for (const host of [
      'localhost:80',
      'localhost',
      'LocalHost:8080',
      '127.0.0.1:8080',
      '127.3.4.5',
      '[::1]:8080',
      'lab.example.org',
      'lab.example.org:443',
    ]) {
      const res = await app.inject({ url: '/v1/status', headers: { host } });
      expect(res.statusCode, host).toBe(200);
    }
  });

  it('refuses any other Host with a 403 naming it and saying how to allow it, before any route', async () => {
    for (const url of ['/v1/status', '/v1/runs', '/', '/assets/app.js', '/studio/api/runs', '/nothing']) {
      const res = await app.inject({ url, headers: { host: 'attacker.example:8080' } });
      expect(res.statusCode, url).toBe(403);
      expect(res.json(), url).toEqual({
        error:
          'refused Host "attacker.example:8080": this server answers to 127.0.0.1, localhost, [::1] and lab.example.org; to reach it by another name, start it with --allow-host attacker.example',
        field: 'host',
      });
    }
    for (const host of [
      '127.0.0.1.attacker.example',
      'localhost.attacker.example',
      '[::2]',
      'lab.example.org.evil',
    ])
      expect((await app.inject({ url: '/v1/status', headers: { host } })).statusCode, host).toBe(403);
  });

  it('adds the address given to listen on, and on a wildcard address the machine names itself', () => {
    expect(hostAllowed('10.1.2.3:8080', { bound: '10.1.2.3' })).toBe(true);
    expect(hostAllowed('10.1.2.4:8080', { bound: '10.1.2.3' })).toBe(false);
    expect(hostAllowed('[fe80::1]:8080', { bound: 'fe80::1' })).toBe(true);
    expect(hostAllowed('studio.lan', { allow: ['Studio.LAN'] })).toBe(true);
    expect(hostAllowed('anything.example', { allow: ['*'] })).toBe(true);
    expect(hostAllowed(undefined, {})).toBe(true);
    const machine = { bound: '0.0.0.0', interfaces: ['192.168.7.9', 'fe80::9'], hostname: 'box' };
    for (const host of ['192.168.7.9:8080', '[fe80::9]', 'box:8080', 'box.', 'localhost'])
      expect(hostAllowed(host, machine), host).toBe(true);
    expect(hostAllowed('attacker.example', machine)).toBe(false);
  });

  it('refuses a foreign Host on a listening server too', async () => {
    const { app: server, url } = await startServer({ runsDir: runs.dir, port: 0 });
    try {
      const port = new URL(url).port;
      const ok = await rawGet(Number(port), '/v1/status', `localhost:${port}`);
      expect(ok.status).toBe(200);
      const refused = await rawGet(Number(port), '/v1/status', `rebound.example:${port}`);
      expect(refused.status).toBe(403);
      expect(refused.body).toContain('--allow-host rebound.example');
    } finally {
      await server.close();
    }
  });

  it('takes --allow-host, repeatable, on serve and studio', () => {
    const flags = (args: string[]) =>
      withServerFlags(new Command('serve')).parse(args, { from: 'user' }).opts() as ServerFlags;
    expect(serverOptionsFrom(flags([])).allowHosts).toEqual([]);
    expect(
      serverOptionsFrom(flags(['--allow-host', 'a.example', '--allow-host', 'b.example'])).allowHosts,
    ).toEqual(['a.example', 'b.example']);
  });
});

async function rawGet(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('forged state-changing requests (CSRF)', () => {
  const form = multipartBody([], { epochs: '3' });

  it('refuses a form post (multipart, urlencoded, text/plain, no body) to the studio: JSON only', async () => {
    for (const action of ['stop', 'resume']) {
      const url = `/studio/api/runs/idle/${action}`;
      const multipart = await app.inject({
        method: 'POST',
        url,
        payload: form.payload,
        headers: form.headers,
      });
      expect(multipart.statusCode, url).toBe(415);
      expect(multipart.json()).toEqual({
        error:
          'this API takes JSON only (content-type application/json), not multipart/form-data: a page on another site can send that without asking',
        field: 'content-type',
      });
      for (const type of ['application/x-www-form-urlencoded', 'text/plain'])
        expect(
          (await app.inject({ method: 'POST', url, payload: 'a=1', headers: { 'content-type': type } }))
            .statusCode,
          type,
        ).toBe(415);
      expect((await app.inject({ method: 'POST', url })).statusCode).toBe(415);
    }
  });

  it('refuses a foreign Origin, Origin null and cross-site or same-site Sec-Fetch-Site, on every API', async () => {
    const cases: Array<Record<string, string>> = [
      { origin: 'https://attacker.example' },
      { origin: 'http://localhost:3000' }, // another local app: same site, another origin
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of cases) {
      const stop = await app.inject({
        method: 'POST',
        url: '/studio/api/runs/idle/stop',
        payload: {},
        headers,
      });
      expect(stop.statusCode, JSON.stringify(headers)).toBe(403);
      expect(stop.json().field).toBe(headers.origin ? 'origin' : 'sec-fetch-site');
      const upload = multipartBody([{ name: 'inputs', bytes: pngOf(digit(), 28, 28) }]);
      const encode = await app.inject({
        method: 'POST',
        url: '/v1/runs/ae/encode',
        payload: upload.payload,
        headers: { ...upload.headers, ...headers },
      });
      expect(encode.statusCode, JSON.stringify(headers)).toBe(403);
    }
    const refused = await app.inject({
      method: 'POST',
      url: '/studio/api/runs/idle/stop',
      payload: {},
      headers: { origin: 'https://attacker.example' },
    });
    expect(refused.json().error).toBe(
      "refused a POST from the page at https://attacker.example: state-changing requests must come from this server's own pages",
    );
  });

  it("takes the studio page's own requests and non-browser uploads (curl: no Origin)", async () => {
    const same = await app.inject({
      method: 'POST',
      url: '/studio/api/runs/idle/stop',
      payload: {},
      headers: { origin: 'http://localhost:80', 'sec-fetch-site': 'same-origin' },
    });
    expect(same.statusCode).toBe(409); // reached the route: the run is not training
    const proxied = await app.inject({
      method: 'POST',
      url: '/studio/api/runs/idle/stop',
      payload: {},
      headers: { host: '127.0.0.1:8080', origin: 'https://lab.example.org' },
    });
    expect(proxied.statusCode).toBe(409);
    const upload = multipartBody([{ name: 'inputs', bytes: pngOf(digit(), 28, 28) }]);
    const curl = await app.inject({
      method: 'POST',
      url: '/v1/runs/ae/encode',
      payload: upload.payload,
      headers: upload.headers,
    });
    expect(curl.statusCode).toBe(200);
    expect(curl.json().codes).toHaveLength(1);
    const json = await app.inject({
      method: 'POST',
      url: '/v1/runs/ae/encode',
      payload: { inputs: [digit()] },
      headers: { origin: 'http://localhost:80', 'sec-fetch-site': 'same-origin' },
    });
    expect(json.statusCode).toBe(200);
  });
});

/** A request body produced lazily, in chunks, counting how many the server pulled. */
function lazyBody(chunks: Buffer[]): { stream: Readable; read: () => number } {
  let read = 0;
  const stream = new Readable({
    read() {
      this.push(read < chunks.length ? chunks[read++] : null);
    },
  });
  return { stream, read: () => read };
}

/** `count` parts of `size` bytes each (a PNG signature, then filler), as multipart chunks. */
function floodChunks(count: number, size: number): { chunks: Buffer[]; type: string } {
  const boundary = '----latentlab-flood';
  const filler = Buffer.alloc(size, 7);
  filler.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks: Buffer[] = [];
  for (let i = 0; i < count; i++)
    chunks.push(
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="inputs"; filename="${i}.png"\r\ncontent-type: image/png\r\n\r\n`,
      ),
      filler,
      Buffer.from('\r\n'),
    );
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { chunks, type: `multipart/form-data; boundary=${boundary}` };
}

/** A 16-bit RGBA PNG of `side` x `side`: small on disk, slow to decode. */
function heavyPng(side: number): Buffer {
  const png = new PNG({ width: side, height: side });
  for (let i = 0; i < png.data.length; i++) png.data[i] = (i * 7919) % 251;
  return PNG.sync.write(png, { bitDepth: 16, colorType: 6, inputHasAlpha: true });
}

describe('uploads', () => {
  it('answers 404 for a missing run or model before reading the upload', async () => {
    for (const run of ['missing', 'idle']) {
      const { chunks, type } = floodChunks(10, 4 * 1024 * 1024);
      const body = lazyBody(chunks);
      const res = await app.inject({
        method: 'POST',
        url: `/v1/runs/${run}/encode`,
        payload: body.stream,
        headers: { 'content-type': type },
      });
      expect(res.statusCode, run).toBe(404);
      expect(res.json().field).toBe('run');
      expect(body.read(), run).toBeLessThan(4);
    }
  });

  it('closes the connection after answering an upload it did not read, rather than wait for the rest', async () => {
    const { app: server, url } = await startServer({ runsDir: runs.dir, port: 0 });
    try {
      const { request } = await import('node:http');
      const { chunks, type } = floodChunks(10, 4 * 1024 * 1024);
      const body = lazyBody(chunks);
      const answer = await new Promise<{ status: number; connection?: string }>((resolve, reject) => {
        const req = request(
          `${url}/v1/runs/missing/encode`,
          { method: 'POST', headers: { 'content-type': type } },
          (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, connection: res.headers.connection });
          },
        );
        req.on('error', reject);
        body.stream.pipe(req);
      });
      expect(answer).toEqual({ status: 404, connection: 'close' });
    } finally {
      await server.close();
    }
  });

  it('counts every part against the body limit and answers 413 as soon as it is passed', async () => {
    const { chunks, type } = floodChunks(40, 60_000);
    const body = lazyBody(chunks);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/runs/ae/encode',
      payload: body.stream,
      headers: { 'content-type': type },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({
      error: 'the upload is larger than the body limit of 200000 bytes (--body-limit)',
      field: 'inputs[3]',
    });
    expect(body.read()).toBeLessThan(30); // of 121: the limit, and what the streams had buffered
  });

  it('decodes images off the event loop: /v1/status answers while a batch decodes', async () => {
    const images = Array.from({ length: 4 }, () => ({ name: 'inputs', bytes: heavyPng(512) }));
    const upload = multipartBody(images);
    expect(upload.payload.length).toBeLessThan(200_000);
    let uploaded = false;
    const answer = app
      .inject({ method: 'POST', url: '/v1/runs/ae/encode', payload: upload.payload, headers: upload.headers })
      .finally(() => {
        uploaded = true;
      });
    for (let turns = 0; imageDecoder.pending === 0; turns++) {
      expect(turns, 'decoding never started').toBeLessThan(1e6);
      await new Promise(setImmediate);
    }
    const status = await app.inject({ url: '/v1/status' });
    expect(status.statusCode).toBe(200);
    expect(uploaded).toBe(false);
    const res = await answer;
    expect(res.statusCode).toBe(200);
    expect(res.json().codes).toHaveLength(4);
  });
});
