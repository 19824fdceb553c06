// Saved models: each network in the standard TensorFlow.js layers format (model.json + weights.bin,
// loadable by a plain tf.loadLayersModel), plus latentlab's manifest.json with everything else.
import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, sep, win32 } from 'node:path';
import { featureShape } from '../data/audio/features.js';
import { checkVocabulary } from '../data/text/vocabulary.js';
import { ensureBackend } from '../engine/backend.js';
import { tf, tfl } from '../engine/tf.js';
import { IoError, parseOrThrow } from '../errors.js';
import type { BuildContext, TrainableModel } from '../models/family.js';
import { upgradeModelConfig } from '../models/legacy.js';
import { getFamily } from '../models/registry.js';
import { LATENTLAB_VERSION } from '../version.js';
import { writeDirAtomic } from './atomic.js';
import { ModelManifest, modelManifest, networkFiles, type SaveModelExtras } from './model-format.js';

export {
  FeatureScalingSchema,
  ModelManifest,
  modelManifest,
  NetworkSignature,
  networkSignatures,
  type SaveModelExtras,
} from './model-format.js';

/** Save one network as dir/model.json + dir/weights.bin (standard layers format). */
export async function saveNetwork(network: tfl.LayersModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const files = await networkFiles(network, LATENTLAB_VERSION, dir);
  await writeFile(join(dir, 'weights.bin'), files.weights);
  await writeFile(join(dir, 'model.json'), files.modelJson);
}

/**
 * The real path of weight file `path` named in `modelPath`, refused unless it is a relative path without ".."
 * that stays inside `dir` after symlinks: a model file can make the loader read nothing else on the machine.
 */
async function weightFile(dir: string, path: unknown, modelPath: string): Promise<string> {
  const outside = () =>
    new IoError(
      `weight path ${JSON.stringify(path)} leads outside the model directory (expected a relative path inside ${dir}, without "..")`,
      { path: modelPath },
    );
  if (typeof path !== 'string' || path === '' || isAbsolute(path) || win32.isAbsolute(path)) throw outside();
  if (path.split(/[\\/]/).includes('..')) throw outside();
  let real: string;
  try {
    real = await realpath(join(dir, path));
  } catch (error) {
    throw new IoError('cannot read weight file named in model.json', { path: join(dir, path), cause: error });
  }
  const rel = relative(await realpath(dir), real);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw outside();
  return real;
}

/** Load dir/model.json + its weight files without any network access. */
export async function loadNetwork(dir: string): Promise<tfl.LayersModel> {
  const modelPath = join(dir, 'model.json');
  let modelJson: {
    modelTopology?: unknown;
    weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  };
  try {
    modelJson = JSON.parse(await readFile(modelPath, 'utf8'));
  } catch (error) {
    throw new IoError('cannot read model.json (missing or not JSON)', { path: modelPath, cause: error });
  }
  if (!modelJson.modelTopology || !Array.isArray(modelJson.weightsManifest)) {
    throw new IoError('model.json lacks modelTopology or weightsManifest', { path: modelPath });
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of modelJson.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const file = await weightFile(dir, p, modelPath);
      try {
        buffers.push(await readFile(file));
      } catch (error) {
        throw new IoError('cannot read weight file named in model.json', {
          path: join(dir, p),
          cause: error,
        });
      }
    }
  }
  const weightData = new Uint8Array(Buffer.concat(buffers)).buffer;
  try {
    return await tfl.loadLayersModel(
      tf.io.fromMemory({ modelTopology: modelJson.modelTopology as object, weightSpecs: specs, weightData }),
    );
  } catch (error) {
    throw new IoError(`cannot rebuild the network: ${(error as Error).message}`, {
      path: modelPath,
      cause: error,
    });
  }
}

/** Save a trained model into `dir` atomically (the directory appears complete or not at all). */
export async function saveModel(
  model: TrainableModel,
  dir: string,
  extras: SaveModelExtras = {},
): Promise<void> {
  const manifest = modelManifest(model, extras, LATENTLAB_VERSION);
  await writeDirAtomic(dir, async (temp) => {
    for (const [name, network] of Object.entries(model.networks))
      await saveNetwork(network, join(temp, name));
    await writeFile(join(temp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  });
}

export async function readManifest(dir: string): Promise<ModelManifest> {
  const path = join(dir, 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new IoError('cannot read manifest.json (is this a latentlab model directory?)', {
      path,
      cause: error,
    });
  }
  const parsed = ModelManifest.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new IoError(`invalid manifest at field "${issue.path.join('.')}": ${issue.message}`, { path });
  }
  checkManifestText(parsed.data, path);
  checkManifestAudio(parsed.data, path);
  return parsed.data;
}

/**
 * A text model's vocabulary must fit it: reserved tokens first, no token twice, as many tokens as the model
 * has ids, rows as long as its samples.
 */
function checkManifestText(manifest: ModelManifest, path: string): void {
  const { text, context } = manifest;
  if (!text) return;
  const where = `${path}#text`;
  try {
    checkVocabulary(text, where);
  } catch (error) {
    throw new IoError(`invalid vocabulary: ${(error as Error).message}`, { path: where, cause: error });
  }
  if (context.vocabularySize !== undefined && context.vocabularySize !== text.tokens.length) {
    throw new IoError(
      `the vocabulary has ${text.tokens.length} tokens, but the model was built for ${context.vocabularySize} token ids`,
      { path: where },
    );
  }
  if (context.sampleShape.length !== 1 || context.sampleShape[0] !== text.maxLength) {
    throw new IoError(
      `the vocabulary's rows are ${text.maxLength} tokens, but the model takes samples of shape [${context.sampleShape}]`,
      { path: where },
    );
  }
}

/** An audio model's features must make its samples: [mels, frames, 1] spectrograms or [samples, 1] waveforms. */
function checkManifestAudio(manifest: ModelManifest, path: string): void {
  const { audio, context } = manifest;
  if (!audio) return;
  const shape = featureShape(audio);
  if (shape.join('x') !== context.sampleShape.join('x'))
    throw new IoError(
      `the audio features make samples of shape [${shape}], but the model takes [${context.sampleShape}]`,
      { path: `${path}#audio` },
    );
}

export interface LoadedModel {
  model: TrainableModel;
  manifest: ModelManifest;
}

/** Restore a saved model (networks, config, scaling) from its directory. */
export async function loadModel(dir: string): Promise<LoadedModel> {
  await ensureBackend();
  const manifest = await readManifest(dir);
  const family = getFamily(manifest.kind);
  const config = parseOrThrow(
    family.configSchema,
    upgradeModelConfig(manifest.config),
    `${join(dir, 'manifest.json')}#config`,
  );
  const networks: Record<string, tfl.LayersModel> = {};
  for (const name of manifest.networks) networks[name] = await loadNetwork(join(dir, name));
  // Table families rebuild their output heads from the encoders' spans.
  const context: BuildContext = { ...manifest.context, ...(manifest.table ? { table: manifest.table } : {}) };
  return { model: family.restore(config, context, networks), manifest };
}
