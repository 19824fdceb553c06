// Multi-threaded wasm under Node: starts tfjs's threaded-SIMD build with pthread workers that worker_threads
// can load (the stock loader hands them a blob: URL, and turns threads off in Node), else the stock build.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { BackendWasm, getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { BackendError } from '../errors.js';
import { tf } from './tf.js';

/** The threaded build pre-starts 8 pthread workers; a 9th would be started while the main thread blocks. */
export const MAX_WASM_THREADS = 8;
/** How long the pthread workers get to load before we give up and run on one thread. */
export const DEFAULT_START_TIMEOUT_MS = 15_000;

const GLUE = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
const WORKER_SCRIPT = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';
// Same as the stock registration, so 'auto' style lookups order backends as before.
const WASM_PRIORITY = 2;

const requireHere = createRequire(import.meta.url);

/** The parts of an emscripten pthread worker (a worker_threads Worker) that we touch. */
interface PthreadWorker {
  onerror: ((error: unknown) => void) | undefined;
  on(event: 'error', listener: (error: unknown) => void): void;
  unref(): void;
}

interface PThreadApi {
  unusedWorkers: PthreadWorker[];
  runningWorkers: PthreadWorker[];
  terminateAllThreads(): void;
}

type WasmImports = { env: Record<string, unknown> };

interface FactoryConfig {
  locateFile(path: string, prefix: string): string | URL;
  mainScriptUrlOrBlob: string;
  instantiateWasm(
    imports: WasmImports,
    receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
  ): object;
  /** Set by the glue while the factory call runs. */
  PThread?: PThreadApi;
}

interface ThreadedModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
  PThread: PThreadApi;
  tfjs?: unknown;
}

type WasmBackendModule = ConstructorParameters<typeof BackendWasm>[0];

/** Thread count asked for: the option, else LATENTLAB_THREADS, else the cores Node reports; capped at 8. */
export function requestedThreads(threads?: number): number {
  const fromEnv = process.env.LATENTLAB_THREADS?.trim();
  const raw = threads ?? (fromEnv ? Number(fromEnv) : availableParallelism());
  if (!Number.isInteger(raw) || raw < 1) {
    throw new BackendError(`expected a whole number of threads >= 1, got "${threads ?? fromEnv}"`, {
      path: threads !== undefined ? 'threads' : 'LATENTLAB_THREADS',
    });
  }
  return Math.min(raw, MAX_WASM_THREADS);
}

let workerUrl: URL | undefined;

/** An ES-module worker that runs the shipped pthread script, which expects CommonJS's require/__filename. */
function pthreadWorkerUrl(gluePath: string): URL {
  if (workerUrl) return workerUrl;
  const { wasmWorkerContents } = requireHere(WORKER_SCRIPT) as { wasmWorkerContents: string };
  // The script ships inside a template literal, which turned its "\n" escapes into raw newlines.
  const script = wasmWorkerContents.replace(/\n/g, '\\n');
  const source =
    "import { createRequire } from 'node:module';\n" +
    `new Function('require', '__filename', ${JSON.stringify(script)})` +
    `(createRequire(${JSON.stringify(gluePath)}), ${JSON.stringify(gluePath)});\n`;
  workerUrl = new URL(`data:text/javascript,${encodeURIComponent(source)}`);
  return workerUrl;
}

function asError(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  const message = (reason as { message?: unknown } | null)?.message;
  return new Error(typeof message === 'string' ? message : String(reason));
}

export interface StartOptions {
  timeoutMs?: number;
}

/**
 * Starts the threaded-SIMD wasm module with its pthread workers loaded and returns a BackendWasm
 * running `threads` XNNPack threads. Rejects (and stops the workers) if they fail or time out.
 */
