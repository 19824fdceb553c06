// tf.fused.conv2d and tf.fused.matMul routed through the registry must give the stock (customGrad)
// gradients, first and second order, and must compute only the gradients asked for.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmKernelFixes, unregisterWasmKernelFixes } from '../../src/engine/kernels/index.js';
import { tf, tfl } from '../../src/engine/tf.js';
import { expectStock, randomTensor } from './stock-reference.js';

beforeAll(async () => {
  registerWasmKernelFixes();
  await tf.setBackend('wasm');
  await tf.ready();
  // Stock second-order gradients through LeakyRelu's mask need one for Greater (the GAN losses register it).
  if (!tf.getGradient('Greater')) {
    tf.registerGradient({
      kernelName: 'Greater',
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy, saved) => ({ a: () => tf.zerosLike(saved[0]), b: () => tf.zerosLike(saved[1]) }),
    });
  }
});

afterAll(() => {
  unregisterWasmKernelFixes();
});

/** Kernel names run by `f` on wasm. */
async function kernelsOf(f: () => tf.Tensor | tf.Tensor[]): Promise<string[]> {
  await tf.setBackend('wasm');
  const profile = await tf.profile(() => f());
  tf.dispose(profile.result as tf.Tensor | tf.Tensor[]);
  return profile.kernels.map((k) => k.name);
}

