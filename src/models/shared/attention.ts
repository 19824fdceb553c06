// Attention building blocks, as serialisable TensorFlow.js layers: patchify and un-patchify (images),
// learned positions, multi-head self-attention and pre-norm transformer blocks (optionally causal, optionally
// with a key-padding mask), and the token mask and masked mean pool that sequences of token ids need.
// Importing this module registers the classes, so tfl.loadLayersModel can rebuild saved networks.
import { type Tensor, tf, tfl } from '../../engine/tf.js';

type Shape = tfl.Shape;
type ConfigDict = tf.serialization.ConfigDict;
type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;
type Initializer = ReturnType<typeof tfl.initializers.zeros>;
type WeightAdder = (name: string, shape: number[], init: Initializer) => tfl.LayerVariable;

/** Activations the transformer MLP accepts; 'gelu' is the exact (erf) form, as tfjs-layers' 'gelu'. */
export const BLOCK_ACTIVATIONS = [
  'gelu',
  'relu',
  'leakyRelu',
  'elu',
  'selu',
  'tanh',
  'sigmoid',
  'linear',
] as const;
export type BlockActivation = (typeof BLOCK_ACTIVATIONS)[number];

// Per-weight seed offsets: far larger than the spread of per-layer seeds a family hands out
// (consecutive integers), so no two weights of a model share a random stream.
const SEED_STRIDE = 1_000_003;

function weightSeed(seed: number | undefined, index: number): number | undefined {
  return seed === undefined ? undefined : seed + index * SEED_STRIDE;
}

function glorot(seed: number | undefined, index: number) {
  return tfl.initializers.glorotUniform({ seed: weightSeed(seed, index) });
}

function single(inputs: Tensor | Tensor[]): Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new Error(`expected one input tensor, got ${inputs.length}`);
    return inputs[0];
  }
  return inputs;
}

function singleShape(shape: Shape | Shape[]): Shape {
  return (Array.isArray(shape[0]) ? shape[0] : shape) as Shape;
}

function optionalSeed(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

// ---- Patches ----

/**
 * [batch, h, w, c] → [batch, (h/p)*(w/p), p*p*c]. Token t = i*(w/p) + j is the patch at grid row i,
 * column j (row-major over the grid; rows i*p..i*p+p-1, columns j*p..j*p+p-1), and its features are
 * the patch's pixels flattened as [row, column, channel]: feature (dy*p + dx)*c + ch.
 */
export function patchify(x: Tensor, patchSize: number): Tensor {
  return tf.tidy(() => {
    const [batch, height, width, channels] = x.shape;
    const p = patchSize;
    if (height % p !== 0 || width % p !== 0)
      throw new Error(`patch size ${p} does not divide the image size ${height}x${width}`);
    // Rows split into (grid row, row in patch); each image row into (grid column, p*c pixels).
    const split = tf.reshape(x, [batch * (height / p), p, width / p, p * channels]);
    // [batch * gridRows, gridCols, p, p*c]: the p rows of a patch become adjacent.
    const grouped = tf.transpose(split, [0, 2, 1, 3]);
    return tf.reshape(grouped, [batch, (height / p) * (width / p), p * p * channels]);
  });
}

/** The inverse of `patchify`: [batch, (h/p)*(w/p), p*p*c] → [batch, h, w, c]. */
export function unpatchify(tokens: Tensor, patchSize: number, imageShape: readonly number[]): Tensor {
  return tf.tidy(() => {
    const [height, width, channels] = imageShape;
    const p = patchSize;
    const batch = tokens.shape[0];
    const expected = [(height / p) * (width / p), p * p * channels];
    if (tokens.shape[1] !== expected[0] || tokens.shape[2] !== expected[1])
      throw new Error(`cannot un-patchify [${tokens.shape}] into [${imageShape}] with patch size ${p}`);
    // [batch * gridRows, gridCols, p, p*c]
    const grouped = tf.reshape(tokens, [batch * (height / p), width / p, p, p * channels]);
    const split = tf.transpose(grouped, [0, 2, 1, 3]); // [batch * gridRows, p, gridCols, p*c]
    return tf.reshape(split, [batch, height, width, channels]);
  });
}

// ---- Shared maths (used inside the layers' tidy scopes) ----

/** [..., in] @ [in, out] + bias, with relu or nothing fused in (the fusions TensorFlow.js can differentiate). */
function linear(x: Tensor, kernel: Tensor, bias: Tensor, activation?: 'relu'): Tensor {
  const [inDim, outDim] = kernel.shape;
  const flat = tf.reshape(x, [-1, inDim]);
  const y = tf.fused.matMul({ a: flat as tf.Tensor2D, b: kernel as tf.Tensor2D, bias, activation });
  return tf.reshape(y, [...x.shape.slice(0, -1), outDim]);
}

function activate(x: Tensor, activation: BlockActivation): Tensor {
  switch (activation) {
    case 'gelu':
      return tf.mul(x, tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
    case 'relu':
      return tf.relu(x);
    case 'leakyRelu':
      return tf.leakyRelu(x, 0.2);
    case 'elu':
      return tf.elu(x);
    case 'selu':
      return tf.selu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'linear':
      return x;
  }
}

/** Normalise over the last axis, then scale and shift. */
function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, epsilon: number): Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
  return tf.add(tf.mul(normed, gamma), beta);
}

