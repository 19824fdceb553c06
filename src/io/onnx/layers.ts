// Each TensorFlow.js layer latentlab's networks use, written as ONNX nodes: one converter per layer class, keyed by
// tfjs's className. Tensors stay channels-last (tfjs's NHWC) between layers; convolutions and pooling, which ONNX
// defines channels-first, ask for a channels-first copy (a Transpose, made once per tensor) and give one back.
import type { tfl } from '../../engine/tf.js';
import type { Attribute, GraphBuilder } from './graph.js';

/** One tensor of the network in the graph: its channels-last name, and a channels-first copy once one is made. */
export interface OnnxValue {
  rank: number;
  last?: string;
  first?: string;
}

/** What a converter is given: the graph, the layer, and helpers for its inputs and weights. */
export interface LayerContext {
  graph: GraphBuilder;
  layer: tfl.layers.Layer;
  /** The layer's config (getConfig()). */
  config: Record<string, unknown>;
  inputs: OnnxValue[];
  /** Input shapes without the batch dimension (static in latentlab's networks). */
  inputShapes: number[][];
  outputShape: number[];
  /** The layer's weight `name` (kernel, bias, gamma …) as float32 values and its tfjs shape. */
  weight(name: string): { values: Float32Array; shape: number[] } | undefined;
  channelsLast(value: OnnxValue): string;
  channelsFirst(value: OnnxValue): string;
  /** Refuse the layer: what it has that ONNX export cannot write. */
  refuse(why: string): never;
}

type Converter = (ctx: LayerContext) => OnnxValue;

const last = (rank: number, name: string): OnnxValue => ({ rank, last: name });
const first = (rank: number, name: string): OnnxValue => ({ rank, first: name });

/** An elementwise op keeps the layout its input has (channels-last preferred when both exist). */
function elementwise(ctx: LayerContext, value: OnnxValue, make: (input: string) => string): OnnxValue {
  if (value.last !== undefined || value.first === undefined)
    return last(value.rank, make(ctx.channelsLast(value)));
  return first(value.rank, make(value.first));
}

/** tfjs activation names with their ONNX form; softmax is over the last (channels-last) axis. */
function activation(ctx: LayerContext, name: string, value: OnnxValue, label: string): OnnxValue {
  const { graph } = ctx;
  const unary = (op: string, attributes: Record<string, Attribute> = {}) =>
    elementwise(ctx, value, (x) => graph.node(op, [x], label, attributes));
  switch (name) {
    case 'linear':
      return value;
    case 'relu':
      return unary('Relu');
    case 'sigmoid':
      return unary('Sigmoid');
    case 'tanh':
      return unary('Tanh');
    case 'elu':
      return unary('Elu', { alpha: { float: 1 } });
    // ONNX's Selu defaults are tfjs's constants (to float32).
    case 'selu':
      return unary('Selu');
    case 'softplus':
      return unary('Softplus');
    case 'softsign':
      return unary('Softsign');
    case 'swish':
      return elementwise(ctx, value, (x) => graph.node('Mul', [x, graph.node('Sigmoid', [x], label)], label));
    case 'softmax':
      return last(value.rank, graph.node('Softmax', [ctx.channelsLast(value)], label, { axis: { int: -1 } }));
    default:
      return ctx.refuse(`its activation "${name}" has no ONNX form here`);
  }
}

/** The one input of a single-input layer. */
function only(ctx: LayerContext): OnnxValue {
  return ctx.inputs[0];
}

function requireChannelsLast(ctx: LayerContext): void {
  const format = ctx.config.dataFormat;
  if (format !== undefined && format !== 'channelsLast') ctx.refuse(`its data format is ${String(format)}`);
}

function tuple(value: unknown, rank: number): number[] {
  return Array.isArray(value) ? value.map(Number) : Array.from({ length: rank }, () => Number(value));
}

/**
 * Explicit pads [begins…, ends…] for a convolution or pooling window over `sizes`, as TensorFlow pads: 'valid' none;
 * 'same' ceil(size / stride) outputs, the odd pixel of padding at the end.
 */
