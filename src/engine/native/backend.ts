// The 'native' backend: the wasm backend's instance and every one of its kernels (latentlab's fixes
// included), with the hot ones replaced by the addon's (kernels.ts), which work on the same memory.
// Tensors never leave the wasm heap, so switching between kernels costs nothing.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernelFixes } from '../kernels/index.js';
import { tf } from '../tf.js';
import { sharedWasmBackend } from '../threads.js';
import { createAdamKernel, installNativeAdam } from './adam.js';
import { loadNativeAddon, type NativeAddon } from './addon.js';
import { createNativeKernels, type Fallbacks, NATIVE_BACKEND, NATIVE_KERNELS } from './kernels.js';

// Above wasm (2), below tfjs-node (3), for code that picks backends by priority.
const NATIVE_PRIORITY = 2.5;

let registered: { addon: NativeAddon } | undefined;

export interface NativeThreads {
  /** OpenBLAS threads. */
  blas: number;
  /** Threads of the addon's own loops (im2col, col2im, bias and activation). */
  loops: number;
}

/**
 * Registers backend 'native' (once), copying the wasm kernels registered now and overriding the native
 * ones. Returns why it cannot, when the addon is missing or broken.
 */
export function registerNativeBackend(): { ok: true; addon: NativeAddon } | { ok: false; reason: string } {
  if (registered) return { ok: true, addon: registered.addon };
  const load = loadNativeAddon();
  if (!load.addon) return { ok: false, reason: load.reason };
  const { addon } = load;
  // The kernels native leaves to wasm are the fixed ones (the stock wasm backend cannot train conv models).
  registerWasmKernelFixes();
  const wasmKernels = tf.getKernelsForBackend('wasm');
  if (wasmKernels.length === 0) return { ok: false, reason: 'the wasm backend is not registered' };
  const fallback: Fallbacks = {};
  for (const config of wasmKernels) {
    fallback[config.kernelName] = config.kernelFunc as unknown as Fallbacks[string];
  }
  const own = [...createNativeKernels(addon, fallback), createAdamKernel(addon)];
  const ownNames = new Set(own.map((k) => k.kernelName));
  for (const config of wasmKernels) {
    if (ownNames.has(config.kernelName) || tf.getKernel(config.kernelName, NATIVE_BACKEND)) continue;
    tf.registerKernel({ ...config, backendName: NATIVE_BACKEND });
  }
  for (const config of own) {
    if (tf.getKernel(config.kernelName, NATIVE_BACKEND))
      tf.unregisterKernel(config.kernelName, NATIVE_BACKEND);
    // The wasm kernel it falls back to binds its wasm function in its setup: run that on native too.
    const wasm = tf.getKernel(config.kernelName, 'wasm');
    tf.registerKernel({ ...config, setupFunc: wasm?.setupFunc, disposeFunc: wasm?.disposeFunc });
  }
  tf.registerBackend(NATIVE_BACKEND, async (): Promise<BackendWasm> => sharedWasmBackend(), NATIVE_PRIORITY);
  installNativeAdam(addon);
  registered = { addon };
  return { ok: true, addon };
}

export function setNativeThreads(addon: NativeAddon, threads: NativeThreads): void {
  addon.setThreads(threads.blas, threads.loops);
}

/** Kernels the native backend computes in the addon (the rest are the wasm backend's). */
export function listNativeKernels(): string[] {
  return Object.keys(NATIVE_KERNELS);
}

/** The BLAS of the loaded addon ("OpenBLAS 0.3.21 Haswell") and its threads; undefined without one. */
export function nativeBlasInfo(): { name: string; threads: number } | undefined {
  if (!registered) return undefined;
  const info = registered.addon.info();
  const version = info.blas.split(' ').slice(0, 2).join(' ');
  return { name: `${version} ${info.core}`, threads: info.blasThreads };
}