/** The four weights of a self-attention layer; see MultiHeadSelfAttention for their layout. */
interface AttentionWeights {
  qkvKernel: Tensor;
  qkvBias: Tensor;
  outKernel: Tensor;
  outBias: Tensor;
}

/**
 * What masking adds to a key's score: far below any real score, so softmax gives the key a weight of exactly 0
 * in float32, yet finite, so a query with every key masked gets uniform weights rather than NaN.
 */
const MASKED = -1e9;

/** [1, 1, tokens, tokens]: MASKED where key j comes after query i (j > i), 0 elsewhere. */
function causalBias(tokens: number): Tensor {
  const allowed = tf.linalg.bandPart(tf.ones([tokens, tokens]), -1, 0); // lower triangle, diagonal included
  return tf.reshape(tf.mul(tf.sub(1, allowed), MASKED), [1, 1, tokens, tokens]);
}

/** keep [batch, tokens] (1: a real token, 0: padding) → [batch, 1, 1, tokens]: MASKED at the padding keys. */
function keyPaddingBias(keep: Tensor): Tensor {
  const [batch, tokens] = keep.shape;
  return tf.reshape(tf.mul(tf.sub(1, keep), MASKED), [batch, 1, 1, tokens]);
}

/**
 * softmax(QK^T / sqrt(d_head) + bias) V per head, heads concatenated, then the output projection. `bias`
 * (broadcast to [batch, heads, tokens, tokens]) masks keys: causalBias, keyPaddingBias or their sum.
 */
function selfAttention(x: Tensor, w: AttentionWeights, heads: number, bias?: Tensor): Tensor {
  const [batch, tokens, dim] = x.shape;
  const headDim = dim / heads;
  const qkv = linear(x, w.qkvKernel, w.qkvBias); // [batch, tokens, 3*dim]
  // [batch, 3*heads, tokens, headDim]: one transpose serves q, k and v. Kept to rank 4: the wasm
  // backend's rank-5 transpose is ~20x slower per element.
  const grouped = tf.transpose(tf.reshape(qkv, [batch, tokens, 3 * heads, headDim]), [0, 2, 1, 3]);
  const [q, k, v] = tf.split(grouped, 3, 1); // each [batch, heads, tokens, headDim]
  // Scaling q (not the scores) is the same product and no more work.
  let scores = tf.matMul(tf.mul(q, 1 / Math.sqrt(headDim)), k, false, true); // [batch, heads, tokens, tokens]
  if (bias) scores = tf.add(scores, bias);
  const attention = tf.softmax(scores); // over the keys
  const context = tf.matMul(attention, v); // [batch, heads, tokens, headDim]
  const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch, tokens, dim]);
  return linear(merged, w.outKernel, w.outBias);
}