export async function startThreadedWasm(threads: number, options: StartOptions = {}): Promise<BackendWasm> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  if (typeof SharedArrayBuffer !== 'function') throw new Error('SharedArrayBuffer is not available');
  // The only threaded build is the SIMD one (this also settles the flag, which the stock init would have).
  if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) throw new Error('no wasm SIMD support');
  const gluePath = requireHere.resolve(GLUE);
  const factory = requireHere(gluePath) as (config: FactoryConfig) => Promise<ThreadedModule>;
  // Throws here, not in a worker, if this V8 lacks wasm threads or SIMD.
  const binary = await WebAssembly.compile(await readFile(gluePath.replace(/\.js$/, '.wasm')));

  let fail: (reason: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = (reason) => reject(asError(reason));
  });
  failed.catch(() => {}); // late failures after start are reported by the glue itself
  const config: FactoryConfig = {
    locateFile: (path, prefix) => (path.endsWith('.worker.js') ? pthreadWorkerUrl(gluePath) : prefix + path),
    // Each worker evaluates this file to get the module factory.
    mainScriptUrlOrBlob: gluePath,
    instantiateWasm: (imports, receive) => {
      // The build caps its pool at logical cores / 2 (assumes hyperthreads); report enough for `threads`.
      imports.env.emscripten_num_logical_cores = () => 2 * threads;
      WebAssembly.instantiate(binary, imports as WebAssembly.Imports).then((instance) => {
        receive(instance, binary);
        // receive() hooked the workers' errors to onerror, which throws from an event handler (a crash);
        // until the workers are up, turn that into a fallback instead.
        for (const worker of config.PThread?.unusedWorkers ?? []) worker.onerror = fail;
      }, fail);
      return {};
    },
  };

  const timer = setTimeout(() => fail(`pthread workers did not start within ${timeoutMs} ms`), timeoutMs);
  timer.unref();
  let module: ThreadedModule;
  try {
    const ready = factory(config);
    ready.catch(() => {}); // a rejection after a timeout has nowhere to go
    // The workers exist now (created synchronously); errors before the glue listens come here.
    for (const worker of config.PThread?.unusedWorkers ?? []) worker.on('error', fail);
    module = await Promise.race([ready, failed]);
  } catch (error) {
    config.PThread?.terminateAllThreads();
    throw asError(error);
  } finally {
    clearTimeout(timer);
  }

  const { PThread } = module;
  for (const worker of PThread.unusedWorkers) {
    worker.onerror = (error) => {
      throw error;
    };
  }
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  setThreadsCount(threads);
  let backend: BackendWasm;
  try {
    // Creates the XNNPack thread pool: blocks until the pthreads check in, which needs only loaded workers.
    backend = new BackendWasm(module as unknown as WasmBackendModule);
  } catch (error) {
    PThread.terminateAllThreads();
    throw asError(error);
  }
  // Running pthreads ref their workers; they must not keep the process alive once work is done.
  for (const worker of [...PThread.runningWorkers, ...PThread.unusedWorkers]) worker.unref();
  return backend;
}

let installed = false;
let wanted = 1;
let startTimeoutMs = DEFAULT_START_TIMEOUT_MS;
let notice: string | undefined;

/** The wasm backend made by the factory below: one per process, shared by 'wasm' and 'native'. */
let sharedInstance: Promise<BackendWasm> | undefined;

/** Has the 'wasm' backend been created (by us or anyone)? Then its thread count is fixed. */
function wasmStarted(): boolean {
  return tf.engine().registry.wasm != null || sharedInstance != null;
}

/**
 * The process's wasm backend instance, created on first use. The native backend runs on it: its kernels
 * (wasm's and the addon's) all work on this one module's memory, and wasm kernels keep module-level
 * bindings to the module they were set up with, so two instances could not serve one set of kernels.
 */
export async function sharedWasmBackend(): Promise<BackendWasm> {
  const existing = tf.engine().registry.wasm;
  if (existing) return existing as BackendWasm;
  const factory = tf.findBackendFactory('wasm');
  if (factory == null) throw new BackendError('the wasm backend is not registered');
  return (await factory()) as BackendWasm;
}

/**
 * Makes the 'wasm' backend start with `threads` threads (threaded-SIMD build, stock build for 1 or as a
 * fallback). Takes effect only if the backend has not started yet; calling again updates the count.
 */
export function configureWasmThreads(threads: number, options: StartOptions = {}): void {
  wanted = threads;
  if (options.timeoutMs !== undefined) startTimeoutMs = options.timeoutMs;
  if (installed || wasmStarted()) return;
  const stock = tf.findBackendFactory('wasm');
  if (stock == null) throw new BackendError('the wasm backend is not registered');
  installed = true;
  tf.removeBackend('wasm');
  const create = async (): Promise<BackendWasm> => {
    if (wanted > 1) {
      try {
        const backend = await startThreadedWasm(wanted, { timeoutMs: startTimeoutMs });
        // Kept truthful for code that reads it (e.g. scripts/matmul-speed.ts).
        tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
        return backend;
      } catch (error) {
        notice = `wasm threads unavailable (${asError(error).message}); running on one thread`;
      }
    }
    // The stock init must pick the single-threaded build: its threaded path cannot start in Node.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    return (await stock()) as BackendWasm;
  };
  tf.registerBackend(
    'wasm',
    () => {
      sharedInstance ??= create();
      return sharedInstance;
    },
    WASM_PRIORITY,
  );
}

/** Threads the running wasm backend computes with (1 for the stock build); undefined before it starts. */
export function wasmThreadCount(): number | undefined {
  if (!wasmStarted()) return undefined;
  try {
    return Math.max(1, getThreadsCount());
  } catch {
    return 1; // no thread pool at all (it throws then): kernels run on the calling thread
  }
}

/** Why threads were not used, once: the start-up failure, if there was one and nobody took it yet. */
export function takeWasmThreadsNotice(): string | undefined {
  const taken = notice;
  notice = undefined;
  return taken;
}
