// Time to quality (issue 23): the models, schedules and test-MSE targets the two sides train to, shared by the
// runner, the latentlab worker and the report. No TensorFlow.js here.
export const QUALITY_TARGETS = {
  'dense-ae': {
    title: 'dense AE 784-512-256-32, batch 128, Adam 1e-3',
    model: { kind: 'dense-ae', hidden: [512, 256], latent: 32, activation: 'relu', loss: 'mse' },
    targetMse: 0.0085,
    maxEpochs: 30,
  },
  'conv-ae': {
    title: 'conv AE 32-64 stride-2, latent 32 (W2), batch 128, Adam 1e-3',
    model: { kind: 'conv-ae', filters: [32, 64], latent: 32, activation: 'relu', loss: 'mse' },
    targetMse: 0.008,
    maxEpochs: 30,
  },
} as const;
export type QualityModel = keyof typeof QUALITY_TARGETS;
export const QUALITY_MODEL_NAMES = Object.keys(QUALITY_TARGETS) as QualityModel[];
export const QUALITY_BATCH = 128;
export const QUALITY_LEARNING_RATE = 1e-3;
