// Generation: prior samples, interpolation between codes (linear or spherical), and the 2-D latent map.
import type { Dataset } from '../data/dataset.js';
import { type Tensor, tf } from '../engine/tf.js';
import { ConfigError } from '../errors.js';
import {
  type Autoencoder,
  type GenerativeModel,
  generatesClasses,
  isAutoencoder,
  isGenerative,
  type TrainableModel,
} from '../models/family.js';
import type { Sampler } from './code-prior.js';
import { encodeDataset } from './codes.js';

/**
 * Labels tensor [n] for conditional models: one class, or all classes in equal consecutive runs
 * (so a grid with n / numClasses columns shows one class per row).
 */
/** The class classLabels asks for at row i of n: equal consecutive blocks, class 0 first. */
export function requestedClass(i: number, n: number, numClasses: number): number {
  return Math.min(numClasses - 1, Math.floor(i / Math.ceil(n / numClasses)));
}

/**
 * Share of a conditional model's samples that the classifier puts in the class asked for; `requested` defaults
 * to the classes samplePrior asks for when it draws all of them at once (equal blocks).
 */
export function labelAccuracy(
  predicted: ArrayLike<number>,
  numClasses: number,
  requested: (i: number) => number = (i) => requestedClass(i, predicted.length, numClasses),
): number {
  let hits = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === requested(i)) hits++;
  return predicted.length > 0 ? hits / predicted.length : 0;
}

export function classLabels(n: number, numClasses: number, classIndex?: number): Tensor {
  if (
    classIndex !== undefined &&
    (classIndex < 0 || classIndex >= numClasses || !Number.isInteger(classIndex))
  ) {
    throw new ConfigError(`expected a class between 0 and ${numClasses - 1}, got ${classIndex}`, {
      path: '--class',
    });
  }
  return tf.tensor1d(
    Int32Array.from({ length: n }, (_, i) => classIndex ?? requestedClass(i, n, numClasses)),
    'int32',
  );
}

/** n samples from the prior, decoded: [n, ...sampleShape]. */
export function samplePrior(model: Sampler, n: number, seed: number, classIndex?: number): Tensor {
  return samplePriors(model, [{ n, seed, classIndex }]);
}

/**
 * Several draws decoded in one pass, one after another: [sum of n, ...sampleShape]. Each draw's codes come
 * from its own seed and its rows are decoded as samplePrior would decode them alone.
 */
export function samplePriors(
  model: Sampler,
  draws: ReadonlyArray<{ n: number; seed: number; classIndex?: number }>,
): Tensor {
  return tf.tidy(() => {
    const z = draws.map(({ n, seed }) => model.samplePrior(n, seed));
    const labels = generatesClasses(model)
      ? draws.map(({ n, classIndex }) => classLabels(n, model.context.numClasses ?? 0, classIndex))
      : undefined;
    const concat = (parts: Tensor[]) => (parts.length === 1 ? parts[0] : tf.concat(parts));
    return model.generate(concat(z), labels && concat(labels));
  });
}

/** Spherical interpolation (Shoemake): constant angular speed, stays on the shell where Gaussian codes live. */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const na = norm(a);
  const nb = norm(b);
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  const cos = na > 0 && nb > 0 ? Math.min(1, Math.max(-1, dot / (na * nb))) : 1;
  const omega = Math.acos(cos);
  const out = new Float32Array(a.length);
  if (omega < 1e-6) {
    for (let i = 0; i < a.length; i++) out[i] = (1 - t) * a[i] + t * b[i];
    return out;
  }
  const wa = Math.sin((1 - t) * omega) / Math.sin(omega);
  const wb = Math.sin(t * omega) / Math.sin(omega);
  for (let i = 0; i < a.length; i++) out[i] = wa * a[i] + wb * b[i];
  return out;
}

export function lerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  return a.map((x, i) => (1 - t) * x + t * b[i]);
}

/** `steps` codes from a to b inclusive: [steps, latent]. */
export function interpolateCodes(
  a: Float32Array,
  b: Float32Array,
  steps: number,
  spherical: boolean,
): Float32Array {
  if (a.length !== b.length) throw new ConfigError(`codes differ in size: ${a.length} and ${b.length}`);
  if (steps < 2) throw new ConfigError(`expected at least 2 steps, got ${steps}`, { path: '--steps' });
  const out = new Float32Array(steps * a.length);
  for (let s = 0; s < steps; s++) {
    const t = s / (steps - 1);
    out.set(spherical ? slerp(a, b, t) : lerp(a, b, t), s * a.length);
  }
  return out;
}

/** One end of an interpolation: a prior draw, a code as given, or one sample to encode. */
export type PathEnd = { seed: number } | { code: Float32Array } | { sample: Dataset };

/** A path of codes, ends included, and what decodes it. */
export interface InterpolationPath {
  /** [steps, latent], flat. */
  codes: Float32Array;
  steps: number;
  latent: number;
  /** The generator (paths through the prior's space, or a GAN's noise) or the autoencoder's decoder. */
  decoder: { generator: GenerativeModel } | { autoencoder: Autoencoder };
  /** The label of the first labelled sample end: the class to decode with when none is asked for. */
  sampleLabel?: number;
}

