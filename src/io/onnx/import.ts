// ONNX graphs (as torch.onnx.export writes small autoencoders: Gemm/MatMul, Conv, ConvTranspose, batch norm, the
// usual activations, Flatten and Reshape) rebuilt as TensorFlow.js layers networks, so they are saved, served and
// used as latentlab's own. Image tensors, NCHW in the graph, are channels-last (NHWC) in the network: the network
// takes and gives images as latentlab does, and Permute layers keep Flatten and Reshape in PyTorch's C, H, W order.
import { tf, tfl } from '../../engine/tf.js';
import { UsageError } from '../../errors.js';
import { decodeModel, type OnnxNode, type OnnxTensor, onnx } from './graph.js';

type Symbolic = tfl.SymbolicTensor;
type Proto = ReturnType<typeof decodeModel>;
type NodeProto = OnnxNode;
type TensorProto = OnnxTensor;

/** A constant of the graph (an initialiser or a Constant node's value). */
interface Constant {
  dims: number[];
  values: Float32Array;
  /** Integer tensors (shapes, pads) keep exact values. */
  ints?: number[];
}

/** The ops the import reads (the rest are refused by name). */
export const ONNX_IMPORT_OPS: readonly string[] = [
  'Gemm',
  'MatMul',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Conv',
  'ConvTranspose',
  'BatchNormalization',
  'Relu',
  'LeakyRelu',
  'Sigmoid',
  'Tanh',
  'Elu',
  'Selu',
  'Softplus',
  'Softmax',
  'Flatten',
  'Reshape',
  'Identity',
  'Dropout',
];

const { DataType } = onnx.TensorProto;

/** Ops that move values without changing them (a decoder's last Reshape does not hide its Sigmoid). */
const SHAPE_OPS = new Set(['Reshape', 'Flatten', 'Identity', 'Dropout']);

function readConstant(tensor: TensorProto, where: string): Constant {
  const dims = (tensor.dims ?? []).map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = tensor.rawData && tensor.rawData.length > 0 ? tensor.rawData : undefined;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  switch (tensor.dataType) {
    case DataType.FLOAT: {
      const values = view
        ? Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true))
        : Float32Array.from(tensor.floatData ?? []);
      return { dims, values };
    }
    case DataType.INT64: {
      const ints = view
        ? Array.from({ length: count }, (_, i) => Number(view.getBigInt64(i * 8, true)))
        : (tensor.int64Data ?? []).map(Number);
      return { dims, values: Float32Array.from(ints), ints };
    }
    default:
      throw new UsageError(
        `${where}: tensor "${tensor.name}" has ONNX data type ${tensor.dataType}; the import reads float32 and int64`,
      );
  }
}

/** A tensor of the graph as the network holds it; rank-4 tensors are NCHW in the graph, NHWC in the network. */
interface Value {
  tensor: Symbolic;
  /** The graph's rank (4 for images). */
  rank: number;
}

function attributes(node: NodeProto): Map<string, NonNullable<NodeProto['attribute']>[number]> {
  return new Map((node.attribute ?? []).map((a) => [a.name ?? '', a]));
}

function intsOf(node: NodeProto, name: string, fallback: number[]): number[] {
  const a = attributes(node).get(name);
  return a?.ints && a.ints.length > 0 ? a.ints.map(Number) : fallback;
}

function intOf(node: NodeProto, name: string, fallback: number): number {
  const a = attributes(node).get(name);
  return a && a.i !== undefined && a.i !== null ? Number(a.i) : fallback;
}

function floatOf(node: NodeProto, name: string, fallback: number): number {
  const a = attributes(node).get(name);
  return a && a.f !== undefined && a.f !== null && attributes(node).has(name) ? Number(a.f) : fallback;
}

function stringOf(node: NodeProto, name: string): string | undefined {
  const a = attributes(node).get(name);
  return a?.s && a.s.length > 0 ? new TextDecoder().decode(a.s) : undefined;
}

/** Reorder values as numpy's transpose with `perm`. */
function transposed(values: Float32Array, shape: number[], perm: number[]): Float32Array {
  const t = tf.tidy(() => tf.transpose(tf.tensor(values, shape), perm));
  const out = Float32Array.from(t.dataSync());
  t.dispose();
  return out;
}

