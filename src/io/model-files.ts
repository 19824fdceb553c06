// Saved models: each network in the standard TensorFlow.js layers format (model.json + weights.bin,
// loadable by a plain tf.loadLayersModel), plus latentlab's manifest.json with everything else.
import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, sep, win32 } from 'node:path';
import { z } from 'zod';
import { AudioFeatures, featureShape } from '../data/audio/features.js';
import { TableEncoding } from '../data/table/encoding.js';
import { checkVocabulary, SavedVocabularySchema, type TextVocabulary } from '../data/text/vocabulary.js';
import { ensureBackend } from '../engine/backend.js';
import { tf, tfl } from '../engine/tf.js';
import { IoError, parseOrThrow } from '../errors.js';
import type { BuildContext, TrainableModel } from '../models/family.js';
import { upgradeModelConfig } from '../models/legacy.js';
import { getFamily } from '../models/registry.js';
import { LATENTLAB_VERSION } from '../version.js';
import { writeDirAtomic } from './atomic.js';

export const FeatureScalingSchema = z.object({
  method: z.enum(['minmax', 'standard']),
  offset: z.array(z.number()),
  scale: z.array(z.number()),
});

const TensorSignature = z.object({
  name: z.string(),
  /** null: any size (the batch dimension). */
  shape: z.array(z.number().int().nullable()),
  meaning: z.string().optional(),
});

/** A saved network's inputs and outputs, in the order tfjs takes and returns them. */
export const NetworkSignature = z.object({
  summary: z.string().optional(),
  inputs: z.array(TensorSignature),
  outputs: z.array(TensorSignature),
});
export type NetworkSignature = z.infer<typeof NetworkSignature>;

export const ModelManifest = z.object({
  format: z.literal('latentlab-model'),
  formatVersion: z.literal(1),
  latentlabVersion: z.string(),
  kind: z.string(),
  config: z.record(z.string(), z.unknown()),
  context: z.object({
    sampleShape: z.array(z.number().int().positive()),
    numClasses: z.number().int().positive().optional(),
    vocabularySize: z.number().int().positive().optional(),
    seed: z.number().int(),
  }),
  /** Sub-directories holding a layers model each. */
  networks: z.array(z.string()),
  /** Per network, what it takes and outputs (absent in models saved before latentlab wrote it). */
  signatures: z.record(z.string(), NetworkSignature).optional(),
  /** The data spec the model was trained on (informational). */
  data: z.unknown().optional(),
  classNames: z.array(z.string()).optional(),
  scaling: FeatureScalingSchema.optional(),
  /** Text models: the vocabulary (tokenizer, tokens by id, row length), so text is encoded with the model's ids. */
  text: SavedVocabularySchema.optional(),
  /** Audio models: the clip and feature settings (data/audio), so sound is turned into the model's features and back. */
  audio: AudioFeatures.optional(),
  /** Table models: the column encoders (data/table), so rows are encoded as the model saw them and decoded back. */
  table: TableEncoding.optional(),
  metrics: z.record(z.string(), z.number()).optional(),
  savedAt: z.string(),
});
export type ModelManifest = z.infer<typeof ModelManifest>;

function joinWeightData(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  if (!Array.isArray(data)) return new Uint8Array(data);
  return new Uint8Array(Buffer.concat(data.map((b) => Buffer.from(b))));
}

/** Save one network as dir/model.json + dir/weights.bin (standard layers format). */
export async function saveNetwork(network: tfl.LayersModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await network.save(
    tf.io.withSaveHandler(async (artifacts) => {
      if (!artifacts.weightSpecs || !artifacts.weightData)
        throw new IoError('model has no weights to save', { path: dir });
      const weights = joinWeightData(artifacts.weightData as ArrayBuffer | ArrayBuffer[]);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: `latentlab ${LATENTLAB_VERSION}`,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      await writeFile(join(dir, 'weights.bin'), weights);
      await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
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

/**
 * What each network takes and outputs: names and shapes from the network, meanings from the family's
 * `networkRoles` (none when it declares none), so a stock tfjs user knows e.g. that a decoder gives logits.
 */
export function networkSignatures(model: TrainableModel): Record<string, NetworkSignature> {
  const roles = model.networkRoles?.() ?? {};
  const tensors = (list: tfl.SymbolicTensor[], meanings: readonly string[] | undefined) =>
    list.map((t, i) => ({ name: t.name, shape: [...t.shape], meaning: meanings?.[i] }));
  return Object.fromEntries(
    Object.entries(model.networks).map(([name, network]) => {
      const role = roles[name];
      return [
        name,
        {
          summary: role?.summary,
          inputs: tensors(network.inputs, role?.inputs),
          outputs: tensors(network.outputs, role?.outputs),
        },
      ];
    }),
  );
}

export interface SaveModelExtras {
  data?: unknown;
  classNames?: readonly string[];
  scaling?: ModelManifest['scaling'];
  /** Text data's vocabulary (a split's `truncated` count is not saved). */
  text?: Omit<TextVocabulary, 'truncated'>;
  /** Audio data's features. */
  audio?: AudioFeatures;
  /** A table's column encoders. */
  table?: TableEncoding;
  metrics?: Record<string, number>;
}

function withoutData(context: BuildContext): Omit<BuildContext, 'audio' | 'table'> {
  const { audio: _audio, table: _table, ...rest } = context;
  return rest;
}

/** Save a trained model into `dir` atomically (the directory appears complete or not at all). */
export async function saveModel(
  model: TrainableModel,
  dir: string,
  extras: SaveModelExtras = {},
): Promise<void> {
  const manifest: ModelManifest = {
    format: 'latentlab-model',
    formatVersion: 1,
    latentlabVersion: LATENTLAB_VERSION,
    kind: model.kind,
    config: model.config as Record<string, unknown>,
    // The audio features and table encoders are saved once, as `audio` and `table` below.
    context: withoutData(model.context),
    networks: Object.keys(model.networks),
    signatures: networkSignatures(model),
    data: extras.data,
    classNames: extras.classNames ? [...extras.classNames] : undefined,
    scaling: extras.scaling,
    text: extras.text
      ? {
          tokenizer: extras.text.tokenizer,
          lowercase: extras.text.lowercase,
          tokens: [...extras.text.tokens],
          maxLength: extras.text.maxLength,
        }
      : undefined,
    audio: extras.audio,
    table: extras.table ?? model.context.table,
    metrics: extras.metrics,
    savedAt: new Date().toISOString(),
  };
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
