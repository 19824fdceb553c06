// Replays the attacks of issue 16 (items 1-6) against `latentlab studio` on loopback, bounded: trains one tiny
// MNIST run into a temporary runs directory, plants foreign files beside it (a CSV, a folder of images, a weights
// file), starts the studio in a child process on 127.0.0.1 and prints what each attack got. During the upload
// floods it polls /v1/status for latency and reads the server's peak RSS (VmHWM). Every response body is searched
// for the foreign files' contents (image answers are decoded and compared pixel by pixel): leaked bytes must be 0.
//   node --import tsx scripts/attack.ts [--images 256] [--backend wasm] [--json out.json]
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { PNG } from 'pngjs';
import { decodePng } from '../src/io/png.js';

const { values } = parseArgs({
  options: {
    // The issue's case is 256 (about a minute of decoding on two busy cores); 64 keeps the replay near 2 minutes.
    images: { type: 'string', default: '64' },
    backend: { type: 'string', default: 'wasm' },
    json: { type: 'string' },
  },
});
// Bounds: a replay on this machine, not a denial of service of it.
const floodImages = Math.min(256, Math.max(1, Number(values.images)));
const FLOOD_FILES = 100;
const FLOOD_FILE_BYTES = 4 * 1024 * 1024;
const backend = values.backend as string;
const root = join(import.meta.dirname, '..');
// Node itself runs the CLI (no tsx launcher process between), so the server's pid is the server's.
const cli = (args: string[]) => ['--import', 'tsx', join(root, 'src', 'cli', 'bin.ts'), ...args];
const started = performance.now();
const log = (line: string) =>
  process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);

function latentlab(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, cli([...args, '--backend', backend]), {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LATENTLAB_TOKEN: '' },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

// ---- Foreign files: what no answer may contain ----

interface Secrets {
  /** Marker → the CSV line holding it. */
  lines: Map<string, string>;
  /** The foreign images' grey pixels, and their file sizes. */
  images: Array<{ pixels: Uint8Array; bytes: number }>;
}

function plantSecrets(dir: string): Secrets {
  mkdirSync(join(dir, 'photos'), { recursive: true });
  const tag = Math.random().toString(16).slice(2, 10);
  const lines = new Map<string, string>();
  const rows = [`secret-header-${tag},a,b,c`];
  for (let i = 0; i < 40; i++) rows.push(`secret-row-${tag}-${i},${i},${i * 2},${i % 3}`);
  for (const row of rows) lines.set(row.split(',')[0], row);
  writeFileSync(join(dir, 'private.csv'), `${rows.join('\n')}\n`);
  const images: Secrets['images'] = [];
  let seed = 7;
  for (let i = 0; i < 10; i++) {
    const png = new PNG({ width: 28, height: 28 });
    const pixels = new Uint8Array(784);
    for (let p = 0; p < 784; p++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      pixels[p] = seed % 256;
      png.data.set([pixels[p], pixels[p], pixels[p], 255], 4 * p);
    }
    const bytes = PNG.sync.write(png);
    writeFileSync(join(dir, 'photos', `${i}.png`), bytes);
    images.push({ pixels, bytes: bytes.length });
  }
  return { lines, images };
}

/** Foreign bytes in one answer: CSV lines found in its text, or a foreign image it shows pixel for pixel. */
function leakedBytes(body: Buffer, type: string, secrets: Secrets, found: Set<string>): number {
  let bytes = 0;
  if (type.startsWith('image/png')) {
    let picture: ReturnType<typeof decodePng>;
    try {
      picture = decodePng(body);
    } catch {
      return 0;
    }
    const scale = Math.round(picture.width / 28);
    if (scale < 1 || picture.width !== 28 * scale || picture.height !== 28 * scale) return 0;
    secrets.images.forEach((image, i) => {
      const same = image.pixels.every((v, p) => {
        const at = (Math.floor(p / 28) * scale * picture.width + (p % 28) * scale) * 4;
        return Math.abs(picture.rgba[at] - v) <= 1;
      });
      if (same && !found.has(`image ${i}`)) {
        found.add(`image ${i}`);
        bytes += image.bytes;
      }
    });
    return bytes;
  }
  const text = body.toString('utf8');
  for (const [marker, line] of secrets.lines)
    if (text.includes(marker) && !found.has(marker)) {
      found.add(marker);
      bytes += line.length + 1;
    }
  return bytes;
}

// ---- HTTP ----

interface Answer {
  status: number;
  body: Buffer;
  ms: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });
