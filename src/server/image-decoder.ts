// Uploaded images are decoded on worker threads: a 16-bit 1024x1024 PNG takes 100-300 ms to inflate, and a
// batch of them on the event loop would stall every other request (/v1/status included) for seconds.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export interface DecodeTask {
  id: number;
  bytes: Uint8Array;
  /** The model's sample shape [height, width, channels]. */
  shape: [number, number, 1 | 3];
  /** Named in decoding errors ("inputs[3]: cannot decode image: ..."). */
  field: string;
}

export type DecodeAnswer =
  | { id: number; values: Float32Array }
  | {
      id: number;
      error: string /** A bad image (the client's), not a failure of the decoder. */;
      data: boolean;
    };

// Pixels live in Buffers, outside the heap: a small heap keeps an idle thread's garbage small too.
const resourceLimits = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 96 };

/** A worker thread; from the sources (tests, tsx) its TypeScript needs tsx's loader, from dist it is plain JS. */
function startWorker(): Worker {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts')) return new Worker(join(dirname(here), 'image-worker.js'), { resourceLimits });
  // Worker threads take no --import, so the thread registers tsx itself before loading the entry.
  const entry = pathToFileURL(join(dirname(here), 'image-worker.ts')).href;
  const tsx = pathToFileURL(
    createRequire(here)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, resourceLimits });
}

interface Pending {
  task: DecodeTask;
  resolve: (values: Float32Array) => void;
  reject: (error: Error) => void;
}

/** A small pool of decoding threads, started when first needed; idle threads do not keep the process alive. */
export class ImageDecoder {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly waiting: Pending[] = [];
  private started = 0;
  private nextId = 0;

  constructor(readonly threads = Math.max(1, Math.min(2, availableParallelism() - 1))) {}

  /** Images queued or being decoded. */
  get pending(): number {
    return this.waiting.length + this.busy.size;
  }

  /** One image decoded and resized to `shape`, as a flat sample; a bad image rejects with a DecodeError. */
  decode(bytes: Uint8Array, shape: DecodeTask['shape'], field: string): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      // A copy of its own, moved to the thread (a view would send the whole buffer it shares).
      const own = new Uint8Array(bytes);
      this.waiting.push({ task: { id: this.nextId++, bytes: own, shape, field }, resolve, reject });
      this.dispatch();
    });
  }

  /** Stop every thread; queued images are refused. */
  async close(): Promise<void> {
    for (const job of this.waiting.splice(0)) job.reject(new Error('the image decoder was closed'));
    const workers = [...this.idle.splice(0), ...this.busy.keys()];
    this.busy.clear();
    this.started = 0;
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const worker = this.idle.pop() ?? (this.started < this.threads ? this.spawn() : undefined);
      if (!worker) return;
      const job = this.waiting.shift() as Pending;
      this.busy.set(worker, job);
      worker.ref();
      worker.postMessage(job.task, [job.task.bytes.buffer as ArrayBuffer]);
    }
  }

  private spawn(): Worker {
    this.started++;
    const worker = startWorker();
    worker.on('message', (answer: DecodeAnswer) => {
      const job = this.busy.get(worker);
      this.busy.delete(worker);
      worker.unref();
      this.idle.push(worker);
      if (job)
        if ('values' in answer) job.resolve(answer.values);
        else job.reject(answer.data ? new DecodeError(answer.error) : new Error(answer.error));
      this.dispatch();
    });
    // A thread that dies takes its image with it; the next image starts a new one.
    worker.on('error', (error) => this.retire(worker, error));
    worker.on('exit', () => this.retire(worker, new Error('an image decoding thread exited')));
    return worker;
  }

  private retire(worker: Worker, error: Error): void {
    const job = this.busy.get(worker);
    const index = this.idle.indexOf(worker);
    if (!job && index < 0) return;
    job?.reject(error);
    this.busy.delete(worker);
    if (index >= 0) this.idle.splice(index, 1);
    this.started--;
    this.dispatch();
  }
}

/** The image could not be decoded (the message names the field, as decodeImage's errors do). */
export class DecodeError extends Error {
  override name = 'DecodeError';
}
