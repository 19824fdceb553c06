// The GAN view's picture of a 2-D run after an epoch: real points, generated points and the discriminator's
// scores on a grid (GAN Lab style), rebuilt from the run's checkpoint so the trainer needs no hook.
import { loadData } from '../../data/load.js';
import { type Tensor, tf } from '../../engine/tf.js';
import { generatePoints, plotRange, scatterRealPoints, surfaceGrid } from '../../eval/toy2d.js';
import { isGenerative, type TrainableModel } from '../../models/family.js';
import { parseModelConfig } from '../../models/registry.js';
import { readCheckpoint, setNetworkWeights } from '../../train/checkpoint.js';
import type { RunConfig } from '../../train/config.js';
import { runPaths } from '../../train/run-dir.js';

/** What the browser draws: points as flat [x0, y0, x1, y1, …], surface row 0 at the top (largest y). */
export interface GanField {
  epoch: number;
  range: [number, number];
  resolution: number;
  /** Discriminator logits on the grid; absent for models without a single unconditional discriminator. */
  surface?: number[];
  generated: number[];
  real: number[];
}

/** A scorer of 2-D points by the discriminator (GanModel), found by what the model can do, not its kind. */
interface Discriminating {
  discriminatorScores(x: Tensor, labels?: Tensor): Tensor;
  readonly conditional?: boolean;
}

function canDiscriminate(model: TrainableModel): model is TrainableModel & Discriminating {
  return typeof (model as Partial<Discriminating>).discriminatorScores === 'function';
}

const GENERATED_POINTS = 1000;
const REAL_POINTS = 1000;
const RESOLUTION = 48;
/** The same noise every epoch, so frames compare. */
const NOISE_SEED = 424_242;

/** Returns undefined for runs the GAN view does not apply to (not 2-D data, or not generative). */
export async function ganFieldSource(runDir: string, config: RunConfig) {
  if (config.data.source !== 'toy') return undefined;
  const splits = await loadData(config.data, {
    seed: config.seed,
    validationFraction: config.train.validationFraction,
  });
  const realAll = scatterRealPoints(splits.validation.size > 0 ? splits.validation : splits.train);
  const range = plotRange(realAll);
  const real = Array.from(realAll.subarray(0, REAL_POINTS * 2), (v) => Math.round(v * 1e4) / 1e4);
  const { family, config: modelConfig } = parseModelConfig(config.model);
  const context = {
    sampleShape: [...splits.train.sampleShape],
    numClasses: splits.train.classNames?.length,
    seed: config.seed,
  };
  return {
    /** The field after the checkpoint's epoch. */
    async read(): Promise<GanField | undefined> {
      const checkpoint = await readCheckpoint(runPaths(runDir).checkpoint);
      const model = family.build(modelConfig, context);
      try {
        if (!isGenerative(model)) return undefined;
        setNetworkWeights(model, checkpoint.weights);
        const generated = generatePoints(model, GENERATED_POINTS, NOISE_SEED);
        let surface: number[] | undefined;
        if (canDiscriminate(model) && !model.conditional) {
          const grid = tf.tensor2d(surfaceGrid(range, RESOLUTION), [RESOLUTION * RESOLUTION, 2]);
          const scores = model.discriminatorScores(grid);
          surface = Array.from((await scores.data()) as Float32Array, (v) => Math.round(v * 1e3) / 1e3);
          tf.dispose([grid, scores]);
        }
        return {
          epoch: checkpoint.state.epoch,
          range,
          resolution: RESOLUTION,
          surface,
          generated: Array.from(generated, (v) => Math.round(v * 1e4) / 1e4),
          real,
        };
      } finally {
        model.dispose();
      }
    },
  };
}
