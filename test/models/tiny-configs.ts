// One tiny config per registered family (and per option that changes the networks or the step), read by the
// contract suite (contract.test.ts). A new family adds its entry here; the suite fails until it does.
import type { BuildContext } from '../../src/models/family.js';

export interface TinyCase {
  /** Shown in the test names. */
  name: string;
  config: Record<string, unknown>;
  context: BuildContext;
  /**
   * The loss terms that a few steps on a fixed batch must lower; `loss` unless said. An adversarial model's `loss`
   * is a game's value, free to rise while it learns: there the critic's, or the reconstruction's, falls.
   */
  falls?: string[];
}

const image: BuildContext = { sampleShape: [8, 8, 1], numClasses: 3, seed: 3 };
const table: BuildContext = { sampleShape: [6], numClasses: 3, seed: 5 };
const points: BuildContext = { sampleShape: [2], numClasses: 3, seed: 3 };
/** Token ids: rows of 6 (tokens, <eos>, pads) over a vocabulary of 12 (ids 4 .. 11 real tokens). */
const text: BuildContext = { sampleShape: [6], vocabularySize: 12, numClasses: 2, seed: 3 };
const rnn = { embedding: 8, hidden: 16 };
/** Waveforms [samples, 1]: 256 samples, divisible by the tiny encoders' total strides (16 and 4). */
const wave: BuildContext = { sampleShape: [256, 1], seed: 3 };
/** A mixed table (tvae, ctgan): a mode-specific number (alpha, 2 modes), a 3-level category, a standard number. */
export const mixedTable: BuildContext = {
  sampleShape: [7],
  seed: 3,
  table: {
    columns: [
      {
        name: 'x',
        type: 'numeric',
        method: 'mode',
        means: [-1, 1],
        stds: [0.5, 0.5],
        weights: [0.5, 0.5],
        min: -2,
        max: 2,
        missing: 0,
      },
      {
        name: 'c',
        type: 'categorical',
        method: 'onehot',
        levels: ['a', 'b', 'c'],
        counts: [5, 3, 2],
        missing: 0,
      },
      { name: 'y', type: 'numeric', method: 'standard', offset: 0, scale: 1, min: -3, max: 3, missing: 0 },
    ],
    rows: 10,
    missingTokens: [''],
  },
};

const body = { hidden: [16], latent: 4 };
const ganBody = { latent: 4, generatorHidden: [16], discriminatorHidden: [16] };
const convGanBody = { latent: 4, generatorFilters: [8, 4], discriminatorFilters: [4, 8] };

/** A VAE's bound and pixel error fall with its loss. */
const VAE_FALLS = ['loss', 'negElbo', 'mse'];

