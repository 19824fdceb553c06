// latentlab's kernel fixes for the stock TensorFlow.js wasm backend: register, list, and restore.
// Registration only touches the kernel registry, so it works before or after the backend starts.
import '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tf.js';
import { createBatchMatMulConfig, createFusedMatMulConfig, type WasmKernelFunc } from './batch-mat-mul.js';
import { createConv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { createConv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import { createOneHotConfig } from './one-hot.js';
import { createTileConfig } from './tile.js';

/** Each kernel latentlab overrides or adds on 'wasm', and why. */
export const WASM_KERNEL_FIXES: Readonly<Record<string, string>> = {
  BatchMatMul:
    'stock uses XNNPack only for un-transposed rank-2 products; transposed ones (every dense backward ' +
    'pass) and batched ones ran a naive loop ~15x slower. Now: explicit transposes, then XNNPack; also ' +
    'fixes broadcasting of batch dims like [2, 1] against [3].',
  _FusedMatMul: 'same slow path, which also gave wrong results with a bias or relu; rerouted the same way.',
  Conv2DBackpropFilter:
    'missing from stock wasm, so conv and conv-transpose layers could not train. Now one XNNPack conv with ' +
    'batch and channels swapped (im2col + matmul for depth < 4): ~3x faster than im2col on DCGAN shapes.',
  Conv2DBackpropInput:
    'stock is a naive loop at 2-4 GFLOP/s, the slowest kernel of conv models (conv-transpose forward pass, ' +
    'conv input gradient). Now dx is split by position modulo the stride into stride-1 XNNPack convs of dy ' +
    'with sub-filters (matmul + col2im for dx depths below 4): ~8x faster.',
  OneHot: 'stock writes int32 bit patterns for every dtype, so float32 one-hots held 1.4e-45 instead of 1.',
  Tile:
    "stock computes each element's source index separately (~80 ns an element: 68 ms per batch-norm " +
    'gradient on a DCGAN layer); now block copies: 0.2 ms.',
};

const BACKEND = 'wasm';

/** Stock configs replaced by the fixes (undefined: the stock backend had none). */
let stockConfigs: Map<string, tf.KernelConfig | undefined> | undefined;

function stockKernel(name: string): tf.KernelConfig {
  const config = tf.getKernel(name, BACKEND);
  if (config == null) throw new Error(`the wasm backend has no ${name} kernel to build on`);
  return config;
}

/** Installs the fixes for backend 'wasm'; calling it again is a no-op. */
export function registerWasmKernelFixes(): void {
  if (stockConfigs) return;
  const batchMatMul = stockKernel(tf.BatchMatMul);
  const fusedMatMul = stockKernel(tf._FusedMatMul);
  const fixes = [
    createBatchMatMulConfig(batchMatMul),
    createFusedMatMulConfig(fusedMatMul),
    // The stock matmul suffices here: the patches are laid out so no transpose is needed.
    createConv2DBackpropFilterConfig({
      matMul: batchMatMul.kernelFunc as unknown as WasmKernelFunc,
      conv2d: stockKernel(tf.Conv2D).kernelFunc as unknown as WasmKernelFunc,
      transpose: stockKernel(tf.Transpose).kernelFunc as unknown as WasmKernelFunc,
      pad: stockKernel(tf.PadV2).kernelFunc as unknown as WasmKernelFunc,
      slice: stockKernel(tf.Slice).kernelFunc as unknown as WasmKernelFunc,
    }),
    createConv2DBackpropInputConfig(tf.getKernel(tf.Conv2DBackpropInput, BACKEND), {
      matMul: batchMatMul.kernelFunc as unknown as WasmKernelFunc,
      conv2d: stockKernel(tf.Conv2D).kernelFunc as unknown as WasmKernelFunc,
    }),
    createOneHotConfig(),
    createTileConfig(),
  ];
  const saved = new Map<string, tf.KernelConfig | undefined>();
  for (const fix of fixes) {
    const stock = tf.getKernel(fix.kernelName, BACKEND);
    saved.set(fix.kernelName, stock);
    if (stock) tf.unregisterKernel(fix.kernelName, BACKEND);
    tf.registerKernel(fix);
  }
  stockConfigs = saved;
}

/** Puts the stock kernels back (benchmarks use it to measure "without the fixes"). */
export function unregisterWasmKernelFixes(): void {
  if (!stockConfigs) return;
  for (const [name, stock] of stockConfigs) {
    if (tf.getKernel(name, BACKEND)) tf.unregisterKernel(name, BACKEND);
    if (stock) tf.registerKernel(stock);
  }
  stockConfigs = undefined;
}

/** Names of the kernels the fixes override or add (whether or not they are registered right now). */
export function listWasmKernelFixes(): string[] {
  return Object.keys(WASM_KERNEL_FIXES);
}
