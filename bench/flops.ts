// Floating-point operations per training sample of each workload, counted from the layer shapes of the networks
// the bench trains, so a row's samples/s becomes GFLOP/s and a distance to the machine's GEMM peak.
//
// Convention: a multiply-add is 2 FLOPs; only matrix products and convolutions count (Dense, Conv2D,
// Conv2DTranspose, the GRU's input and recurrent products, every timestep); elementwise work, losses, Adam and
// embedding lookups count 0. A backward pass costs 2x its forward pass (the input gradient and the weight
// gradient are one product each), so a network run forward once and back once costs 3 forward passes.
import type * as tfl from '@tensorflow/tfjs-layers';
import type { TrainableModel } from '../src/models/family.js';
import type { WorkloadName } from './workloads.js';

type Shape = readonly (number | null)[];

const product = (dims: readonly (number | null)[]) => dims.reduce<number>((a, d) => a * (d ?? 1), 1);

/** Positions a layer's product is applied at: every axis between the batch and the channels. */
const positions = (shape: Shape) => product(shape.slice(1, -1));

function layerForwardFlops(layer: tfl.layers.Layer): number {
  const weights = layer.getWeights();
  const output = layer.outputShape as Shape;
  switch (layer.getClassName()) {
    case 'Dense': {
      const [inputs, units] = weights[0].shape;
      return 2 * positions(output) * inputs * units;
    }
    case 'Conv2D': {
      const [kh, kw, inC, outC] = weights[0].shape;
      return 2 * positions(output) * kh * kw * inC * outC;
    }
    case 'Conv2DTranspose': {
      // Kernel [kh, kw, outC, inC]: every input position scatters kh·kw·outC products of each input channel.
      const [kh, kw, outC, inC] = weights[0].shape;
      const [sh, sw] = (layer.getConfig().strides as number[] | undefined) ?? [1, 1];
      return (2 * positions(output) * kh * kw * inC * outC) / (sh * sw);
    }
    case 'GRU': {
      // Kernel [inputs, 3·units], recurrent kernel [units, 3·units], both applied at every timestep.
      const [inputs, gates] = weights[0].shape;
      const units = weights[1].shape[0];
      const steps = (layer.input as unknown as { shape: Shape }).shape[1] ?? 1;
      return 2 * steps * (inputs + units) * gates;
    }
    default:
      return 0;
  }
}

/** Forward FLOPs of one sample through a network. */
export function networkForwardFlops(network: tfl.LayersModel): number {
  return network.layers.reduce((sum, layer) => sum + layerForwardFlops(layer), 0);
}

/**
 * Forward passes of each network per training sample, backward counted as 2 forward. Every workload but W3 runs
 * each network forward and back once. W3's DCGAN step: the discriminator update runs G forward (no gradient), D
 * forward and back on the real and the fake batch (G 1, D 6); the generator update runs G and D forward and the
 * gradient back through both (G 3, D 3).
 */
const FORWARD_PASSES: Partial<Record<WorkloadName, Record<string, number>>> = {
  W3: { generator: 4, discriminator: 9 },
};
const DEFAULT_PASSES = 3;

/** Training FLOPs per sample of a workload's model, as the convention above counts them. */
export function trainingFlopsPerSample(name: WorkloadName, model: TrainableModel): number {
  let flops = 0;
  for (const [role, network] of Object.entries(model.networks)) {
    if (!network) continue;
    flops += (FORWARD_PASSES[name]?.[role] ?? DEFAULT_PASSES) * networkForwardFlops(network);
  }
  return flops;
}