function checkHeads(dim: number | null, heads: number): void {
  if (dim == null) throw new Error('self-attention needs a known feature size (last axis)');
  if (dim % heads !== 0) throw new Error(`${heads} heads do not divide the feature size ${dim}`);
}

// ---- Layers ----

export interface PatchifyArgs extends LayerArgs {
  patchSize: number;
}

/** [batch, h, w, c] → [batch, tokens, p*p*c] without weights; token order as in `patchify`. */
export class Patchify extends tfl.layers.Layer {
  static className = 'LatentlabPatchify';
  readonly patchSize: number;

  constructor(args: PatchifyArgs) {
    super(args);
    if (!Number.isInteger(args.patchSize) || args.patchSize < 1)
      throw new Error(`patchSize must be a positive integer, got ${args.patchSize}`);
    this.patchSize = args.patchSize;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [batch, height, width, channels] = singleShape(inputShape);
    const p = this.patchSize;
    if (height == null || width == null || channels == null)
      throw new Error('Patchify needs a known image size');
    if (height % p !== 0 || width % p !== 0)
      throw new Error(`patch size ${p} does not divide the image size ${height}x${width}`);
    return [batch, (height / p) * (width / p), p * p * channels];
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return patchify(single(inputs), this.patchSize);
  }

  override getConfig(): ConfigDict {
    return { ...super.getConfig(), patchSize: this.patchSize };
  }
}

export interface UnpatchifyArgs extends LayerArgs {
  patchSize: number;
  /** The image each token sequence becomes: [h, w, c]. */
  imageShape: number[];
}

/** [batch, tokens, p*p*c] → [batch, h, w, c] without weights; the inverse of Patchify. */
export class Unpatchify extends tfl.layers.Layer {
  static className = 'LatentlabUnpatchify';
  readonly patchSize: number;
  readonly imageShape: number[];

  constructor(args: UnpatchifyArgs) {
    super(args);
    this.patchSize = args.patchSize;
    this.imageShape = [...args.imageShape];
    const [height, width] = this.imageShape;
    if (this.imageShape.length !== 3 || height % this.patchSize !== 0 || width % this.patchSize !== 0)
      throw new Error(`patch size ${this.patchSize} does not tile an image of shape [${this.imageShape}]`);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [singleShape(inputShape)[0], ...this.imageShape];
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return unpatchify(single(inputs), this.patchSize, this.imageShape);
  }

  override getConfig(): ConfigDict {
    return { ...super.getConfig(), patchSize: this.patchSize, imageShape: [...this.imageShape] };
  }
}

export interface PositionEmbeddingArgs extends LayerArgs {
  /** Seeds the initial embeddings (truncated normal, sd 0.02). */
  seed?: number | null;
}

/** Adds a learned [tokens, dim] embedding to every sequence: [batch, tokens, dim] → same. */
export class PositionEmbedding extends tfl.layers.Layer {
  // Prefixed: tfjs-layers has its own (unexported) 'PositionEmbedding' class.
  static className = 'LatentlabPositionEmbedding';
  readonly seed: number | undefined;
  private embeddings!: tfl.LayerVariable;

  constructor(args: PositionEmbeddingArgs = {}) {
    super(args);
    this.seed = optionalSeed(args.seed);
  }

  override build(inputShape: Shape | Shape[]): void {
    const [, tokens, dim] = singleShape(inputShape);
    if (tokens == null || dim == null) throw new Error('PositionEmbedding needs known tokens and features');
    const init = tfl.initializers.truncatedNormal({ stddev: 0.02, seed: weightSeed(this.seed, 0) });
    this.embeddings = this.addWeight('embeddings', [tokens, dim], 'float32', init);
    super.build(inputShape);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return singleShape(inputShape);
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return tf.tidy(() => tf.add(single(inputs), this.embeddings.read()));
  }

  override getConfig(): ConfigDict {
    return { ...super.getConfig(), seed: this.seed ?? null };
  }
}

export interface LayerNormArgs extends LayerArgs {
  epsilon?: number;
}

