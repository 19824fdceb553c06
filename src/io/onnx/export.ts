// latentlab's saved networks as ONNX models: each network one .onnx file, whose inputs and outputs are named as
// the network's input and output layers and take the same arrays latentlab does (channels-last images, NHWC),
// so the arrays a latentlab user has go in unchanged; Transposes inside the graph feed ONNX's channels-first
// convolutions. Layers ONNX cannot express here are refused, naming the network and the layer.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { tfl } from '../../engine/tf.js';
import { UsageError } from '../../errors.js';
import { LATENTLAB_VERSION } from '../../version.js';
import { writeDirAtomic } from '../atomic.js';
import { loadNetwork, readManifest } from '../model-files.js';
import type { NetworkSignature } from '../model-format.js';
import { encodeModel, floatValueInfo, GraphBuilder, OPSET } from './graph.js';
import { CONVERTERS, type LayerContext, type OnnxValue } from './layers.js';

/** The layer classes the export writes (the rest are refused by name). */
export const ONNX_LAYERS: readonly string[] = ['InputLayer', ...Object.keys(CONVERTERS)];

/** The permutation to channels-first of a channels-last tensor of `rank` ([0, 3, 1, 2] for images), and back. */
const toFirst = (rank: number) => [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
const toLast = (rank: number) => [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];

/** What an exported network is, for the graph's doc string and its inputs' and outputs' docs. */
export interface NetworkDescription {
  /** The network's name in the model (encoder, decoder, generator …). */
  name: string;
  kind?: string;
  signature?: NetworkSignature;
}

function shapeOf(tensor: tfl.SymbolicTensor): number[] {
  return tensor.shape.slice(1).map((d) => Number(d));
}

/** One network as the bytes of an ONNX model (opset OPSET, float32, inputs and outputs channels-last). */
export function networkToOnnx(network: tfl.LayersModel, description: NetworkDescription): Uint8Array {
  const graph = new GraphBuilder();
  const values = new Map<number, OnnxValue>();
  const refuse = (layer: tfl.layers.Layer, why: string): never => {
    throw new UsageError(
      `cannot export network "${description.name}" as ONNX: layer "${layer.name}" (${layer.getClassName()}) ${why}`,
    );
  };

  // Named after the input and output layers (found through the tensors: a Sequential network loaded from disk
  // lists no input layers).
  const inputNames = network.inputs.map((tensor) => graph.reserve(tensor.sourceLayer.name));
  // Reserved before any node is named, so the outputs keep their layers' names.
  const outputNames = network.outputs.map((tensor) => graph.unique(tensor.sourceLayer.name));
  network.inputs.forEach((tensor, i) => {
    values.set(tensor.id, { rank: tensor.rank, last: inputNames[i] });
  });

  const channelsLast = (value: OnnxValue): string => {
    if (value.last === undefined && value.first !== undefined)
      value.last = graph.node('Transpose', [value.first], `${value.first}_nhwc`, {
        perm: { ints: toLast(value.rank) },
      });
    return value.last as string;
  };
  const channelsFirst = (value: OnnxValue): string => {
    if (value.first === undefined && value.last !== undefined)
      value.first = graph.node('Transpose', [value.last], `${value.last}_nchw`, {
        perm: { ints: toFirst(value.rank) },
      });
    return value.first as string;
  };

  // Layers in the order tfjs sorted them (by depth from the inputs): every input is made before it is used.
  for (const layer of network.layers) {
    const className = layer.getClassName();
    if (className === 'InputLayer') continue;
    const convert = CONVERTERS[className];
    for (const node of layer.inboundNodes) {
      const inputs = node.inputTensors.map((t) => values.get(t.id));
      // A node of this layer in another model (a layer shared with a training graph) is not ours.
      if (inputs.some((v) => v === undefined)) continue;
      if (!convert) {
        refuse(
          layer,
          `has no ONNX form in latentlab's export (it writes ${ONNX_LAYERS.filter((l) => l !== 'InputLayer').join(', ')})`,
        );
      }
      const weights = new Map(layer.weights.map((w) => [w.originalName.split('/').pop() as string, w]));
      const context: LayerContext = {
        graph,
        layer,
        config: layer.getConfig() as Record<string, unknown>,
        inputs: inputs as OnnxValue[],
        inputShapes: node.inputTensors.map(shapeOf),
        outputShape: shapeOf(node.outputTensors[0]),
        weight: (name) => {
          const w = weights.get(name);
          if (!w) return undefined;
          const tensor = w.read();
          return { values: Float32Array.from(tensor.dataSync()), shape: [...tensor.shape] };
        },
        channelsLast,
        channelsFirst,
        refuse: (why) => refuse(layer, why),
      };
      if (node.outputTensors.length !== 1) refuse(layer, `has ${node.outputTensors.length} outputs`);
      values.set(node.outputTensors[0].id, convert(context));
    }
  }

  const outputs = network.outputs.map((tensor, i) => {
    const value = values.get(tensor.id);
    if (!value)
      throw new UsageError(
        `cannot export network "${description.name}": output ${i} is not reached from its inputs`,
      );
    const name = outputNames[i];
    // An Identity names the output after its layer, whatever node made it (and an input passed straight through).
    graph.node('Identity', [channelsLast(value)], name, {}, name);
    const meaning = description.signature?.outputs[i]?.meaning;
    return floatValueInfo(name, [null, ...shapeOf(tensor)], meaning);
  });
  const inputs = network.inputs.map((tensor, i) =>
    floatValueInfo(inputNames[i], [null, ...shapeOf(tensor)], description.signature?.inputs[i]?.meaning),
  );
  return encodeModel({
    graphName: description.name,
    doc:
      `${description.kind ? `${description.kind} ` : ''}${description.name}` +
      `${description.signature?.summary ? `: ${description.signature.summary}` : ''}. ` +
      'Images are channels-last (NHWC), as latentlab and TensorFlow.js take them.',
    builder: graph,
    inputs,
    outputs,
    metadata: {
      layout: 'NHWC',
      latentlab_network: description.name,
      ...(description.kind ? { latentlab_kind: description.kind } : {}),
    },
    producerVersion: LATENTLAB_VERSION,
  });
}

/** What `export --format onnx` writes beside the .onnx files (export.json). */
export interface OnnxExportIndex {
  format: 'onnx';
  opset: number;
  layout: 'NHWC';
  kind: string;
  latentlabVersion: string;
  networks: Record<
    string,
    { file: string; inputs: NetworkSignature['inputs']; outputs: NetworkSignature['outputs'] }
  >;
}

/**
 * Every network of the saved model in `modelDir` as `outDir/<network>.onnx`, with export.json saying what each
 * takes and gives. All networks are converted before anything is written, and the directory appears whole.
 */
export async function exportOnnx(modelDir: string, outDir: string): Promise<OnnxExportIndex> {
  const manifest = await readManifest(modelDir);
  const files: Record<string, Uint8Array> = {};
  const index: OnnxExportIndex = {
    format: 'onnx',
    opset: OPSET,
    layout: 'NHWC',
    kind: manifest.kind,
    latentlabVersion: LATENTLAB_VERSION,
    networks: {},
  };
  for (const name of manifest.networks) {
    const network = await loadNetwork(join(modelDir, name));
    try {
      const signature = manifest.signatures?.[name];
      files[name] = networkToOnnx(network, { name, kind: manifest.kind, signature });
      index.networks[name] = {
        file: `${name}.onnx`,
        inputs: network.inputs.map((tensor, i) => ({
          name: tensor.sourceLayer.name,
          shape: [null, ...shapeOf(tensor)],
          meaning: signature?.inputs[i]?.meaning,
        })),
        outputs: network.outputs.map((tensor, i) => ({
          name: tensor.sourceLayer.name,
          shape: [null, ...shapeOf(tensor)],
          meaning: signature?.outputs[i]?.meaning,
        })),
      };
    } finally {
      network.dispose();
    }
  }
  await writeDirAtomic(outDir, async (temp) => {
    for (const [name, bytes] of Object.entries(files)) await writeFile(join(temp, `${name}.onnx`), bytes);
    await writeFile(join(temp, 'export.json'), `${JSON.stringify(index, null, 2)}\n`);
  });
  return index;
}
