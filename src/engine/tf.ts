// The one place latentlab imports TensorFlow.js from, so every layer shares one engine instance.
//
// TensorFlow.js draws normal, truncated-normal, gamma and multinomial samples from an unseeded generator when
// the seed is 0 (`seed ? seed : Math.random()`), so `--seed 0`, the first step of a seed-0 run and any seed
// arithmetic that lands on 0 would draw differently on every run. latentlab's `tf` is tfjs-core with those four
// ops seeded deterministically for seed 0 too; every other export is tfjs-core's own.
import * as core from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** What seed 0 draws with: any fixed non-zero seed no other seed maps to by chance (2^32 + 1 is not a uint32). */
const SEED_ZERO = 4_294_967_297;
const fixed = (seed: number | undefined) => (seed === 0 ? SEED_ZERO : seed);

const tf: typeof core = {
  ...core,
  randomNormal: (shape, mean, stdDev, dtype, seed) =>
    core.randomNormal(shape, mean, stdDev, dtype, fixed(seed)),
  truncatedNormal: (shape, mean, stdDev, dtype, seed) =>
    core.truncatedNormal(shape, mean, stdDev, dtype, fixed(seed)),
  randomGamma: (shape, alpha, beta, dtype, seed) => core.randomGamma(shape, alpha, beta, dtype, fixed(seed)),
  multinomial: (logits, numSamples, seed, normalized) =>
    core.multinomial(logits, numSamples, fixed(seed), normalized),
};

// The types latentlab names through `tf.` (a value and a type-only namespace of the same name).
declare namespace tf {
  export type Tensor<R extends core.Rank = core.Rank> = core.Tensor<R>;
  export type Variable<R extends core.Rank = core.Rank> = core.Variable<R>;
  export type Scalar = core.Scalar;
  export type Tensor1D = core.Tensor1D;
  export type Tensor2D = core.Tensor2D;
  export type Tensor3D = core.Tensor3D;
  export type Tensor4D = core.Tensor4D;
  export type Rank = core.Rank;
  export type DataType = core.DataType;
  export type DataId = core.DataId;
  export type Optimizer = core.Optimizer;
  export type AdamOptimizer = core.AdamOptimizer;
  export type NamedTensorMap = core.NamedTensorMap;
  export type NamedAttrMap = core.NamedAttrMap;
  export type NamedTensorInfoMap = core.NamedTensorInfoMap;
  export type TensorInfo = core.TensorInfo;
  export type KernelConfig = core.KernelConfig;
  export type KernelFunc = core.KernelFunc;
  export type GradConfig = core.GradConfig;
  export type GradFunc = core.GradFunc;
  export type GradSaveFunc = core.GradSaveFunc;
  export type CastAttrs = core.CastAttrs;
  export type Conv2DBackpropFilterAttrs = core.Conv2DBackpropFilterAttrs;
  export type Conv2DBackpropInputAttrs = core.Conv2DBackpropInputAttrs;
  export type FusedBatchNormAttrs = core.FusedBatchNormAttrs;
  export type GatherV2Attrs = core.GatherV2Attrs;
  export type MeanAttrs = core.MeanAttrs;
  export type SplitVAttrs = core.SplitVAttrs;
  export type SumAttrs = core.SumAttrs;
  export type TileAttrs = core.TileAttrs;
  export type TransposeAttrs = core.TransposeAttrs;
  export type UnpackAttrs = core.UnpackAttrs;
  export namespace io {
    export type ModelArtifacts = core.io.ModelArtifacts;
    export type WeightsManifestEntry = core.io.WeightsManifestEntry;
  }
  export namespace serialization {
    export type ConfigDict = core.serialization.ConfigDict;
  }
}

export type { NamedTensorMap, Rank, Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
export { tf, tfl };
