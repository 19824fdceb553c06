// What the hybrids' models (aae, latentgan, aegan) share: the HybridModel base class (encoder, decoder, their
// reconstruction update, per-step seeds, preview, disposal), the phase of a multi-stage hybrid, and the class
// count a labelled variant needs. Each hybrid family file only wires these into its phases.
import { type Tensor, tf, type tfl } from '../../engine/tf.js';
import { ConfigError } from '../../errors.js';
import { type BuildContext, type NetworkRole, SAMPLES_INPUT, samplesOutput } from '../family.js';
import { EncoderDecoder } from './autoencoder-base.js';
import { type AutoencoderBody, reconstructionParts } from './bodies.js';
import { discriminatorOutput, type GanLoss } from './gan-losses.js';
import { evaluationStep, previewSeed, slotSeed } from './seeds.js';
import { minimize, trainableVariables } from './step.js';

type AutoencoderNetworks = { encoder: tfl.LayersModel; decoder: tfl.LayersModel };

/**
 * What the hybrids' models share: an encoder and a decoder with their reconstruction update, per-step seeds,
 * the preview (originals, reconstructions, samples from fixed prior draws) and disposal. A family adds its
 * prior, its generator and its phases.
 */
export abstract class HybridModel<
  C extends AutoencoderBody & { kind: string },
  N extends AutoencoderNetworks & Record<string, tfl.LayersModel | undefined>,
> extends EncoderDecoder {
  abstract readonly kind: string;
  protected readonly seed: number;

  constructor(
    readonly config: C,
    readonly context: BuildContext,
    readonly networks: N,
  ) {
    super();
    this.seed = context.seed;
  }

  get latentSize(): number {
    return this.config.latent;
  }

  abstract samplePrior(n: number, seed: number): Tensor;
  abstract generate(z: Tensor): Tensor;

  /** Seed of `slot` within training step `step`. */
  protected seedFor(step: number, slot: number): number {
    return slotSeed(this.seed, step, slot);
  }

  /** Seed of evaluation draws for batch `step`, apart from every training seed of that step. */
  protected evaluationSeed(step: number): number {
    return this.seedFor(evaluationStep(step), 0);
  }

  /**
   * The encoder and decoder every hybrid has, read off their heads (a semi-supervised AAE's class head, a
   * decoder that also takes the class); each hybrid adds its adversaries' roles (adversaryRole).
   */
  networkRoles(): Record<string, NetworkRole> {
    const { encoder, decoder } = this.networks;
    const latent = this.config.latent;
    const extra = (decoder.inputs[0].shape[1] ?? latent) - latent;
    return {
      encoder: {
        summary: 'maps samples to codes',
        inputs: [SAMPLES_INPUT],
        outputs: encoder.outputs.map((output) =>
          output.name.includes('classes')
            ? `class logits [n, ${output.shape[1]}] (softmax for probabilities)`
            : `the code [n, ${latent}]`,
        ),
      },
      decoder: {
        summary: 'maps codes back to samples',
        inputs: [
          extra > 0
            ? `the code [n, ${latent}] followed by the class as one-hot [n, ${extra}]`
            : `the code [n, ${latent}]`,
        ],
        outputs: [samplesOutput('samples', this.config.outputActivation)],
      },
    };
  }

  /** The role of a discriminator of this hybrid that scores `input` as real or generated. */
  protected adversaryRole(summary: string, input: string, loss: GanLoss): NetworkRole {
    return { summary, inputs: [input], outputs: [discriminatorOutput(loss)] };
  }

  /** One update of encoder and decoder on the reconstruction loss: its parts (`reconstruction`, `mse`). */
  protected reconstructionStep(x: Tensor, optimizer: tf.Optimizer) {
    const { encoder, decoder } = this.networks;
    return minimize(
      optimizer,
      trainableVariables(encoder, decoder),
      () => {
        const code = encoder.apply(x, { training: true }) as Tensor;
        return reconstructionParts(this.config, x, decoder.apply(code, { training: true }) as Tensor);
      },
      'reconstruction',
    );
  }

  /** Image data: originals above reconstructions, then samples from fixed prior draws. Undefined for tables. */
  preview(x: Tensor): { images: Tensor; rows: number; cols: number } | undefined {
    if (this.context.sampleShape.length !== 3) return undefined;
    return tf.tidy(() => {
      const n = x.shape[0];
      const samples = this.generate(this.samplePrior(n, previewSeed(this.seed)));
      return { images: tf.concat([x, this.reconstruct(x), samples], 0), rows: 3, cols: n };
    });
  }

  dispose(): void {
    for (const network of Object.values(this.networks)) network?.dispose();
  }
}

/** Phase of a multi-stage hybrid at a training epoch (1-based; outside training, the first phase). */
export function phaseAt<P extends string>(
  epoch: number | undefined,
  phases: readonly { phase: P; epochs: number }[],
  last: P,
): P {
  let end = 0;
  for (const { phase, epochs } of phases) {
    end += epochs;
    if ((epoch ?? 1) <= end) return phase;
  }
  return last;
}

/** The class count of labelled data, or a ConfigError naming the option that needs it. */
export function requireClasses(context: BuildContext, option: string, what: string): number {
  if (!context.numClasses) {
    throw new ConfigError(`${what} needs class labels, but the data has none`, { path: `model.${option}` });
  }
  return context.numClasses;
}
