// Text in and out of the /v1 operations for runs whose manifest holds a vocabulary (seq-ae, seq-vae, lm):
// strings tokenized with the model's saved vocabulary, token ids written back as strings, and the decoding
// options (temperature, top-k) applied to the cached model for one job only.
import type { z } from 'zod';
import { type Dataset, makeDataset } from '../data/dataset.js';
import { tokenize } from '../data/text/tokenizer.js';
import { encodeTokenLists, rowsAsText, type SavedVocabulary, UNK_ID } from '../data/text/vocabulary.js';
import { choosesTokens, GREEDY } from '../models/seq/model.js';
import { HttpError } from './errors.js';
import type { CachedModel } from './model-cache.js';
import type { TextInfo, Tokenized } from './schemas.js';

/** What a client needs to know of a text run's vocabulary (the listing leaves the tokens in the manifest). */
export function textInfo(vocabulary: SavedVocabulary): z.output<typeof TextInfo> {
  return {
    tokenizer: vocabulary.tokenizer,
    lowercase: vocabulary.lowercase,
    vocabularySize: vocabulary.tokens.length,
    maxLength: vocabulary.maxLength,
  };
}

/** The run's vocabulary, or a 400 on `field`: the model was not trained on text. */
export function vocabularyOf(cached: CachedModel, field: string): SavedVocabulary {
  const text = cached.manifest.text;
  if (!text)
    throw new HttpError(
      400,
      `"${cached.model.kind}" was not trained on text: give inputs (samples as arrays or images), not ${field}`,
      field,
    );
  return text;
}

/** A 400 on `field` when samples (arrays or images) come for a model of text. */
export function refuseSamples(cached: CachedModel, field: string): void {
  if (cached.manifest.text)
    throw new HttpError(
      400,
      `"${cached.model.kind}" reads text: give "texts" (strings; an interpolation end as {"text": ...}), not samples`,
      field,
    );
}

/**
 * Strings as the model's rows (tokens, <eos>, <pad>) with what tokenizing did to each: the tokens it kept,
 * how many of them are <unk>, and whether the text was cut to maxLength - 1 tokens.
 */
export function encodeTexts(
  vocabulary: SavedVocabulary,
  texts: readonly string[],
): { x: Float32Array; tokenized: z.output<typeof Tokenized>[] } {
  const lists = texts.map((text) => tokenize(text, vocabulary));
  const { x } = encodeTokenLists(vocabulary, lists);
  const width = vocabulary.maxLength;
  const tokenized = lists.map((list, row) => {
    const kept = Math.min(list.length, width - 1);
    let unknown = 0;
    for (let i = 0; i < kept; i++) if (x[row * width + i] === UNK_ID) unknown++;
    return { tokens: kept, unknown, truncated: list.length > kept };
  });
  return { x, tokenized };
}

/** Strings as a request dataset of the model's rows (labels checked by the caller). */
export function textDataset(
  cached: CachedModel,
  texts: readonly string[],
  labels: Int32Array | undefined,
  field = 'texts',
): { dataset: Dataset; tokenized: z.output<typeof Tokenized>[] } {
  const vocabulary = vocabularyOf(cached, field);
  const { x, tokenized } = encodeTexts(vocabulary, texts);
  return { dataset: makeDataset('request', [vocabulary.maxLength], x, labels), tokenized };
}

/** Rows of token ids as strings, when the run is text; undefined otherwise. */
export function idsAsTexts(cached: CachedModel, ids: ArrayLike<number>, count: number): string[] | undefined {
  const text = cached.manifest.text;
  return text ? rowsAsText(text, ids, count) : undefined;
}

export interface DecodingOptions {
  temperature?: number;
  topK?: number;
}

/**
 * Runs `work` with the model choosing tokens as asked (seeded by `seed`), then puts the model's own choice back:
 * the model is cached and shared by later jobs. Options for a model that does not choose tokens are a 400.
 */
export async function withDecoding<T>(
  cached: CachedModel,
  options: DecodingOptions,
  seed: number,
  work: () => Promise<T>,
): Promise<T> {
  const { temperature, topK } = options;
  if (temperature === undefined && topK === undefined) return work();
  const model = cached.model;
  const field = temperature !== undefined ? 'temperature' : 'topK';
  if (!choosesTokens(model))
    throw new HttpError(
      400,
      `chooses the tokens of text models (seq-ae, seq-vae, lm); "${model.kind}" has none`,
      field,
    );
  if (topK && !temperature)
    throw new HttpError(
      400,
      'draws among the k most likely tokens, so it needs a temperature above 0',
      'topK',
    );
  const saved = model.decoding;
  model.decoding = { ...GREEDY, temperature: temperature ?? 0, topK: topK ?? 0, seed };
  try {
    return await work();
  } finally {
    model.decoding = saved;
  }
}