/**
 * Layer normalisation over the last axis with a learned scale and shift. tfjs-layers' own
 * LayerNormalization tiles its statistics and parameters to the input's shape, and the gradient of
 * that tile is one slice per repeat: thousands of kernels per step on [batch, tokens, dim].
 */
export class LayerNorm extends tfl.layers.Layer {
  static className = 'LatentlabLayerNorm';
  readonly epsilon: number;
  private gamma!: tfl.LayerVariable;
  private beta!: tfl.LayerVariable;

  constructor(args: LayerNormArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-5;
  }

  override build(inputShape: Shape | Shape[]): void {
    const dim = singleShape(inputShape).at(-1);
    if (dim == null) throw new Error('LayerNorm needs a known feature size (last axis)');
    this.gamma = this.addWeight('gamma', [dim], 'float32', tfl.initializers.ones());
    this.beta = this.addWeight('beta', [dim], 'float32', tfl.initializers.zeros());
    super.build(inputShape);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return singleShape(inputShape);
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return tf.tidy(() => layerNorm(single(inputs), this.gamma.read(), this.beta.read(), this.epsilon));
  }

  override getConfig(): ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}

export interface MultiHeadSelfAttentionArgs extends LayerArgs {
  heads: number;
  seed?: number | null;
}

/**
 * Multi-head self-attention over [batch, tokens, dim]. Weights, in getWeights() order:
 * qkv kernel [dim, 3*dim] and bias [3*dim] (columns: q, then k, then v; head h owns columns
 * h*dim/heads .. (h+1)*dim/heads - 1 of each), output kernel [dim, dim] and bias [dim].
 */
export class MultiHeadSelfAttention extends tfl.layers.Layer {
  static className = 'LatentlabMultiHeadSelfAttention';
  readonly heads: number;
  readonly seed: number | undefined;
  private attention!: Record<keyof AttentionWeights, tfl.LayerVariable>;

  constructor(args: MultiHeadSelfAttentionArgs) {
    super(args);
    if (!Number.isInteger(args.heads) || args.heads < 1)
      throw new Error(`heads must be a positive integer, got ${args.heads}`);
    this.heads = args.heads;
    this.seed = optionalSeed(args.seed);
  }

  override build(inputShape: Shape | Shape[]): void {
    const dim = singleShape(inputShape).at(-1) ?? null;
    checkHeads(dim, this.heads);
    this.attention = addAttentionWeights(this.weightAdder(), dim!, this.seed, '');
    super.build(inputShape);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return singleShape(inputShape);
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return tf.tidy(() => selfAttention(single(inputs), read(this.attention), this.heads));
  }

  override getConfig(): ConfigDict {
    return { ...super.getConfig(), heads: this.heads, seed: this.seed ?? null };
  }

  private weightAdder(): WeightAdder {
    return (name, shape, init) => this.addWeight(name, shape, 'float32', init);
  }
}

export interface TransformerBlockArgs extends LayerArgs {
  heads: number;
  /** Each token attends only to itself and the tokens before it (a decoder's self-attention). */
  causal?: boolean;
  /** MLP hidden width as a multiple of dim. */
  mlpRatio?: number;
  activation?: BlockActivation;
  epsilon?: number;
  seed?: number | null;
}

/**
 * Pre-norm transformer block over [batch, tokens, dim]: x + MHSA(LN(x)), then x + MLP(LN(x)) with
 * MLP = dense(dim * mlpRatio, activation) → dense(dim). Owns all its weights (tfjs-layers does not
 * track weights of nested layers); the attention maths and layout are MultiHeadSelfAttention's.
 * Applied to [x, keep] (keep [batch, tokens]: 1 a real token, 0 padding, as TokenMask gives), no token
 * attends to padding; `causal`, no token attends to the tokens after it.
 */
