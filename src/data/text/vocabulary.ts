// The vocabulary of a text dataset: token strings by id, fitted on the training split only, saved with the
// model so that new text is encoded with the model's ids. Ids 0-3 are reserved (below); real tokens from 4 on.
import { z } from 'zod';
import { DataError } from '../../errors.js';
import { joinTokens, type TokenizerKind, tokenize } from './tokenizer.js';

export const PAD_ID = 0;
export const UNK_ID = 1;
export const BOS_ID = 2;
export const EOS_ID = 3;
export const RESERVED_TOKENS = ['<pad>', '<unk>', '<bos>', '<eos>'] as const;

export interface TextVocabulary {
  readonly tokenizer: TokenizerKind;
  readonly lowercase: boolean;
  /** Index = id; tokens[0..3] are <pad>, <unk>, <bos>, <eos>. */
  readonly tokens: readonly string[];
  /** Row length: tokens, then <eos>, then <pad> up to it. */
  readonly maxLength: number;
  /** Samples of this split cut to maxLength - 1 tokens (0 in a saved vocabulary). */
  readonly truncated: number;
}

/** The vocabulary as saved in a model's manifest (`text`): everything but the per-split truncation count. */
export const SavedVocabularySchema = z.object({
  tokenizer: z.enum(['char', 'word']),
  lowercase: z.boolean(),
  tokens: z.array(z.string()).min(RESERVED_TOKENS.length),
  maxLength: z.number().int().positive(),
});
export type SavedVocabulary = z.infer<typeof SavedVocabularySchema>;

export const DEFAULT_MAX_VOCAB = 10_000;

/** Defaults by tokenizer: a word must be seen twice to get an id, a character once; rows of 40 words or 120 characters. */
export function textDefaults(tokenizer: TokenizerKind): { minCount: number; maxLength: number } {
  return tokenizer === 'word' ? { minCount: 2, maxLength: 40 } : { minCount: 1, maxLength: 120 };
}

export interface VocabularyOptions {
  tokenizer: TokenizerKind;
  lowercase: boolean;
  /** Tokens seen fewer times in the training split map to <unk> (default: 2 for words, 1 for characters). */
  minCount?: number;
  /** At most this many real tokens (the four reserved ones not counted), most frequent first (default 10,000). */
  maxVocab?: number;
  /** Row length (default: 40 for words, 120 for characters); at least 1. */
  maxLength?: number;
}

export function checkMaxLength(maxLength: number, where = 'maxLength'): number {
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new DataError(
      `expected a max length of at least 1 token (a row holds the tokens and then <eos>), got ${maxLength}`,
      { path: where },
    );
  }
  return maxLength;
}

const RESERVED = new Set<string>(RESERVED_TOKENS);

/** Adds a sample's tokens to running counts (the reserved tokens are never counted): fitVocabulary's one pass. */
export function countTokens(counts: Map<string, number>, tokens: readonly string[]): void {
  for (const token of tokens) if (!RESERVED.has(token)) counts.set(token, (counts.get(token) ?? 0) + 1);
}

/**
 * A vocabulary from the token lists of the training split: tokens seen at least `minCount` times, most frequent
 * first, ties in order of first appearance (so the same data always gives the same ids), at most `maxVocab`.
 */
export function fitVocabulary(
  train: readonly (readonly string[])[],
  options: VocabularyOptions,
): TextVocabulary {
  const counts = new Map<string, number>();
  for (const tokens of train) countTokens(counts, tokens);
  return vocabularyFromCounts(counts, options);
}

/** fitVocabulary from token counts made by countTokens (a streamed training split's, say). */
export function vocabularyFromCounts(
  counts: ReadonlyMap<string, number>,
  options: VocabularyOptions,
): TextVocabulary {
  const defaults = textDefaults(options.tokenizer);
  const minCount = options.minCount ?? defaults.minCount;
  const maxVocab = options.maxVocab ?? DEFAULT_MAX_VOCAB;
  const maxLength = checkMaxLength(options.maxLength ?? defaults.maxLength);
  if (!Number.isInteger(minCount) || minCount < 1)
    throw new DataError(`expected a min count of at least 1, got ${minCount}`, { path: 'minCount' });
  if (!Number.isInteger(maxVocab) || maxVocab < 1)
    throw new DataError(`expected a max vocabulary of at least 1 token, got ${maxVocab}`, {
      path: 'maxVocab',
    });
  // Map iteration is insertion order, i.e. first appearance; the sort is stable.
  const kept = [...counts].filter(([, n]) => n >= minCount).sort((a, b) => b[1] - a[1]);
  return {
    tokenizer: options.tokenizer,
    lowercase: options.lowercase,
    tokens: [...RESERVED_TOKENS, ...kept.slice(0, maxVocab).map(([token]) => token)],
    maxLength,
    truncated: 0,
  };
}

