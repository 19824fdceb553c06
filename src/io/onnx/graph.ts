// Building ONNX graphs with onnx-proto (ONNX's own protobuf schema, compiled for JavaScript): unique names,
// float and int64 initialisers, typed attributes, and the model's encoding with its stated opset.
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type OnnxModel = onnxProto.onnx.IModelProto;
export type OnnxNode = onnxProto.onnx.INodeProto;
export type OnnxTensor = onnxProto.onnx.ITensorProto;
export type OnnxValueInfo = onnxProto.onnx.IValueInfoProto;

/**
 * Opset 13: the operators latentlab writes (MatMul, Conv, ConvTranspose, BatchNormalization, Pad with its pads as
 * an input) have their current forms there, and every ONNX Runtime of the last years (Node, web, Python) runs it.
 */
export const OPSET = 13;
/** IR version 7 (ONNX 1.8): the oldest that opset 13 may be written in, so older checkers and runtimes read it. */
export const IR_VERSION = 7;

const { AttributeType } = onnx.AttributeProto;
const { DataType } = onnx.TensorProto;

/** An attribute value: integers and floats are told apart by the caller, since JavaScript numbers cannot. */
export type Attribute =
  | { int: number }
  | { float: number }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { string: string };

function attribute(name: string, value: Attribute): onnxProto.onnx.IAttributeProto {
  if ('int' in value) return { name, type: AttributeType.INT, i: value.int };
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  if ('ints' in value) return { name, type: AttributeType.INTS, ints: [...value.ints] };
  if ('floats' in value) return { name, type: AttributeType.FLOATS, floats: [...value.floats] };
  return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value.string) };
}

/** A float32 tensor's bytes, little-endian as ONNX's raw_data requires (typed arrays are native-endian). */
function floatBytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}

/** One graph under construction: nodes in topological order, initialisers, and names that are never reused. */
export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly taken = new Set<string>();

  /** `base`, or `base_2`, `base_3` … where it is taken. */
  unique(base: string): string {
    let name = base;
    for (let n = 2; this.taken.has(name); n++) name = `${base}_${n}`;
    this.taken.add(name);
    return name;
  }

  /** Reserve a name given from outside (a graph input), failing if it is taken. */
  reserve(name: string): string {
    if (this.taken.has(name)) throw new Error(`ONNX name "${name}" is used twice`);
    this.taken.add(name);
    return name;
  }

  floats(name: string, values: Float32Array | readonly number[], dims: readonly number[]): string {
    const unique = this.unique(name);
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    this.initializers.push({
      name: unique,
      dataType: DataType.FLOAT,
      dims: [...dims],
      rawData: floatBytes(data),
    });
    return unique;
  }

  int64s(name: string, values: readonly number[]): string {
    const unique = this.unique(name);
    this.initializers.push({
      name: unique,
      dataType: DataType.INT64,
      dims: [values.length],
      int64Data: [...values],
    });
    return unique;
  }

  /** Append node `op` on `inputs`; returns its output's name (`output` when given, else one made from `name`). */
  node(
    op: string,
    inputs: readonly string[],
    name: string,
    attributes: Record<string, Attribute> = {},
    output?: string,
  ): string {
    const out = output ?? this.unique(name);
    this.nodes.push({
      opType: op,
      name: this.unique(`${name}/${op}`),
      input: [...inputs],
      output: [out],
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return out;
  }
}

/** A float32 graph input or output of shape `shape` (null: the batch dimension, named n). */
export function floatValueInfo(name: string, shape: readonly (number | null)[], doc?: string): OnnxValueInfo {
  return {
    name,
    docString: doc,
    type: {
      tensorType: {
        elemType: DataType.FLOAT,
        shape: { dim: shape.map((d) => (d === null ? { dimParam: 'n' } : { dimValue: d })) },
      },
    },
  };
}

export interface ModelParts {
  graphName: string;
  doc: string;
  builder: GraphBuilder;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  metadata: Record<string, string>;
  producerVersion: string;
}

/** The serialised ModelProto (a .onnx file's bytes). */
export function encodeModel(parts: ModelParts): Uint8Array {
  const model: OnnxModel = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'latentlab',
    producerVersion: parts.producerVersion,
    docString: parts.doc,
    graph: {
      name: parts.graphName,
      node: parts.builder.nodes,
      initializer: parts.builder.initializers,
      input: parts.inputs,
      output: parts.outputs,
    },
    metadataProps: Object.entries(parts.metadata).map(([key, value]) => ({ key, value })),
  };
  const error = onnx.ModelProto.verify(model);
  if (error) throw new Error(`latentlab built an invalid ONNX model: ${error}`);
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** Parse a .onnx file's bytes. */
export function decodeModel(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
