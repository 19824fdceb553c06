// latentlab's kernel fixes for the stock TensorFlow.js wasm backend: register, list, and restore.
// Registration touches only the kernel and gradient registries (and reroutes tf.fused's two ops), so it
// works before or after the backend starts.
import '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tf.js';
import { createBatchMatMulConfig, createFusedMatMulConfig, type WasmKernelFunc } from './batch-mat-mul.js';
import { createFusedBatchNormConfig } from './batch-norm.js';
import { createConv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { createConv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import { fusedConv2DGradConfig, fusedMatMulGradConfig, routeFusedOps } from './fused-gradients.js';
import { createCastConfig, createIdentityConfig, createTransposeConfig } from './identity.js';
import {
  createLeakyReluConfig,
  createLeakyReluGradCpuConfig,
  createLeakyReluGradWasmConfig,
  LEAKY_RELU_GRAD,
  leakyReluGradConfig,
  leakyReluGradGradConfig,
} from './leaky-relu.js';
import { createOneHotConfig } from './one-hot.js';
import {
  createMeanConfig,
  createSumConfig,
  meanGradConfig,
  sumGradConfig,
  tileGradConfig,
} from './reduce.js';
import { createGatherConfig, createSplitVConfig, createUnpackConfig } from './row-copies.js';
import {
  createRowLossCpuConfigs,
  createRowLossWasmConfigs,
  ROW_LOSS,
  ROW_LOSS_GRAD,
  rowLossGradConfig,
} from './row-loss.js';
import {
  createSoftmaxCrossEntropyCpuConfigs,
  createSoftmaxCrossEntropyWasmConfigs,
  SOFTMAX_CROSS_ENTROPY,
  SOFTMAX_CROSS_ENTROPY_GRAD,
  softmaxCrossEntropyGradConfig,
} from './softmax-cross-entropy.js';
import { createTileConfig } from './tile.js';
import { createUnsortedSegmentSumConfig } from './unsorted-segment-sum.js';

/** Each kernel latentlab overrides or adds on 'wasm', and why. */
export const WASM_KERNEL_FIXES: Readonly<Record<string, string>> = {
  BatchMatMul:
    'stock uses XNNPack only for un-transposed rank-2 products; transposed ones (every dense backward ' +
    'pass) and batched ones ran a naive loop ~15x slower. Now: explicit transposes, then XNNPack; also ' +
    'fixes broadcasting of batch dims like [2, 1] against [3]. Products with a dimension of 1 (one-unit ' +
    "dense heads' gradients) skip XNNPack, which packed the big operand per call: one SIMD pass, 0.1 ms.",
  _FusedMatMul: 'same slow path, which also gave wrong results with a bias or relu; rerouted the same way.',
  Conv2DBackpropFilter:
    'missing from stock wasm, so conv and conv-transpose layers could not train. Now one XNNPack conv with ' +
    'batch and channels swapped (im2col + matmul for depth < 4): ~3x faster than im2col on DCGAN shapes.',
  Conv2DBackpropInput:
    'stock is a naive loop at 2-4 GFLOP/s, the slowest kernel of conv models (conv-transpose forward pass, ' +
    'conv input gradient). Now dx is split by position modulo the stride into stride-1 XNNPack convs of dy ' +
    'with sub-filters, interleaved by SIMD block copies (matmul + col2im for dx depths below 4): ~8x faster.',
  OneHot: 'stock writes int32 bit patterns for every dtype, so float32 one-hots held 1.4e-45 instead of 1.',
  UnsortedSegmentSum:
    "missing from stock wasm; a gather's gradient (an embedding layer's) needs it, so text models could not " +
    'train. Added, in JS on the wasm heap.',
  GatherV2:
    'stock copies element by element, ~27 ms of CPU for an embedding lookup ([10000, 256] by 2,560 ids); ' +
    'along axis 0 it is now one copy per row.',
  Unpack:
    'stock slices element by element (a GRU unstacking its [64, 40, 512] input by step: ~14 ms); now one copy ' +
    'per row of each output.',
  SplitV:
    'the same for a split: a GRU splits its [512, 1536] recurrent kernel into gates at every step, ~2 ms a ' +
    'call; now one copy per row of each output.',
  [SOFTMAX_CROSS_ENTROPY]:
    'added (wasm and cpu, native in C): softmax cross-entropy against integer labels with the argmax, for ' +
    "the text families' next-token loss; composed from stock ops it took ~10 passes over [n, T, vocabulary] " +
    'and a one-hot of that size.',
  [SOFTMAX_CROSS_ENTROPY_GRAD]:
    'added with it: softmax minus the one-hot, scaled by the incoming gradient, in one pass; rows with no ' +
    'gradient (masked <pad> targets) are zero-filled without exponentials.',
  [ROW_LOSS]:
    'added (wasm and cpu, native in C): squared error or the Bernoulli negative log-likelihood from logits, ' +
    'summed per sample, in one pass; composed from stock ops a mean squared error took 4 kernels and the ' +
    'Bernoulli term 7, two of them transcendental passes (2.4 ms of a dense VAE step on one thread).',
  [ROW_LOSS_GRAD]: 'added with it: the gradient in one pass, where stock ops took 5 and 9 kernels.',
  Tile:
    "stock computes each element's source index separately (~80 ns an element: 68 ms per batch-norm " +
    'gradient on a DCGAN layer); now block copies: 0.2 ms, and one fill for a single repeated value.',
  LeakyRelu: 'stock is a branchy scalar loop, 4 ms on [64, 14, 14, 64]; now one SIMD pass: 0.15 ms.',
  [LEAKY_RELU_GRAD]:
    "added (wasm and cpu; LeakyRelu's gradient uses it): stock computed select(greater(x, 0), dy, alpha * dy), " +
    'three kernels and 5 ms on [64, 14, 14, 64]; now one SIMD pass: 0.2 ms.',
  Sum:
    'stock transposes leading or middle reduced axes innermost first (1.5 ms for a bias gradient on ' +
    '[64, 14, 14, 64]); now rows are added in place with SIMD: 0.15 ms.',
  Mean: 'same transpose as Sum (batch-norm moments); same fix.',
  FusedBatchNorm:
    'stock indexes every parameter per element, 3 ms on [64, 14, 14, 64]; now one SIMD pass: 0.4 ms.',
  Identity: 'stock copies; now the output shares the input buffer, refcounted as Reshape does.',
  Transpose:
    "by the identity permutation (tfjs-layers' Dense on a rank-3 input does it to its kernel, 20 MB for a " +
    '512 x 10,000 output layer, forward and back) it copied; now it shares the buffer like Identity.',
  Cast:
    'a cast to the same dtype copied, now it shares the buffer like Identity; a cast to bool copied the ' +
    'values into bytes (2 stayed 2, -1 became 255), now it is x != 0.',
};

/** Kernels added on other backends, so that gradients overridden for every backend run everywhere. */
const OTHER_BACKEND_KERNELS = [
  createLeakyReluGradCpuConfig(),
  ...createSoftmaxCrossEntropyCpuConfigs(),
  ...createRowLossCpuConfigs(),
];
/**
 * Gradients added to or replaced in tfjs-core's registry, for every backend (each falls back to stock ops).
 * The fused ones come with tf.fused.conv2d and tf.fused.matMul routed through the registry (see
 * fused-gradients.ts): stock computed every input's gradient of a fused op, needed or not. Stock Sum and
 * Mean gradients multiplied dy by a ones tensor built in JS; Tile's added one slice per tile (reduce.ts).
 * Registered when the fixes are, after tfjs-layers has loaded: its bundle registers its own copies of the
 * stock gradients on import.
 */
const GRADIENTS = [
  leakyReluGradConfig,
  softmaxCrossEntropyGradConfig,
  rowLossGradConfig,
  leakyReluGradGradConfig,
  fusedConv2DGradConfig,
  fusedMatMulGradConfig,
  sumGradConfig,
  meanGradConfig,
  tileGradConfig,
];

const BACKEND = 'wasm';

/** Stock configs replaced by the fixes (undefined: the stock backend had none). */
let stockConfigs: Map<string, tf.KernelConfig | undefined> | undefined;
/** Stock gradients replaced (undefined: none was registered). */
let stockGradients: Map<string, tf.GradConfig | undefined> | undefined;
/** Puts the stock tf.fused ops back (undefined: they could not be rerouted). */
let restoreFusedOps: (() => void) | undefined;

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
    createUnsortedSegmentSumConfig(),
    createTileConfig(),
    createGatherConfig(stockKernel(tf.GatherV2)),
    createUnpackConfig(stockKernel(tf.Unpack)),
    createSplitVConfig(stockKernel(tf.SplitV)),
    ...createSoftmaxCrossEntropyWasmConfigs(),
    ...createRowLossWasmConfigs(),
    createLeakyReluConfig(stockKernel(tf.LeakyRelu)),
    createLeakyReluGradWasmConfig(),
    createSumConfig(stockKernel(tf.Sum)),
    createMeanConfig(stockKernel(tf.Mean)),
    createFusedBatchNormConfig(stockKernel(tf.FusedBatchNorm)),
    createIdentityConfig(stockKernel(tf.Identity)),
    createCastConfig(stockKernel(tf.Cast)),
    createTransposeConfig(stockKernel(tf.Transpose)),
  ];
  const saved = new Map<string, tf.KernelConfig | undefined>();
  for (const fix of fixes) {
    const stock = tf.getKernel(fix.kernelName, BACKEND);
    saved.set(fix.kernelName, stock);
    if (stock) tf.unregisterKernel(fix.kernelName, BACKEND);
    tf.registerKernel(fix);
  }
  for (const kernel of OTHER_BACKEND_KERNELS) {
    if (!tf.getKernel(kernel.kernelName, kernel.backendName)) tf.registerKernel(kernel);
  }
  const savedGradients = new Map<string, tf.GradConfig | undefined>();
  for (const gradient of GRADIENTS) {
    savedGradients.set(gradient.kernelName, tf.getGradient(gradient.kernelName));
    tf.registerGradient(gradient);
  }
  restoreFusedOps = routeFusedOps();
  stockConfigs = saved;
  stockGradients = savedGradients;
}

/** Puts the stock kernels back (benchmarks use it to measure "without the fixes"). */
export function unregisterWasmKernelFixes(): void {
  if (!stockConfigs) return;
  for (const [name, stock] of stockConfigs) {
    if (tf.getKernel(name, BACKEND)) tf.unregisterKernel(name, BACKEND);
    if (stock) tf.registerKernel(stock);
  }
  // Only the fixes' own kernels; the gradients that call them are restored below.
  for (const kernel of OTHER_BACKEND_KERNELS) {
    if (tf.getKernel(kernel.kernelName, kernel.backendName))
      tf.unregisterKernel(kernel.kernelName, kernel.backendName);
  }
  for (const [name, stock] of stockGradients ?? []) {
    if (stock) tf.registerGradient(stock);
    else tf.unregisterGradient(name);
  }
  restoreFusedOps?.();
  restoreFusedOps = undefined;
  stockConfigs = undefined;
  stockGradients = undefined;
}

/** Names of the kernels the fixes override or add (whether or not they are registered right now). */
export function listWasmKernelFixes(): string[] {
  return Object.keys(WASM_KERNEL_FIXES);
}