let port = 0;
let sent = 0;
let answered = 0;
/** Uploads whose connection the server closed before the client read an answer (it refuses them unread). */
let cut = 0;
let leaked = 0;
const leaks = new Set<string>();
let secrets: Secrets;

/**
 * One request; the answer is searched for foreign files (bodies over 2 MB are not kept). It settles once the
 * body is sent too: a server may answer an upload before reading it, and the rest still flows to it.
 */
function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer | Readable,
): Promise<Answer> {
  sent++;
  const t0 = performance.now();
  let req: ReturnType<typeof httpRequest> | undefined;
  const answer = new Promise<Answer>((resolve, reject) => {
    req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= 2 * 1024 * 1024) chunks.push(chunk);
      });
      res.on('end', () => {
        answered++;
        const all = Buffer.concat(chunks);
        leaked += leakedBytes(all, String(res.headers['content-type'] ?? ''), secrets, leaks);
        resolve({ status: res.statusCode ?? 0, body: all, ms: performance.now() - t0 });
      });
      res.on('error', reject);
    });
    // A server that answers before reading the whole upload may close the socket under the writer.
    req.on('error', reject);
    if (body instanceof Readable) body.pipe(req);
    else req.end(body);
  });
  const written = new Promise((resolve) => {
    req?.once('finish', resolve);
    req?.once('close', resolve);
  });
  return Promise.all([answer, written]).then(([a]) => a);
}

const json = (method: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  send(method, path, { 'content-type': 'application/json', ...headers }, Buffer.from(JSON.stringify(body)));

function multipartStream(count: number, file: (i: number) => Buffer): { stream: Readable; type: string } {
  const boundary = '----latentlab-attack';
  let i = 0;
  const stream = new Readable({
    read() {
      if (i === count) {
        this.push(`--${boundary}--\r\n`);
        this.push(null);
        return;
      }
      this.push(
        `--${boundary}\r\ncontent-disposition: form-data; name="inputs"; filename="${i}.png"\r\ncontent-type: image/png\r\n\r\n`,
      );
      this.push(file(i));
      this.push('\r\n');
      i++;
    },
  });
  return { stream, type: `multipart/form-data; boundary=${boundary}` };
}

// ---- The table ----

interface Row {
  item: string;
  attack: string;
  expected: string;
  got: string;
  ok: boolean;
}
const rows: Row[] = [];
function record(item: string, attack: string, expected: string, got: string, ok: boolean): void {
  rows.push({ item, attack, expected, got, ok });
  log(`${ok ? 'ok  ' : 'FAIL'} ${item} ${attack}: ${got}`);
}
const refused = (status: number) => status >= 400 && status < 500;
const errorOf = (answer: Answer) => {
  try {
    return String(JSON.parse(answer.body.toString()).error ?? '').slice(0, 90);
  } catch {
    return '';
  }
};

async function startStudio(runs: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    cli(['studio', '--runs', runs, '--host', '127.0.0.1', '--port', '0', '--backend', backend]),
    { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, LATENTLAB_TOKEN: '' } },
  );
  const bound = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk) => {
      text += chunk;
      const match = /http:\/\/127\.0\.0\.1:(\d+)/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', (code) => reject(new Error(`studio exited with ${code}`)));
  });
  return { child, port: bound };
}

const mib = (bytes: number) => Math.round(bytes / 104857.6) / 10;

/** Peak resident memory of a process so far (Linux), MiB. */
function peakRssMiB(pid: number): number {
  try {
    const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return mib(kb * 1024);
  } catch {
    return Number.NaN;
  }
}

const percentile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : Number.NaN;

