// The one place latentlab imports TensorFlow.js from, so every layer shares one engine instance.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export { tf, tfl };
export type { Tensor, Scalar, Rank, Variable, NamedTensorMap } from '@tensorflow/tfjs-core';
