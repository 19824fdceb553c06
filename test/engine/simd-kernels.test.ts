// The SIMD kernel fixes (LeakyRelu and its gradient, Sum, Mean, FusedBatchNorm, thin matmuls) and the
// copy-free Identity and Cast must agree with the stock cpu backend, gradients included, and not leak.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmKernelFixes, unregisterWasmKernelFixes } from '../../src/engine/kernels/index.js';
import { LEAKY_RELU_GRAD } from '../../src/engine/kernels/leaky-relu.js';
import { rowsLayout } from '../../src/engine/kernels/reduce.js';
import { assembleSimdModule, simdLoops } from '../../src/engine/kernels/simd.js';
import { tf } from '../../src/engine/tf.js';
import { expectStock, randomTensor, runOn, worstDifference } from './stock-reference.js';

beforeAll(async () => {
  registerWasmKernelFixes();
  await tf.setBackend('wasm');
  await tf.ready();
});

afterAll(() => {
  unregisterWasmKernelFixes();
});

describe('the SIMD module', () => {
  it('assembles for shared and unshared memory and binds to the wasm heap', async () => {
    for (const shared of [false, true]) expect(WebAssembly.validate(assembleSimdModule(shared))).toBe(true);
    await tf.setBackend('wasm');
    expect(simdLoops(tf.backend() as never)).toBeDefined();
  });
});

const activationShapes = [[1], [3], [4], [7], [2, 5], [3, 4, 4], [2, 3, 5, 9], [4, 7, 7, 8]];

describe('LeakyRelu on wasm', () => {
  it('matches cpu on every rank and on lengths that are not multiples of 4', async () => {
    for (const shape of activationShapes) {
      const x = randomTensor(shape);
      for (const alpha of [0.2, 0.01, 1.5]) await expectStock(() => tf.leakyRelu(x(), alpha), 1e-6);
    }
  });

  it('keeps zeros, infinities and NaN where stock does, and int32 inputs on the stock kernel', async () => {
    const special = () =>
      tf.tensor1d([0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 2]);
    const want = await runOn('cpu', () => tf.leakyRelu(special(), 0.2), false);
    const got = await runOn('wasm', () => tf.leakyRelu(special(), 0.2));
    expect(Array.from(got[0].values)).toEqual(Array.from(want[0].values));
    await expectStock(() => tf.leakyRelu(tf.tensor1d([-3, 0, 5, -1, 2], 'int32'), 0.5), 0);
  });
});

describe('LeakyRelu gradient', () => {
  it('matches the stock gradient through tf.grad, on wasm and on cpu', async () => {
    for (const shape of activationShapes) {
      const x = randomTensor(shape);
      const dy = randomTensor(shape);
      const grad = () => tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(input, 0.2), dy())))(x());
      await expectStock(grad, 1e-6);
      // cpu with the fixes runs the added cpu kernel.
      const want = await runOn('cpu', grad, false);
      const got = await runOn('cpu', grad);
      expect(worstDifference(got, want)).toBeLessThan(1e-6);
    }
  });

  it('runs as one kernel: no Greater or Select', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([4, 5, 5, 8]);
    const profile = await tf.profile(() =>
      tf.grad((input: tf.Tensor) => tf.sum(tf.leakyRelu(input, 0.2)))(x),
    );
    const names = profile.kernels.map((k) => k.name);
    expect(names).toContain(LEAKY_RELU_GRAD);
    expect(names).not.toContain('Greater');
    expect(names).not.toContain('Select');
    tf.dispose([x, profile.result as tf.Tensor]);
  });

  it('has the stock second-order gradient (as R1 and gradient penalties take it)', async () => {
    // Stock needs a gradient for the Greater in its mask (the GAN losses register this zero one too).
    if (!tf.getGradient('Greater')) {
      tf.registerGradient({
        kernelName: 'Greater',
        inputsToSave: ['a', 'b'],
        gradFunc: (_dy, saved) => ({ a: () => tf.zerosLike(saved[0]), b: () => tf.zerosLike(saved[1]) }),
      });
    }
    const x = randomTensor([3, 4, 4, 5]);
    const w = randomTensor([5]);
    // h(w) = sum(dg/dx^2) with g(x) = sum(leakyRelu(x * w)^2): dy of the gradient kernel depends on w.
    const secondOrder = () =>
      tf.grad((weights: tf.Tensor) => {
        const inner = tf.grad((input: tf.Tensor) =>
          tf.sum(tf.square(tf.leakyRelu(tf.mul(input, weights), 0.2))),
        );
        return tf.sum(tf.square(inner(x())));
      })(w());
    await expectStock(secondOrder, 1e-5);
  });

  it('falls back to the stock ops where the backend lacks the kernel', async () => {
    registerWasmKernelFixes();
    tf.unregisterKernel(LEAKY_RELU_GRAD, 'cpu');
    try {
      const x = randomTensor([2, 3, 7]);
      const grad = () => tf.grad((input: tf.Tensor) => tf.sum(tf.leakyRelu(input, 0.3)))(x());
      const want = await runOn('cpu', grad, false);
      await tf.setBackend('cpu');
      const got = tf.tidy(() => Float32Array.from(grad().dataSync() as Float32Array));
      expect(Array.from(got)).toEqual(Array.from(want[0].values));
    } finally {
      // A full unregister/register cycle puts the cpu kernel back.
      unregisterWasmKernelFixes();
      registerWasmKernelFixes();
    }
    expect(tf.getKernel(LEAKY_RELU_GRAD, 'cpu')).toBeDefined();
  });
});

