// Tokenizers for text data: characters or words. The rules here are the ones the README states.
//
// Both first normalise the text to Unicode NFC and, with `lowercase` (the default), lower-case it
// (String.prototype.toLowerCase: locale-independent Unicode case mapping).
// - char: one token per Unicode code point (not per UTF-16 unit); every run of whitespace (spaces, tabs,
//   line breaks) becomes one space, and leading/trailing whitespace is dropped.
// - word: a word is a run of letters, combining marks and digits (Unicode \p{L}\p{M}\p{N}), which may hold
//   inner apostrophes (' or ’) followed by more letters: "don't", "o'clock". Every other character that is
//   not whitespace (punctuation, symbols, emoji) is a token of its own: "term-end." → term, -, end, .
//   Whitespace separates tokens and is never a token.

export type TokenizerKind = 'char' | 'word';

export interface TokenizerOptions {
  tokenizer: TokenizerKind;
  lowercase: boolean;
}

const WORD = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*|[^\s\p{L}\p{M}\p{N}]/gu;

/** The tokens of one sample under the rules above. */
export function tokenize(text: string, options: TokenizerOptions): string[] {
  let normal = text.normalize('NFC');
  if (options.lowercase) normal = normal.toLowerCase();
  if (options.tokenizer === 'char') return Array.from(normal.replace(/\s+/gu, ' ').trim());
  return normal.match(WORD) ?? [];
}

/** How tokens are joined back into text: nothing between characters, one space between words. */
export function joinTokens(tokens: readonly string[], tokenizer: TokenizerKind): string {
  return tokens.join(tokenizer === 'char' ? '' : ' ');
}

/**
 * Sentences of a text (`--unit sentence`): a sentence ends after `.`, `!` or `?` (with any closing quotes or
 * brackets after them) followed by whitespace, or at a blank line; line breaks inside a sentence become spaces.
 * Empty sentences are dropped.
 */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (const paragraph of text.split(/\r?\n\s*\r?\n/u)) {
    const flat = paragraph.replace(/\s+/gu, ' ').trim();
    if (!flat) continue;
    for (const sentence of flat.split(/(?<=[.!?]['"’”)\]]*)\s+/u)) {
      const s = sentence.trim();
      if (s) out.push(s);
    }
  }
  return out;
}
