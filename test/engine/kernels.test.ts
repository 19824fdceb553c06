// The wasm kernel fixes must agree with the cpu backend (the reference) and must not leak wasm memory.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchMatMulOptions } from '../../src/engine/kernels/batch-mat-mul.js';
import { conv2dBackpropFilterOptions } from '../../src/engine/kernels/conv2d-backprop-filter.js';
import {
  listWasmKernelFixes,
  registerWasmKernelFixes,
  unregisterWasmKernelFixes,
} from '../../src/engine/kernels/index.js';
import { tf } from '../../src/engine/tf.js';
import { expectNoLeakedTensors, randomValues } from '../helpers.js';

type Build = () => tf.Tensor;

let seedCounter = 1;
/** Same values on whichever backend is active when the returned builder runs. */
function randomTensor(shape: number[]): () => tf.Tensor {
  const values = randomValues(tf.util.sizeFromShape(shape), seedCounter++);
  return () => tf.tensor(values, shape, 'float32');
}

async function runOn(
  backend: 'cpu' | 'wasm',
  build: Build,
): Promise<{ shape: number[]; values: Float32Array }> {
  await tf.setBackend(backend);
  const values = tf.tidy(() => {
    const t = build();
    return { shape: t.shape, values: t.dataSync() as Float32Array };
  });
  return { shape: values.shape, values: Float32Array.from(values.values) };
}

/**
 * Compares wasm against cpu. Tolerance is relative to the tensor's largest magnitude: long sums cancel,
 * so near-zero entries cannot be held to a per-element relative bound.
 */
async function expectSame(build: Build, reference: Build = build, tolerance = 1e-4): Promise<void> {
  const label = `route ${batchMatMulOptions.forceRoute ?? 'cheapest'}`;
  const want = await runOn('cpu', reference);
  const got = await runOn('wasm', build);
  expect(got.shape, label).toEqual(want.shape);
  let scale = 1;
  for (const v of want.values) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < want.values.length; i++) {
    worst = Math.max(worst, Math.abs(got.values[i] - want.values[i]) / scale);
  }
  expect(worst, label).toBeLessThan(tolerance);
}

/** Runs the body with the matmul kernels left to choose, then forced down each of their routes. */
async function forEachRoute(body: () => Promise<void>): Promise<void> {
  for (const route of [undefined, 'direct', 'swapped'] as const) {
    batchMatMulOptions.forceRoute = route;
    try {
      await body();
    } finally {
      batchMatMulOptions.forceRoute = undefined;
    }
  }
}

const transposeCombos: Array<[boolean, boolean]> = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

/** Operand shape for a logical [..batch, rows, cols] matrix, stored transposed when asked. */
function operand(batch: number[], rows: number, cols: number, transposed: boolean): number[] {
  return transposed ? [...batch, cols, rows] : [...batch, rows, cols];
}

function matMulCase(
  batchA: number[],
  batchB: number[],
  m: number,
  k: number,
  n: number,
  tA: boolean,
  tB: boolean,
) {
  const a = randomTensor(operand(batchA, m, k, tA));
  const b = randomTensor(operand(batchB, k, n, tB));
  // The cpu kernel broadcasts batches by flat modulo, so the reference broadcasts explicitly first.
  const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(batchA, batchB);
  const build = () => tf.matMul(a(), b(), tA, tB);
  const reference = () =>
    tf.matMul(
      tf.broadcastTo(a(), operand(outBatch, m, k, tA)),
      tf.broadcastTo(b(), operand(outBatch, k, n, tB)),
      tA,
      tB,
    );
  return { build, reference };
}

/** Pulls a kernel from the registry, as op code would, so attrs outside the public ops can be tried. */
function runKernel(name: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
}

beforeAll(async () => {
  registerWasmKernelFixes();
  await tf.setBackend('wasm');
  await tf.ready();
});

afterAll(() => {
  unregisterWasmKernelFixes();
});