/** A vocabulary read back from a model: the four reserved tokens first, no token twice. */
export function checkVocabulary(vocabulary: Omit<TextVocabulary, 'truncated'>, where: string): void {
  const first = vocabulary.tokens.slice(0, RESERVED_TOKENS.length);
  if (first.join('\u0000') !== RESERVED_TOKENS.join('\u0000')) {
    throw new DataError(
      `the vocabulary must start with ${RESERVED_TOKENS.join(', ')} (ids 0-3), got ${first.join(', ')}`,
      { path: where },
    );
  }
  const seen = new Set<string>();
  for (const token of vocabulary.tokens) {
    if (seen.has(token))
      throw new DataError(`the vocabulary holds token ${JSON.stringify(token)} twice`, { path: where });
    seen.add(token);
  }
  checkMaxLength(vocabulary.maxLength, where);
}

/**
 * Rows of `maxLength` ids, one per token list: the tokens (unknown ones as <unk>), then <eos>, then <pad>.
 * A list longer than maxLength - 1 is cut to its first maxLength - 1 tokens and counted in `truncated`.
 */
export function encodeTokenLists(
  vocabulary: Pick<TextVocabulary, 'tokens' | 'maxLength'>,
  lists: readonly (readonly string[])[],
): { x: Float32Array; truncated: number } {
  const { maxLength } = vocabulary;
  const ids = new Map<string, number>();
  vocabulary.tokens.forEach((token, id) => {
    if (id >= RESERVED_TOKENS.length) ids.set(token, id);
  });
  const x = new Float32Array(lists.length * maxLength); // zeros: <pad>
  let truncated = 0;
  lists.forEach((tokens, row) => {
    const keep = Math.min(tokens.length, maxLength - 1);
    if (tokens.length > keep) truncated++;
    const at = row * maxLength;
    for (let i = 0; i < keep; i++) x[at + i] = ids.get(tokens[i]) ?? UNK_ID;
    x[at + keep] = EOS_ID;
  });
  return { x, truncated };
}

/** Strings tokenized with the vocabulary's own tokenizer and encoded as rows (see encodeTokenLists). */
export function encodeText(
  vocabulary: Pick<TextVocabulary, 'tokenizer' | 'lowercase' | 'tokens' | 'maxLength'>,
  strings: readonly string[],
): Float32Array {
  return encodeTokenLists(
    vocabulary,
    strings.map((s) => tokenize(s, vocabulary)),
  ).x;
}

/**
 * Text from ids: stops at the first <eos>, skips <pad> and <bos>; an id that is not a token of the vocabulary
 * (out of range, not an integer) reads as <unk>. Characters are joined as they are, words with one space.
 */
export function decodeIds(
  vocabulary: Pick<TextVocabulary, 'tokenizer' | 'tokens'>,
  ids: ArrayLike<number>,
): string {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id === EOS_ID) break;
    if (id === PAD_ID || id === BOS_ID) continue;
    const known = Number.isInteger(id) && id >= 0 && id < vocabulary.tokens.length;
    out.push(known ? vocabulary.tokens[id] : RESERVED_TOKENS[UNK_ID]);
  }
  return joinTokens(out, vocabulary.tokenizer);
}

/** Rows of token ids (`rows` of `maxLength` each, as in a text dataset's x) as strings, one per row. */
export function rowsAsText(
  vocabulary: Pick<TextVocabulary, 'tokenizer' | 'tokens' | 'maxLength'>,
  ids: ArrayLike<number>,
  rows: number,
): string[] {
  const length = vocabulary.maxLength;
  return Array.from({ length: rows }, (_, row) =>
    decodeIds(vocabulary, Array.prototype.slice.call(ids, row * length, (row + 1) * length) as number[]),
  );
}

/** Share of the target's tokens (every position that is not <pad>, <eos> included) that `output` has the same. */
export function tokenAccuracy(target: ArrayLike<number>, output: ArrayLike<number>): number {
  let counted = 0;
  let same = 0;
  for (let i = 0; i < target.length; i++) {
    if (target[i] === PAD_ID) continue;
    counted++;
    if (output[i] === target[i]) same++;
  }
  return counted === 0 ? 0 : same / counted;
}