/** A layer name from an ONNX node's: tfjs names allow letters, digits, _ . - and / only inside. */
function layerName(base: string, taken: Set<string>): string {
  const clean = base.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[^A-Za-z]+/, '') || 'layer';
  let name = clean;
  for (let n = 2; taken.has(name); n++) name = `${clean}_${n}`;
  taken.add(name);
  return name;
}

export interface ImportedNetwork {
  network: tfl.LayersModel;
  /** What the graph's inputs and outputs were called. */
  inputNames: string[];
  outputNames: string[];
  /** The ops it was made of, in order (for the config's words: hidden widths, activation). */
  layers: Array<{ op: string; units?: number; filters?: number; kernel?: number }>;
  /** True when the graph's last op (past reshapes) was a Sigmoid: a decoder giving pixels in [0, 1]. */
  endsInSigmoid: boolean;
  /** True when that Sigmoid was left out (`logits`): the network gives what went into it. */
  sigmoidLeftOut: boolean;
}

export interface ImportOptions {
  /**
   * Leave out a last Sigmoid (past reshapes), so the network gives logits: a Bernoulli VAE's decoder gives logits
   * and latentlab applies the sigmoid itself.
   */
  logits?: boolean;
}

/** The Sigmoid node whose output reaches the graph's only output through shape ops alone, if there is one. */
function finalSigmoid(graph: NonNullable<Proto['graph']>): NodeProto | undefined {
  const producers = new Map<string, NodeProto>();
  for (const node of graph.node ?? []) for (const out of node.output ?? []) producers.set(out, node);
  const outputs = graph.output ?? [];
  if (outputs.length !== 1) return undefined;
  let node = producers.get(outputs[0].name ?? '');
  while (node && SHAPE_OPS.has(node.opType ?? '')) node = producers.get(node.input?.[0] ?? '');
  return node?.opType === 'Sigmoid' ? node : undefined;
}

/**
 * Rebuild the ONNX model in `bytes` as a layers network named `name`. `path` names the file in errors, which say
 * which node (and op) could not be read.
 */