describe('registration', () => {
  it('is idempotent, lists its kernels, and restores the stock ones', async () => {
    registerWasmKernelFixes();
    expect(listWasmKernelFixes()).toEqual([
      'BatchMatMul',
      '_FusedMatMul',
      'Conv2DBackpropFilter',
      'Conv2DBackpropInput',
      'OneHot',
      'UnsortedSegmentSum',
      'GatherV2',
      'Unpack',
      'SplitV',
      'LatentlabSoftmaxCrossEntropy',
      'LatentlabSoftmaxCrossEntropyGrad',
      'LatentlabRowLoss',
      'LatentlabRowLossGrad',
      'Tile',
      'LeakyRelu',
      'LatentlabLeakyReluGrad',
      'Sum',
      'Mean',
      'FusedBatchNorm',
      'Identity',
      'Transpose',
      'Cast',
    ]);
    const fixed = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
    registerWasmKernelFixes();
    expect(tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc).toBe(fixed);

    unregisterWasmKernelFixes();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    expect(tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc).not.toBe(fixed);
    unregisterWasmKernelFixes();

    registerWasmKernelFixes();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    await tf.setBackend('wasm');
    const product = tf.matMul(tf.ones([3, 2]), tf.ones([4, 2]), false, true);
    expect(Array.from(product.dataSync())).toEqual(new Array(12).fill(2));
    product.dispose();
  });
});

describe('BatchMatMul on wasm', () => {
  it('matches cpu for rank-2 products with every transpose combination', async () => {
    // Sizes below and above the cut-over to the stock kernel, and inner sizes above its 48-wide blocks.
    const sizes: Array<[number, number, number]> = [
      [1, 1, 1],
      [5, 7, 3],
      [1, 130, 40],
      [37, 61, 29],
      [64, 200, 48],
      [96, 33, 1],
    ];
    for (const [m, k, n] of sizes) {
      for (const [tA, tB] of transposeCombos) {
        const { build, reference } = matMulCase([], [], m, k, n, tA, tB);
        await forEachRoute(() => expectSame(build, reference));
      }
    }
  });

  it('matches cpu for rank-3 products, including broadcast batch dims', async () => {
    const batches: Array<[number[], number[]]> = [
      [[3], [3]],
      [[1], [4]],
      [[4], [1]],
      [[3], []],
      [[], [3]],
      [[2, 1], [3]],
      [
        [2, 3],
        [1, 3],
      ],
    ];
    for (const [batchA, batchB] of batches) {
      for (const [tA, tB] of transposeCombos) {
        const { build, reference } = matMulCase(batchA, batchB, 19, 53, 23, tA, tB);
        await forEachRoute(() => expectSame(build, reference));
      }
    }
    // Small products, which the cost model leaves to the stock kernel.
    const small = matMulCase([5], [5], 3, 4, 2, true, true);
    await forEachRoute(() => expectSame(small.build, small.reference));
  });

  it('gives the same dense-layer gradients as cpu', async () => {
    const x = randomTensor([32, 50]);
    const w = randomTensor([50, 20]);
    const dy = randomTensor([32, 20]);
    for (const wrt of [0, 1]) {
      await forEachRoute(() =>
        expectSame(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b))([x(), w()], dy())[wrt]),
      );
    }
  });
});