/**
 * The path between two ends. With a seed end the path runs through the prior's space and the generator decodes
 * it, so a sample end (encoded) is allowed only where the encoder maps to that space (VAE, AAE: not a latent
 * GAN or AE-GAN, whose generator reads GAN noise). Without one it runs through the encoder's codes, decoded by
 * the decoder; a model without an encoder (a GAN) interpolates between codes of its noise. Errors name
 * `fields.model` or the end's field.
 */
export async function interpolationPath(
  model: TrainableModel,
  ends: readonly [PathEnd, PathEnd],
  options: { steps: number; slerp: boolean; fields: { model?: string; ends: readonly [string, string] } },
): Promise<InterpolationPath> {
  const { fields } = options;
  const seeded = ends.some((end) => 'seed' in end);
  const sampleEnd = ends.findIndex((end) => 'sample' in end);
  if (sampleEnd >= 0 && !isAutoencoder(model)) {
    throw new ConfigError(`an encoded end needs a model with an encoder; "${model.kind}" has none`, {
      path: fields.model,
    });
  }
  let decoder: InterpolationPath['decoder'];
  if (!seeded && isAutoencoder(model)) {
    decoder = { autoencoder: model };
  } else if (isGenerative(model)) {
    if (sampleEnd >= 0 && !model.encodesToPrior) {
      throw new ConfigError(
        `"${model.kind}" encodes to another space than its prior draws: interpolate between two encoded ends or two seeds`,
        { path: fields.ends[sampleEnd] },
      );
    }
    decoder = { generator: model };
  } else {
    throw new ConfigError(
      `interpolating from a seed needs a generative model (a prior to sample from); "${model.kind}" has none`,
      { path: fields.model },
    );
  }
  // A generator's space is its prior's, which need not be latentSize (a latent GAN's noise is not its codes).
  const latent =
    'generator' in decoder
      ? tf.tidy(() => decoder.generator.samplePrior(1, 0).shape[1] ?? 0)
      : decoder.autoencoder.latentSize;
  const codes: Float32Array[] = [];
  let sampleLabel: number | undefined;
  for (const [i, end] of ends.entries()) {
    if ('seed' in end) {
      const z = (decoder as { generator: GenerativeModel }).generator.samplePrior(1, end.seed);
      codes.push((await z.data()) as Float32Array);
      z.dispose();
    } else if ('code' in end) {
      if (end.code.length !== latent) {
        throw new ConfigError(`expected ${latent} values (the latent size), got ${end.code.length}`, {
          path: fields.ends[i],
        });
      }
      codes.push(end.code);
    } else {
      sampleLabel ??= end.sample.labels?.[0];
      codes.push((await encodeDataset(model as Autoencoder, end.sample)).data);
    }
  }
  return {
    codes: interpolateCodes(codes[0], codes[1], options.steps, options.slerp),
    steps: options.steps,
    latent,
    decoder,
    sampleLabel,
  };
}

/** A path decoded: [steps, ...sampleShape]; conditional and class-controlled decoders get class `label`. */
export function decodePath(path: InterpolationPath, label: number): Tensor {
  return decodePaths([path], [label]);
}

/**
 * Paths with the same decoder decoded in one pass, one after another: [sum of steps, ...sampleShape]; path i's
 * rows get class `labels[i]` where the decoder takes one. Each row is decoded as decodePath would decode it.
 */
export function decodePaths(paths: readonly InterpolationPath[], labels: readonly number[]): Tensor {
  const { decoder, latent } = paths[0];
  const steps = paths.reduce((sum, path) => sum + path.steps, 0);
  const codes = new Float32Array(steps * latent);
  let offset = 0;
  for (const path of paths) {
    codes.set(path.codes, offset);
    offset += path.codes.length;
  }
  return tf.tidy(() => {
    const z = tf.tensor2d(codes, [steps, latent]);
    const classes = (model: TrainableModel) =>
      tf.concat(paths.map((path, i) => classLabels(path.steps, model.context.numClasses ?? 0, labels[i])));
    if ('generator' in decoder) {
      const { generator } = decoder;
      return generator.generate(z, generatesClasses(generator) ? classes(generator) : undefined);
    }
    const { autoencoder } = decoder;
    return autoencoder.decode(z, autoencoder.conditional ? classes(autoencoder) : undefined);
  });
}

/** Evenly spaced grid over [-range, range]^2 in latent space, decoded row by row (top row: high z1). */
export function latentManifold(model: Autoencoder, size: number, range: number, classIndex?: number): Tensor {
  if (model.latentSize !== 2) {
    throw new ConfigError(`the latent map needs a 2-D latent space, this model's is ${model.latentSize}-D`, {
      path: 'model.latent',
    });
  }
  return tf.tidy(() => {
    const values = new Float32Array(size * size * 2);
    for (let row = 0; row < size; row++) {
      for (let col = 0; col < size; col++) {
        const i = row * size + col;
        values[i * 2] = -range + (2 * range * col) / (size - 1);
        values[i * 2 + 1] = range - (2 * range * row) / (size - 1);
      }
    }
    const labels = model.conditional
      ? classLabels(size * size, model.context.numClasses ?? 0, classIndex ?? 0)
      : undefined;
    return model.decode(tf.tensor2d(values, [size * size, 2]), labels);
  });
}
