// What data a studio run may read: the built-in sources, and files under the data roots the operator named
// (`latentlab studio --data-root DIR`), as TensorBoard confines itself to its logdir. Paths are resolved as
// the CLI resolves them (from the working directory), then must lie inside a root before and after symlinks.
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { siblingLabelsFile } from '../../data/sources/idx.js';
import type { DataSpec } from '../../data/spec.js';
import { UsageError } from '../../errors.js';
import { HttpError } from '../errors.js';

/** The spec's fields that name files or folders, by source. */
const FILE_FIELDS = {
  csv: ['path'],
  images: ['dir'],
  idx: ['images', 'labels'],
  text: ['path'],
  audio: ['dir'],
} as const;

type FileSpec = Extract<DataSpec, { source: keyof typeof FILE_FIELDS }>;

export const readsFiles = (spec: DataSpec): spec is FileSpec => spec.source in FILE_FIELDS;

/** The field of `spec` naming its main file or folder: `path`, `dir` or `images`. */
export function mainFileField(spec: FileSpec): string {
  return FILE_FIELDS[spec.source][0];
}

function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

interface Root {
  /** As given, made absolute. */
  given: string;
  real: string;
}

export class DataRoots {
  private constructor(private readonly roots: readonly Root[]) {}

  /** The roots, each an existing folder; a missing one is a usage error naming it. */
  static async open(dirs: readonly string[] = []): Promise<DataRoots> {
    const roots: Root[] = [];
    for (const dir of dirs) {
      const given = resolve(dir);
      let real: string;
      try {
        real = await realpath(given);
        if (!(await stat(real)).isDirectory()) throw new Error('not a directory');
      } catch {
        throw new UsageError(`data root "${dir}" is not an existing directory`, { path: '--data-root' });
      }
      roots.push({ given, real });
    }
    return new DataRoots(roots);
  }

  get size(): number {
    return this.roots.length;
  }

  private refuse(status: number, what: string, field: string): never {
    const allowed =
      this.roots.length === 0
        ? 'the studio reads no files: start the studio with --data-root DIR to let runs read files under DIR'
        : `runs read files under ${this.roots.map((r) => r.given).join(', ')} only (--data-root)`;
    throw new HttpError(
      status,
      `${what}: ${allowed}; built-in data (mnist, fashion-mnist, toy, fsdd) needs none`,
      field,
    );
  }

  /** The real path of `path` (file or folder), refused unless it lies inside a root, symlinks resolved. */
  async confinePath(path: string, field: string): Promise<string> {
    const shown = JSON.stringify(path);
    if (this.roots.length === 0) this.refuse(403, `${shown} is a path on the server`, field);
    const absolute = resolve(path);
    // Outside every root as written: refused before touching the disk, so nothing says whether it exists.
    if (!this.roots.some((root) => within(root.given, absolute) || within(root.real, absolute)))
      this.refuse(403, `${shown} is outside the studio's data roots`, field);
    let real: string;
    try {
      real = await realpath(absolute);
    } catch {
      throw new HttpError(400, `${shown} does not exist`, field);
    }
    if (!this.roots.some((root) => within(root.real, real)))
      this.refuse(403, `${shown} leads outside the studio's data roots (a symbolic link)`, field);
    return real;
  }

  /** `spec` with its files as confined real paths (an IDX file's labels named, if found beside it). */
  async confine(spec: DataSpec, prefix: string): Promise<DataSpec> {
    switch (spec.source) {
      case 'csv':
        return { ...spec, path: await this.confinePath(spec.path, `${prefix}.path`) };
      case 'text':
        // A folder's files and class subfolders are listed without following symlinks (data/text/sources.ts).
        return { ...spec, path: await this.confinePath(spec.path, `${prefix}.path`) };
      case 'images':
        // Files inside the folder are listed without following symlinks (src/data/sources/images.ts).
        return { ...spec, dir: await this.confinePath(spec.dir, `${prefix}.dir`) };
      case 'audio':
        // WAV files of a folder (and its class subfolders): the audio view plays them back.
        return { ...spec, dir: await this.confinePath(spec.dir, `${prefix}.dir`) };
      case 'idx': {
        const images = await this.confinePath(spec.images, `${prefix}.images`);
        if (spec.labels !== undefined)
          return { ...spec, images, labels: await this.confinePath(spec.labels, `${prefix}.labels`) };
        // The loader would take a sibling labels file: name it here, so it is checked too.
        const sibling = siblingLabelsFile(images);
        if (!sibling || !(await stat(sibling).catch(() => undefined))) return { ...spec, images };
        return { ...spec, images, labels: await this.confinePath(sibling, `${prefix}.labels`) };
      }
      default:
        return spec;
    }
  }
}
