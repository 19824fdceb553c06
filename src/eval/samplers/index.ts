// Post-hoc samplers for any trained autoencoder (pythae's samplers): a distribution fitted to the training codes,
// whose draws the decoder turns into samples. One registry of kinds: gaussian (code-prior.ts, cached as
// RUN/code-prior.json as before), gmm, two-stage (a second VAE) and maf. A fit is saved in the run directory as
// RUN/sampler-KIND/ (sampler.json, and the second VAE's model/ for two-stage), written atomically and reused
// while it belongs to the saved model (its manifest's savedAt), unless a refit is asked for.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { type Tensor, tf } from '../../engine/tf.js';
import { ConfigError } from '../../errors.js';
import type { Matrix } from '../../io/arrays.js';
import { writeDirAtomic } from '../../io/atomic.js';
import { loadModel, saveModel } from '../../io/model-files.js';
import type { Autoencoder, GenerativeModel } from '../../models/family.js';
import { hasDiscreteCodes } from '../../models/shared/discrete-codes.js';
import { codePrior, codePriorFile, type Sampler } from '../code-prior.js';
import type { OnProgress } from '../progress.js';
import { fitGmm, type GmmFit, sampleGmm } from './gmm.js';
import { fitMaf, type MafFit, sampleMaf } from './maf.js';
import { fitTwoStage, sampleTwoStage, type TwoStageFit } from './two-stage.js';

export const SamplerKind = z
  .enum(['gaussian', 'gmm', 'two-stage', 'maf'])
  .describe('gaussian (full covariance), gmm (10 components), two-stage (a second VAE), maf (a flow)');
export type SamplerKind = z.infer<typeof SamplerKind>;

/** What each kind is, in words (the sample command's output). */
export const SAMPLER_NAMES: Record<SamplerKind, string> = {
  gaussian: 'Gaussian fitted to the training codes',
  gmm: 'Gaussian mixture (10 components, full covariance) fitted to the training codes',
  'two-stage': 'two-stage VAE (Dai & Wipf 2019) trained on the training codes',
  maf: 'masked autoregressive flow (5 MADE layers) trained on the training codes',
};

/** The settings of each fit: fixed, so a cached fit and a fresh one mean the same thing. */
export const SAMPLER_SETTINGS = {
  gmm: { components: 10 },
  maf: { layers: 5, hidden: 64, epochs: 20, batchSize: 256, learningRate: 1e-3 },
  'two-stage': { hidden: [256, 256], epochs: 20, batchSize: 256, learningRate: 1e-3 },
} as const;

/** A fitted distribution over codes: seeded draws [n, dims]. */
export interface CodeDistribution {
  readonly kind: SamplerKind;
  readonly dims: number;
  sample(n: number, seed: number): Matrix;
  dispose(): void;
}

const SamplerFile = z.object({
  format: z.literal('latentlab-code-sampler'),
  formatVersion: z.literal(1),
  kind: SamplerKind,
  /** The saved model the codes came from (its manifest's savedAt): a model saved again makes the fit stale. */
  modelSavedAt: z.string(),
  codes: z.number().int().min(2),
  dims: z.number().int().positive(),
  /** The kind's own numbers (gmm: weights, means, covariances; maf: the flow; two-stage: standardisation). */
  fit: z.record(z.string(), z.unknown()),
});
type SamplerFile = z.infer<typeof SamplerFile>;

