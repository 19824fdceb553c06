// The one place latentlab imports TensorFlow.js from, so every layer shares one engine instance.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export type { NamedTensorMap, Rank, Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
export { tf, tfl };
