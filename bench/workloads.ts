// The benchmark workloads (W1 dense AE, W2 conv AE, W3 DCGAN, W4 VAE, W5 sequence VAE, W6 conv VAE on
// spectrograms), shared by the runner
// and the worker; no TensorFlow.js here. `steps` are timed after 3 warm-up steps; stock cpu runs `slowSteps`
// after `slowWarmup` instead, since samples/s stays comparable and its convolutions are very slow.
export const WORKLOADS = {
  W1: {
    title: 'dense AE 784-256-64-256-784, batch 256',
    detail: 'ReLU, linear code, sigmoid output, MSE, Adam 1e-3 (latentlab `dense-ae`)',
    model: { kind: 'dense-ae', hidden: [256], latent: 64, activation: 'relu', loss: 'mse' },
    batchSize: 256,
    steps: 40,
    slowSteps: 4,
    slowWarmup: 1,
  },
  W2: {
    title: 'conv AE 32-64 stride-2, latent 32, batch 128',
    detail:
      '3x3 stride-2 convs 32, 64 (ReLU) → dense 32; dense 7x7x64 → deconv 32 → deconv 1, sigmoid; MSE, Adam 1e-3 (latentlab `conv-ae`)',
    model: { kind: 'conv-ae', filters: [32, 64], latent: 32, activation: 'relu', loss: 'mse' },
    batchSize: 128,
    steps: 30,
    // A minute per stock cpu step: no warm-up (live tensors are then counted from the first step).
    slowSteps: 2,
    slowWarmup: 0,
  },
  W3: {
    title: 'DCGAN step (D + G update), 28x28x1, batch 64',
    detail:
      'G: z(100) → dense 7x7x128 + BN + ReLU → 4x4 stride-2 deconv 64 + BN + ReLU → deconv 1, sigmoid; D: 4x4 stride-2 convs 64, 128 + LeakyReLU(0.2) → dense 1 logit; non-saturating BCE, Adam 2e-4 β1 0.5 on images in [0, 1] (latentlab `gan`, architecture conv)',
    model: { kind: 'gan', architecture: 'conv', adversarialLoss: 'non-saturating' },
    batchSize: 64,
    steps: 20,
    // Stock cpu needs minutes per step here; its single timed step is also its warm-up.
    slowSteps: 1,
    slowWarmup: 0,
  },
  W4: {
    title: 'dense VAE 784-512-256-32, Bernoulli + KL, batch 128',
    detail:
      'encoder 784-512-256 ReLU → mean 32, log-variance 32; decoder 32-256-512-784 logits; BCE summed over pixels + KL, reparameterised, Adam 1e-3 (latentlab `vae`)',
    model: { kind: 'vae', hidden: [512, 256], latent: 32, likelihood: 'bernoulli' },
    batchSize: 128,
    steps: 40,
    slowSteps: 4,
    slowWarmup: 1,
  },
  W5: {
    title: 'seq-vae step (GRU), vocabulary 10,000, length 40, batch 64',
    detail:
      'embedding 256 → GRU 512 (last state before the padding) → mean 32, log-variance 32 → z; decoder: embedding 256 of the shifted ids with word dropout 0.25, z concatenated at every step → GRU 512 → dense 10,000 logits; masked cross-entropy summed per sentence + KL, Adam 1e-3 (latentlab `seq-vae`), on synthetic sentences of 10-39 tokens',
    model: { kind: 'seq-vae', cell: 'gru', embedding: 256, hidden: 512, latent: 32 },
    text: { vocabulary: 10_000, length: 40 },
    batchSize: 64,
    // Seconds per step on every engine.
    steps: 6,
    // Seconds per step: a soak of 1,000 would take most of an hour.
    soakSteps: 100,
    // Minutes per stock cpu step: one timed step, no warm-up.
    slowSteps: 1,
    slowWarmup: 0,
  },
  W6: {
    title: 'conv VAE step on 64x64 spectrograms, latent 32, batch 64',
    detail:
      "3x3 stride-2 'same' convs 32, 64 (ReLU) → mean 32, log-variance 32 (soft-clamped to ±10); decoder: dense 16x16x64 ReLU → 3x3 stride-2 deconv 32 + ReLU → deconv 1 logits; Bernoulli likelihood (BCE summed over the 64x64 entries) + KL, reparameterised, Adam 1e-3 (latentlab `conv-vae` with its defaults: filters [32, 64], kernel 3, likelihood bernoulli), on synthetic spectrograms: uniform noise in [0, 1] of the FSDD log-mel shape [64 mel bands, 64 frames, 1] (8 kHz, 8,192 samples, nFft 256, hop 128)",
    model: { kind: 'conv-vae', filters: [32, 64], kernelSize: 3, latent: 32, likelihood: 'bernoulli' },
    spectrogram: { mels: 64, frames: 64 },
    batchSize: 64,
    steps: 30,
    // About 2.5 times W2's convolution work per step: minutes per stock cpu step, so no warm-up.
    slowSteps: 2,
    slowWarmup: 0,
  },
} as const;
export type WorkloadName = keyof typeof WORKLOADS;
export const WORKLOAD_NAMES = Object.keys(WORKLOADS) as WorkloadName[];