function windowPads(
  padding: unknown,
  sizes: number[],
  kernel: number[],
  strides: number[],
  dilations: number[],
) {
  if (padding === 'valid') return new Array<number>(2 * sizes.length).fill(0);
  const totals = sizes.map((size, i) => {
    const out = Math.ceil(size / strides[i]);
    return Math.max((out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size, 0);
  });
  return [...totals.map((t) => Math.floor(t / 2)), ...totals.map((t) => t - Math.floor(t / 2))];
}

/** Reorder a tfjs kernel's values: `perm` as numpy's transpose, over shape `shape`. */
function transposeValues(
  values: Float32Array,
  shape: number[],
  perm: number[],
): { values: Float32Array; shape: number[] } {
  const outShape = perm.map((p) => shape[p]);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(values.length);
  const index = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let source = 0;
    for (let d = 0; d < perm.length; d++) source += index[d] * strides[perm[d]];
    out[o] = values[source];
    for (let d = perm.length - 1; d >= 0; d--) {
      if (++index[d] < outShape[d]) break;
      index[d] = 0;
    }
  }
  return { values: out, shape: outShape };
}

function requireWeight(ctx: LayerContext, name: string) {
  const weight = ctx.weight(name);
  if (!weight) return ctx.refuse(`it has no ${name}`);
  return weight;
}

/** Conv1D / Conv2D: a channels-first Conv with the kernel as [out, in, ...window], then the fused activation. */
function convolution(ctx: LayerContext): OnnxValue {
  requireChannelsLast(ctx);
  const { graph, layer, config } = ctx;
  const x = only(ctx);
  const spatial = x.rank - 2;
  const kernel = requireWeight(ctx, 'kernel');
  // tfjs [...window, in, out] → ONNX [out, in, ...window]
  const window = Array.from({ length: spatial }, (_, i) => i);
  const w = transposeValues(kernel.values, kernel.shape, [spatial + 1, spatial, ...window]);
  if (Number(config.groups ?? 1) !== 1) ctx.refuse('it is a grouped convolution');
  const strides = tuple(config.strides, spatial);
  const dilations = tuple(config.dilationRate, spatial);
  const sizes = ctx.inputShapes[0].slice(0, spatial);
  const inputs = [ctx.channelsFirst(x), graph.floats(`${layer.name}/kernel`, w.values, w.shape)];
  const bias = ctx.weight('bias');
  if (bias) inputs.push(graph.floats(`${layer.name}/bias`, bias.values, bias.shape));
  const out = graph.node('Conv', inputs, layer.name, {
    kernel_shape: { ints: w.shape.slice(2) },
    strides: { ints: strides },
    dilations: { ints: dilations },
    pads: { ints: windowPads(config.padding, sizes, w.shape.slice(2), strides, dilations) },
  });
  return activation(ctx, String(config.activation ?? 'linear'), first(x.rank, out), layer.name);
}

/**
 * Conv2DTranspose: ONNX's ConvTranspose with the kernel as [in, out, kh, kw]. TensorFlow's output size is known
 * (the layer's output shape); the crop at each side (pads) and the extra rows (output_padding) are what make it.
 */
function transposedConvolution(ctx: LayerContext): OnnxValue {
  requireChannelsLast(ctx);
  const { graph, layer, config } = ctx;
  const x = only(ctx);
  const kernel = requireWeight(ctx, 'kernel');
  // tfjs [kh, kw, out, in] → ONNX [in, out, kh, kw]
  const w = transposeValues(kernel.values, kernel.shape, [3, 2, 0, 1]);
  const strides = tuple(config.strides, 2);
  const dilations = tuple(config.dilationRate ?? 1, 2);
  const sizes = ctx.inputShapes[0].slice(0, 2);
  const outSizes = ctx.outputShape.slice(0, 2);
  const begins: number[] = [];
  const ends: number[] = [];
  const extra: number[] = [];
  sizes.forEach((size, i) => {
    const full = strides[i] * (size - 1) + (w.shape[2 + i] - 1) * dilations[i] + 1;
    const crop = full - outSizes[i];
    begins.push(crop > 0 ? Math.floor(crop / 2) : 0);
    ends.push(crop > 0 ? crop - Math.floor(crop / 2) : 0);
    extra.push(crop < 0 ? -crop : 0);
  });
  const inputs = [ctx.channelsFirst(x), graph.floats(`${layer.name}/kernel`, w.values, w.shape)];
  const bias = ctx.weight('bias');
  if (bias) inputs.push(graph.floats(`${layer.name}/bias`, bias.values, bias.shape));
  const out = graph.node('ConvTranspose', inputs, layer.name, {
    kernel_shape: { ints: w.shape.slice(2) },
    strides: { ints: strides },
    dilations: { ints: dilations },
    pads: { ints: [...begins, ...ends] },
    output_padding: { ints: extra },
  });
  return activation(ctx, String(config.activation ?? 'linear'), first(x.rank, out), layer.name);
}

