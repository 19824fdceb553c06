// The benchmark workloads (W1 dense AE, W2 conv AE, W3 DCGAN, W4 VAE), shared by the runner and the
// worker; no TensorFlow.js here. Steps are timed steps after warm-up; slow engines run fewer (see run.ts).
export const WORKLOADS = {
  W1: {
    title: 'dense AE 784-256-64-256-784, batch 256',
    model: { kind: 'dense-ae', hidden: [256], latent: 64, activation: 'relu', loss: 'mse' },
    batchSize: 256,
    steps: 40,
    slowSteps: 4,
  },
  W2: {
    title: 'conv AE 32-64 stride-2, latent 32, batch 128',
    model: { kind: 'conv-ae', filters: [32, 64], latent: 32, activation: 'relu', loss: 'mse' },
    batchSize: 128,
    steps: 30,
    slowSteps: 2,
  },
  W3: {
    title: 'DCGAN step (D + G update), 28x28x1, batch 64',
    batchSize: 64,
    steps: 20,
    slowSteps: 1,
  },
  W4: {
    title: 'dense VAE 784-512-256-32, Bernoulli + KL, batch 128',
    batchSize: 128,
    steps: 40,
    slowSteps: 4,
  },
} as const;
export type WorkloadName = keyof typeof WORKLOADS;
export const WORKLOAD_NAMES = Object.keys(WORKLOADS) as WorkloadName[];
