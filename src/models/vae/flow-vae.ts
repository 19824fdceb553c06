// A VAE whose posterior is a Gaussian pushed through a normalising flow, z = f_K∘…∘f_1(z0), z0 ~ N(mean, e^logVar):
// log q(z|x) = log N(z0) - Σ_k log|det ∂f_k/∂z|. The flow's parameters live in a saved network `flow` (one
// learned vector, the same for every x, as pythae's VAE_LinNF and VAE_IAF) trained by the 'vae' optimiser.
// Shared by vae-nf (planar flows) and vae-iaf (inverse autoregressive flows), which give only the flow itself.

import { meanSquaredError } from '../../engine/kernels/row-loss.js';
import { type Scalar, type Tensor, tf, tfl } from '../../engine/tf.js';
import type { Batch, LossRecord, NetworkRole } from '../family.js';
import { learnedConstant } from '../shared/layers.js';
import { logPosterior, logStandardNormal } from '../shared/log-density.js';
import { trainableVariables } from '../shared/step.js';
import { type ObjectiveContext, type VaeBaseConfig, VaeModel, type VaePass } from './model.js';

/** A block of the flow's parameter vector: its shape and how it starts. */
export interface ParameterBlock {
  shape: number[];
  /** 'glorot': uniform in ±sqrt(6 / (fanIn + fanOut)) of a [fanIn, fanOut] matrix; a number: that constant. */
  init: 'glorot' | 'normal' | number;
}

/** The flow network: a learned constant of every parameter, seeded block by block (stock tfjs layers only). */
export function buildFlowNetwork(latent: number, blocks: ParameterBlock[], seed: number): tfl.LayersModel {
  const size = blocks.reduce((s, b) => s + b.shape.reduce((a, c) => a * c, 1), 0);
  const input = tfl.input({ shape: [latent], name: 'flow_input' });
  const out = learnedConstant(input, size, 0, { zero: 'flow_zero', bias: 'flow_parameters' });
  const network = tfl.model({ name: 'flow', inputs: input, outputs: out });
  const initial = tf.tidy(() =>
    tf.concat(
      blocks.map(({ shape, init }, i) => {
        const count = shape.reduce((a, c) => a * c, 1);
        if (typeof init === 'number') return tf.fill([count], init);
        if (init === 'normal') return tf.randomNormal([count], 0, 0.1, 'float32', seed * 1009 + i);
        const limit = Math.sqrt(6 / (shape[0] + (shape[1] ?? 1)));
        return tf.randomUniform([count], -limit, limit, 'float32', seed * 1009 + i);
      }),
    ),
  );
  const layer = network.getLayer('flow_parameters');
  const [kernel] = layer.getWeights();
  layer.setWeights([kernel, initial]);
  initial.dispose();
  return network;
}

/** The blocks of a parameter vector [P] as tensors of their shapes. */
export function splitParameters(parameters: Tensor, blocks: ParameterBlock[]): Tensor[] {
  const sizes = blocks.map((b) => b.shape.reduce((a, c) => a * c, 1));
  return tf.split(parameters, sizes).map((t, i) => tf.reshape(t, blocks[i].shape));
}

/** K flow steps applied in turn to z0 [m, latent]: the last z and the summed log|det| [m]. */
export function composeFlows(
  z0: Tensor,
  count: number,
  step: (z: Tensor, k: number) => { z: Tensor; logDet: Tensor },
): { z: Tensor; logDet: Tensor } {
  let z = z0;
  const logDets: Tensor[] = [];
  for (let k = 0; k < count; k++) {
    const next = step(z, k);
    z = next.z;
    logDets.push(next.logDet);
  }
  return { z, logDet: tf.addN(logDets) };
}

export abstract class FlowVaeModel<C extends VaeBaseConfig> extends VaeModel<C> {
  /** z = f(z0) and Σ_k log|det ∂f_k/∂z| for codes z0 [m, latent] under the flow's parameters [P]: [m, latent], [m]. */
  abstract flow(z0: Tensor, parameters: Tensor): { z: Tensor; logDet: Tensor };

  /** What the `flow` network says about itself. */
  protected abstract flowSummary: string;

  override networkRoles(): Record<string, NetworkRole> {
    return {
      ...super.networkRoles(),
      flow: {
        summary: this.flowSummary,
        inputs: ['any code [n, latent] (ignored: the parameters are the same for every x)'],
        outputs: ["the flow's parameters, flat [n, P]"],
      },
    };
  }

