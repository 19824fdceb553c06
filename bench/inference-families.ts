// The families the inference bench runs (issue 23): the training workloads' architectures (bench/workloads.ts),
// encoded and decoded instead of trained. No TensorFlow.js here: the runner and the report read it too.
import { WORKLOADS } from './workloads.js';

export const INFERENCE_FAMILIES = {
  'dense-ae': { workload: 'W1', what: 'encode + decode', model: WORKLOADS.W1.model },
  'conv-ae': { workload: 'W2', what: 'encode + decode', model: WORKLOADS.W2.model },
  vae: { workload: 'W4', what: 'encode (mean) + decode (probabilities)', model: WORKLOADS.W4.model },
  'dcgan-generator': {
    workload: 'W3',
    what: 'sample: prior z → generator (eval mode)',
    model: WORKLOADS.W3.model,
  },
} as const;
export type InferenceFamily = keyof typeof INFERENCE_FAMILIES;
export const INFERENCE_FAMILY_NAMES = Object.keys(INFERENCE_FAMILIES) as InferenceFamily[];
