// The benchmark's models behind one step function: latentlab's families for W1/W2, and bench-only
// DCGAN (W3) and VAE (W4) in plain tfjs-layers. Architectures match bench/peers/torch_bench.py exactly.
import { type Tensor, tf, tfl } from '../src/engine/tf.js';
import { parseModelConfig } from '../src/models/registry.js';
import { TrainConfig } from '../src/train/config.js';
import { createOptimizers } from '../src/train/trainer.js';
import { WORKLOADS, type WorkloadName } from './workloads.js';

export interface BenchModel {
  /** One optimisation step on images in [0, 1] shaped [batch, 28, 28, 1]; leaves no tensors behind. */
  step(x: Tensor, step: number): void;
  /** Trainable parameters, compared with the PyTorch peer's count to catch architecture drift. */
  readonly params: number;
  /** A trainable weight, read once after the timed steps so queued work has finished. */
  probe(): Tensor;
  dispose(): void;
}

const SAMPLE_SHAPE = [28, 28, 1];
const PIXELS = 28 * 28;

/** Seeded Glorot-uniform per layer (PyTorch peer: xavier_uniform_ on every weight, zero biases). */
function initializers(seed: number) {
  let layer = 0;
  return () => tfl.initializers.glorotUniform({ seed: seed * 1009 + layer++ });
}

function variablesOf(...networks: tfl.LayersModel[]): tf.Variable[] {
  return networks.flatMap((n) => n.trainableWeights.map((w) => w.read() as tf.Variable));
}

const countParams = (vars: tf.Variable[]) => vars.reduce((sum, v) => sum + v.size, 0);

/** Run a loss under variableGrads for `vars`, apply the gradients, free everything it made. */
function update(optimizer: tf.Optimizer, vars: tf.Variable[], loss: () => tf.Scalar): void {
  const { value, grads } = tf.variableGrads(loss, vars);
  optimizer.applyGradients(grads);
  tf.dispose([value, ...Object.values(grads)]);
}

/** W1/W2: a latentlab family, trained by its own trainStep with the trainer's default Adam. */
function familyModel(name: 'W1' | 'W2'): BenchModel {
  const { family, config } = parseModelConfig(WORKLOADS[name].model);
  const model = family.build(config, { sampleShape: SAMPLE_SHAPE, seed: 0 });
  const optimizers = createOptimizers(model, TrainConfig.parse({ batchSize: WORKLOADS[name].batchSize }));
  return {
    params: countParams(variablesOf(...Object.values(model.networks))),
    step(x, step) {
      tf.dispose(Object.values(model.trainStep({ x, step }, optimizers)));
    },
    probe: () => Object.values(model.networks)[0].getWeights()[0],
    dispose() {
      model.dispose();
      for (const o of Object.values(optimizers)) o.dispose();
    },
  };
}

export const DCGAN_NOISE = 100;

/**
 * W3: DCGAN. Generator z(100) → dense 7·7·128 + BN + ReLU → 7x7x128 → deconv 64 4x4/2 + BN + ReLU →
 * deconv 1 4x4/2 tanh. Discriminator conv 64 4x4/2 + LeakyReLU(0.2) → conv 128 4x4/2 + LeakyReLU →
 * flatten → dense 1 (logit). 4x4 stride-2 'same' pads 1 on each side, as PyTorch's padding=1 does.
 * Layers followed by batch norm have no bias. Batch-norm defaults (momentum 0.99, epsilon 1e-3).
 */
