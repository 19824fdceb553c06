// The runs directory: run names checked and resolved so none reaches outside it (symlinks included), and the
// JSON describing runs (config, progress, test figures, model manifest) that /v1/runs serves.
import type { Dirent } from 'node:fs';
import { readdir, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { readJsonIfAny, readJsonLines } from '../io/json-files.js';
import { type ModelManifest, readManifest } from '../io/model-files.js';
import { runPaths } from '../train/run-dir.js';
import { HttpError } from './errors.js';
import { textInfo } from './text.js';

/** One path segment of ordinary characters: no separators, no "..", no leading dot, no control characters. */
export const RUN_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$/;

export const isRunName = (name: string) => RUN_NAME.test(name) && !name.includes('..');

export function checkRunName(name: string): void {
  if (!isRunName(name))
    throw new HttpError(
      400,
      `expected a run name (letters, digits, ".", "_", "-", one path segment, not starting with "."), got ${JSON.stringify(name.slice(0, 80))}`,
      'run',
    );
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

export interface RunListing {
  name: string;
  config?: unknown;
  summary?: unknown;
  epochsDone: number;
  lastEpoch?: unknown;
  /** The saved model's manifest (kind, config, sample shape, data, metrics), when training has finished. */
  model?: ModelManifest;
  /** A text run: its tokenizer, vocabulary size and row length (the tokens are in the manifest). */
  text?: ReturnType<typeof textInfo>;
}

export interface RunDetails extends RunListing {
  /** Every line of metrics.jsonl (one per epoch). */
  history: unknown[];
}

export class RunsDirectory {
  readonly root: string;

  constructor(dir: string) {
    this.root = resolve(dir);
  }

  private async realRoot(): Promise<string> {
    try {
      return await realpath(this.root);
    } catch {
      throw new HttpError(404, 'the runs directory does not exist', 'run');
    }
  }

  /** The real path of `target` if it exists and lies inside the runs directory, after symlinks. */
  private async contained(target: string, what: string, realRoot?: string): Promise<string | undefined> {
    const root = realRoot ?? (await this.realRoot());
    let real: string;
    try {
      real = await realpath(target);
    } catch {
      return undefined;
    }
    if (!isInside(root, real)) throw new HttpError(403, `${what} leads outside the runs directory`, 'run');
    return real;
  }

  /**
   * The run directory for `name` (real path): 400 for a bad name, 404 when absent, 403 when it escapes.
   * `realRoot`: the runs directory's real path, when the caller has resolved it already.
   */
  async resolve(name: string, realRoot?: string): Promise<string> {
    checkRunName(name);
    const real = await this.contained(join(this.root, name), `run "${name}"`, realRoot);
    if (!real) throw new HttpError(404, `no run named "${name}"`, 'run');
    return real;
  }

  /** A file or directory inside run `name` (real path), or undefined when absent; 403 when it escapes. */
  async file(name: string, path: string): Promise<string | undefined> {
    const run = await this.resolve(name);
    return this.contained(join(run, path), `"${path}" of run "${name}"`);
  }

  /** The model directory of run `name`: RUN/model, or RUN itself when it is a model directory. */
  async modelDir(name: string): Promise<string> {
    // Every request for a model asks this: the root is resolved once, each path once.
    const root = await this.realRoot();
    const run = await this.resolve(name, root);
    const inside = (dir: string, path: string) =>
      this.contained(join(dir, path), `"${relative(run, join(dir, path)) || path}" of run "${name}"`, root);
    if (await inside(run, 'manifest.json')) return run;
    const model = await inside(run, 'model');
    if (model && (await inside(model, 'manifest.json'))) return model;
    throw new HttpError(404, `run "${name}" has no trained model yet (no model/manifest.json)`, 'run');
  }

  private async readJson(name: string, path: string): Promise<unknown> {
    const file = await this.file(name, path);
    return file ? readJsonIfAny(file) : undefined;
  }

  private async history(name: string): Promise<unknown[]> {
    const file = await this.file(name, 'metrics.jsonl');
    return file ? readJsonLines(file) : [];
  }

  private async manifest(name: string): Promise<ModelManifest | undefined> {
    try {
      return await readManifest(await this.modelDir(name));
    } catch {
      return undefined;
    }
  }

  async describe(name: string): Promise<RunDetails> {
    await this.resolve(name);
    const paths = runPaths('');
    const history = await this.history(name);
    const [config, summary, model] = await Promise.all([
      this.readJson(name, paths.config),
      this.readJson(name, paths.summary),
      this.manifest(name),
    ]);
    if (config === undefined && model === undefined)
      throw new HttpError(404, `"${name}" is not a run (no config.json or model/manifest.json)`, 'run');
    return {
      name,
      config,
      summary,
      epochsDone: history.length,
      lastEpoch: history.at(-1),
      model,
      ...(model?.text ? { text: textInfo(model.text) } : {}),
      history,
    };
  }

  /** Every run directly in the runs directory (sorted by name); entries that are not runs are skipped. */
  async list(): Promise<RunListing[]> {
    let entries: Dirent[];
    try {
      entries = await readdir(this.root, { withFileTypes: true });
    } catch {
      return [];
    }
    const names = entries
      .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && isRunName(e.name))
      .map((e) => e.name)
      .sort();
    const out: RunListing[] = [];
    for (const name of names) {
      try {
        const { history: _history, ...listing } = await this.describe(name);
        out.push(listing);
      } catch {
        // Not a run, or a symlink out of the directory: not listed.
      }
    }
    return out;
  }
}