describe('_FusedMatMul on wasm', () => {
  it('matches cpu with bias and activations under every transpose combination', async () => {
    const activations = ['relu', 'linear', 'leakyrelu', 'sigmoid'] as const;
    for (const [tA, tB] of transposeCombos) {
      for (const activation of activations) {
        const a = randomTensor(operand([], 40, 70, tA));
        const b = randomTensor(operand([], 70, 24, tB));
        const bias = randomTensor([24]);
        await forEachRoute(() =>
          expectSame(() =>
            tf.fused.matMul({ a: a(), b: b(), transposeA: tA, transposeB: tB, bias: bias(), activation }),
          ),
        );
      }
    }
  });

  it('matches cpu for batched products with bias, relu and prelu weights', async () => {
    const cases: Array<[number[], number[]]> = [
      [[3], [3]],
      [[3], [1]],
      [[1], [3]],
    ];
    for (const [batchA, batchB] of cases) {
      for (const [tA, tB] of transposeCombos) {
        const a = randomTensor(operand(batchA, 17, 60, tA));
        const b = randomTensor(operand(batchB, 60, 21, tB));
        const bias = randomTensor([21]);
        const alpha = randomTensor([21]);
        await forEachRoute(async () => {
          await expectSame(() =>
            tf.fused.matMul({
              a: a(),
              b: b(),
              transposeA: tA,
              transposeB: tB,
              bias: bias(),
              activation: 'relu',
            }),
          );
          await expectSame(() =>
            tf.fused.matMul({ a: a(), b: b(), transposeA: tA, transposeB: tB, activation: 'relu' }),
          );
          await expectSame(() =>
            tf.fused.matMul({
              a: a(),
              b: b(),
              transposeA: tA,
              transposeB: tB,
              activation: 'prelu',
              preluActivationWeights: alpha(),
            }),
          );
        });
      }
    }
  });
});

