// Isolation forest (Liu, Ting and Zhou 2008), with scikit-learn's and PyOD's defaults: 100 trees, each grown on
// 256 rows drawn without replacement to depth ceil(log2 256); a split picks a feature at random and a threshold
// uniformly between the node's minimum and maximum. The score is 2^(-E[h(x)] / c(256)), where h is the depth of
// the leaf x lands in plus c(rows in that leaf), c(n) the mean path length of an unsuccessful search in a
// binary search tree of n keys.
import { createRng } from '../../data/random.js';
import type { Matrix } from '../../io/arrays.js';
import { checkColumns, type Detector, fitted } from './detector.js';

const EULER_GAMMA = 0.5772156649015329;

/** c(n) = 2 H(n - 1) - 2 (n - 1) / n, H(i) ≈ ln i + γ; c(1) = 0, c(2) = 1 (as scikit-learn). */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/** Flat tree: node i splits on feature[i] at threshold[i] (feature -1: a leaf of size[i] rows). */
interface Tree {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  size: Int32Array;
}

function growTree(x: Matrix, rows: Int32Array, maxDepth: number, rng: () => number): Tree {
  const cap = 2 * rows.length;
  const tree: Tree = {
    feature: new Int32Array(cap).fill(-1),
    threshold: new Float64Array(cap),
    left: new Int32Array(cap),
    right: new Int32Array(cap),
    size: new Int32Array(cap),
  };
  let nodes = 0;
  const d = x.cols;
  const grow = (members: Int32Array, depth: number): number => {
    const node = nodes++;
    tree.size[node] = members.length;
    if (depth >= maxDepth || members.length <= 1) return node;
    // Features constant in this node cannot split it: draw among the others (scikit-learn's splitter does too).
    const candidates: number[] = [];
    const mins = new Float64Array(d).fill(Number.POSITIVE_INFINITY);
    const maxs = new Float64Array(d).fill(Number.NEGATIVE_INFINITY);
    for (const i of members) {
      for (let f = 0; f < d; f++) {
        const v = x.data[i * d + f];
        if (v < mins[f]) mins[f] = v;
        if (v > maxs[f]) maxs[f] = v;
      }
    }
    for (let f = 0; f < d; f++) if (maxs[f] > mins[f]) candidates.push(f);
    if (candidates.length === 0) return node;
    const f = candidates[Math.floor(rng() * candidates.length)];
    let threshold = mins[f] + rng() * (maxs[f] - mins[f]);
    if (threshold >= maxs[f]) threshold = mins[f];
    const goLeft = members.filter((i) => x.data[i * d + f] <= threshold);
    const goRight = members.filter((i) => x.data[i * d + f] > threshold);
    tree.feature[node] = f;
    tree.threshold[node] = threshold;
    tree.left[node] = grow(goLeft, depth + 1);
    tree.right[node] = grow(goRight, depth + 1);
    return node;
  };
  grow(rows, 0);
  return tree;
}

function pathLength(tree: Tree, x: Float32Array, offset: number): number {
  let node = 0;
  let depth = 0;
  while (tree.feature[node] >= 0) {
    node = x[offset + tree.feature[node]] <= tree.threshold[node] ? tree.left[node] : tree.right[node];
    depth++;
  }
  return depth + averagePathLength(tree.size[node]);
}

export interface IsolationForestOptions {
  trees?: number;
  /** Rows per tree (capped at the training rows). */
  subsample?: number;
  seed?: number;
}

export class IsolationForest implements Detector {
  readonly name = 'iforest';
  private state?: { trees: Tree[]; psi: number; cols: number };
  private readonly trees: number;
  private readonly subsample: number;
  private readonly seed: number;

  constructor(options: IsolationForestOptions = {}) {
    this.trees = options.trees ?? 100;
    this.subsample = options.subsample ?? 256;
    this.seed = options.seed ?? 0;
  }

  async fit(x: Matrix): Promise<void> {
    const rng = createRng(this.seed);
    const psi = Math.min(this.subsample, x.rows);
    const maxDepth = Math.ceil(Math.log2(Math.max(psi, 2)));
    const all = Int32Array.from({ length: x.rows }, (_, i) => i);
    const trees: Tree[] = [];
    for (let t = 0; t < this.trees; t++) {
      // A partial Fisher-Yates shuffle: the first psi rows of a fresh permutation.
      for (let i = 0; i < psi; i++) {
        const j = i + Math.floor(rng() * (x.rows - i));
        const swap = all[i];
        all[i] = all[j];
        all[j] = swap;
      }
      trees.push(growTree(x, all.slice(0, psi), maxDepth, rng));
    }
    this.state = { trees, psi, cols: x.cols };
  }

  async score(x: Matrix): Promise<Float64Array> {
    const { trees, psi, cols } = fitted(this.state, this.name);
    checkColumns(x, cols, this.name);
    const norm = averagePathLength(psi);
    return Float64Array.from({ length: x.rows }, (_, i) => {
      let total = 0;
      for (const tree of trees) total += pathLength(tree, x.data, i * cols);
      return 2 ** (-total / trees.length / norm);
    });
  }
}