function pooling(op: 'MaxPool' | 'AveragePool'): Converter {
  return (ctx) => {
    requireChannelsLast(ctx);
    const { config, layer } = ctx;
    const x = only(ctx);
    const kernel = tuple(config.poolSize, 2);
    const strides = tuple(config.strides ?? config.poolSize, 2);
    const pads = windowPads(config.padding, ctx.inputShapes[0].slice(0, 2), kernel, strides, [1, 1]);
    // TensorFlow's average leaves the padding out of the count, as ONNX's count_include_pad 0 does.
    const out = ctx.graph.node(op, [ctx.channelsFirst(x)], layer.name, {
      kernel_shape: { ints: kernel },
      strides: { ints: strides },
      pads: { ints: pads },
    });
    return first(x.rank, out);
  };
}

function dense(ctx: LayerContext): OnnxValue {
  const { graph, layer, config } = ctx;
  const x = only(ctx);
  const kernel = requireWeight(ctx, 'kernel');
  let out = graph.node(
    'MatMul',
    [ctx.channelsLast(x), graph.floats(`${layer.name}/kernel`, kernel.values, kernel.shape)],
    layer.name,
  );
  const bias = ctx.weight('bias');
  if (bias)
    out = graph.node('Add', [out, graph.floats(`${layer.name}/bias`, bias.values, bias.shape)], layer.name);
  return activation(ctx, String(config.activation ?? 'linear'), last(x.rank, out), layer.name);
}

/** Batch norm at inference (moving statistics), on channels-first data as ONNX's op defines it. */
function batchNormalization(ctx: LayerContext): OnnxValue {
  const { graph, layer, config } = ctx;
  const x = only(ctx);
  const axis = Number(config.axis ?? -1);
  if (axis !== -1 && axis !== x.rank - 1) ctx.refuse(`it normalises axis ${axis}, not the channels`);
  const mean = requireWeight(ctx, 'moving_mean');
  const variance = requireWeight(ctx, 'moving_variance');
  const channels = mean.values.length;
  const gamma = ctx.weight('gamma')?.values ?? new Float32Array(channels).fill(1);
  const beta = ctx.weight('beta')?.values ?? new Float32Array(channels);
  const input = x.rank === 2 ? ctx.channelsLast(x) : ctx.channelsFirst(x);
  const out = graph.node(
    'BatchNormalization',
    [
      input,
      graph.floats(`${layer.name}/gamma`, gamma, [channels]),
      graph.floats(`${layer.name}/beta`, beta, [channels]),
      graph.floats(`${layer.name}/moving_mean`, mean.values, [channels]),
      graph.floats(`${layer.name}/moving_variance`, variance.values, [channels]),
    ],
    layer.name,
    { epsilon: { float: Number(config.epsilon ?? 1e-3) } },
  );
  return x.rank === 2 ? last(2, out) : first(x.rank, out);
}

function reshape(ctx: LayerContext): OnnxValue {
  const target = (ctx.config.targetShape as number[]).map(Number);
  // 0 copies the batch size where the target has a -1 of its own; else -1 takes it.
  const shape = [target.includes(-1) ? 0 : -1, ...target];
  const x = only(ctx);
  const out = ctx.graph.node(
    'Reshape',
    [ctx.channelsLast(x), ctx.graph.int64s(`${ctx.layer.name}/shape`, shape)],
    ctx.layer.name,
  );
  return last(target.length + 1, out);
}

/** Scalar multiplication and addition: any layout. */
function rescaling(ctx: LayerContext): OnnxValue {
  const { graph, layer, config } = ctx;
  const scale = Number(config.scale);
  const offset = Number(config.offset ?? 0);
  return elementwise(ctx, only(ctx), (x) => {
    let out = graph.node('Mul', [x, graph.floats(`${layer.name}/scale`, [scale], [])], layer.name);
    if (offset !== 0)
      out = graph.node('Add', [out, graph.floats(`${layer.name}/offset`, [offset], [])], layer.name);
    return out;
  });
}

function merge(op: 'Add' | 'Mul' | 'Sub' | 'Max' | 'Min'): Converter {
  return (ctx) => {
    const names = ctx.inputs.map((v) => ctx.channelsLast(v));
    const rank = Math.max(...ctx.inputs.map((v) => v.rank));
    let out = names[0];
    for (const next of names.slice(1)) out = ctx.graph.node(op, [out, next], ctx.layer.name);
    return last(rank, out);
  };
}

/** Layers that only act in training (dropout, noise): the identity at inference. */
const identity: Converter = (ctx) => only(ctx);