describe('Conv2DBackpropFilter on wasm', () => {
  interface ConvCase {
    batch: number;
    size: [number, number];
    inC: number;
    outC: number;
    kernel: [number, number];
    stride: number;
    pad: 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
  }

  function conv2dFilterGrad({ batch, size, inC, outC, kernel, stride, pad }: ConvCase): Build {
    const x = randomTensor([batch, size[0], size[1], inC]);
    const filter = randomTensor([kernel[0], kernel[1], inC, outC]);
    const probe = tf.tidy(() => tf.conv2d(x() as tf.Tensor4D, filter() as tf.Tensor4D, stride, pad));
    const dy = randomTensor(probe.shape);
    probe.dispose();
    return () =>
      tf.grad((f: tf.Tensor) => tf.conv2d(x() as tf.Tensor4D, f as tf.Tensor4D, stride, pad))(filter(), dy());
  }

  it('matches cpu through tf.grad of conv2d for strides, paddings, channels and batch sizes', async () => {
    const cases: ConvCase[] = [];
    const channels: Array<[number, number]> = [
      [1, 1],
      [1, 8],
      [3, 3],
      [8, 3],
      [3, 8],
    ];
    for (const stride of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        for (const [i, [inC, outC]] of channels.entries()) {
          const batch = [1, 2, 5][i % 3];
          const kernel: [number, number] = i % 2 === 0 ? [3, 3] : [5, 2];
          cases.push({ batch, size: [9, 8], inC, outC, kernel, stride, pad });
        }
      }
    }
    cases.push({ batch: 3, size: [7, 6], inC: 3, outC: 4, kernel: [1, 1], stride: 1, pad: 'valid' });
    cases.push({
      batch: 2,
      size: [8, 9],
      inC: 3,
      outC: 5,
      kernel: [3, 3],
      stride: 2,
      pad: [
        [0, 0],
        [1, 2],
        [2, 0],
        [0, 0],
      ],
    });
    // The DCGAN shape: 4x4 stride 2 'same', padding 1 on each side.
    cases.push({ batch: 3, size: [14, 14], inC: 8, outC: 6, kernel: [4, 4], stride: 2, pad: 'same' });
    for (const route of ['conv', 'columns'] as const) {
      conv2dBackpropFilterOptions.forceRoute = route;
      try {
        for (const c of cases) await expectSame(conv2dFilterGrad(c));
      } finally {
        conv2dBackpropFilterOptions.forceRoute = undefined;
      }
    }
  });

  it('matches cpu when the batch is split into chunks', async () => {
    const saved = conv2dBackpropFilterOptions.maxPatchFloats;
    conv2dBackpropFilterOptions.maxPatchFloats = 2000;
    try {
      await expectSame(
        conv2dFilterGrad({ batch: 7, size: [8, 8], inC: 3, outC: 4, kernel: [3, 3], stride: 1, pad: 'same' }),
      );
    } finally {
      conv2dBackpropFilterOptions.maxPatchFloats = saved;
    }
  });

  it('runs the kernel directly, including dilation 2', async () => {
    for (const pad of ['same', 'valid'] as const) {
      for (const [inC, outC] of [
        [1, 3],
        [3, 8],
        [8, 1],
      ]) {
        const x = randomTensor([2, 11, 10, inC]);
        const filterShape: [number, number, number, number] = [3, 3, inC, outC];
        // A 3x3 filter dilated by 2 covers 5x5; the dilated filter's gradient is the 5x5 one at even taps.
        const dense = [5, 5, inC, outC];
        const probe = tf.tidy(() =>
          tf.conv2d(x() as tf.Tensor4D, tf.zeros(filterShape) as tf.Tensor4D, 1, pad, 'NHWC', 2),
        );
        const dy = randomTensor(probe.shape);
        probe.dispose();
        const attrs = { strides: 1, pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
        await expectSame(
          () =>
            runKernel('Conv2DBackpropFilter', { x: x(), dy: dy() }, { ...attrs, filterShape, dilations: 2 }),
          () =>
            tf.stridedSlice(
              runKernel('Conv2DBackpropFilter', { x: x(), dy: dy() }, { ...attrs, filterShape: dense }),
              [0, 0, 0, 0],
              dense,
              [2, 2, 1, 1],
            ),
        );
        // And without dilation, against the cpu kernel itself.
        const dyPlain = randomTensor([2, pad === 'same' ? 11 : 9, pad === 'same' ? 10 : 8, outC]);
        await expectSame(() =>
          runKernel('Conv2DBackpropFilter', { x: x(), dy: dyPlain() }, { ...attrs, filterShape }),
        );
      }
    }
  });

  it('matches cpu for the filter gradient of conv2dTranspose', async () => {
    for (const stride of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        for (const [inC, outC] of [
          [8, 1],
          [3, 8],
          [1, 3],
        ]) {
          const [h, w] = [6, 5];
          const x = randomTensor([3, h, w, inC]);
          // conv2dTranspose filters are [fh, fw, outDepth, inDepth].
          const filter = randomTensor([3, 3, outC, inC]);
          const outSize = (d: number) => (pad === 'same' ? d * stride : (d - 1) * stride + 3);
          const outputShape: [number, number, number, number] = [3, outSize(h), outSize(w), outC];
          const dy = randomTensor(outputShape);
          await expectSame(() =>
            tf.grad((f: tf.Tensor) =>
              tf.conv2dTranspose(x() as tf.Tensor4D, f as tf.Tensor4D, outputShape, stride, pad),
            )(filter(), dy()),
          );
        }
      }
    }
  });

  it('refuses NCHW with a clear message', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 2, 4, 4]);
    const dy = tf.zeros([1, 3, 4, 4]);
    expect(() =>
      runKernel(
        'Conv2DBackpropFilter',
        { x, dy },
        { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 3] },
      ),
    ).toThrow(/NHWC/);
    tf.dispose([x, dy]);
  });
});

