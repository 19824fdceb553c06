// Spectral normalisation (Miyato et al. 2018) as serialisable layers: dense and stride-k convolutions whose
// kernel is divided by an estimate of its largest singular value, so each layer is about 1-Lipschitz. The estimate
// comes from power iteration with persistent vectors u and v, saved as non-trainable weights of the layer, so a
// saved discriminator reloads (and a run resumes) with the same estimate. Importing this module registers the
// classes, so tfl.loadLayersModel can rebuild saved networks.
//
// Why layers rather than a step that rescales the weights: the gradient must pass through σ(W) (Miyato's
// reparametrisation W/σ(W), not a projection after the update), and every family's discriminator then gets it
// from one option of the shared builder without touching its step.
import { type Tensor, tf, tfl } from '../../engine/tf.js';

type Shape = tfl.Shape;
type ConfigDict = tf.serialization.ConfigDict;
type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;
type Initializer = ReturnType<typeof tfl.initializers.zeros>;

/** Power iterations run when a layer is built, so σ starts close to the initial kernel's (as PyTorch's 15). */
export const INITIAL_POWER_ITERATIONS = 15;
const EPSILON = 1e-12;

function single(inputs: Tensor | Tensor[]): Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

function normalize(x: Tensor): Tensor {
  return tf.div(x, tf.add(tf.norm(x), EPSILON));
}

/**
 * One power iteration on the kernel seen as a matrix W [fanIn, out] (the singular values of W and of PyTorch's
 * [out, fanIn] weight are the same): v ← W u / ‖·‖, u ← Wᵀ v / ‖·‖. Returns the new vectors (u [out], v [fanIn]).
 */
export function powerIteration(matrix: Tensor, u: Tensor): { u: Tensor; v: Tensor } {
  return tf.tidy(() => {
    const v = normalize(tf.reshape(tf.matMul(matrix, tf.reshape(u, [-1, 1])), [-1]));
    const next = normalize(tf.reshape(tf.matMul(matrix, tf.reshape(v, [-1, 1]), true), [-1]));
    return { u: next, v };
  });
}

/** σ ≈ vᵀ W u with the stored vectors: linear in W, so its gradient is Miyato's u vᵀ (the vectors held fixed). */
function sigmaOf(matrix: Tensor, u: Tensor, v: Tensor): Tensor {
  return tf.sum(tf.mul(tf.reshape(v, [-1, 1]), tf.mul(matrix, tf.reshape(u, [1, -1]))));
}

export interface SpectralArgs extends LayerArgs {
  useBias?: boolean;
  /** Seeds the vectors' initial draw (the kernel's initialiser is given apart and not saved: weights are). */
  seed?: number | null;
  kernelInitializer?: Initializer;
}

/** What a spectrally normalised layer shares: its kernel, bias and vectors, the iteration and W / σ. */
abstract class SpectralLayer extends tfl.layers.Layer {
  readonly useBias: boolean;
  readonly seed: number | undefined;
  private readonly kernelInitializer: Initializer | undefined;
  protected kernel!: tfl.LayerVariable;
  protected bias: tfl.LayerVariable | undefined;
  private u!: tfl.LayerVariable;
  private v!: tfl.LayerVariable;

  constructor(args: SpectralArgs) {
    super(args);
    this.useBias = args.useBias ?? true;
    this.seed = typeof args.seed === 'number' ? args.seed : undefined;
    this.kernelInitializer = args.kernelInitializer;
  }

  protected abstract kernelShape(inputShape: Shape): number[];

