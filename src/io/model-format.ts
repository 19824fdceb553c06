// The saved-model format without files: the manifest's schema, the manifest of a model, and one network as the
// standard layers files (model.json + weights.bin). model-files.ts writes them to disk; the studio's page, which
// trains in the browser, packs the same bytes into a downloaded run (no node:fs here).
import { z } from 'zod';
import { AudioFeatures } from '../data/audio/features.js';
import { TableEncoding } from '../data/table/encoding.js';
import { SavedVocabularySchema, type TextVocabulary } from '../data/text/vocabulary.js';
import { tf, type tfl } from '../engine/tf.js';
import { IoError } from '../errors.js';
import type { BuildContext, TrainableModel } from '../models/family.js';

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

/** The manifest.json of `model` as saved by latentlab `version` (the caller's; src/version.ts reads a file). */
export function modelManifest(
  model: TrainableModel,
  extras: SaveModelExtras,
  version: string,
): ModelManifest {
  return {
    format: 'latentlab-model',
    formatVersion: 1,
    latentlabVersion: version,
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
}

/** One network's files in the standard layers format: model.json's text and weights.bin's bytes. */
export interface NetworkFiles {
  modelJson: string;
  weights: Uint8Array;
}

function joinWeightData(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  if (!Array.isArray(data)) return new Uint8Array(data);
  const out = new Uint8Array(data.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const part of data) {
    out.set(new Uint8Array(part), at);
    at += part.byteLength;
  }
  return out;
}

/** `network` as model.json + weights.bin; `where` names it in errors. */
export async function networkFiles(
  network: tfl.LayersModel,
  version: string,
  where: string,
): Promise<NetworkFiles> {
  let files: NetworkFiles | undefined;
  await network.save(
    tf.io.withSaveHandler(async (artifacts) => {
      if (!artifacts.weightSpecs || !artifacts.weightData)
        throw new IoError('model has no weights to save', { path: where });
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: `latentlab ${version}`,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      files = {
        modelJson: JSON.stringify(modelJson),
        weights: joinWeightData(artifacts.weightData as ArrayBuffer | ArrayBuffer[]),
      };
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  return files!;
}