describe('memory', () => {
  it('leaves no tensors or wasm buffers behind', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const saved = conv2dBackpropFilterOptions.maxPatchFloats;
    const work = () => {
      // Every layout (rows stacked, wide b, per-batch loop), on every route, plus the chunked conv gradient.
      for (const route of [undefined, 'direct', 'swapped'] as const) {
        batchMatMulOptions.forceRoute = route;
        tf.tidy(() => {
          tf.matMul(tf.ones([4, 40, 30]), tf.ones([40, 20]), true, false);
          tf.matMul(tf.ones([40, 30]), tf.ones([20, 40]), true, true);
          tf.matMul(tf.ones([30, 40]), tf.ones([3, 20, 40]), false, true);
          tf.matMul(tf.ones([2, 1, 40, 30]), tf.ones([3, 20, 40]), true, true);
          tf.fused.matMul({
            a: tf.ones([3, 40, 30]),
            b: tf.ones([3, 20, 40]),
            transposeA: true,
            transposeB: true,
            bias: tf.ones([20]),
            activation: 'relu',
          });
          const x = tf.ones([5, 8, 8, 3]) as tf.Tensor4D;
          for (const filterRoute of ['conv', 'columns'] as const) {
            conv2dBackpropFilterOptions.forceRoute = filterRoute;
            tf.grad((f: tf.Tensor) => tf.conv2d(x, f as tf.Tensor4D, 2, 'same'))(tf.ones([3, 3, 3, 4]));
            // Cropped as well as padded input for the conv route.
            tf.grad((f: tf.Tensor) => tf.conv2d(x, f as tf.Tensor4D, 2, 'valid'))(tf.ones([3, 3, 3, 4]));
          }
          conv2dBackpropFilterOptions.forceRoute = undefined;
          tf.tile(tf.ones([2, 1, 3]), [3, 4, 2]);
        });
      }
      batchMatMulOptions.forceRoute = undefined;
    };
    conv2dBackpropFilterOptions.maxPatchFloats = 1000;
    try {
      const tensors = tf.memory().numTensors;
      const buffers = backend.numDataIds();
      work();
      expect(tf.memory().numTensors, 'engine tensors').toBe(tensors);
      expect(backend.numDataIds(), 'wasm buffers').toBe(buffers);
    } finally {
      conv2dBackpropFilterOptions.maxPatchFloats = saved;
    }
  });
});

describe('OneHot on wasm', () => {
  it('matches cpu for float32 and int32, including out-of-range indices', async () => {
    const run = () =>
      tf.tidy(() => {
        const indices = tf.tensor1d([0, 3, 1, -1, 4, 2], 'int32');
        return [tf.oneHot(indices, 4, 5, -2, 'float32').arraySync(), tf.oneHot(indices, 4).arraySync()];
      });
    await tf.setBackend('cpu');
    const expected = run();
    await tf.setBackend('wasm');
    registerWasmKernelFixes();
    expectNoLeakedTensors(() => expect(run()).toEqual(expected));
    expect((expected[0] as number[][])[1]).toEqual([-2, -2, -2, 5]);
  });
});

describe('UnsortedSegmentSum on wasm', () => {
  it("matches cpu, rows summed into their segments (an embedding's gradient), out-of-range ids dropped", async () => {
    const run = () =>
      tf.tidy(() => {
        const x = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [6, 2]);
        const ids = tf.tensor1d([0, 2, 0, 5, 2, -1], 'int32');
        const table = tf.variable(tf.ones([4, 2]));
        const grad = tf.grad((t: tf.Tensor) =>
          tf.sum(tf.mul(tf.gather(t, tf.tensor1d([3, 1, 3], 'int32')), 2)),
        )(table);
        table.dispose();
        return [tf.unsortedSegmentSum(x, ids, 4).arraySync(), grad.arraySync()];
      });
    await tf.setBackend('cpu');
    const expected = run();
    await tf.setBackend('wasm');
    registerWasmKernelFixes();
    expectNoLeakedTensors(() => expect(run()).toEqual(expected));
    expect(expected[0]).toEqual([
      [6, 8],
      [0, 0],
      [12, 14],
      [0, 0],
    ]);
  });
});

