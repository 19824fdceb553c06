// The benchmark's models: every workload is a latentlab family trained by its own trainStep, with the
// optimisers the trainer would make for it, so the figures are those of `latentlab train`. The PyTorch peer
// (bench/peers/torch_bench.py) builds the same architectures; the parameter counts are compared to catch drift.
import { type Tensor, tf } from '../src/engine/tf.js';
import { parseModelConfig } from '../src/models/registry.js';
import { TrainConfig } from '../src/train/config.js';
import { createOptimizers } from '../src/train/trainer.js';
import { trainingFlopsPerSample } from './flops.js';
import { sampleShape, WORKLOADS, type WorkloadName } from './workloads.js';

export interface BenchModel {
  /**
   * One optimisation step on images in [0, 1] shaped [batch, 28, 28, 1], spectrograms [batch, mels, frames, 1]
   * or token ids [batch, length] for a text workload; leaves no tensors behind.
   */
  step(x: Tensor, step: number): void;
  /** Trainable parameters, compared with the PyTorch peer's count to catch architecture drift. */
  readonly params: number;
  /** Training FLOPs per sample counted from the layer shapes (bench/flops.ts states the convention). */
  readonly flopsPerSample: number;
  /** A trainable weight, read once after the timed steps so queued work has finished. */
  probe(): Tensor;
  dispose(): void;
}

export function buildBenchModel(name: WorkloadName): BenchModel {
  const workload = WORKLOADS[name];
  const { family, config } = parseModelConfig(workload.model);
  const context =
    'text' in workload
      ? { sampleShape: sampleShape(name), vocabularySize: workload.text.vocabulary, seed: 0 }
      : { sampleShape: sampleShape(name), seed: 0 };
  const model = family.build(config, context);
  const optimizers = createOptimizers(model, TrainConfig.parse({ batchSize: workload.batchSize }));
  const networks = Object.values(model.networks).filter((n) => n !== undefined);
  return {
    params: networks.reduce((sum, n) => sum + n.trainableWeights.reduce((s, w) => s + w.read().size, 0), 0),
    flopsPerSample: trainingFlopsPerSample(name, model),
    step(x, step) {
      tf.dispose(Object.values(model.trainStep({ x, step }, optimizers)));
    },
    probe: () => networks[0].getWeights()[0],
    dispose() {
      model.dispose();
      for (const o of Object.values(optimizers)) o.dispose();
    },
  };
}
