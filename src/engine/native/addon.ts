// Loads latentlab's optional native addon (native/, built by node-gyp at install when a C compiler and
// OpenBLAS are present). Never throws: a missing or broken build is reported as a reason instead.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's functions. Offsets are byte offsets into `heap`, a typed array over the wasm memory. */
export interface NativeAddon {
  gemm(
    heap: Uint8Array,
    transA: number,
    transB: number,
    m: number,
    n: number,
    k: number,
    aOffset: number,
    bOffset: number,
    cOffset: number,
    batch: number,
    strideA: number,
    strideB: number,
    strideC: number,
    alpha: number,
    beta: number,
  ): void;
  biasActivation(
    heap: Uint8Array,
    yOffset: number,
    rows: number,
    cols: number,
    biasOffset: number,
    activation: number,
    alpha: number,
  ): void;
  conv2d(heap: Uint8Array, xOffset: number, wOffset: number, yOffset: number, geometry: Int32Array): void;
  conv2dBackpropInput(
    heap: Uint8Array,
    dyOffset: number,
    wOffset: number,
    dxOffset: number,
    geometry: Int32Array,
  ): void;
  conv2dBackpropFilter(
    heap: Uint8Array,
    xOffset: number,
    dyOffset: number,
    dwOffset: number,
    geometry: Int32Array,
  ): void;
  binary(
    heap: Uint8Array,
    op: number,
    aOffset: number,
    aPeriod: number,
    bOffset: number,
    bPeriod: number,
    outOffset: number,
    size: number,
  ): void;
  activationBackward(
    heap: Uint8Array,
    dyOffset: number,
    yOffset: number,
    rows: number,
    cols: number,
    activation: number,
    dzOffset: number,
    dbiasOffset: number,
  ): void;
  /** Absent from addons built before it (the kernel then stays the wasm backend's). */
  softmaxCrossEntropy?(
    heap: Uint8Array,
    logitsOffset: number,
    labelsOffset: number,
    rows: number,
    cols: number,
    nllOffset: number,
    lseOffset: number,
    argMaxOffset: number,
  ): void;
  softmaxCrossEntropyBackward?(
    heap: Uint8Array,
    logitsOffset: number,
    lseOffset: number,
    labelsOffset: number,
    dnllOffset: number,
    dlseOffset: number,
    rows: number,
    cols: number,
    dlogitsOffset: number,
  ): void;
  /** Absent from addons built before it (the kernels then stay the wasm backend's). */
  rowLoss?(
    heap: Uint8Array,
    kind: number,
    targetOffset: number,
    predictionOffset: number,
    rows: number,
    cols: number,
    outOffset: number,
  ): void;
  rowLossBackward?(
    heap: Uint8Array,
    kind: number,
    targetOffset: number,
    predictionOffset: number,
    dyOffset: number,
    rows: number,
    cols: number,
    dpredictionOffset: number,
  ): void;
  adam(
    heap: Uint8Array,
    valueOffset: number,
    mOffset: number,
    vOffset: number,
    gOffset: number,
    size: number,
    params: Float32Array,
    outValueOffset: number,
    outMOffset: number,
    outVOffset: number,
  ): void;
  setThreads(blasThreads: number, loopThreads: number): void;
  info(): { blas: string; core: string; blasThreads: number; loopThreads: number };
}

/** One line for users whose install skipped the addon. */
export const ENABLE_NATIVE_HINT =
  'to enable it: apt-get install g++ make python3 libopenblas-dev, then npm rebuild latentlab (or npm run build:native)';

export type AddonLoad = { addon: NativeAddon; path: string } | { addon?: undefined; reason: string };

let loaded: AddonLoad | undefined;

/** native/build/Release/latentlab_native.node, two levels above src/engine/native or dist/engine/native. */
function addonPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return join(here, '..', '..', '..', 'native', 'build', 'Release', 'latentlab_native.node');
}

/**
 * OpenBLAS 0.3.21 (Debian 12) does not know AMD's AVX-512 CPUs (Zen 4) and runs its Haswell kernels there:
 * half the speed of its SkylakeX ones on the same CPU (256x784x256 sgemm, one thread: 115 against 216
 * GFLOP/s). Ask for those whenever the CPU has the AVX-512 subsets they use, unless the user chose a core.
 */
function preferAvx512Kernels(): void {
  if (process.env.OPENBLAS_CORETYPE || process.platform !== 'linux') return;
  try {
    const flags =
      readFileSync('/proc/cpuinfo', 'utf8')
        .match(/^flags\s*:(.*)$/m)?.[1]
        .split(/\s+/) ?? [];
    if (['avx512f', 'avx512bw', 'avx512dq', 'avx512vl', 'avx512cd'].every((f) => flags.includes(f))) {
      process.env.OPENBLAS_CORETYPE = 'SkylakeX';
    }
  } catch {
    // No /proc: leave OpenBLAS's own choice.
  }
}

/** The addon, loaded once; LATENTLAB_NATIVE=0 pretends it is absent. */
export function loadNativeAddon(): AddonLoad {
  if (loaded) return loaded;
  const path = addonPath();
  if (process.env.LATENTLAB_NATIVE === '0') {
    loaded = { reason: 'LATENTLAB_NATIVE=0' };
  } else if (!existsSync(path)) {
    loaded = { reason: `the native addon was not built (${ENABLE_NATIVE_HINT})` };
  } else {
    // OpenBLAS's idle threads spin for 2^28 cycles after each call by default, taking the cores from the
    // wasm threads that run the other kernels; read when the library loads, so set before that.
    process.env.OPENBLAS_THREAD_TIMEOUT ??= '4';
    preferAvx512Kernels();
    try {
      const addon = createRequire(import.meta.url)(path) as NativeAddon;
      loaded = { addon, path };
    } catch (error) {
      loaded = { reason: `the native addon failed to load: ${(error as Error).message.split('\n')[0]}` };
    }
  }
  return loaded;
}
