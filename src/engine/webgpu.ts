// The webgpu backend in Node: TensorFlow.js's WebGPU backend on Dawn, through the `webgpu` package (Dawn built
// for Node, prebuilt in the package). Both are optional dependencies. Where Dawn finds no adapter (no GPU, or on
// Linux no Vulkan driver it can use: Debian's lavapipe lacks a feature Dawn requires) the backend is refused
// with that said, before TensorFlow.js is asked for it.
import { BackendError } from '../errors.js';
import { tf } from './tf.js';

interface DawnModule {
  create(options: string[]): GpuLike;
  globals: Record<string, unknown>;
}
interface GpuLike {
  requestAdapter(): Promise<AdapterLike | null>;
}
interface AdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
}

// Kept for the life of the process: the backend draws its devices from it.
let gpu: GpuLike | undefined;

/** Which of an adapter's facts name it (as WebGPU's GPUAdapterInfo gives them). */
function adapterName(adapter: AdapterLike): string {
  const info = adapter.info ?? {};
  return (
    [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') ||
    'a WebGPU adapter'
  );
}

/**
 * Start TensorFlow.js's webgpu backend on Dawn; returns the adapter's name. `load` stands for importing a
 * package (tests give their own).
 */
export async function startWebgpu(
  load: (name: string) => Promise<unknown> = (name) => import(name),
): Promise<string> {
  let dawn: DawnModule;
  try {
    dawn = (await load('webgpu')) as DawnModule;
  } catch (error) {
    throw new BackendError(
      `backend "webgpu" needs the webgpu package (Dawn for Node), which could not be loaded: ${(error as Error).message}`,
    );
  }
  gpu ??= dawn.create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter)
    throw new BackendError(
      'backend "webgpu": Dawn found no WebGPU adapter on this machine (no GPU it can use; on Linux it needs a Vulkan driver, and Mesa\'s lavapipe lacks a feature it requires): use --backend native, wasm or cpu',
    );
  // TensorFlow.js's backend asks navigator.gpu, and reads WebGPU's constants (GPUBufferUsage ...) as globals.
  Object.assign(globalThis, dawn.globals);
  const holder = globalThis as { navigator?: object };
  if (!holder.navigator) holder.navigator = {};
  Object.defineProperty(holder.navigator, 'gpu', { value: gpu, configurable: true });
  try {
    await load('@tensorflow/tfjs-backend-webgpu');
  } catch (error) {
    throw new BackendError(
      `backend "webgpu" needs @tensorflow/tfjs-backend-webgpu, which could not be loaded: ${(error as Error).message}`,
    );
  }
  if (!(await tf.setBackend('webgpu')))
    throw new BackendError(`backend "webgpu" failed to start on ${adapterName(adapter)}`);
  return adapterName(adapter);
}
