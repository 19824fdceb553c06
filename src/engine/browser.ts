// The engine of the studio's page (training in the browser): the same `tf` as the rest of latentlab, on the
// browser's backends: webgpu where the browser gives an adapter, else webgl, else cpu. Node never imports this
// module (backend.ts is the engine there: native addon, wasm, Dawn); only it changes the page's backend.
import '@tensorflow/tfjs-backend-cpu';
import { z } from 'zod';
import { BackendError } from '../errors.js';
import { tf } from './tf.js';

export const PageBackendName = z.enum(['auto', 'webgpu', 'webgl', 'cpu']);
export type PageBackendName = z.infer<typeof PageBackendName>;
export type PageBackend = Exclude<PageBackendName, 'auto'>;

/** The backends in the order auto tries them: the GPU ones first, cpu always works. */
export const PAGE_BACKENDS: readonly PageBackend[] = ['webgpu', 'webgl', 'cpu'];

/** navigator.gpu as far as it is used here (TypeScript's DOM library lacks the adapter's info). */
interface GpuNavigator {
  gpu?: { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string } } | null> };
}

/** What the browser offers: per backend, whether it can run, and why not. */
export type PageBackendSupport = Record<
  PageBackend,
  { available: boolean; reason?: string; adapter?: string }
>;

async function webgpuSupport(): Promise<PageBackendSupport['webgpu']> {
  const gpu = (globalThis.navigator as GpuNavigator | undefined)?.gpu;
  if (!gpu)
    return {
      available: false,
      reason:
        'this browser has no WebGPU (navigator.gpu is missing: an old browser, or a page not served over https or from localhost)',
    };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { available: false, reason: 'WebGPU gave no adapter (no usable GPU)' };
    const info = adapter.info;
    const name = [info?.vendor, info?.architecture].filter(Boolean).join(' ');
    return { available: true, ...(name ? { adapter: name } : {}) };
  } catch (error) {
    return { available: false, reason: `WebGPU refused an adapter: ${(error as Error).message}` };
  }
}

function webglSupport(): PageBackendSupport['webgl'] {
  if (typeof document === 'undefined') return { available: false, reason: 'not in a page' };
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return { available: false, reason: 'this browser gives no WebGL 2 context' };
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return { available: true };
}

/** Which backends this page can use; asks the GPU once per call. */
export async function pageBackendSupport(): Promise<PageBackendSupport> {
  return { webgpu: await webgpuSupport(), webgl: webglSupport(), cpu: { available: true } };
}

/** The backend auto picks from what the page supports. */
export function autoPageBackend(support: PageBackendSupport): PageBackend {
  return PAGE_BACKENDS.find((name) => support[name].available) ?? 'cpu';
}

/** The GPU backends are loaded only when chosen (each is a large module). */
async function registerPageBackend(name: PageBackend): Promise<void> {
  if (tf.findBackend(name)) return;
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  else if (name === 'webgl') await import('@tensorflow/tfjs-backend-webgl');
}

export interface PageBackendInfo {
  name: PageBackend;
  /** requested, or auto (the first the page supports). */
  reason: 'requested' | 'auto';
  adapter?: string;
}

/**
 * Make `requested` the page's backend (auto: webgpu, else webgl, else cpu). A named backend the page cannot run
 * is refused with the browser's reason rather than swapped for another behind the user's back.
 */
export async function selectPageBackend(
  requested: PageBackendName = 'auto',
  support?: PageBackendSupport,
): Promise<PageBackendInfo> {
  const known = support ?? (await pageBackendSupport());
  const name = requested === 'auto' ? autoPageBackend(known) : requested;
  if (!known[name].available)
    throw new BackendError(`backend "${name}" is unavailable in this page: ${known[name].reason}`, {
      path: 'backend',
    });
  await registerPageBackend(name);
  if (!(await tf.setBackend(name)))
    throw new BackendError(`backend "${name}" failed to start`, { path: 'backend' });
  await tf.ready();
  tf.enableProdMode();
  return {
    name,
    reason: requested === 'auto' ? 'auto' : 'requested',
    ...(known[name].adapter ? { adapter: known[name].adapter } : {}),
  };
}
