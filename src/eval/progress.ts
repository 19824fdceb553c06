// Progress of long work other than training (UMAP, the IWAE bound, scoring, encoding): the library calls an
// optional callback, the CLI draws it (src/cli/progress.ts). Training reports through TrainCallbacks instead.

/** `done` of `total` units of `task` (e.g. 'umap' epochs, 'iwae' samples); `done` only grows, up to `total`. */
export interface Progress {
  task: string;
  done: number;
  total: number;
}

export type OnProgress = (progress: Progress) => void;