export class TransformerBlock extends tfl.layers.Layer {
  static className = 'LatentlabTransformerBlock';
  readonly heads: number;
  readonly causal: boolean;
  readonly mlpRatio: number;
  readonly activation: BlockActivation;
  readonly epsilon: number;
  readonly seed: number | undefined;
  private norm1!: { gamma: tfl.LayerVariable; beta: tfl.LayerVariable };
  private attention!: Record<keyof AttentionWeights, tfl.LayerVariable>;
  private norm2!: { gamma: tfl.LayerVariable; beta: tfl.LayerVariable };
  private mlp!: {
    kernel1: tfl.LayerVariable;
    bias1: tfl.LayerVariable;
    kernel2: tfl.LayerVariable;
    bias2: tfl.LayerVariable;
  };

  constructor(args: TransformerBlockArgs) {
    super(args);
    if (!Number.isInteger(args.heads) || args.heads < 1)
      throw new Error(`heads must be a positive integer, got ${args.heads}`);
    this.heads = args.heads;
    this.causal = args.causal ?? false;
    this.mlpRatio = args.mlpRatio ?? 2;
    if (!(this.mlpRatio > 0)) throw new Error(`mlpRatio must be positive, got ${this.mlpRatio}`);
    this.activation = args.activation ?? 'gelu';
    if (!BLOCK_ACTIVATIONS.includes(this.activation))
      throw new Error(`unknown activation "${this.activation}"`);
    this.epsilon = args.epsilon ?? 1e-5;
    this.seed = optionalSeed(args.seed);
  }

  /** Hidden width of the MLP for a given dim. */
  hiddenUnits(dim: number): number {
    return Math.max(1, Math.round(dim * this.mlpRatio));
  }

  override build(inputShape: Shape | Shape[]): void {
    const dim = singleShape(inputShape).at(-1) ?? null;
    checkHeads(dim, this.heads);
    const d = dim!;
    const hidden = this.hiddenUnits(d);
    const ones = tfl.initializers.ones();
    const zeros = tfl.initializers.zeros();
    this.norm1 = {
      gamma: this.addWeight('norm1_gamma', [d], 'float32', ones),
      beta: this.addWeight('norm1_beta', [d], 'float32', zeros),
    };
    this.attention = addAttentionWeights(this.weightAdder(), d, this.seed, 'attention_');
    this.norm2 = {
      gamma: this.addWeight('norm2_gamma', [d], 'float32', ones),
      beta: this.addWeight('norm2_beta', [d], 'float32', zeros),
    };
    this.mlp = {
      kernel1: this.addWeight('mlp_kernel1', [d, hidden], 'float32', glorot(this.seed, 2)),
      bias1: this.addWeight('mlp_bias1', [hidden], 'float32', zeros),
      kernel2: this.addWeight('mlp_kernel2', [hidden, d], 'float32', glorot(this.seed, 3)),
      bias2: this.addWeight('mlp_bias2', [d], 'float32', zeros),
    };
    super.build(inputShape);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return singleShape(inputShape);
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return tf.tidy(() => {
      const [x, keep] = withMask(inputs); // [batch, tokens, dim], [batch, tokens]
      const n1 = layerNorm(x, this.norm1.gamma.read(), this.norm1.beta.read(), this.epsilon);
      const attended = tf.add(x, selfAttention(n1, read(this.attention), this.heads, this.bias(x, keep)));
      const n2 = layerNorm(attended, this.norm2.gamma.read(), this.norm2.beta.read(), this.epsilon);
      // relu fuses into the matmul; others run as their own ops.
      const fused = this.activation === 'relu' ? 'relu' : undefined;
      const m = this.mlp;
      let hidden = linear(n2, m.kernel1.read(), m.bias1.read(), fused); // [batch, tokens, hidden]
      if (!fused) hidden = activate(hidden, this.activation);
      return tf.add(attended, linear(hidden, m.kernel2.read(), m.bias2.read()));
    });
  }

  /** The additive attention mask of this block for x (and keep), or undefined when nothing is masked. */
  private bias(x: Tensor, keep: Tensor | undefined): Tensor | undefined {
    const [, tokens] = x.shape as number[];
    const causal = this.causal ? causalBias(tokens) : undefined;
    const padding = keep ? keyPaddingBias(keep) : undefined;
    return causal && padding ? tf.add(causal, padding) : (causal ?? padding);
  }