export function onnxToNetwork(
  bytes: Uint8Array,
  name: string,
  path: string,
  options: ImportOptions = {},
): ImportedNetwork {
  let model: Proto;
  try {
    model = decodeModel(bytes);
  } catch (error) {
    throw new UsageError(`${path}: not an ONNX model (${(error as Error).message})`);
  }
  const graph = model.graph;
  if (!graph) throw new UsageError(`${path}: the ONNX model has no graph`);
  const constants = new Map<string, Constant>();
  for (const tensor of graph.initializer ?? []) constants.set(tensor.name ?? '', readConstant(tensor, path));
  const values = new Map<string, Value>();
  const taken = new Set<string>();
  const layers: ImportedNetwork['layers'] = [];

  const inputs: Symbolic[] = [];
  const inputNames: string[] = [];
  for (const info of graph.input ?? []) {
    const inputName = info.name ?? '';
    if (constants.has(inputName)) continue;
    const dims = (info.type?.tensorType?.shape?.dim ?? []).map((d) =>
      d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : null,
    );
    const sample = dims.slice(1);
    if (dims.length < 2 || sample.some((d) => d === null))
      throw new UsageError(
        `${path}: input "${inputName}" has shape [${dims.map((d) => d ?? '?')}]; the import needs a batch axis and fixed sizes after it`,
      );
    const shape = sample as number[];
    // NCHW [C, H, W] → the network's [H, W, C].
    const networkShape = shape.length === 3 ? [shape[1], shape[2], shape[0]] : shape;
    const tensor = tfl.input({ shape: networkShape, name: layerName(inputName, taken) });
    inputs.push(tensor);
    inputNames.push(inputName);
    values.set(inputName, { tensor, rank: dims.length });
  }

  const consumers = new Map<string, NodeProto[]>();
  for (const node of graph.node ?? [])
    for (const input of node.input ?? []) consumers.set(input, [...(consumers.get(input) ?? []), node]);
  const fused = new Set<NodeProto>();
  let lastOp = '';
  const sigmoidToLeaveOut = options.logits ? finalSigmoid(graph) : undefined;

  for (const node of graph.node ?? []) {
    if (fused.has(node)) continue;
    const op = node.opType ?? '';
    const nodeName = node.name || `${op}_${node.output?.[0] ?? ''}`;
    const refuse = (why: string): never => {
      throw new UsageError(`${path}: cannot import node "${nodeName}" (${op}): ${why}`);
    };
    const output = node.output?.[0] ?? '';
    if (op === 'Constant') {
      const tensor = attributes(node).get('value')?.t;
      if (!tensor) refuse('only a Constant with a tensor value is read');
      constants.set(output, readConstant(tensor as TensorProto, path));
      continue;
    }
    const value = (i: number): Value => {
      const found = values.get(node.input?.[i] ?? '');
      if (!found)
        return refuse(
          `its input "${node.input?.[i]}" is neither a graph input, a constant nor made by a node read before`,
        );
      return found;
    };
    const constant = (i: number): Constant | undefined => constants.get(node.input?.[i] ?? '');
    const apply = (layer: tfl.layers.Layer, x: Symbolic): Symbolic => layer.apply(x) as Symbolic;
    const lname = (suffix = '') => layerName(`${name}_${nodeName}${suffix}`, taken);
    const set = (tensor: Symbolic, rank: number, as = output) => values.set(as, { tensor, rank });
    if (!SHAPE_OPS.has(op)) lastOp = op;
    if (node === sigmoidToLeaveOut) {
      values.set(output, value(0));
      continue;
    }

    switch (op) {
      case 'Gemm':
      case 'MatMul': {
        const x = value(0);
        if (x.rank !== 2)
          refuse(`it multiplies a tensor of rank ${x.rank}; the import reads [n, features] only`);
        const weight = constant(1);
        if (weight?.dims.length !== 2) return refuse('its second input must be a constant matrix');
        if (op === 'Gemm' && intOf(node, 'transA', 0) !== 0) refuse('transA is not read');
        const transB = op === 'Gemm' && intOf(node, 'transB', 0) === 1;
        const alpha = op === 'Gemm' ? floatOf(node, 'alpha', 1) : 1;
        let kernel = transB ? transposed(weight.values, weight.dims, [1, 0]) : weight.values;
        const [inputs_, units] = transB ? [weight.dims[1], weight.dims[0]] : weight.dims;
        if (alpha !== 1) kernel = kernel.map((v) => v * alpha);
        let bias: Float32Array | undefined;
        let out = output;
        if (op === 'Gemm' && constant(2)) {
          const c = constant(2) as Constant;
          const beta = floatOf(node, 'beta', 1);
          if (c.values.length !== units) refuse(`its bias has ${c.values.length} values for ${units} units`);
          bias = c.values.map((v) => v * beta);
        } else if (op === 'MatMul') {
          // MatMul then Add of a constant vector: one dense layer with its bias.
          const next = consumers.get(output);
          const add = next?.length === 1 && next[0].opType === 'Add' ? next[0] : undefined;
          const other = add?.input?.find((i) => i !== output);
          const c = other !== undefined ? constants.get(other) : undefined;
          if (add && c && c.values.length === units) {
            bias = c.values;
            out = add.output?.[0] ?? output;
            fused.add(add);
          }
        }
        const layer = tfl.layers.dense({
          units,
          useBias: bias !== undefined,
          name: lname(),
          weights: [tf.tensor(kernel, [inputs_, units]), ...(bias ? [tf.tensor(bias, [units])] : [])],
        });
        set(apply(layer, x.tensor), 2, out);
        layers.push({ op: 'Dense', units });
        break;
      }
      case 'Conv':
      case 'ConvTranspose': {
        const x = value(0);
        if (x.rank !== 4)
          refuse(`its input has rank ${x.rank}; the import reads 2-D convolutions over [n, C, H, W]`);
        const weight = constant(1);
        if (weight?.dims.length !== 4) return refuse('its weights must be a constant [*, *, kh, kw] tensor');
        if (intOf(node, 'group', 1) !== 1) refuse('grouped convolutions are not read');
        if (intsOf(node, 'dilations', [1, 1]).some((d) => d !== 1))
          refuse('dilated convolutions are not read');
        const autoPad = stringOf(node, 'auto_pad');
        if (autoPad && autoPad !== 'NOTSET' && autoPad !== 'VALID')
          refuse(`auto_pad ${autoPad} is not read (export with explicit padding)`);
        const kernel = weight.dims.slice(2);
        const strides = intsOf(node, 'strides', [1, 1]);
        const [top, left, bottom, right] = intsOf(node, 'pads', [0, 0, 0, 0]);
        const bias = constant(2)?.values;
        const [, height, width] = x.tensor.shape.map(Number);
        let h = x.tensor;
        if (op === 'Conv') {
          const filters = weight.dims[0];
          // Padding as PyTorch pads (zeros on each side as given), then an unpadded convolution.
          if (top || left || bottom || right)
            h = apply(
              tfl.layers.zeroPadding2d({
                padding: [
                  [top, bottom],
                  [left, right],
                ],
                name: lname('_pad'),
              }),
              h,
            );
          const layer = tfl.layers.conv2d({
            filters,
            kernelSize: kernel,
            strides,
            padding: 'valid',
            useBias: bias !== undefined,
            name: lname(),
            // ONNX [out, in, kh, kw] → tfjs [kh, kw, in, out]
            weights: [
              tf.tensor(transposed(weight.values, weight.dims, [2, 3, 1, 0]), [
                kernel[0],
                kernel[1],
                weight.dims[1],
                filters,
              ]),
              ...(bias ? [tf.tensor(bias, [filters])] : []),
            ],
          });
          set(apply(layer, h), 4);
          layers.push({ op: 'Conv2D', filters, kernel: kernel[0] });
        } else {
          const filters = weight.dims[1];
          const extra = intsOf(node, 'output_padding', [0, 0]);
          // tfjs's unpadded transposed convolution gives in·s + max(k − s, 0) rows; PyTorch's output is those from
          // `top` on, (in − 1)·s + k − top − bottom + output_padding of them (rows past the kernel's reach hold the
          // bias alone in both).
          const sizes = [height, width].map((size, i) => ({
            available: size * strides[i] + Math.max(kernel[i] - strides[i], 0),
            wanted: (size - 1) * strides[i] + kernel[i] - [top, left][i] - [bottom, right][i] + extra[i],
            begin: [top, left][i],
          }));
          if (sizes.some((s) => s.begin + s.wanted > s.available))
            refuse('its output_padding reaches past what the kernel covers');
          const layer = tfl.layers.conv2dTranspose({
            filters,
            kernelSize: kernel,
            strides,
            padding: 'valid',
            useBias: bias !== undefined,
            name: lname(),
            // ONNX [in, out, kh, kw] → tfjs [kh, kw, out, in]
            weights: [
              tf.tensor(transposed(weight.values, weight.dims, [2, 3, 1, 0]), [
                kernel[0],
                kernel[1],
                filters,
                weight.dims[0],
              ]),
              ...(bias ? [tf.tensor(bias, [filters])] : []),
            ],
          });
          h = apply(layer, h);
          const [cropH, cropW] = sizes.map(
            (s) => [s.begin, s.available - s.begin - s.wanted] as [number, number],
          );
          const crops: [[number, number], [number, number]] = [cropH, cropW];
          if ([...cropH, ...cropW].some((c) => c !== 0))
            h = apply(tfl.layers.cropping2D({ cropping: crops, name: lname('_crop') }), h);
          set(h, 4);
          layers.push({ op: 'Conv2DTranspose', filters, kernel: kernel[0] });
        }
        break;
      }
      case 'BatchNormalization': {
        const x = value(0);
        const parts = [1, 2, 3, 4].map((i) => constant(i));
        if (parts.some((p) => !p)) refuse('its scale, bias, mean and variance must be constants');
        const [gamma, beta, mean, variance] = parts as Constant[];
        const channels = gamma.values.length;
        const layer = tfl.layers.batchNormalization({
          axis: -1,
          epsilon: floatOf(node, 'epsilon', 1e-5),
          name: lname(),
          weights: [gamma, beta, mean, variance].map((p) => tf.tensor(p.values, [channels])),
        });
        set(apply(layer, x.tensor), x.rank);
        break;
      }
      case 'Relu':
      case 'Sigmoid':
      case 'Tanh':
      case 'Selu':
      case 'Softplus': {
        const x = value(0);
        const activation = (
          { Relu: 'relu', Sigmoid: 'sigmoid', Tanh: 'tanh', Selu: 'selu', Softplus: 'softplus' } as const
        )[op];
        set(apply(tfl.layers.activation({ activation, name: lname() }), x.tensor), x.rank);
        layers.push({ op: activation });
        break;
      }
      case 'LeakyRelu': {
        const x = value(0);
        set(
          apply(tfl.layers.leakyReLU({ alpha: floatOf(node, 'alpha', 0.01), name: lname() }), x.tensor),
          x.rank,
        );
        layers.push({ op: 'leakyRelu' });
        break;
      }
      case 'Elu': {
        const x = value(0);
        set(apply(tfl.layers.elu({ alpha: floatOf(node, 'alpha', 1), name: lname() }), x.tensor), x.rank);
        layers.push({ op: 'elu' });
        break;
      }
      case 'Softmax': {
        const x = value(0);
        const axis = intOf(node, 'axis', -1);
        // The channels (axis 1 of NCHW) are the network's last axis.
        const last = axis === -1 || axis === x.rank - 1 ? x.rank !== 4 : x.rank === 4 && axis === 1;
        if (!last) refuse(`a softmax over axis ${axis} is not read`);
        set(apply(tfl.layers.softmax({ axis: -1, name: lname() }), x.tensor), x.rank);
        break;
      }
      case 'Flatten':
      case 'Reshape': {
        const x = value(0);
        let target: number[];
        if (op === 'Flatten') {
          if (intOf(node, 'axis', 1) !== 1) refuse('a Flatten from an axis other than 1 is not read');
          target = [-1];
        } else {
          const shape = constant(1)?.ints;
          if (!shape)
            return refuse('its shape must be a constant (export with fixed sizes, e.g. x.view(-1, C, H, W))');
          if (shape[0] !== -1 && shape[0] !== 0)
            refuse(`its shape [${shape}] does not keep the batch axis first`);
          target = shape.slice(1);
        }
        let h = x.tensor;
        // The network's [H, W, C] back to the graph's [C, H, W] before its values are laid out again.
        if (x.rank === 4) h = apply(tfl.layers.permute({ dims: [3, 1, 2], name: lname('_chw') }), h);
        const size = h.shape.slice(1).reduce<number>((a, b) => a * Number(b), 1);
        const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
        const full = target.map((d) => (d === -1 ? size / known : d));
        if (full.join('x') !== h.shape.slice(1).join('x'))
          h = apply(tfl.layers.reshape({ targetShape: full, name: lname() }), h);
        if (full.length === 3) h = apply(tfl.layers.permute({ dims: [2, 3, 1], name: lname('_hwc') }), h);
        set(h, full.length + 1);
        break;
      }
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div': {
        // A scalar constant (x · 2 − 1, x / 255): a rescaling layer.
        const c = [constant(0), constant(1)];
        const side = c[1] ? 1 : 0;
        const k = c[side];
        if (k?.values.length !== 1) return refuse('only arithmetic with a scalar constant is read');
        const x = value(1 - side);
        const v = k.values[0];
        if ((op === 'Sub' || op === 'Div') && side === 0)
          refuse('a constant minus or over a tensor is not read');
        const [scale, offset] = { Add: [1, v], Sub: [1, -v], Mul: [v, 0], Div: [1 / v, 0] }[op];
        set(apply(tfl.layers.rescaling({ scale, offset, name: lname() }), x.tensor), x.rank);
        break;
      }
      case 'Identity':
      case 'Dropout':
        values.set(output, value(0));
        break;
      default:
        refuse(`the import reads ${ONNX_IMPORT_OPS.join(', ')}`);
    }
  }

  const outputs: Symbolic[] = [];
  const outputNames: string[] = [];
  for (const info of graph.output ?? []) {
    const found = values.get(info.name ?? '');
    if (!found) throw new UsageError(`${path}: output "${info.name}" is made by no node the import read`);
    outputs.push(found.tensor);
    outputNames.push(info.name ?? '');
  }
  if (inputs.length === 0 || outputs.length === 0)
    throw new UsageError(`${path}: the graph has no inputs or no outputs`);
  const network = tfl.model({ name, inputs, outputs: outputs.length === 1 ? outputs[0] : outputs });
  return {
    network,
    inputNames,
    outputNames,
    layers,
    endsInSigmoid: lastOp === 'Sigmoid',
    sigmoidLeftOut: sigmoidToLeaveOut !== undefined,
  };
}