/** Sentences the text workloads train on, the same for every engine (the Python peers read them from a file). */
export const TEXT_SAMPLES = 4096;

/** Spectrograms the W6 workload trains on, the same for every engine (the Python peer reads them from a file). */
export const SPECTROGRAM_SAMPLES = 1024;

/**
 * Synthetic log-mel spectrograms [n, mels, frames, 1] (flat, float32): uniform in [0, 1], the range of
 * latentlab's mel features. The convolutions' cost does not depend on the values, so noise times as real
 * spectrograms would. A fixed LCG, so every process gets the same samples.
 */
export function syntheticSpectrograms(n: number, mels: number, frames: number): Float32Array {
  const x = new Float32Array(n * mels * frames);
  let state = 6789;
  for (let i = 0; i < x.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    x[i] = state / 2 ** 32;
  }
  return x;
}

/**
 * Synthetic token ids [n, length] as float32, the layout of latentlab's text rows: 10 to length - 1 real tokens
 * (ids from 4 up, skewed towards small ids as words are), <eos> (3), then <pad> (0). A fixed LCG, so every
 * process gets the same rows.
 */
export function syntheticTokens(n: number, length: number, vocabulary: number): Float32Array {
  const ids = new Float32Array(n * length);
  let state = 12345;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  for (let row = 0; row < n; row++) {
    const tokens = 10 + Math.floor(next() * (length - 10));
    for (let t = 0; t < tokens; t++) ids[row * length + t] = 4 + Math.floor(next() ** 2 * (vocabulary - 4));
    ids[row * length + tokens] = 3;
  }
  return ids;
}

/** One sample's shape: MNIST images [28, 28, 1], token ids [length] or a spectrogram [mels, frames, 1]. */
export function sampleShape(name: WorkloadName): number[] {
  const workload = WORKLOADS[name];
  if ('text' in workload) return [workload.text.length];
  if ('spectrogram' in workload) return [workload.spectrogram.mels, workload.spectrogram.frames, 1];
  return [28, 28, 1];
}

/**
 * The synthetic training samples of a workload that does not train on MNIST (flat float32, `size` rows of
 * `sampleShape`); undefined for the MNIST workloads.
 */
export function syntheticSamples(
  name: WorkloadName,
): { x: Float32Array; sampleShape: number[]; size: number } | undefined {
  const workload = WORKLOADS[name];
  if ('text' in workload) {
    const { length, vocabulary } = workload.text;
    return {
      x: syntheticTokens(TEXT_SAMPLES, length, vocabulary),
      sampleShape: [length],
      size: TEXT_SAMPLES,
    };
  }
  if ('spectrogram' in workload) {
    const { mels, frames } = workload.spectrogram;
    const x = syntheticSpectrograms(SPECTROGRAM_SAMPLES, mels, frames);
    return { x, sampleShape: sampleShape(name), size: SPECTROGRAM_SAMPLES };
  }
  return undefined;
}