  override getConfig(): ConfigDict {
    return {
      ...super.getConfig(),
      heads: this.heads,
      causal: this.causal,
      mlpRatio: this.mlpRatio,
      activation: this.activation,
      epsilon: this.epsilon,
      seed: this.seed ?? null,
    };
  }

  private weightAdder(): WeightAdder {
    return (name, shape, init) => this.addWeight(name, shape, 'float32', init);
  }
}

/** x, or [x, keep]: the tokens and, when given, which of them are real (1) rather than padding (0). */
function withMask(inputs: Tensor | Tensor[]): [Tensor, Tensor | undefined] {
  if (!Array.isArray(inputs)) return [inputs, undefined];
  if (inputs.length === 1) return [inputs[0], undefined];
  if (inputs.length !== 2) throw new Error(`expected [tokens, keep], got ${inputs.length} input tensors`);
  const [x, keep] = inputs;
  if (keep.rank !== 2 || keep.shape[0] !== x.shape[0] || keep.shape[1] !== x.shape[1])
    throw new Error(
      `the mask [${keep.shape}] does not match the tokens [${x.shape}] (expected [batch, tokens])`,
    );
  return [x, keep];
}

// ---- Sequences of token ids ----

export interface TokenMaskArgs extends LayerArgs {
  /** The id of padding (latentlab's text data: 0). */
  padId?: number;
}

/** ids [batch, tokens] → keep [batch, tokens]: 1 where the id is a token, 0 where it is padding. */
export class TokenMask extends tfl.layers.Layer {
  static className = 'LatentlabTokenMask';
  readonly padId: number;

  constructor(args: TokenMaskArgs = {}) {
    super(args);
    this.padId = args.padId ?? 0;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return singleShape(inputShape);
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return tf.tidy(() => tf.cast(tf.notEqual(single(inputs), this.padId), 'float32'));
  }

  override getConfig(): ConfigDict {
    return { ...super.getConfig(), padId: this.padId };
  }
}

/**
 * [x [batch, tokens, dim], keep [batch, tokens]] → [batch, dim]: the mean of x over the kept tokens, so padding
 * neither counts nor dilutes (a row with none kept gives 0).
 */
export class MaskedMeanPool extends tfl.layers.Layer {
  static className = 'LatentlabMaskedMeanPool';

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [batch, , dim] = singleShape(inputShape);
    return [batch, dim];
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return tf.tidy(() => {
      const [x, keep] = withMask(inputs);
      if (!keep) throw new Error('MaskedMeanPool takes [tokens, keep]');
      const sum = tf.sum(tf.mul(x, tf.expandDims(keep, -1)), 1); // [batch, dim]
      return tf.div(sum, tf.maximum(tf.sum(keep, 1, true), 1));
    });
  }
}

/** Creates the attention weights through a layer's addWeight (seed streams 0 and 1 of the layer). */
function addAttentionWeights(
  add: WeightAdder,
  dim: number,
  seed: number | undefined,
  prefix: string,
): Record<keyof AttentionWeights, tfl.LayerVariable> {
  const zeros = tfl.initializers.zeros();
  return {
    qkvKernel: add(`${prefix}qkv_kernel`, [dim, 3 * dim], glorot(seed, 0)),
    qkvBias: add(`${prefix}qkv_bias`, [3 * dim], zeros),
    outKernel: add(`${prefix}output_kernel`, [dim, dim], glorot(seed, 1)),
    outBias: add(`${prefix}output_bias`, [dim], zeros),
  };
}

function read(w: Record<keyof AttentionWeights, tfl.LayerVariable>): AttentionWeights {
  return {
    qkvKernel: w.qkvKernel.read(),
    qkvBias: w.qkvBias.read(),
    outKernel: w.outKernel.read(),
    outBias: w.outBias.read(),
  };
}

for (const cls of [
  Patchify,
  Unpatchify,
  PositionEmbedding,
  LayerNorm,
  MultiHeadSelfAttention,
  TransformerBlock,
  TokenMask,
  MaskedMeanPool,
])
  tf.serialization.registerClass(cls);