describe('Sum and Mean on wasm', () => {
  const cases: Array<[number[], number | number[]]> = [
    [[5], 0],
    [[4, 6], 0],
    [[4, 6], 1],
    [
      [4, 6],
      [0, 1],
    ],
    [[3, 5, 8], 1],
    [
      [3, 5, 8],
      [0, 1],
    ],
    [[3, 5, 8], 0],
    [
      [3, 5, 8],
      [0, 2],
    ],
    [
      [2, 3, 4, 5],
      [0, 1, 2],
    ],
    [
      [2, 3, 4, 5],
      [1, 2],
    ],
    [
      [2, 3, 4, 5],
      [-4, -3],
    ],
    [[1, 7, 1, 12], 1],
    [
      [1, 7, 1, 12],
      [0, 1, 2],
    ],
    [
      [6, 1, 8],
      [0, 1],
    ],
    [[4, 1, 8], 1],
    [
      [8, 5, 5, 16],
      [0, 1, 2],
    ],
    [
      [64, 6272 / 64, 64],
      [0, 1],
    ],
    [[0, 4], 0],
  ];

  it('matches cpu for ranks 1 to 4, leading, middle, innermost and split axes, size-1 dims', async () => {
    for (const [shape, axis] of cases) {
      const x = randomTensor(shape);
      for (const keepDims of [false, true]) {
        await expectStock(() => [tf.sum(x(), axis, keepDims), tf.mean(x(), axis, keepDims)]);
      }
    }
  });

  it('leaves int32 sums and means to the stock kernels', async () => {
    const x = () => tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [2, 2, 4], 'int32');
    await expectStock(() => [tf.sum(x(), [0, 1]), tf.mean(x(), [0, 1])], 0);
  });

  it('gives bias and batch-norm gradients their cpu values', async () => {
    const x = randomTensor([4, 5, 5, 12]);
    const b = randomTensor([12]);
    const w = randomTensor([4, 5, 5, 12]);
    await expectStock(() => tf.grad((bias: tf.Tensor) => tf.sum(tf.mul(tf.add(x(), bias), w())))(b()));
    await expectStock(() =>
      tf.grad((input: tf.Tensor) => {
        const { mean, variance } = tf.moments(input, [0, 1, 2]);
        // Stock's batch-norm gradient needs offset and scale tensors (its tape cannot skip absent inputs).
        const normed = tf.batchNorm(input, mean, variance, tf.zerosLike(mean), tf.onesLike(mean), 1e-3);
        return tf.sum(tf.mul(normed, w()));
      })(x()),
    );
  });

  it('have the stock gradients, first and second order (the first exactly, on cpu)', async () => {
    // Stock's second derivative fails on empty tensors (its Multiply gradient gets a [0, 4] for a [1, 4]).
    for (const [shape, axis] of cases.filter(([shape]) => tf.util.sizeFromShape(shape) > 0)) {
      const x = randomTensor(shape);
      for (const keepDims of [false, true]) {
        const grads = () => {
          const w = tf.linspace(0.5, 1.5, tf.util.sizeFromShape(tf.sum(x(), axis, keepDims).shape));
          const f = (input: tf.Tensor) => {
            const s = tf.sum(input, axis, keepDims);
            const m = tf.mean(input, axis, keepDims);
            return tf.sum(tf.mul(tf.add(s, tf.square(m)), tf.reshape(w, s.shape)));
          };
          return [tf.grad(f)(x()), tf.grad((input: tf.Tensor) => tf.sum(tf.square(tf.grad(f)(input))))(x())];
        };
        await expectStock(grads);
        // First order exactly (dy * 1 / n is dy / n); the second sums the tiles in another order.
        const [got, want] = [await runOn('cpu', grads), await runOn('cpu', grads, false)];
        expect(worstDifference([got[0]], [want[0]])).toBe(0);
        expect(worstDifference([got[1]], [want[1]])).toBeLessThan(1e-5);
      }
    }
  });

  it('spread the gradient with one Tile, without a ones tensor to multiply by', async () => {
    const x = tf.randomNormal([4, 5, 5, 8]);
    const names = (
      await tf.profile(() => tf.grad((input: tf.Tensor) => tf.mean(input, [0, 1, 2]))(x))
    ).kernels.map((k) => k.name);
    expect(names).toContain('Tile');
    expect(names).not.toContain('Multiply');
    x.dispose();
  });

  it("sums long columns to 2e-6 of cpu's float64 sums (partial sums of 64 rows)", async () => {
    const x = randomTensor([64, 98, 64]);
    await expectStock(() => [tf.sum(x(), [0, 1]), tf.mean(x(), [0, 1])], 2e-6);
  });

  it('finds the row layout of the reduced block', () => {
    expect(rowsLayout([64, 14, 14, 64], [0, 1, 2])).toEqual({ outer: 1, rows: 12544, cols: 64 });
    expect(rowsLayout([3, 5, 8], [1])).toEqual({ outer: 3, rows: 5, cols: 8 });
    expect(rowsLayout([1, 7, 1, 12], [1, 2])).toEqual({ outer: 1, rows: 7, cols: 12 });
    expect(rowsLayout([3, 5, 8], [0, 2])).toBeUndefined();
    expect(rowsLayout([4, 1, 8], [1])).toBeUndefined();
  });
});

