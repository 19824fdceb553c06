// Loaded models, least recently used first out: an evicted model's tensors are disposed. A model is reloaded
// when its manifest changes (a run retrained or resumed). Use it inside TensorQueue jobs only.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type LoadedModel, loadModel } from '../io/model-files.js';
import type { RunsDirectory } from './runs.js';

export interface CachedModel extends LoadedModel {
  /** The model directory (real path). */
  dir: string;
  /** Derived state worth keeping with the model (e.g. a Mahalanobis fit), dropped with it. */
  memo: Map<string, unknown>;
}

/** A model directory and its manifest's stamp (mtime, size, inode): a new stamp is a retrained model. */
export interface ModelVersion {
  dir: string;
  stamp: string;
}

interface Entry {
  model: CachedModel;
  stamp: string;
}

export class ModelCache {
  private readonly entries = new Map<string, Entry>();
  loads = 0;

  constructor(
    private readonly runs: RunsDirectory,
    readonly capacity = 4,
  ) {}

  /**
   * Where run `name`'s model is and which version it is: the file system work of `get`, which needs no queue
   * job, so requests do it while they wait rather than the queue while it runs.
   */
  async check(name: string, resolved?: string): Promise<ModelVersion> {
    // `resolved`: the directory this request already resolved `name` to (checked inside the runs directory).
    const dir = resolved ?? (await this.runs.modelDir(name));
    const info = await stat(join(dir, 'manifest.json'));
    return { dir, stamp: `${info.mtimeMs}:${info.size}:${info.ino}` };
  }

  /** The model of run `name` (as `check` found it, when given: no file system work), loaded if need be. */
  async get(name: string, version?: ModelVersion): Promise<CachedModel> {
    const { dir, stamp } = version ?? (await this.check(name));
    const entry = this.entries.get(dir);
    if (entry) {
      this.entries.delete(dir);
      if (entry.stamp === stamp) {
        this.entries.set(dir, entry);
        return entry.model;
      }
      entry.model.model.dispose();
    }
    const loaded = await loadModel(dir);
    this.loads++;
    const model: CachedModel = { ...loaded, dir, memo: new Map() };
    this.entries.set(dir, { model, stamp });
    for (const [key, old] of this.entries) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(key);
      old.model.model.dispose();
    }
    return model;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Dispose every cached model. */
  clear(): void {
    for (const entry of this.entries.values()) entry.model.model.dispose();
    this.entries.clear();
  }
}