/** Poll /v1/status one request after another while `work` runs: latencies and the largest RSS it reported. */
async function underFlood<T>(work: Promise<T>): Promise<{ result: T; latencies: number[]; rssMB: number }> {
  let done = false;
  const latencies: number[] = [];
  let rss = 0;
  const poller = (async () => {
    while (!done) {
      const answer = await send('GET', '/v1/status');
      latencies.push(answer.ms);
      rss = Math.max(rss, JSON.parse(answer.body.toString()).memory.rss);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const result = await work.finally(() => {
    done = true;
  });
  await poller;
  return { result, latencies, rssMB: mib(rss) };
}

async function waitForJob(run: string, seconds: number): Promise<{ status?: string; error?: string }> {
  const end = performance.now() + seconds * 1000;
  for (;;) {
    const listed = JSON.parse((await send('GET', '/studio/api/runs')).body.toString());
    const job = listed.runs?.find((r: { name: string }) => r.name === run)?.job;
    if (!job || ['finished', 'failed', 'stopped'].includes(job.status) || performance.now() > end)
      return job ?? {};
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function main(): Promise<void> {
  const temp = mkdtempSync(join(tmpdir(), 'latentlab-attack-'));
  const runs = join(temp, 'runs');
  const foreign = join(temp, 'private');
  let studio: { child: ChildProcess; port: number } | undefined;
  const floods: Record<string, unknown> = {};
  try {
    secrets = plantSecrets(foreign);
    log('training a tiny run (dense-ae, 500 MNIST digits, 1 epoch) ...');
    const trained = await latentlab([
      'train',
      ...['--model', 'dense-ae', '--hidden', '16', '--latent', '3', '--epochs', '1', '--limit', '500'],
      ...['--out', join(runs, 'ae')],
    ]);
    if (trained.code !== 0) throw new Error(`training failed: ${trained.stderr}`);
    cpSync(join(runs, 'ae'), join(runs, 'race'), { recursive: true });
    // Item 5: a model whose weights path leaves its directory, to a weights file planted outside the runs.
    cpSync(join(runs, 'ae'), join(runs, 'escape'), { recursive: true });
    const encoderJson = join(runs, 'escape', 'model', 'encoder', 'model.json');
    cpSync(join(runs, 'ae', 'model', 'encoder', 'weights.bin'), join(foreign, 'weights.bin'));
    const model = JSON.parse(readFileSync(encoderJson, 'utf8'));
    for (const group of model.weightsManifest) group.paths = ['../../../../private/weights.bin'];
    writeFileSync(encoderJson, JSON.stringify(model));

    studio = await startStudio(runs);
    port = studio.port;
    const pid = studio.child.pid as number;
    log(`studio on 127.0.0.1:${port} over ${runs}`);
    const page = { origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' };

    // 2. DNS rebinding: a page on another name that resolves to 127.0.0.1.
    for (const path of ['/v1/status', '/studio/api/runs', '/']) {
      const answer = await send('GET', path, { host: `rebind.attacker.example:${port}` });
      record(
        '2',
        `GET ${path}, Host rebind.attacker.example`,
        '403',
        `${answer.status}`,
        answer.status === 403,
      );
    }

    // 3. CSRF: a form on another site posting to stop and resume.
    for (const action of ['stop', 'resume']) {
      const form = multipartStream(0, () => Buffer.alloc(0));
      const crossSite = await send(
        'POST',
        `/studio/api/runs/ae/${action}`,
        { 'content-type': form.type, origin: 'http://attacker.example', 'sec-fetch-site': 'cross-site' },
        form.stream,
      );
      record(
        '3',
        `cross-site multipart POST ${action}`,
        '403',
        `${crossSite.status}`,
        crossSite.status === 403,
      );
      const bare = multipartStream(0, () => Buffer.alloc(0));
      const noHeaders = await send(
        'POST',
        `/studio/api/runs/ae/${action}`,
        { 'content-type': bare.type },
        bare.stream,
      );
      record(
        '3',
        `multipart POST ${action}, no Origin (older browser)`,
        '415',
        `${noHeaders.status}`,
        noHeaders.status === 415,
      );
    }

    // 1. Files outside the data roots, through the studio's new-run form (sent as its own page would).
    const newRun = (data: unknown) =>
      json(
        'POST',
        '/studio/api/runs',
        { config: { model: { kind: 'dense-ae', hidden: [8], latent: 2 }, data, train: { epochs: 1 } } },
        page,
      );
    const csv = await newRun({ source: 'csv', path: join(foreign, 'private.csv'), labelColumn: 'zzz' });
    let csvGot = `${csv.status}`;
    if (csv.status === 201) {
      const run = JSON.parse(csv.body.toString()).run;
      const job = await waitForJob(run, 30);
      csvGot += `, job ${job.status ?? '?'}${job.error ? `: "${job.error.slice(0, 60)}"` : ''}`;
    }
    record('1', 'new run, csv:/…/private.csv', '4xx, nothing read', csvGot, refused(csv.status));
    const photos = await newRun({ source: 'images', dir: join(foreign, 'photos') });
    let photosGot = `${photos.status}`;
    if (photos.status === 201) {
      const run = JSON.parse(photos.body.toString()).run;
      const job = await waitForJob(run, 60);
      photosGot += `, job ${job.status ?? '?'}`;
      if (job.status === 'finished')
        for (let id = 0; id < 2; id++) {
          const item = await send('GET', `/studio/api/runs/${run}/items/${id}`);
          photosGot += `, items/${id} ${item.status}`;
        }
    }
    record('1', 'new run, images:/…/photos', '4xx, nothing read', photosGot, refused(photos.status));

    // 5. A weights path in model.json that climbs out of the model directory.
    const escaped = await json('POST', '/v1/runs/escape/encode', { inputs: [Array(784).fill(0.5)] });
    record(
      '5',
      'encode with weights path ../../../../private/weights.bin',
      '4xx/5xx refusal',
      `${escaped.status}${escaped.status >= 400 ? ` "${errorOf(escaped)}"` : ''}`,
      escaped.status >= 400,
    );

    // 4. Upload floods, /v1/status polled throughout.
    const rssBefore = JSON.parse((await send('GET', '/v1/status')).body.toString()).memory.rss;
    const peakBefore = peakRssMiB(pid);
    const missing = multipartStream(FLOOD_FILES, () => FLOOD_FILE_BYTES_BUFFER);
    const t1 = performance.now();
    const flood1 = await underFlood(
      send('POST', '/v1/runs/missing/encode', { 'content-type': missing.type }, missing.stream).catch(
        (error: NodeJS.ErrnoException) => {
          // The server answers and closes; the reset can reach the client before it has read the answer.
          cut++;
          return {
            status: 0,
            body: Buffer.from(error.code ?? 'error'),
            ms: performance.now() - t1,
          } as Answer;
        },
      ),
    );
    const flood1Got =
      flood1.result.status === 0
        ? `connection closed by the server (${flood1.result.body}) after ${Math.round(flood1.result.ms)} ms`
        : `${flood1.result.status} after ${Math.round(flood1.result.ms)} ms`;
    record(
      '4',
      `${FLOOD_FILES} x 4 MB multipart to a missing run`,
      '404 (or closed) before reading',
      `${flood1Got}; server RSS at most ${flood1.rssMB} MiB`,
      (flood1.result.status === 404 || flood1.result.status === 0) && flood1.result.ms < 5000,
    );
    const heavy = heavyPng();
    const pngs = multipartStream(floodImages, () => heavy);
    const flood2 = await underFlood(
      send('POST', '/v1/runs/ae/encode', { 'content-type': pngs.type }, pngs.stream),
    );
    const sorted = [...flood1.latencies, ...flood2.latencies].sort((a, b) => a - b);
    const p99 = percentile(sorted, 0.99);
    record(
      '4',
      `${floodImages} 16-bit 1024x1024 PNGs (${heavy.length} bytes each) to a run`,
      'answered; /v1/status p99 < 100 ms',
      `${flood2.result.status} after ${(flood2.result.ms / 1000).toFixed(1)} s; status p99 ${p99.toFixed(0)} ms; RSS at most ${flood2.rssMB} MiB`,
      flood2.result.status === 200 && p99 < 100,
    );
    Object.assign(floods, {
      statusPolls: sorted.length,
      statusMs: {
        p50: Math.round(percentile(sorted, 0.5)),
        p99: Math.round(p99),
        max: Math.round(sorted.at(-1) ?? Number.NaN),
      },
      // RSS as /v1/status reported it (polled), and the kernel's high-water mark (VmHWM) of the server process.
      serverRssMiB: {
        beforeFloods: mib(rssBefore),
        duringMissingRunFlood: flood1.rssMB,
        duringPngFlood: flood2.rssMB,
        peakBeforeFloods: peakBefore,
        peakAfterFloods: peakRssMiB(pid),
      },
      flood1Ms: Math.round(flood1.result.ms),
      flood2Ms: Math.round(flood2.result.ms),
    });
  } finally {
    if (studio) {
      studio.child.kill('SIGTERM');
      await new Promise((r) => studio?.child.once('exit', r));
    }
    agent.destroy();
  }

  // 6. Two trainings resuming one run at once.
  try {
    log('two `latentlab train --resume` on one run at once ...');
    const race = join(runs, 'race');
    // Long enough to overlap whatever the two start-up times.
    const [a, b] = await Promise.all([
      latentlab(['train', '--resume', race, '--epochs', '30']),
      latentlab(['train', '--resume', race, '--epochs', '20']),
    ]);
    const config = JSON.parse(readFileSync(join(race, 'config.json'), 'utf8'));
    const epochs = readFileSync(join(race, 'metrics.jsonl'), 'utf8').trim().split('\n').length;
    const oneWon = (a.code === 0) !== (b.code === 0);
    const consistent = config.train.epochs === epochs;
    const loser = [a, b].find((p) => p.code !== 0);
    const why = loser?.stderr.trim().split('\n').pop()?.slice(0, 110);
    record(
      '6',
      'train --resume R --epochs 30 & --epochs 20',
      'one refused; config matches metrics',
      `exits ${a.code} and ${b.code}${why ? ` ("${why}")` : ''}; config ${config.train.epochs} epochs, metrics ${epochs}`,
      oneWon && consistent,
    );
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }

  const report = {
    command: `node --import tsx scripts/attack.ts --images ${floodImages} --backend ${backend}`,
    seconds: Math.round((performance.now() - started) / 1000),
    requests: { sent, answered, cutUnread: cut },
    foreignBytesLeaked: leaked,
    leaked: [...leaks],
    floods,
    attacks: rows,
  };
  const width = (key: keyof Row) => Math.max(key.length, ...rows.map((r) => String(r[key]).length));
  const [wa, we, wg] = [width('attack'), width('expected'), width('got')];
  const line = (r: { item: string; attack: string; expected: string; got: string; ok: string }) =>
    `${r.item.padEnd(4)} ${r.attack.padEnd(wa)}  ${r.expected.padEnd(we)}  ${r.got.padEnd(wg)}  ${r.ok}`;
  process.stdout.write(
    `${line({ item: 'item', attack: 'attack', expected: 'expected', got: 'got', ok: 'ok' })}\n`,
  );
  for (const r of rows) process.stdout.write(`${line({ ...r, ok: r.ok ? 'ok' : 'FAIL' })}\n`);
  process.stdout.write(
    `\nall answered: ${answered + cut === sent ? 'yes' : 'NO'} (${answered}/${sent} requests${cut ? `, ${cut} upload cut unread by the server` : ''})\n` +
      `/v1/status during the floods: p50 ${(floods as { statusMs?: { p50: number } }).statusMs?.p50} ms, p99 ${(floods as { statusMs?: { p99: number } }).statusMs?.p99} ms (${(floods as { statusPolls?: number }).statusPolls} polls)\n` +
      `server RSS, MiB: ${JSON.stringify((floods as { serverRssMiB?: unknown }).serverRssMiB)}\n` +
      `foreign bytes leaked: ${leaked}${leaks.size ? ` (${[...leaks].join(', ')})` : ''}\n` +
      `${rows.filter((r) => !r.ok).length} of ${rows.length} attacks not refused as expected; ${report.seconds} s\n`,
  );
  if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  if (leaked > 0 || rows.some((r) => !r.ok) || answered + cut !== sent) process.exitCode = 1;
}

const FLOOD_FILE_BYTES_BUFFER = Buffer.alloc(FLOOD_FILE_BYTES, 1);

/** A 16-bit RGB PNG of 1024x1024 of one colour: a few KB to send, 100-300 ms to decode. */
function heavyPng(): Buffer {
  const png = new PNG({ width: 1024, height: 1024 });
  png.data.fill(128);
  return PNG.sync.write(png, { bitDepth: 16, colorType: 2 });
}

main().catch((error) => {
  process.stderr.write(`attack: ${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
});