describe('tf.fused.conv2d', () => {
  const cases: Array<{ x: number[]; filter: number[]; strides: number; pad: 'same' | 'valid' }> = [
    { x: [2, 8, 8, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
    { x: [3, 9, 9, 4], filter: [4, 4, 4, 8], strides: 2, pad: 'same' },
    { x: [2, 7, 6, 1], filter: [3, 2, 1, 5], strides: 2, pad: 'valid' },
    { x: [1, 5, 5, 2], filter: [1, 1, 2, 3], strides: 1, pad: 'valid' },
  ];

  it('gives the stock gradients for x, filter and bias, with and without a bias', async () => {
    for (const c of cases) {
      const x = randomTensor(c.x);
      const filter = randomTensor(c.filter);
      const bias = randomTensor([c.filter[3]]);
      const { strides, pad } = c;
      await expectStock(() => {
        const loss = (xs: tf.Tensor, fs: tf.Tensor, bs: tf.Tensor) => {
          const y = tf.fused.conv2d({
            x: xs as tf.Tensor4D,
            filter: fs as tf.Tensor4D,
            strides,
            pad,
            bias: bs,
          });
          // Positive weights: a bias gradient that cancels to near zero could not be compared relatively.
          return tf.sum(tf.mul(y, tf.reshape(tf.linspace(0.5, 1.5, y.size), y.shape)));
        };
        const noBias = (xs: tf.Tensor, fs: tf.Tensor) =>
          tf.sum(
            tf.square(tf.fused.conv2d({ x: xs as tf.Tensor4D, filter: fs as tf.Tensor4D, strides, pad })),
          );
        return [
          tf.fused.conv2d({
            x: x() as tf.Tensor4D,
            filter: filter() as tf.Tensor4D,
            strides,
            pad,
            bias: bias(),
          }),
          ...tf.grads(loss)([x(), filter(), bias()]),
          ...tf.grads(noBias)([x(), filter()]),
        ];
      });
    }
  });

  it('computes only the gradients asked for', async () => {
    const x = tf.randomNormal([2, 8, 8, 3]) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
    const bias = tf.randomNormal([4]);
    const y = (xs: tf.Tensor4D, fs: tf.Tensor4D) =>
      tf.sum(tf.fused.conv2d({ x: xs, filter: fs, strides: 2, pad: 'same', bias }));
    const filterOnly = await kernelsOf(() => tf.grad((fs: tf.Tensor) => y(x, fs as tf.Tensor4D))(filter));
    expect(filterOnly).toContain('Conv2DBackpropFilter');
    expect(filterOnly).not.toContain('Conv2DBackpropInput');
    const inputOnly = await kernelsOf(() => tf.grad((xs: tf.Tensor) => y(xs as tf.Tensor4D, filter))(x));
    expect(inputOnly).toContain('Conv2DBackpropInput');
    expect(inputOnly).not.toContain('Conv2DBackpropFilter');
    tf.dispose([x, filter, bias]);
  });

  it('leaves fused activations and rank-3 inputs to the stock op', async () => {
    const x = randomTensor([2, 6, 6, 3]);
    const x3 = randomTensor([6, 6, 3]);
    const filter = randomTensor([3, 3, 3, 4]);
    const bias = randomTensor([4]);
    await expectStock(() => [
      ...tf.grads((xs: tf.Tensor, fs: tf.Tensor) =>
        tf.sum(
          tf.fused.conv2d({
            x: xs as tf.Tensor4D,
            filter: fs as tf.Tensor4D,
            strides: 1,
            pad: 'same',
            bias: bias(),
            activation: 'relu',
          }),
        ),
      )([x(), filter()]),
      // Stock has no gradient for a rank-3 input (its backward pass asserts rank 4): the value only.
      tf.fused.conv2d({ x: x3() as tf.Tensor3D, filter: filter() as tf.Tensor4D, strides: 1, pad: 'same' }),
    ]);
  });

  it('gives the stock second-order gradient (R1 through a conv and a leaky ReLU)', async () => {
    const x = randomTensor([2, 8, 8, 2]);
    const filter = randomTensor([4, 4, 2, 3]);
    const bias = randomTensor([3]);
    await expectStock(() =>
      tf.grads((fs: tf.Tensor, bs: tf.Tensor) => {
        const critic = (xs: tf.Tensor) =>
          tf.sum(
            tf.leakyRelu(
              tf.fused.conv2d({
                x: xs as tf.Tensor4D,
                filter: fs as tf.Tensor4D,
                strides: 2,
                pad: 'same',
                bias: bs,
              }),
              0.2,
            ),
          );
        return tf.sum(tf.square(tf.grad(critic)(x())));
      })([filter(), bias()]),
    );
  });
});

describe('tf.fused.matMul', () => {
  it('gives the stock gradients under every transpose, with and without a bias', async () => {
    for (const [tA, tB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const a = randomTensor(tA ? [7, 5] : [5, 7]);
      const b = randomTensor(tB ? [3, 7] : [7, 3]);
      const bias = randomTensor([3]);
      const w = randomTensor([5, 3]);
      await expectStock(() => [
        ...tf.grads((as: tf.Tensor, bs: tf.Tensor, cs: tf.Tensor) =>
          tf.sum(
            tf.mul(
              tf.fused.matMul({
                a: as as tf.Tensor2D,
                b: bs as tf.Tensor2D,
                transposeA: tA,
                transposeB: tB,
                bias: cs,
              }),
              w(),
            ),
          ),
        )([a(), b(), bias()]),
        ...tf.grads((as: tf.Tensor, bs: tf.Tensor) =>
          tf.sum(
            tf.square(
              tf.fused.matMul({ a: as as tf.Tensor2D, b: bs as tf.Tensor2D, transposeA: tA, transposeB: tB }),
            ),
          ),
        )([a(), b()]),
      ]);
    }
  });

  it('skips the gradient of an input that is not a variable', async () => {
    const z = tf.randomNormal([4, 10]) as tf.Tensor2D;
    const w = tf.variable(tf.randomNormal([10, 6]));
    const names = await kernelsOf(() => {
      const { grads } = tf.variableGrads(
        () => tf.sum(tf.fused.matMul({ a: z, b: w as unknown as tf.Tensor2D })) as tf.Scalar,
        [w],
      );
      return Object.values(grads);
    });
    // One product for dW = zᵀ dy; none for dz.
    expect(names.filter((n) => n === 'BatchMatMul')).toHaveLength(1);
    tf.dispose([z, w]);
  });
});

describe('layers', () => {
  it('a conv + dense model has its stock weight gradients', async () => {
    const x = randomTensor([3, 10, 10, 2]);
    const build = () => {
      const model = tfl.sequential({
        layers: [
          tfl.layers.conv2d({
            inputShape: [10, 10, 2],
            filters: 4,
            kernelSize: 4,
            strides: 2,
            padding: 'same',
            kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
          }),
          tfl.layers.leakyReLU({ alpha: 0.2 }),
          tfl.layers.flatten(),
          tfl.layers.dense({
            units: 1,
            kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
            biasInitializer: 'ones',
          }),
        ],
      });
      const weights = model.trainableWeights.map((v) => v.read() as tf.Variable);
      const { grads } = tf.variableGrads(
        () => tf.sum(tf.square(model.apply(x()) as tf.Tensor)) as tf.Scalar,
        weights,
      );
      const out = weights.map((v) => grads[v.name]);
      model.dispose();
      return out;
    };
    await expectStock(build);
  });
});

describe('registration', () => {
  it('restores the stock fused ops and gradients', () => {
    registerWasmKernelFixes();
    const routed = tf.fused.conv2d;
    expect(tf.getGradient('FusedConv2D')).toBeDefined();
    unregisterWasmKernelFixes();
    expect(tf.fused.conv2d).not.toBe(routed);
    expect(tf.getGradient('FusedConv2D')).toBeUndefined();
    expect(tf.getGradient('_FusedMatMul')).toBeUndefined();
    registerWasmKernelFixes();
    expect(tf.fused.conv2d).not.toBe(routed);
    expect(tf.getGradient('FusedConv2D')).toBeDefined();
  });
});