  /** The flow's parameter vector [P]. */
  protected flowParameters(training: boolean): Tensor {
    const out = this.networks.flow.apply(tf.zeros([1, this.config.latent]), { training }) as Tensor;
    return tf.reshape(out, [-1]);
  }

  /** The flow over codes of any leading shape [..., latent]. */
  protected applyFlow(z0: Tensor, training: boolean): { z: Tensor; logDet: Tensor } {
    const shape = z0.shape;
    const { z, logDet } = this.flow(tf.reshape(z0, [-1, this.config.latent]), this.flowParameters(training));
    return { z: tf.reshape(z, shape), logDet: tf.reshape(logDet, shape.slice(0, -1)) };
  }

  /** z0 from the encoder's Gaussian, then through the flow; logDetJacobian is log q(z|x) - log N(z0) = -Σ log|det|. */
  protected override forward(batch: Batch, training: boolean, seed: number): VaePass {
    const y = this.labelInput(batch.labels, training ? 'training' : 'evaluation');
    const [mean, logVar] = this.encoderOutputs(batch.x, y, training);
    const eps = tf.randomNormal(mean.shape, 0, 1, 'float32', seed);
    const { z, logDet } = this.applyFlow(this.sample(mean, logVar, eps), training);
    const { out, logSigma } = this.decoderOutputs(z, y, training);
    const nll = this.nll(batch.x, out, logSigma);
    return { x: batch.x, y, mean, logVar, eps, z, out, logSigma, nll, logDetJacobian: tf.neg(logDet) };
  }

  /** log q(z|x) - log p(z) at the one draw: log N(z0) - Σ log|det| - log N(z; 0, I). [n] */
  protected override klPerSample(pass: VaePass): Tensor {
    return tf.sub(
      tf.add(logPosterior(pass.eps, pass.logVar), pass.logDetJacobian!),
      logStandardNormal(pass.z),
    );
  }

  /** reconstruction + weight · KL (the one-draw estimate; free bits do not apply), and -ELBO. */
  protected override objective(pass: VaePass, context: ObjectiveContext) {
    const reconstruction = tf.mean(pass.nll) as Scalar;
    const kl = tf.mean(this.klPerSample(pass)) as Scalar;
    const loss = tf.add(reconstruction, tf.mul(context.weight, kl)) as Scalar;
    return { loss, reconstruction, kl, negElbo: tf.add(reconstruction, kl) as Scalar };
  }

  /** Evaluation's mse decodes f(mean), the code encode() gives, as the VAE's decodes its mean. */
  protected override losses(batch: Batch, training: boolean, seed: number, weight: number): LossRecord {
    const pass = this.forward(batch, training, seed);
    const record = this.objective(pass, { training, seed, weight, batch });
    const code = training ? pass.z : this.applyFlow(pass.mean, false).z;
    const recon = this.toData(training ? pass.out : this.decoderOutputs(code, pass.y, false).out);
    return { ...record, mse: meanSquaredError(batch.x, recon) };
  }

  /** The code of x: the flow applied to the mean of q(z0|x). [n, latent] */
  override encode(x: Tensor, labels?: Tensor): Tensor {
    return tf.tidy(() => this.applyFlow(super.encode(x, labels), false).z);
  }

  /** Importance draws go through the flow: z = f(z0), with its log-determinant. [count, n, latent] */
  protected override importanceCodes(mean: Tensor, logVar: Tensor, eps: Tensor) {
    return this.applyFlow(this.sample(mean, logVar, eps), false);
  }

  /** log p(z) - log q(z|x), with log q(z|x) = log N(z0; mean, e^logVar) - log|det ∂f/∂z0|. [count, n] */
  protected override logPriorOverPosterior(z: Tensor, eps: Tensor, logVar: Tensor, logDet?: Tensor): Tensor {
    const logQ = tf.sub(logPosterior(eps, logVar), logDet ?? 0);
    return tf.sub(logStandardNormal(z), logQ);
  }

  /** The encoder's, decoder's and the flow's variables: one optimiser trains them all. */
  override trainableVariables(): tf.Variable[] {
    return [...super.trainableVariables(), ...trainableVariables(this.networks.flow)];
  }
}