describe('Tile gradient', () => {
  it('matches the stock one for ranks 1 to 4, unit and tiled dims, and also works at rank 5', async () => {
    const cases: Array<[number[], number[]]> = [
      [[5], [3]],
      [
        [2, 3],
        [1, 1],
      ],
      [
        [3, 1],
        [2, 40],
      ],
      [
        [1, 1, 1, 7],
        [4, 3, 2, 1],
      ],
      [
        [2, 3, 4],
        [2, 1, 3],
      ],
      [
        [2, 1, 2, 3],
        [1, 5, 2, 2],
      ],
    ];
    for (const [shape, reps] of cases) {
      const x = randomTensor(shape);
      const w = randomTensor(shape.map((s, d) => s * reps[d]));
      await expectStock(() => tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.tile(input, reps), w())))(x()));
    }
    // Stock has no rank-5 tile gradient; check against the sum it should be.
    await tf.setBackend('wasm');
    const g = tf.tidy(() =>
      tf.grad((input: tf.Tensor) => tf.sum(tf.tile(input, [2, 1, 3, 1, 2])))(tf.ones([1, 2, 1, 2, 1])),
    );
    expect(Array.from(g.dataSync())).toEqual([12, 12, 12, 12]);
    g.dispose();
  });
});

describe('FusedBatchNorm on wasm', () => {
  it('matches cpu with and without offset and scale, on ranks 2 to 4 and channels that fall back', async () => {
    for (const shape of [
      [10, 12],
      [3, 5, 8],
      [4, 5, 5, 16],
      [2, 3, 3, 6],
      [5, 3],
    ]) {
      const c = shape[shape.length - 1];
      const x = randomTensor(shape);
      const mean = randomTensor([c]);
      const variance = () => tf.add(tf.abs(mean()), 0.5);
      const offset = randomTensor([c]);
      const scale = randomTensor([c]);
      await expectStock(() => [
        tf.batchNorm(x(), mean(), variance(), offset(), scale(), 1e-3),
        tf.batchNorm(x(), mean(), variance(), undefined, scale(), 1e-5),
        tf.batchNorm(x(), mean(), variance(), offset(), undefined, 0.1),
        tf.batchNorm(x(), mean(), variance()),
      ]);
    }
  });

  it('leaves parameters broadcast from other shapes to the stock kernel', async () => {
    const x = randomTensor([2, 3, 8]);
    const mean = randomTensor([3, 8]);
    await expectStock(() => tf.batchNorm(x(), mean(), tf.onesLike(mean()), undefined, undefined, 1e-3));
  });
});