/** Fit `kind` (not gaussian, which code-prior.ts fits) to the codes; progress per EM round or epoch. */
export function fitDistribution(
  kind: Exclude<SamplerKind, 'gaussian'>,
  codes: Matrix,
  seed: number,
  onProgress?: OnProgress,
): { distribution: CodeDistribution; fit: Record<string, unknown>; twoStage?: TwoStageFit } {
  if (kind === 'gmm') {
    const max = 100;
    const fit = fitGmm(codes, {
      components: SAMPLER_SETTINGS.gmm.components,
      seed,
      maxIterations: max,
      onIteration: (done) => onProgress?.({ task: 'fit gmm', done, total: max }),
    });
    // EM that converged before its last round is done all the same.
    if (fit.iterations < max) onProgress?.({ task: 'fit gmm', done: max, total: max });
    return { distribution: gmmDistribution(fit), fit: gmmJson(fit) };
  }
  if (kind === 'maf') {
    const settings = SAMPLER_SETTINGS.maf;
    const fit = fitMaf(codes, {
      ...settings,
      seed,
      onEpoch: (done) => onProgress?.({ task: 'fit maf', done, total: settings.epochs }),
    });
    return { distribution: mafDistribution(fit), fit: fit as unknown as Record<string, unknown> };
  }
  const settings = SAMPLER_SETTINGS['two-stage'];
  const twoStage = fitTwoStage(codes, {
    ...settings,
    hidden: [...settings.hidden],
    seed,
    onEpoch: (done) => onProgress?.({ task: 'fit two-stage', done, total: settings.epochs }),
  });
  return {
    distribution: twoStageDistribution(twoStage),
    fit: { shift: twoStage.shift, scale: twoStage.scale },
    twoStage,
  };
}

function gmmJson(fit: GmmFit): Record<string, unknown> {
  return {
    weights: Array.from(fit.weights),
    means: Array.from(fit.means),
    covariances: Array.from(fit.covariances),
    meanLogLikelihood: fit.meanLogLikelihood,
    iterations: fit.iterations,
    converged: fit.converged,
  };
}

function gmmDistribution(fit: Pick<GmmFit, 'dims' | 'weights' | 'means' | 'covariances'>): CodeDistribution {
  return { kind: 'gmm', dims: fit.dims, sample: (n, seed) => sampleGmm(fit, n, seed), dispose() {} };
}

function mafDistribution(fit: MafFit): CodeDistribution {
  return { kind: 'maf', dims: fit.dims, sample: (n, seed) => sampleMaf(fit, n, seed), dispose() {} };
}

function twoStageDistribution(fit: TwoStageFit): CodeDistribution {
  return {
    kind: 'two-stage',
    dims: fit.scale.length,
    sample: (n, seed) => sampleTwoStage(fit, n, seed),
    dispose: () => fit.model.dispose(),
  };
}

const numbers = z.array(z.number());
const GmmJson = z.object({ weights: numbers, means: numbers, covariances: numbers });
const MafJson = z.object({
  dims: z.number().int().positive(),
  hidden: z.number().int().positive(),
  shift: numbers,
  scale: numbers,
  layers: z.array(z.object({ w1: numbers, b1: numbers, w2: numbers, b2: numbers })),
});
const TwoStageJson = z.object({ shift: numbers, scale: numbers });

/** Where the fit of `kind` for the model in `modelDir` is kept: RUN/sampler-KIND/, or nowhere outside a run. */
export function samplerDir(modelDir: string, kind: SamplerKind): string | undefined {
  const prior = codePriorFile(modelDir);
  return prior ? join(dirname(prior), `sampler-${kind}`) : undefined;
}

/** Save a fit (atomically: the directory appears complete or not at all). */
export async function saveDistribution(
  dir: string,
  header: Omit<SamplerFile, 'format' | 'formatVersion' | 'fit'>,
  fitted: ReturnType<typeof fitDistribution>,
): Promise<void> {
  const file: SamplerFile = {
    format: 'latentlab-code-sampler',
    formatVersion: 1,
    ...header,
    fit: fitted.fit,
  };
  await writeDirAtomic(dir, async (temp) => {
    if (fitted.twoStage) await saveModel(fitted.twoStage.model, join(temp, 'model'));
    await writeFile(join(temp, 'sampler.json'), `${JSON.stringify(file)}\n`);
  });
}