/** An embedding: rows of its table picked by the ids (float inputs truncated to integers, as tfjs casts them). */
function embedding(ctx: LayerContext): OnnxValue {
  const { graph, layer } = ctx;
  const table = requireWeight(ctx, 'embeddings');
  const x = only(ctx);
  const ids = graph.node('Cast', [ctx.channelsLast(x)], layer.name, { to: { int: 7 } });
  const out = graph.node(
    'Gather',
    [graph.floats(`${layer.name}/embeddings`, table.values, table.shape), ids],
    layer.name,
    {
      axis: { int: 0 },
    },
  );
  return last(x.rank + 1, out);
}

export const CONVERTERS: Readonly<Record<string, Converter>> = {
  Dense: dense,
  Embedding: embedding,
  Conv1D: convolution,
  Conv2D: convolution,
  Conv2DTranspose: transposedConvolution,
  MaxPooling2D: pooling('MaxPool'),
  AveragePooling2D: pooling('AveragePool'),
  BatchNormalization: batchNormalization,
  Flatten: (ctx) =>
    last(2, ctx.graph.node('Flatten', [ctx.channelsLast(only(ctx))], ctx.layer.name, { axis: { int: 1 } })),
  Reshape: reshape,
  Permute: (ctx) => {
    const dims = (ctx.config.dims as number[]).map(Number);
    const x = only(ctx);
    return last(
      x.rank,
      ctx.graph.node('Transpose', [ctx.channelsLast(x)], ctx.layer.name, { perm: { ints: [0, ...dims] } }),
    );
  },
  Activation: (ctx) => activation(ctx, String(ctx.config.activation), only(ctx), ctx.layer.name),
  ReLU: (ctx) => {
    const max = ctx.config.maxValue;
    if (max === null || max === undefined) return activation(ctx, 'relu', only(ctx), ctx.layer.name);
    const { graph, layer } = ctx;
    const bounds = [
      graph.floats(`${layer.name}/min`, [0], []),
      graph.floats(`${layer.name}/max`, [Number(max)], []),
    ];
    return elementwise(ctx, only(ctx), (x) => graph.node('Clip', [x, ...bounds], layer.name));
  },
  LeakyReLU: (ctx) =>
    elementwise(ctx, only(ctx), (x) =>
      ctx.graph.node('LeakyRelu', [x], ctx.layer.name, { alpha: { float: Number(ctx.config.alpha ?? 0.3) } }),
    ),
  ELU: (ctx) =>
    elementwise(ctx, only(ctx), (x) =>
      ctx.graph.node('Elu', [x], ctx.layer.name, { alpha: { float: Number(ctx.config.alpha ?? 1) } }),
    ),
  Softmax: (ctx) => {
    const axis = Number(ctx.config.axis ?? -1);
    const x = only(ctx);
    if (axis !== -1 && axis !== x.rank - 1) ctx.refuse(`its softmax is over axis ${axis}, not the last`);
    return activation(ctx, 'softmax', x, ctx.layer.name);
  },
  Rescaling: rescaling,
  Concatenate: (ctx) => {
    const rank = ctx.inputs[0].rank;
    const out = ctx.graph.node(
      'Concat',
      ctx.inputs.map((v) => ctx.channelsLast(v)),
      ctx.layer.name,
      {
        axis: { int: Number(ctx.config.axis ?? -1) },
      },
    );
    return last(rank, out);
  },
  ZeroPadding2D: (ctx) => {
    requireChannelsLast(ctx);
    const [[top, bottom], [left, right]] = ctx.config.padding as number[][];
    const { graph, layer } = ctx;
    const pads = graph.int64s(`${layer.name}/pads`, [0, top, left, 0, 0, bottom, right, 0]);
    return last(4, graph.node('Pad', [ctx.channelsLast(only(ctx)), pads], layer.name));
  },
  Cropping2D: (ctx) => {
    requireChannelsLast(ctx);
    const [[top, bottom], [left, right]] = ctx.config.cropping as number[][];
    const [height, width] = ctx.inputShapes[0];
    const { graph, layer } = ctx;
    const out = graph.node(
      'Slice',
      [
        ctx.channelsLast(only(ctx)),
        graph.int64s(`${layer.name}/starts`, [top, left]),
        graph.int64s(`${layer.name}/ends`, [height - bottom, width - right]),
        graph.int64s(`${layer.name}/axes`, [1, 2]),
      ],
      layer.name,
    );
    return last(4, out);
  },
  Add: merge('Add'),
  Multiply: merge('Mul'),
  Subtract: merge('Sub'),
  Maximum: merge('Max'),
  Minimum: merge('Min'),
  Dropout: identity,
  SpatialDropout1D: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
};