  override build(inputShape: Shape | Shape[]): void {
    const shape = this.kernelShape((Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape);
    const out = shape[shape.length - 1];
    const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const init = this.kernelInitializer ?? tfl.initializers.glorotUniform({});
    this.kernel = this.addWeight('kernel', shape, 'float32', init);
    if (this.useBias) this.bias = this.addWeight('bias', [out], 'float32', tfl.initializers.zeros());
    const seed = this.seed;
    const normal = tfl.initializers.randomNormal({ mean: 0, stddev: 1, seed });
    this.u = this.addWeight('sn_u', [out], 'float32', normal, undefined, false);
    this.v = this.addWeight('sn_v', [fanIn], 'float32', tfl.initializers.zeros(), undefined, false);
    super.build(inputShape);
    for (let i = 0; i < INITIAL_POWER_ITERATIONS; i++) this.iterate();
  }

  private matrix(): Tensor {
    const kernel = this.kernel.read();
    return tf.reshape(kernel, [-1, kernel.shape[kernel.shape.length - 1]]);
  }

  /**
   * One power iteration, written to u and v. The tape cannot carry a gradient through it: σ reads the
   * variables, whose identity no recorded op produced.
   */
  private iterate(): void {
    tf.tidy(() => {
      const { u, v } = powerIteration(this.matrix(), this.u.read());
      this.u.write(u);
      this.v.write(v);
    });
  }

  /** The current estimate of the kernel's largest singular value (no iteration). */
  sigma(): number {
    return tf.tidy(() => sigmaOf(this.matrix(), this.u.read(), this.v.read()).dataSync()[0]);
  }

  /**
   * W / σ. A training-mode call first runs one power iteration (as PyTorch's spectral_norm does on every
   * training forward); inference uses the stored vectors, so it changes nothing.
   */
  protected normalizedKernel(training: boolean): Tensor {
    if (training) this.iterate();
    const kernel = this.kernel.read();
    return tf.div(kernel, sigmaOf(this.matrix(), this.u.read(), this.v.read()));
  }

  protected addBias(h: Tensor): Tensor {
    return this.bias ? tf.add(h, this.bias.read()) : h;
  }

  override getConfig(): ConfigDict {
    return { ...super.getConfig(), useBias: this.useBias, seed: this.seed ?? null };
  }
}

export interface SpectralDenseArgs extends SpectralArgs {
  units: number;
}

/** A dense layer [n, in] → [n, units] with a spectrally normalised kernel; no activation. */
export class SpectralDense extends SpectralLayer {
  static className = 'LatentlabSpectralDense';
  readonly units: number;

  constructor(args: SpectralDenseArgs) {
    super(args);
    this.units = args.units;
  }

  protected kernelShape(inputShape: Shape): number[] {
    const features = inputShape[inputShape.length - 1];
    if (inputShape.length !== 2 || features == null)
      throw new Error(`SpectralDense takes [n, features] with known features, got [${inputShape}]`);
    return [features, this.units];
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return [shape[0], this.units];
  }

  override call(inputs: Tensor | Tensor[], kwargs: { training?: boolean }): Tensor {
    return tf.tidy(() =>
      this.addBias(tf.matMul(single(inputs), this.normalizedKernel(kwargs.training === true))),
    );
  }

  override getConfig(): ConfigDict {
    return { ...super.getConfig(), units: this.units };
  }
}

export interface SpectralConv2DArgs extends SpectralArgs {
  filters: number;
  kernelSize: number;
  strides: number;
}

/** A 'same'-padded square convolution [n, h, w, c] → [n, h/s, w/s, filters], kernel spectrally normalised. */
export class SpectralConv2D extends SpectralLayer {
  static className = 'LatentlabSpectralConv2D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;

  constructor(args: SpectralConv2DArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides;
  }

  protected kernelShape(inputShape: Shape): number[] {
    const channels = inputShape[3];
    if (inputShape.length !== 4 || channels == null)
      throw new Error(`SpectralConv2D takes [n, h, w, c] with known channels, got [${inputShape}]`);
    return [this.kernelSize, this.kernelSize, channels, this.filters];
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [n, h, w] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const side = (size: number | null) => (size == null ? null : Math.ceil(size / this.strides));
    return [n, side(h), side(w), this.filters];
  }

  override call(inputs: Tensor | Tensor[], kwargs: { training?: boolean }): Tensor {
    return tf.tidy(() => {
      const kernel = this.normalizedKernel(kwargs.training === true) as tf.Tensor4D;
      const x = single(inputs) as tf.Tensor4D;
      return this.addBias(tf.conv2d(x, kernel, this.strides, 'same'));
    });
  }

  override getConfig(): ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
    };
  }
}

for (const cls of [SpectralDense, SpectralConv2D]) tf.serialization.registerClass(cls);
