// The VAE's networks with a deterministic encoder (WAE, RAE): the code is the encoder's mean head, decoded as it
// is; the log-variance head is built (so the networks keep the VAE's signatures) but never trained or read.
import { type Tensor, tf } from '../../engine/tf.js';
import type { Batch, BuildContext } from '../family.js';
import type { VaeBaseConfig } from '../vae/config.js';
import { VaeModel, type VaeNetworks, type VaePass } from '../vae/model.js';

export class DeterministicEncoderModel<C extends VaeBaseConfig> extends VaeModel<C> {
  constructor(config: C, context: BuildContext, networks: VaeNetworks) {
    super(config, context, networks);
    // No posterior q(z|x) to weigh samples with, so no ELBO and no IWAE bound: hasLikelihood(model) is false and
    // detect, compare and the server use the reconstruction error instead. (An own property shadows VaeModel's
    // methods, since a subclass cannot drop a method in TypeScript.)
    Object.defineProperties(this, {
      negativeElbo: { value: undefined },
      importanceWeightedBound: { value: undefined },
    });
  }

  /** z = the encoder's mean: [n, latent]; eps is zero, so the pass reads like a VAE's with no noise. */
  protected override forward(batch: Batch, training: boolean): VaePass {
    const y = this.labelInput(batch.labels, training ? 'training' : 'evaluation');
    const [mean, logVar] = this.encoderOutputs(batch.x, y, training);
    const { out, logSigma } = this.decoderOutputs(mean, y, training);
    const eps = tf.zerosLike(mean);
    return {
      x: batch.x,
      y,
      mean,
      logVar,
      eps,
      z: mean,
      out,
      logSigma,
      nll: this.nll(batch.x, out, logSigma),
    };
  }

  /** The decoded code (probabilities or the mean) for codes z [n, latent], training mode: the penalties' input. */
  protected decodedData(z: Tensor, y: Tensor | undefined): Tensor {
    return this.toData(this.decoderOutputs(z, y, true).out);
  }
}