describe('BatchMatMul with a dimension of 1 on wasm', () => {
  it('matches cpu for outer products and weighted row sums, with tails and every transpose that applies', async () => {
    const cases: Array<[number[], number[], boolean, boolean]> = [
      // k = 1: outer products.
      [[5, 1], [1, 7], false, false],
      [[1, 5], [7, 1], true, true],
      [[1, 6, 1], [1, 1, 3], false, false],
      [[1, 16, 1], [1, 50, 1], false, true],
      // n = 1 with a transposed: x^T dy of a one-unit dense layer.
      [[9, 10], [9, 1], true, false],
      [[1, 20, 30], [1, 20, 1], true, false],
      [[7, 3], [1, 7], true, true],
      // m = 1 with b plain.
      [[1, 9], [9, 10], false, false],
      [[9, 1], [9, 6], true, false],
      [[1, 1, 12], [1, 12, 2], false, false],
    ];
    for (const [aShape, bShape, tA, tB] of cases) {
      const a = randomTensor(aShape);
      const b = randomTensor(bShape);
      await expectStock(() => tf.matMul(a(), b(), tA, tB));
    }
  });

  it('gives a one-unit dense head its cpu gradients', async () => {
    const x = randomTensor([16, 37]);
    const w = randomTensor([37, 1]);
    const dy = randomTensor([16, 1]);
    await expectStock(() =>
      tf.grads((input: tf.Tensor, weights: tf.Tensor) => tf.sum(tf.mul(tf.matMul(input, weights), dy())))([
        x(),
        w(),
      ]),
    );
  });
});

describe('Identity and Cast on wasm', () => {
  it('share the buffer instead of copying, and the copy outlives its source', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const buffers = backend.numDataIds();
    const x = tf.tensor2d([1, -2, 3.5, 4], [2, 2]);
    const copy = tf.clone(x);
    const same = tf.cast(x, 'float32');
    expect(backend.numDataIds()).toBe(buffers + 1);
    x.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, -2, 3.5, 4]);
    copy.dispose();
    expect(Array.from(same.dataSync())).toEqual([1, -2, 3.5, 4]);
    same.dispose();
    expect(backend.numDataIds()).toBe(buffers);
  });

  it('Transpose by the identity permutation shares too; any other permutation still transposes', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const buffers = backend.numDataIds();
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const same = tf.transpose(x, [0, 1]);
    expect(backend.numDataIds()).toBe(buffers + 1);
    x.dispose();
    expect(same.arraySync()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const swapped = tf.transpose(same);
    expect(backend.numDataIds()).toBe(buffers + 2);
    expect(swapped.arraySync()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    tf.dispose([same, swapped]);
    expect(backend.numDataIds()).toBe(buffers);
  });

  it('converts between dtypes as cpu does', async () => {
    await expectStock(
      () => [
        tf.cast(tf.tensor1d([1.7, -2.2, 0, 3]), 'int32'),
        tf.cast(tf.tensor1d([0, 2, -1]), 'bool'),
        tf.cast(tf.tensor1d([3, -4], 'int32'), 'float32'),
      ],
      0,
    );
  });
});

describe('memory', () => {
  it('leaves no tensors or wasm buffers behind', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const tensors = tf.memory().numTensors;
    const buffers = backend.numDataIds();
    tf.tidy(() => {
      const x = tf.randomNormal([4, 5, 5, 8]);
      tf.grad((input: tf.Tensor) => tf.sum(tf.leakyRelu(input, 0.2)))(x);
      tf.sum(x, [0, 1, 2]);
      tf.mean(x, [1, 2], true);
      tf.batchNorm(x, tf.zeros([8]), tf.ones([8]), tf.zeros([8]), tf.ones([8]), 1e-3);
      tf.cast(tf.clone(x), 'float32');
      tf.matMul(tf.ones([5, 1]), tf.ones([1, 7]));
      tf.matMul(tf.ones([9, 10]), tf.ones([9, 1]), true);
    });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(buffers);
  });
});