/** A saved fit, or undefined when there is none for this saved model and code size (a damaged one is refitted). */
export async function loadDistribution(
  dir: string,
  modelSavedAt: string,
  dims: number,
): Promise<CodeDistribution | undefined> {
  const path = join(dir, 'sampler.json');
  if (!existsSync(path)) return undefined;
  let file: SamplerFile;
  try {
    file = SamplerFile.parse(JSON.parse(await readFile(path, 'utf8')));
  } catch {
    return undefined;
  }
  if (file.modelSavedAt !== modelSavedAt || file.dims !== dims) return undefined;
  if (file.kind === 'gmm') {
    const g = GmmJson.parse(file.fit);
    return gmmDistribution({
      dims,
      weights: Float64Array.from(g.weights),
      means: Float64Array.from(g.means),
      covariances: Float64Array.from(g.covariances),
    });
  }
  if (file.kind === 'maf') return mafDistribution(MafJson.parse(file.fit));
  if (file.kind === 'two-stage') {
    const { shift, scale } = TwoStageJson.parse(file.fit);
    const { model } = await loadModel(join(dir, 'model'));
    return twoStageDistribution({ model: model as GenerativeModel, shift, scale });
  }
  return undefined;
}

export interface CodeSamplerOptions {
  /** The training codes, or how to compute them (called only when no valid saved fit exists). */
  codes: Matrix | (() => Promise<Matrix>);
  /** Where the fit is kept and the saved model it belongs to; without it the fit is not kept. */
  cache?: { modelDir: string; modelSavedAt: string };
  /** Fit again even when a saved fit exists (and replace it). */
  refit?: boolean;
  seed?: number;
  onProgress?: OnProgress;
}

/** An autoencoder with a fitted code distribution as its prior: draws decoded by the model. */
export async function codeSampler(
  model: Autoencoder,
  kind: SamplerKind,
  options: CodeSamplerOptions,
): Promise<Sampler & { dispose(): void }> {
  // Discrete codes decode only as codebook vectors: a density fitted to those vectors draws points between them
  // (and a full-covariance fit of a whole code grid runs for minutes). The model's own prior samples the indices.
  if (hasDiscreteCodes(model))
    throw new ConfigError(
      `"${model.kind}" codes are grids of codebook indices, which its own autoregressive prior samples; a ${kind} fitted to their vectors would decode points between codebook entries: sample without a sampler`,
      { path: 'sampler' },
    );
  const { cache } = options;
  const codesOf = async () => {
    const codes = typeof options.codes === 'function' ? await options.codes() : options.codes;
    if (codes.cols !== model.latentSize)
      throw new ConfigError(
        `codes have ${codes.cols} columns, but the model's latent size is ${model.latentSize}`,
        {
          path: 'codes',
        },
      );
    return codes;
  };
  if (kind === 'gaussian') {
    const file = cache ? codePriorFile(cache.modelDir) : undefined;
    const sampler = await codePrior(model, {
      codes: codesOf,
      cache: file && cache ? { file, modelSavedAt: cache.modelSavedAt } : undefined,
      refit: options.refit,
    });
    return { ...sampler, dispose() {} };
  }
  const dir = cache ? samplerDir(cache.modelDir, kind) : undefined;
  let distribution =
    dir && cache && !options.refit
      ? await loadDistribution(dir, cache.modelSavedAt, model.latentSize)
      : undefined;
  if (!distribution) {
    const codes = await codesOf();
    const fitted = fitDistribution(kind, codes, options.seed ?? 0, options.onProgress);
    if (dir && cache)
      await saveDistribution(
        dir,
        { kind, modelSavedAt: cache.modelSavedAt, codes: codes.rows, dims: codes.cols },
        fitted,
      );
    distribution = fitted.distribution;
  }
  const drawn = distribution;
  return {
    latentSize: model.latentSize,
    conditional: model.conditional,
    context: model.context,
    samplePrior(n: number, seed: number): Tensor {
      return tf.tensor2d(drawn.sample(n, seed).data, [n, drawn.dims]);
    },
    generate(z: Tensor, labels?: Tensor): Tensor {
      return model.decode(z, labels);
    },
    dispose: () => drawn.dispose(),
  };
}