/** By kind; the first case of a kind is its plain tiny config, the others cover options. */
export const TINY_CONFIGS: Record<string, TinyCase[]> = {
  'dense-ae': [
    { name: 'dense-ae', config: { kind: 'dense-ae', hidden: [32, 16], latent: 4 }, context: image },
    {
      name: 'dense-ae (shallow, sparse, denoising)',
      config: {
        kind: 'dense-ae',
        hidden: [],
        latent: 6,
        sparsity: 0.01,
        noise: { type: 'masking', level: 0.2 },
      },
      context: image,
    },
    { name: 'dense-ae (table rows)', config: { kind: 'dense-ae', hidden: [8], latent: 2 }, context: table },
  ],
  'conv-ae': [
    { name: 'conv-ae', config: { kind: 'conv-ae', filters: [4, 8], latent: 4 }, context: image },
    {
      name: 'conv-ae (bce, leaky relu)',
      config: { kind: 'conv-ae', filters: [4], latent: 3, loss: 'bce', activation: 'leakyRelu' },
      context: image,
    },
  ],
  'attention-ae': [
    {
      name: 'attention-ae',
      config: { kind: 'attention-ae', patchSize: 4, dim: 16, heads: 2, depth: 1, latent: 4 },
      context: image,
    },
    {
      name: 'attention-ae (gaussian noise, sparse)',
      config: {
        kind: 'attention-ae',
        patchSize: 4,
        dim: 16,
        heads: 2,
        depth: 1,
        latent: 4,
        noise: { type: 'gaussian', level: 0.1 },
        sparsity: 0.01,
      },
      context: image,
    },
  ],
  vae: [
    { name: 'vae', config: { kind: 'vae', hidden: [32, 16], latent: 4 }, context: image, falls: VAE_FALLS },
    {
      name: 'vae (gaussian, learned sigma, beta, warm-up, free bits)',
      config: {
        kind: 'vae',
        hidden: [16],
        latent: 3,
        likelihood: 'gaussian',
        sigma: 'learned',
        beta: 0.5,
        klWarmupEpochs: 2,
        freeBits: 0.05,
      },
      context: image,
      falls: VAE_FALLS,
    },
    {
      name: 'vae (gaussian, fixed sigma, linear mean)',
      config: {
        kind: 'vae',
        hidden: [16],
        latent: 3,
        likelihood: 'gaussian',
        sigma: 0.2,
        outputActivation: 'linear',
      },
      context: image,
      falls: VAE_FALLS,
    },
    {
      name: 'vae (table rows)',
      config: { kind: 'vae', hidden: [8], latent: 2 },
      context: table,
      falls: VAE_FALLS,
    },
  ],
  'conv-vae': [
    {
      name: 'conv-vae',
      config: { kind: 'conv-vae', filters: [4, 8], latent: 4 },
      context: image,
      falls: VAE_FALLS,
    },
    {
      name: 'conv-vae (conditional, gaussian, per-pixel sigma)',
      config: {
        kind: 'conv-vae',
        filters: [4],
        latent: 3,
        conditional: true,
        likelihood: 'gaussian',
        sigma: 'learned-per-pixel',
        activation: 'leakyRelu',
      },
      context: image,
      falls: VAE_FALLS,
    },
  ],
  cvae: [
    { name: 'cvae', config: { kind: 'cvae', hidden: [16], latent: 3 }, context: image, falls: VAE_FALLS },
  ],
  classifier: [
    {
      name: 'classifier (conv)',
      config: { kind: 'classifier', filters: [4, 8], features: 16, dropout: 0.2 },
      context: image,
    },
    {
      name: 'classifier (dense)',
      config: { kind: 'classifier', architecture: 'dense', hidden: [32], features: 16 },
      context: image,
    },
    {
      name: 'classifier (conv, augmented)',
      config: {
        kind: 'classifier',
        filters: [4, 8],
        features: 16,
        augment: { shift: 1, rotation: 10, scale: 0.1 },
      },
      context: image,
    },
    {
      name: 'classifier (dense, table rows)',
      config: { kind: 'classifier', architecture: 'dense', hidden: [8] },
      context: table,
    },
  ],
  gan: [
    {
      name: 'gan (dense, non-saturating, 2-D points)',
      config: { kind: 'gan', ...ganBody },
      context: points,
      falls: ['discriminator'],
    },
    {
      name: 'gan (dense, wgan-gp, conditional)',
      config: { kind: 'gan', ...ganBody, adversarialLoss: 'wgan-gp', conditional: true },
      context: image,
      falls: ['discriminator'],
    },
    {
      name: 'gan (conv, lsgan, label smoothing, instance noise)',
      config: {
        kind: 'gan',
        architecture: 'conv',
        ...convGanBody,
        adversarialLoss: 'lsgan',
        labelSmoothing: 0.1,
        instanceNoise: 0.1,
      },
      context: image,
      falls: ['discriminator'],
    },
    {
      name: 'gan (conv, hinge, AC-GAN, EMA)',
      config: {
        kind: 'gan',
        architecture: 'conv',
        ...convGanBody,
        adversarialLoss: 'hinge',
        acgan: true,
        ema: 0.9,
      },
      context: image,
      falls: ['discriminator'],
    },
    {
      name: 'gan (conv, hinge, spectral norm, conditional projection)',
      config: {
        kind: 'gan',
        architecture: 'conv',
        ...convGanBody,
        adversarialLoss: 'hinge',
        conditional: true,
        spectralNorm: true,
      },
      context: image,
      falls: ['discriminator'],
    },
    {
      name: 'gan (conv, minimax, conditional)',
      config: {
        kind: 'gan',
        architecture: 'conv',
        ...convGanBody,
        adversarialLoss: 'minimax',
        conditional: true,
      },
      context: image,
      falls: ['discriminator'],
    },
  ],
  aae: [
    {
      name: 'aae (gaussian prior, dense, table rows)',
      config: { kind: 'aae', ...body, discriminatorHidden: [8] },
      context: table,
    },
    {
      name: 'aae (spectral norm)',
      config: { kind: 'aae', ...body, discriminatorHidden: [8], spectralNorm: true },
      context: table,
    },
    {
      name: 'aae (mixture prior, conv, wgan-gp)',
      config: {
        kind: 'aae',
        architecture: 'conv',
        filters: [4, 8],
        latent: 4,
        prior: 'mixture',
        adversarialLoss: 'wgan-gp',
        discriminatorHidden: [8],
      },
      context: image,
    },
    {
      name: 'aae (uniform prior, semi-supervised)',
      config: {
        kind: 'aae',
        ...body,
        prior: 'uniform',
        semiSupervised: true,
        labelledAugment: { shift: 1, rotation: 10 },
        discriminatorHidden: [8],
      },
      context: image,
    },
  ],
  latentgan: [
    {
      name: 'latentgan (fine-tuning)',
      config: {
        kind: 'latentgan',
        ...body,
        generatorHidden: [8],
        discriminatorHidden: [8],
        autoencoderEpochs: 1,
        ganEpochs: 1,
        finetune: true,
        imageDiscriminatorHidden: [8],
        discriminatorSteps: 2,
      },
      context: image,
    },
  ],
  aegan: [
    {
      name: 'aegan (pretrained, conv discriminator)',
      config: {
        kind: 'aegan',
        architecture: 'conv',
        filters: [4, 8],
        latent: 4,
        mappingHidden: [8],
        pretrainEpochs: 1,
        discriminatorArchitecture: 'conv',
        discriminatorFilters: [4, 8],
      },
      context: image,
    },
  ],
  vaegan: [
    {
      name: 'vaegan (dense, non-saturating)',
      config: { kind: 'vaegan', latent: 4, hidden: [16, 8], discriminatorHidden: [16, 8] },
      context: image,
      falls: ['mse'],
    },
    {
      name: 'vaegan (dense, spectral norm)',
      config: { kind: 'vaegan', latent: 4, hidden: [16], discriminatorHidden: [16], spectralNorm: true },
      context: image,
      falls: ['mse'],
    },
    {
      name: 'vaegan (dense, lsgan, pixel term, KL warm-up, first feature layer)',
      config: {
        kind: 'vaegan',
        latent: 3,
        hidden: [16],
        discriminatorHidden: [12, 6],
        adversarialLoss: 'lsgan',
        pixelWeight: 0.5,
        klWarmupEpochs: 2,
        featureLayer: 1,
      },
      context: image,
      falls: ['mse'],
    },
    {
      name: 'vaegan (conv, hinge)',
      config: { kind: 'vaegan', architecture: 'conv', latent: 4, filters: [4, 8], adversarialLoss: 'hinge' },
      context: image,
      falls: ['mse'],
    },
  ],
  'seq-ae': [
    { name: 'seq-ae (gru)', config: { kind: 'seq-ae', ...rnn, latent: 4 }, context: text },
    {
      name: 'seq-ae (lstm, word dropout)',
      config: { kind: 'seq-ae', ...rnn, latent: 4, cell: 'lstm', wordDropout: 0.3 },
      context: text,
    },
    {
      name: 'seq-ae (transformer)',
      config: { kind: 'seq-ae', ...rnn, latent: 4, network: 'transformer', heads: 2, layers: 1 },
      context: text,
    },
  ],
  'seq-vae': [
    {
      name: 'seq-vae (gru, logistic annealing)',
      config: { kind: 'seq-vae', ...rnn, latent: 4 },
      context: text,
      falls: ['loss', 'nllPerToken'],
    },
    {
      name: 'seq-vae (lstm, conditional, linear annealing, free bits)',
      config: {
        kind: 'seq-vae',
        ...rnn,
        latent: 3,
        cell: 'lstm',
        conditional: true,
        klAnneal: 'linear',
        klAnnealSteps: 20,
        freeBits: 0.1,
      },
      context: text,
      falls: ['loss', 'nllPerToken'],
    },
    {
      name: 'seq-vae (transformer, conditional)',
      config: { kind: 'seq-vae', ...rnn, latent: 3, network: 'transformer', heads: 2, conditional: true },
      context: text,
      falls: ['loss', 'nllPerToken'],
    },
  ],
  lm: [
    { name: 'lm (gru)', config: { kind: 'lm', ...rnn }, context: text },
    {
      name: 'lm (lstm, word dropout)',
      config: { kind: 'lm', ...rnn, cell: 'lstm', wordDropout: 0.2 },
      context: text,
    },
    {
      name: 'lm (transformer)',
      config: { kind: 'lm', ...rnn, network: 'transformer', heads: 2 },
      context: text,
    },
  ],
  'wave-ae': [
    {
      name: 'wave-ae (spectral loss)',
      config: { kind: 'wave-ae', filters: [4, 8], latent: 4, spectralFfts: [64, 128] },
      context: wave,
      // On uniform noise the spectra dominate the objective; its MSE part may wander in ten steps.
      falls: ['loss', 'spectral'],
    },
    {
      name: 'wave-ae (waveform MSE only, stride 2, gaussian noise, elu)',
      config: {
        kind: 'wave-ae',
        filters: [4, 8],
        stride: 2,
        kernelSize: 5,
        latent: 4,
        activation: 'elu',
        spectralWeight: 0,
        noise: { type: 'gaussian', level: 0.05 },
      },
      context: wave,
    },
  ],
  tvae: [{ name: 'tvae', config: { kind: 'tvae', hidden: [16], latent: 4 }, context: mixedTable }],
  ctgan: [
    {
      name: 'ctgan',
      config: { kind: 'ctgan', latent: 4, generatorHidden: [16], discriminatorHidden: [16], pac: 4 },
      context: mixedTable,
      // A Wasserstein game's value is free to rise while it learns: the critic's loss falls.
      falls: ['discriminator'],
    },
  ],
  infogan: [
    {
      name: 'infogan (dense, non-saturating, categorical and fixed-std continuous codes)',
      config: {
        kind: 'infogan',
        noiseSize: 4,
        categorical: [3],
        continuous: 2,
        generatorHidden: [16],
        discriminatorHidden: [16],
      },
      context: image,
      falls: ['discriminator'],
    },
    {
      name: 'infogan (dense, wgan-gp, spectral norm)',
      config: {
        kind: 'infogan',
        noiseSize: 4,
        categorical: [3],
        continuous: 1,
        generatorHidden: [16],
        discriminatorHidden: [16],
        adversarialLoss: 'wgan-gp',
        spectralNorm: true,
      },
      context: image,
      falls: ['discriminator'],
    },
    {
      name: 'infogan (conv, wgan-gp, two categorical codes, learned std)',
      config: {
        kind: 'infogan',
        architecture: 'conv',
        noiseSize: 4,
        categorical: [2, 3],
        continuous: 1,
        continuousStd: 'learned',
        generatorFilters: [8, 4],
        discriminatorFilters: [4, 8],
        adversarialLoss: 'wgan-gp',
      },
      context: image,
      falls: ['discriminator'],
    },
  ],
  'table-ae': [
    {
      name: 'table-ae',
      config: { kind: 'table-ae', ...body },
      context: table,
    },
    {
      name: 'table-ae (nothing hidden)',
      config: { kind: 'table-ae', ...body, hideRate: 0 },
      context: table,
    },
  ],
  'table-vae': [
    {
      name: 'table-vae',
      config: { kind: 'table-vae', ...body },
      context: table,
      falls: ['loss', 'reconstruction'],
    },
  ],
  // Table rows without an encoding are numbers (the mixed-table cases, with embeddings and masks, are in
  // table-ae.test.ts and gain.test.ts). GAIN's generator loss is a game's value; its error on observed cells falls.
  gain: [
    {
      name: 'gain',
      config: { kind: 'gain', hidden: [16] },
      context: table,
      falls: ['mse'],
    },
  ],
  'beta-tcvae': [
    {
      name: 'beta-tcvae',
      config: { kind: 'beta-tcvae', hidden: [16], latent: 3 },
      context: image,
      falls: VAE_FALLS,
    },
    {
      name: 'beta-tcvae (conv, gaussian, warm-up)',
      config: {
        kind: 'beta-tcvae',
        architecture: 'conv',
        filters: [4, 8],
        latent: 3,
        likelihood: 'gaussian',
        klWarmupEpochs: 2,
      },
      context: image,
      falls: VAE_FALLS,
    },
  ],
  'factor-vae': [
    {
      name: 'factor-vae',
      config: { kind: 'factor-vae', hidden: [16], latent: 3, discriminatorHidden: [8, 8] },
      context: image,
      falls: ['negElbo', 'mse'],
    },
    {
      name: 'factor-vae (conditional, conv)',
      config: {
        kind: 'factor-vae',
        architecture: 'conv',
        filters: [4, 8],
        latent: 3,
        conditional: true,
        discriminatorHidden: [8],
      },
      context: image,
      falls: ['negElbo', 'mse'],
    },
  ],
  'dip-vae': [
    {
      name: 'dip-vae',
      config: { kind: 'dip-vae', hidden: [16], latent: 3 },
      context: image,
      falls: VAE_FALLS,
    },
    {
      name: 'dip-vae (type ii, table rows)',
      config: { kind: 'dip-vae', hidden: [8], latent: 2, dipType: 'ii', lambdaDiagonal: 10 },
      context: table,
      falls: VAE_FALLS,
    },
  ],
  'vamp-prior': [
    {
      name: 'vamp-prior',
      config: { kind: 'vamp-prior', hidden: [16], latent: 3, pseudoInputs: 4 },
      context: image,
      falls: VAE_FALLS,
    },
    {
      name: 'vamp-prior (conv, gaussian, linear mean)',
      config: {
        kind: 'vamp-prior',
        architecture: 'conv',
        filters: [4, 8],
        latent: 3,
        pseudoInputs: 3,
        likelihood: 'gaussian',
        sigma: 0.5,
        outputActivation: 'linear',
      },
      context: image,
      falls: VAE_FALLS,
    },
  ],
};

/** The tiny case of `kind` named `name`, for family tests that add checks of their own to it. */
export function tinyCase(kind: string, name: string): TinyCase {
  const found = TINY_CONFIGS[kind]?.find((c) => c.name === name);
  if (!found) throw new Error(`no tiny config "${name}" of kind "${kind}" in tiny-configs.ts`);
  return found;
}

/** The image-shaped tiny cases of these kinds, in table order. */
export function tinyImageCases(...kinds: string[]): TinyCase[] {
  return kinds.flatMap((kind) => TINY_CONFIGS[kind] ?? []).filter((c) => c.context.sampleShape.length === 3);
}