describe('GatherV2, Unpack and SplitV on wasm (row copies)', () => {
  it('match cpu: gathers along axis 0 (an embedding lookup, ids of any shape), other axes, unstacks and splits on every axis', async () => {
    const table = randomTensor([50, 8]);
    const ids = () =>
      tf.tensor2d(
        [
          [3, 0, 49],
          [7, 7, 12],
        ],
        [2, 3],
        'int32',
      );
    await expectSame(() => tf.gather(table(), ids()));
    await expectSame(() => tf.gather(table(), tf.tensor1d([1, 4], 'int32'), 1));
    const vector = randomTensor([6]);
    await expectSame(() => tf.gather(vector(), tf.tensor1d([5, 0, 2], 'int32')));
    const x = randomTensor([4, 3, 5]);
    const flat = (ts: tf.Tensor[]) => tf.concat(ts.map((t) => tf.reshape(t, [-1])));
    for (const axis of [0, 1, 2, -1]) {
      await expectSame(() => flat(tf.unstack(x(), axis)));
      await expectSame(() => flat(tf.split(x(), [x().shape.at(axis)! - 1, 1], axis)));
    }
    // A GRU's gate split, by count and by sizes with an inferred one.
    const kernel = randomTensor([6, 9]);
    await expectSame(() => flat(tf.split(kernel(), 3, 1)));
    await expectSame(() => flat(tf.split(kernel(), [6, -1], 1)));
    // Their gradients (UnsortedSegmentSum, Pack) through an embedding and a per-step unstack.
    await expectSame(() =>
      flat(
        tf.grads((t: tf.Tensor, v: tf.Tensor) =>
          tf.add(
            tf.sum(tf.square(tf.gather(t, ids()))),
            tf.sum(tf.stack(tf.unstack(v, 1).map((s, i) => tf.mul(s, i)))),
          ),
        )([table(), x()]),
      ),
    );
  });

  it('gather: int32 tables stay exact', async () => {
    const run = () =>
      tf.tidy(() =>
        tf
          .gather(
            tf.tensor2d(
              [
                [1, 2],
                [3, 4],
                [5, 6],
              ],
              [3, 2],
              'int32',
            ),
            tf.tensor1d([2, 0], 'int32'),
          )
          .arraySync(),
      );
    await tf.setBackend('wasm');
    expect(run()).toEqual([
      [5, 6],
      [1, 2],
    ]);
  });
});

describe('Tile on wasm', () => {
  it('matches cpu for every rank up to 5, unit and zero reps, and int32 and bool tensors', async () => {
    const cases: Array<[number[], number[]]> = [
      [[], []],
      [[5], [3]],
      [
        [1, 1, 1, 7],
        [4, 3, 2, 1],
      ],
      [
        [2, 3],
        [1, 1],
      ],
      [
        [3, 1],
        [2, 40],
      ],
      [
        [2, 3, 4],
        [2, 1, 3],
      ],
      [
        [1, 2, 1, 2, 3],
        [2, 1, 3, 1, 2],
      ],
      [
        [300, 1],
        [1, 5],
      ],
      // Single values spread along the last axis (a softmax's sums), short and long.
      [
        [4, 3, 1],
        [1, 2, 3],
      ],
      [
        [2, 5, 1],
        [1, 1, 1000],
      ],
      [
        [2, 2],
        [0, 3],
      ],
    ];
    for (const [shape, reps] of cases) {
      const x = randomTensor(shape);
      await expectSame(() => tf.tile(x(), reps));
    }
    const run = () =>
      tf.tidy(() => [
        tf.tile(tf.tensor2d([[1, -2, 3]], [1, 3], 'int32'), [2, 2]).arraySync(),
        tf.tile(tf.tensor1d([true, false], 'bool'), [3]).arraySync(),
      ]);
    await tf.setBackend('cpu');
    const expected = run();
    await tf.setBackend('wasm');
    expect(run()).toEqual(expected);
    expect(expected[1]).toEqual([1, 0, 1, 0, 1, 0]);
  });

  it('gives the batch-norm gradient its cpu values', async () => {
    const x = randomTensor([4, 5, 5, 6]);
    const dy = randomTensor([4, 5, 5, 6]);
    await expectSame(() =>
      tf.grad((input: tf.Tensor) => {
        const { mean, variance } = tf.moments(input, [0, 1, 2]);
        const normed = tf.batchNorm(input, mean, variance, tf.fill([6], 0.1), tf.fill([6], 1.5), 1e-3);
        return tf.sum(tf.mul(normed, dy()));
      })(x()),
    );
  });
});
