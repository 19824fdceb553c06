// Bounds on model sizes: each width in the config schemas (so an error names the field), and the whole model's
// parameter count, estimated from the config before anything is allocated (so 1e9 units never reach a typed array).
import { z } from 'zod';
import { sampleSize } from '../data/dataset.js';
import { ConfigError } from '../errors.js';

/** Largest latent size, layer width, channel count or token width. */
export const MAX_UNITS = 65_536;

/** Largest model, in parameters: 400 MB of float32 weights, 1.2 GB with Adam's two moments. */
export const MAX_PARAMETERS = 100_000_000;

/** A positive size of a layer or code, at most MAX_UNITS. */
export const units = () =>
  z
    .number()
    .int()
    .positive()
    .max(MAX_UNITS, `expected at most ${MAX_UNITS.toLocaleString('en')} units`);

/** Weights and biases of a chain of dense layers of these widths. */
function denseChain(widths: readonly number[]): number {
  let total = 0;
  for (let i = 1; i < widths.length; i++) total += widths[i - 1] * widths[i] + widths[i];
  return total;
}

const numbers = (value: unknown): number[] =>
  Array.isArray(value) ? value.filter((v): v is number => typeof v === 'number') : [];
const number = (value: unknown, fallback: number) => (typeof value === 'number' ? value : fallback);

/**
 * About how many parameters a model of this config has on samples of `sampleShape`, from the sizes every family
 * names alike (hidden, filters, latent, generator and discriminator widths, attention dim and depth). Decoders are
 * taken to mirror encoders. An estimate, close enough to refuse a model that cannot be built.
 */
export function estimateParameters(
  config: Record<string, unknown>,
  sampleShape: readonly number[],
  vocabularySize?: number,
): number {
  if (typeof config.cell === 'string') return sequenceParameters(config, vocabularySize ?? 0);
  if (typeof config.stride === 'number') return waveformParameters(config, sampleShape);
  const input = sampleSize({ sampleShape });
  const channels = sampleShape.length === 3 ? sampleShape[2] : 1;
  const latent = number(config.latent, 32);
  const noise = number(config.noiseSize, latent);
  const kernel = number(config.kernelSize, 3);
  let total = 0;
  const hidden = numbers(config.hidden);
  if (config.hidden !== undefined || config.latent !== undefined)
    total += 2 * denseChain([input, ...hidden, latent]);
  const filters = numbers(config.filters);
  if (filters.length > 0) {
    const conv = [channels, ...filters];
    for (let i = 1; i < conv.length; i++) total += 2 * kernel * kernel * conv[i - 1] * conv[i];
    total += 2 * Math.ceil(input / channels / 4 ** filters.length) * filters[filters.length - 1] * latent;
  }
  const generator = numbers(config.generatorHidden);
  const discriminator = numbers(config.discriminatorHidden);
  if (typeof config.pac === 'number') {
    // CTGAN: the conditional vector (at most a row's width) joins the noise and every critic row; the generator's
    // residual blocks concatenate their input, so each block is as wide as all before it; the critic sees `pac`
    // rows at once.
    let width = noise + input;
    for (const units of generator) {
      total += width * units + 3 * units;
      width += units;
    }
    total += width * input + input;
    total += denseChain([config.pac * 2 * input, ...discriminator, 1]);
    return total;
  }
  if (generator.length > 0) total += denseChain([noise, ...generator, input]);
  if (discriminator.length > 0) total += denseChain([input, ...discriminator, 1]);
  for (const key of ['generatorFilters', 'discriminatorFilters']) {
    const stages = [channels, ...numbers(config[key])];
    for (let i = 1; i < stages.length; i++) total += kernel * kernel * stages[i - 1] * stages[i];
  }
  if (typeof config.dim === 'number') {
    const dim = config.dim;
    const patch = number(config.patchSize, 7);
    // Per transformer block: attention (4 dim²) and a 4x MLP (8 dim²); the patch embedding in and out.
    total +=
      2 * number(config.depth, 2) * 12 * dim * dim + 2 * patch * patch * channels * dim + 2 * dim * latent;
  }
  return total;
}

/**
 * The sequence families (seq-ae, seq-vae, lm): token embeddings, the decoder's softmax over the vocabulary (whose
 * size text data gives) and, between them, GRU (3 gates) or LSTM (4 gates) layers, or transformer blocks
 * (attention 4e², a feed-forward e·h both ways, layer norms and biases) over learned positions; the code (not
 * lm's) feeds every decoder step (an RNN input, or a projection added to every position).
 */
function sequenceParameters(config: Record<string, unknown>, vocabulary: number): number {
  const embedding = number(config.embedding, 256);
  const hidden = number(config.hidden, 512);
  const latent = config.kind === 'lm' ? 0 : number(config.latent, 32);
  const codeHeads = 2 * (hidden * latent + latent);
  if (config.network === 'transformer') {
    const layers = number(config.layers, 2);
    const block = 4 * embedding * embedding + 2 * embedding * hidden + hidden + 9 * embedding;
    const network = vocabulary * embedding + layers * block + 2 * embedding;
    let total = network + embedding * vocabulary + vocabulary;
    if (latent > 0) total += network + 2 * (embedding * latent + latent) + (latent + 1) * embedding;
    return total;
  }
  const gates = config.cell === 'lstm' ? 4 : 3;
  const rnn = (input: number) => gates * (input * hidden + hidden * hidden + 2 * hidden);
  let total = vocabulary * embedding + rnn(embedding + latent) + hidden * vocabulary + vocabulary;
  if (latent > 0) total += vocabulary * embedding + rnn(embedding) + codeHeads;
  return total;
}

/**
 * The 1-D convolutional autoencoder (wave-ae) on waveforms [samples, channels]: kernel × channels in × out per
 * convolution, both ways, and the dense layers between the innermost map (samples / stride^stages of the last
 * channels) and the code.
 */
function waveformParameters(config: Record<string, unknown>, sampleShape: readonly number[]): number {
  const kernel = number(config.kernelSize, 9);
  const filters = numbers(config.filters);
  const conv = [sampleShape[1] ?? 1, ...filters];
  let total = 0;
  for (let i = 1; i < conv.length; i++) total += 2 * kernel * conv[i - 1] * conv[i];
  const inner = Math.ceil(sampleShape[0] / number(config.stride, 4) ** filters.length);
  return total + 2 * inner * (filters[filters.length - 1] ?? 1) * number(config.latent, 64);
}

/** Refuse a model whose estimated parameter count is above MAX_PARAMETERS, before it is built. */
export function checkModelSize(
  config: Record<string, unknown>,
  sampleShape: readonly number[],
  where = 'model',
  vocabularySize?: number,
): void {
  const count = estimateParameters(config, sampleShape, vocabularySize);
  if (count > MAX_PARAMETERS)
    throw new ConfigError(
      `about ${count.toPrecision(3)} parameters; the limit is ${MAX_PARAMETERS.toLocaleString('en')} (make hidden, filters, latent, dim or embedding smaller)`,
      { path: where },
    );
}
