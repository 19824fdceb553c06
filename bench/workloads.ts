// The benchmark workloads (issue: W1 dense AE, W2 conv AE), shared by the runner and the worker process.
export const WORKLOADS = {
  W1: {
    title: 'dense AE 784-256-64-256-784, batch 256',
    model: { kind: 'dense-ae', hidden: [256], latent: 64, activation: 'relu', loss: 'mse' },
    batchSize: 256,
  },
  W2: {
    title: 'conv AE 32-64 stride-2, latent 32, batch 128',
    model: { kind: 'conv-ae', filters: [32, 64], latent: 32, activation: 'relu', loss: 'mse' },
    batchSize: 128,
  },
} as const;
export type WorkloadName = keyof typeof WORKLOADS;