export function buildDcgan(batchSize: number, seed = 0) {
  const init = initializers(seed);
  const generator = tfl.sequential({
    name: 'generator',
    layers: [
      tfl.layers.dense({
        inputShape: [DCGAN_NOISE],
        units: 7 * 7 * 128,
        useBias: false,
        kernelInitializer: init(),
      }),
      tfl.layers.batchNormalization(),
      tfl.layers.reLU(),
      tfl.layers.reshape({ targetShape: [7, 7, 128] }),
      tfl.layers.conv2dTranspose({
        filters: 64,
        kernelSize: 4,
        strides: 2,
        padding: 'same',
        useBias: false,
        kernelInitializer: init(),
      }),
      tfl.layers.batchNormalization(),
      tfl.layers.reLU(),
      tfl.layers.conv2dTranspose({
        filters: 1,
        kernelSize: 4,
        strides: 2,
        padding: 'same',
        activation: 'tanh',
        kernelInitializer: init(),
      }),
    ],
  });
  const discriminator = tfl.sequential({
    name: 'discriminator',
    layers: [
      tfl.layers.conv2d({
        inputShape: SAMPLE_SHAPE,
        filters: 64,
        kernelSize: 4,
        strides: 2,
        padding: 'same',
        kernelInitializer: init(),
      }),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.conv2d({
        filters: 128,
        kernelSize: 4,
        strides: 2,
        padding: 'same',
        kernelInitializer: init(),
      }),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 1, kernelInitializer: init() }),
    ],
  });
  const gOptimizer = tf.train.adam(2e-4, 0.5, 0.999);
  const dOptimizer = tf.train.adam(2e-4, 0.5, 0.999);
  const gVars = variablesOf(generator);
  const dVars = variablesOf(discriminator);
  const logits = (x: Tensor) => discriminator.apply(x, { training: true }) as Tensor;
  const generate = (z: Tensor) => generator.apply(z, { training: true }) as Tensor;
  const bce = (label: 0 | 1, l: Tensor) =>
    tf.losses.sigmoidCrossEntropy(label ? tf.onesLike(l) : tf.zerosLike(l), l) as tf.Scalar;

  const model: BenchModel = {
    params: countParams([...gVars, ...dVars]),
    step(x, step) {
      const real = tf.tidy(() => tf.sub(tf.mul(x, 2), 1));
      const z = tf.randomNormal([batchSize, DCGAN_NOISE], 0, 1, 'float32', seed * 7919 + step);
      // Generated outside the discriminator's tape: its update must not reach the generator.
      const fake = tf.tidy(generate.bind(null, z));
      update(dOptimizer, dVars, () => tf.add(bce(1, logits(real)), bce(0, logits(fake))) as tf.Scalar);
      // Non-saturating generator loss: label the fakes real.
      update(gOptimizer, gVars, () => bce(1, logits(generate(z))));
      tf.dispose([real, z, fake]);
    },
    probe: () => gVars[0],
    dispose() {
      generator.dispose();
      discriminator.dispose();
      gOptimizer.dispose();
      dOptimizer.dispose();
    },
  };
  return { model, generator, discriminator };
}

export const VAE_LATENT = 32;

/**
 * W4: VAE. Encoder 784 → 512 ReLU → 256 ReLU → mean (32) and log-variance (32); decoder 32 → 256 ReLU →
 * 512 ReLU → 784 logits. Loss per sample: Bernoulli BCE summed over pixels + KL(q(z|x) ‖ N(0, I)),
 * averaged over the batch; z = mean + exp(logvar / 2) · eps. Adam 1e-3.
 */
export function buildVae(batchSize: number, seed = 0) {
  const init = initializers(seed);
  const input = tfl.input({ shape: [PIXELS] });
  const dense = (units: number, activation?: 'relu') =>
    tfl.layers.dense({ units, activation, kernelInitializer: init() });
  const h = dense(256, 'relu').apply(dense(512, 'relu').apply(input)) as tfl.SymbolicTensor;
  const encoder = tfl.model({
    name: 'encoder',
    inputs: input,
    outputs: [
      dense(VAE_LATENT).apply(h) as tfl.SymbolicTensor,
      dense(VAE_LATENT).apply(h) as tfl.SymbolicTensor,
    ],
  });
  const decoder = tfl.sequential({
    name: 'decoder',
    layers: [
      tfl.layers.dense({
        inputShape: [VAE_LATENT],
        units: 256,
        activation: 'relu',
        kernelInitializer: init(),
      }),
      dense(512, 'relu'),
      dense(PIXELS),
    ],
  });
  const optimizer = tf.train.adam(1e-3, 0.9, 0.999);
  const vars = variablesOf(encoder, decoder);

  const model: BenchModel = {
    params: countParams(vars),
    step(x, step) {
      const flat = tf.reshape(x, [batchSize, PIXELS]);
      const eps = tf.randomNormal([batchSize, VAE_LATENT], 0, 1, 'float32', seed * 7919 + step);
      update(optimizer, vars, () => {
        const [mean, logvar] = encoder.apply(flat, { training: true }) as Tensor[];
        const z = tf.add(mean, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps));
        const logits = decoder.apply(z, { training: true }) as Tensor;
        const reconstruction = tf.losses.sigmoidCrossEntropy(flat, logits, undefined, 0, tf.Reduction.SUM);
        const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.add(1, logvar), tf.add(tf.square(mean), tf.exp(logvar)))));
        return tf.div(tf.add(reconstruction, kl), batchSize) as tf.Scalar;
      });
      tf.dispose([flat, eps]);
    },
    probe: () => vars[0],
    dispose() {
      encoder.dispose();
      decoder.dispose();
      optimizer.dispose();
    },
  };
  return { model, encoder, decoder };
}

export function buildBenchModel(name: WorkloadName): BenchModel {
  const { batchSize } = WORKLOADS[name];
  if (name === 'W3') return buildDcgan(batchSize).model;
  if (name === 'W4') return buildVae(batchSize).model;
  return familyModel(name);
}
