// Backend selection: tfjs-node when installed, else native (the wasm backend with latentlab's addon for the
// hot kernels) when the addon was built, else wasm (SIMD, multi-threaded) with our kernel fixes, else cpu.
// Only this module changes the global backend.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { z } from 'zod';
import { BackendError } from '../errors.js';
import { registerWasmKernelFixes } from './kernels/index.js';
import { nativeBlasInfo, registerNativeBackend, setNativeThreads } from './native/backend.js';
import { tf } from './tf.js';
import { configureWasmThreads, requestedThreads, takeWasmThreadsNotice, wasmThreadCount } from './threads.js';
import { startWebgpu } from './webgpu.js';

// webgpu is chosen only by name: auto never starts a GPU backend behind the user's back.
export const BackendName = z.enum(['auto', 'tensorflow', 'native', 'wasm', 'cpu', 'webgpu']);
export type BackendName = z.infer<typeof BackendName>;

export interface BackendInfo {
  name: string;
  /** Why this one: requested, or the first that loaded. */
  reason: string;
  simd?: boolean;
  /** Threads the wasm backend computes with (1: single-threaded). */
  threads?: number;
  kernelFixes: boolean;
  /** native: the BLAS the addon calls and its thread count. */
  blas?: string;
  /** webgpu: the adapter Dawn chose. */
  adapter?: string;
  blasThreads?: number;
}

export interface SelectBackendOptions {
  /** Overrides LATENTLAB_BACKEND; 'auto' tries tensorflow (tfjs-node), then native, then wasm, then cpu. */
  backend?: BackendName;
  /** Register latentlab's wasm kernel fixes (default true; benchmarks turn them off to compare). */
  kernelFixes?: boolean;
  /**
   * wasm threads, and native's BLAS threads; overrides LATENTLAB_THREADS, default: the cores Node reports
   * (capped at 8).
   */
  threads?: number;
  /** Called once with a one-line description of the chosen backend (after a notice if threads failed). */
  log?: (line: string) => void;
}

let current: BackendInfo | undefined;
let announced = false;

async function tryTfjsNode(): Promise<boolean> {
  try {
    // Optional peer dependency: a computed specifier keeps bundlers and tsc from requiring it.
    const specifier = '@tensorflow/tfjs-node';
    await import(specifier);
    return tf.findBackend('tensorflow') != null && (await tf.setBackend('tensorflow'));
  } catch {
    return false;
  }
}

async function tryBackend(name: 'wasm' | 'cpu', options: SelectBackendOptions): Promise<boolean> {
  // Before the wasm backend starts: it is created once per process, with its thread pool.
  if (name === 'wasm') configureWasmThreads(requestedThreads(options.threads));
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/** Why 'native' could not be used, when it was tried and could not. */
let nativeUnavailable: string | undefined;

/**
 * The native backend: the addon's kernels on the wasm backend's instance. `threads` sizes OpenBLAS and the
 * addon's loops; the wasm kernels it leaves to the wasm backend run on one thread. Measured on 2 cores (W1 and
 * W3 of bench/, docs/engine.md): with 2 wasm threads too, XNNPack's idle workers spin after each wasm kernel
 * while OpenBLAS wants both cores, for 15-25% more CPU per step and slower steps.
 */
async function tryNative(options: SelectBackendOptions): Promise<boolean> {
  const native = registerNativeBackend();
  if (!native.ok) {
    nativeUnavailable = native.reason;
    return false;
  }
  const threads = requestedThreads(options.threads);
  configureWasmThreads(nativeWasmThreads());
  setNativeThreads(native.addon, { blas: threads, loops: threads });
  try {
    return await tf.setBackend('native');
  } catch (error) {
    nativeUnavailable = `the native backend failed to start: ${(error as Error).message}`;
    return false;
  }
}

/** wasm threads under the native backend: 1 unless LATENTLAB_NATIVE_WASM_THREADS says otherwise. */
function nativeWasmThreads(): number {
  const fromEnv = Number(process.env.LATENTLAB_NATIVE_WASM_THREADS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 1;
}

export function requestedBackend(options: SelectBackendOptions = {}): BackendName {
  const fromEnv = process.env.LATENTLAB_BACKEND;
  const raw = options.backend ?? (fromEnv && fromEnv.length > 0 ? fromEnv : 'auto');
  const parsed = BackendName.safeParse(raw);
  if (!parsed.success) {
    throw new BackendError(`unknown backend "${raw}": expected one of ${BackendName.options.join(', ')}`, {
      path: options.backend ? '--backend' : 'LATENTLAB_BACKEND',
    });
  }
  return parsed.data;
}

/** Choose and initialise the backend; later calls with the same request return the same answer. */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendInfo> {
  const requested = requestedBackend(options);
  const kernelFixes = options.kernelFixes ?? true;
  if (kernelFixes) registerWasmKernelFixes();

  let name: string | undefined;
  let reason = 'requested';
  let adapter: string | undefined;
  if (requested === 'webgpu') {
    adapter = await startWebgpu();
    name = 'webgpu';
  } else if (requested === 'tensorflow') {
    if (!(await tryTfjsNode())) {
      throw new BackendError('backend "tensorflow" needs @tensorflow/tfjs-node, which could not be loaded');
    }
    name = 'tensorflow';
  } else if (requested === 'native') {
    if (!(await tryNative(options))) {
      throw new BackendError(`backend "native" is unavailable: ${nativeUnavailable}`);
    }
    name = 'native';
  } else if (requested === 'wasm' || requested === 'cpu') {
    if (!(await tryBackend(requested, options)))
      throw new BackendError(`backend "${requested}" failed to initialise`);
    name = requested;
  } else {
    reason = 'auto';
    if (await tryTfjsNode()) name = 'tensorflow';
    // The native backend is built on the kernel fixes: without them, auto means plain wasm.
    else if (kernelFixes && (await tryNative(options))) name = 'native';
    else if (await tryBackend('wasm', options)) name = 'wasm';
    else if (await tryBackend('cpu', options)) name = 'cpu';
    else
      throw new BackendError(
        'no TensorFlow.js backend could be initialised (tried tensorflow, native, wasm, cpu)',
      );
  }
  await tf.ready();
  // Production mode: no debug checks, and no console banner suggesting tfjs-node on every cpu start.
  tf.enableProdMode();
  const onWasm = name === 'wasm' || name === 'native';
  const simd = onWasm ? await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') : undefined;
  const blas = name === 'native' ? nativeBlasInfo() : undefined;
  const info: BackendInfo = {
    name,
    reason,
    kernelFixes: kernelFixes && onWasm,
    ...(onWasm
      ? {
          simd: simd === true,
          threads: wasmThreadCount() ?? 1,
        }
      : {}),
    ...(blas ? { blas: blas.name, blasThreads: blas.threads } : {}),
    ...(adapter ? { adapter } : {}),
  };
  current = info;
  if (!announced && options.log) {
    announced = true;
    const notice = takeWasmThreadsNotice();
    if (notice) options.log(notice);
    options.log(describeBackend(info));
  }
  return info;
}

export function describeBackend(info: BackendInfo): string {
  const extras: string[] = [];
  const threads = (n: number) => (n > 1 ? `${n} threads` : 'single thread');
  if (info.name === 'native') {
    extras.push(`${info.blas}, ${threads(info.blasThreads ?? 1)}`);
    const simd = info.simd ? 'SIMD' : 'no SIMD';
    extras.push(`other kernels: wasm ${simd}, ${threads(info.threads ?? 1)}, latentlab kernel fixes`);
  } else if (info.adapter) {
    extras.push(info.adapter);
  } else {
    if (info.simd !== undefined) extras.push(info.simd ? 'SIMD' : 'no SIMD');
    if (info.threads !== undefined) extras.push(threads(info.threads));
    if (info.name === 'wasm') extras.push(info.kernelFixes ? 'latentlab kernel fixes' : 'stock kernels');
  }
  return `backend: ${info.name}${extras.length ? ` (${extras.join(', ')})` : ''} [${info.reason}]`;
}

export function currentBackend(): BackendInfo | undefined {
  return current;
}

let starting: Promise<BackendInfo> | undefined;

/**
 * The backend in use, chosen now as `selectBackend()` would (LATENTLAB_BACKEND, else auto) when nothing chose
 * one yet: the library's entry points (trainRun, loadModel, the server, the array API) call it, so using
 * latentlab as a library needs no setup call. Concurrent first calls share one start.
 */
export async function ensureBackend(): Promise<BackendInfo> {
  if (current) return current;
  starting ??= selectBackend().finally(() => {
    starting = undefined;
  });
  return starting;
}
