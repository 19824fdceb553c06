// The native backend's kernels (src/engine/native/) against the cpu backend, forward and through tf.grads,
// on random shapes, to 1e-4 of each output's largest magnitude; and no leaked tensors or wasm memory.
// Skipped, with the reason in the suite's name, only when the addon is not built (npm run build:native).
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/random.js';
import { registerWasmKernelFixes } from '../../src/engine/kernels/index.js';
import { listNativeKernels, registerNativeBackend } from '../../src/engine/native/backend.js';
import { tf, tfl } from '../../src/engine/tf.js';
import { configureWasmThreads } from '../../src/engine/threads.js';
import { type Build, outputsOf, type Result, worstDifference } from './stock-reference.js';

registerWasmKernelFixes();
const native = registerNativeBackend();
const skipReason = native.ok ? '' : ` (skipped: ${native.reason})`;
if (!native.ok) console.warn(`native backend tests skipped: ${native.reason}`);

const rng = createRng(7);
const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];

let seed = 1000;
/** Same values on whichever backend is active when the returned builder runs. */
function random(shape: number[], scale = 1): () => tf.Tensor {
  const r = createRng(seed++);
  const values = Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => (r() * 2 - 1) * scale);
  return () => tf.tensor(values, shape, 'float32');
}

async function run(backend: 'cpu' | 'native', build: Build): Promise<Result> {
  await tf.setBackend(backend);
  return outputsOf(build);
}

/** native against cpu; also checks that native leaves no tensors or heap bytes behind. */
async function expectSame(build: Build, what: string, tolerance = 1e-4): Promise<void> {
  const want = await run('cpu', build);
  await tf.setBackend('native');
  const before = tf.memory().numTensors;
  const got = await run('native', build);
  expect(tf.memory().numTensors, what).toBe(before);
  expect(worstDifference(got, want), what).toBeLessThanOrEqual(tolerance);
}

/** Value and the gradients of sum(f(inputs) · r) for a random r: every output element's gradient counts. */
function withGrads(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: (() => tf.Tensor)[],
  outShape: number[],
): Build {
  const weights = random(outShape);
  return () => {
    const xs = inputs.map((make) => make());
    const r = weights();
    const loss = (...args: tf.Tensor[]) => tf.sum(tf.mul(f(...args), r));
    const grads = tf.grads(loss)(xs);
    return [f(...xs), ...grads];
  };
}

describe.skipIf(!native.ok)(`native backend kernels${skipReason}`, () => {
  beforeAll(async () => {
    // The native backend's own arrangement: wasm kernels on one thread (the stock build, whose memory is a
    // plain ArrayBuffer); the threaded build's SharedArrayBuffer memory is checked in a child process below.
    configureWasmThreads(1);
    expect(await tf.setBackend('native')).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('overrides the kernels it lists, and serves every other wasm kernel', () => {
    for (const name of listNativeKernels()) expect(tf.getKernel(name, 'native')).toBeDefined();
    for (const config of tf.getKernelsForBackend('wasm'))
      expect(tf.getKernel(config.kernelName, 'native')).toBeDefined();
  });

  it('BatchMatMul: rank 2, every transpose combination, with gradients', async () => {
    for (let trial = 0; trial < 12; trial++) {
      const [m, k, n] = [int(1, 70), int(1, 90), int(1, 60)];
      const transposeA = trial % 2 === 1;
      const transposeB = Math.floor(trial / 2) % 2 === 1;
      const a = random(transposeA ? [k, m] : [m, k]);
      const b = random(transposeB ? [n, k] : [k, n]);
      await expectSame(
        withGrads((x, y) => tf.matMul(x, y, transposeA, transposeB), [a, b], [m, n]),
        `${m}x${k}x${n} ${transposeA} ${transposeB}`,
      );
    }
  });

  it('BatchMatMul: batched and broadcast batch dimensions', async () => {
    // (The cpu backend mis-broadcasts batch dims like [2, 1] against [3]: checked by hand below.)
    const cases: [number[], number[]][] = [
      [[3], [3]],
      [[4], [1]],
      [[1], [5]],
      [
        [2, 3],
        [2, 3],
      ],
      [
        [2, 3],
        [1, 1],
      ],
    ];
    for (const [batchA, batchB] of cases) {
      const [m, k, n] = [int(1, 20), int(1, 30), int(1, 20)];
      const transposeA = rng() < 0.5;
      const transposeB = rng() < 0.5;
      const a = random([...batchA, ...(transposeA ? [k, m] : [m, k])]);
      const b = random([...batchB, ...(transposeB ? [n, k] : [k, n])]);
      await expectSame(
        () => tf.matMul(a(), b(), transposeA, transposeB),
        `${batchA} ${batchB} ${m}x${k}x${n} ${transposeA} ${transposeB}`,
      );
    }
    // (tfjs-core's gradient does not reduce a rank-2 operand broadcast against a batch: forward only.)
    const [a3, b2] = [random([4, 6, 7]), random([7, 5])];
    await expectSame(() => tf.matMul(a3(), b2()), '[4, 6, 7] x [7, 5]');
    await expectSame(
      withGrads((x, y) => tf.matMul(x, y, true, false), [random([3, 7, 6]), random([3, 7, 5])], [3, 6, 5]),
      'batched aT b, gradients',
    );
  });

  it('int32 products go to the wasm kernel (which refuses them, as on wasm)', async () => {
    const a = [1, 2, 3, 4, 5, 6];
    const build = () => tf.matMul(tf.tensor2d(a, [2, 3], 'int32'), tf.tensor2d(a, [3, 2], 'int32'));
    await tf.setBackend('native');
    expect(() => tf.tidy(build)).toThrow('BatchMatMul for non non-float32 tensors not yet supported');
  });

  it('BatchMatMul: batch dims [2, 1] against [3], by hand', async () => {
    await tf.setBackend('native');
    const [m, k, n] = [3, 4, 5];
    const a = tf.tensor(random([2, 1, m, k])().arraySync() as number[][][][]);
    const b = random([3, k, n])();
    const got = tf.matMul(a, b).arraySync() as number[][][][];
    const [av, bv] = [a.arraySync() as number[][][][], b.arraySync() as number[][][]];
    expect([got.length, got[0].length, got[0][0].length, got[0][0][0].length]).toEqual([2, 3, m, n]);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++)
        for (let r = 0; r < m; r++)
          for (let c = 0; c < n; c++) {
            let sum = 0;
            for (let q = 0; q < k; q++) sum += av[i][0][r][q] * bv[j][q][c];
            expect(got[i][j][r][c]).toBeCloseTo(sum, 5);
          }
    tf.dispose([a, b]);
  });

  it('_FusedMatMul: bias and every activation the addon applies, with gradients', async () => {
    for (const activation of ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid'] as const) {
      for (const [transposeA, transposeB] of [
        [false, false],
        [false, true],
        [true, false],
        [true, true],
      ]) {
        const [m, k, n] = [int(2, 50), int(2, 60), int(2, 40)];
        const a = random(transposeA ? [k, m] : [m, k]);
        const b = random(transposeB ? [n, k] : [k, n]);
        const bias = random([n]);
        const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
          tf.fused.matMul({
            a: x as tf.Tensor2D,
            b: y as tf.Tensor2D,
            bias: z,
            transposeA,
            transposeB,
            activation,
            leakyreluAlpha: 0.3,
          });
        // Native keeps linear, relu, elu and sigmoid fused under the tape, with its own gradient (on cpu
        // the reference is tfjs-core's unfused ops); relu6 and leakyrelu are unfused there as on cpu.
        await expectSame(
          withGrads(f, [a, b, bias], [m, n]),
          `${activation} ${m}x${k}x${n} ${transposeA} ${transposeB}`,
        );
      }
    }
    // No bias, batched.
    const [a3, b3] = [random([2, 5, 6]), random([2, 6, 4])];
    await expectSame(
      () =>
        tf.fused.matMul({
          a: a3() as tf.Tensor3D,
          b: b3() as tf.Tensor3D,
          activation: 'relu',
        }),
      'batched, no bias',
    );
  });

  const convCase = () => {
    const fh = pick([1, 2, 3, 4, 5]);
    const fw = pick([1, 3, 4]);
    const stride = pick([1, 2, 3]) as number;
    const pad = pick(['same', 'valid'] as const);
    const h = int(Math.max(fh, 3), 15);
    const w = int(Math.max(fw, 3), 15);
    return {
      batch: int(1, 4),
      h,
      w,
      inC: pick([1, 2, 3, 8, 17]),
      outC: pick([1, 4, 8, 16]),
      fh,
      fw,
      stride,
      pad,
    };
  };
  const convOutShape = (c: ReturnType<typeof convCase>, dilation = 1) =>
    tf.backend_util.computeConv2DInfo(
      [c.batch, c.h, c.w, c.inC],
      [c.fh, c.fw, c.inC, c.outC],
      c.stride,
      dilation,
      c.pad,
    ).outShape;

  it('Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter: random shapes, strides, padding', async () => {
    for (let trial = 0; trial < 14; trial++) {
      const c = convCase();
      const x = random([c.batch, c.h, c.w, c.inC]);
      const filter = random([c.fh, c.fw, c.inC, c.outC], 0.5);
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad);
      await expectSame(withGrads(f, [x, filter], convOutShape(c)), JSON.stringify(c));
    }
  });

  it('Conv2D with dilation (forward; tfjs has no dilated gradients)', async () => {
    for (let trial = 0; trial < 4; trial++) {
      const c = { ...convCase(), stride: 1, h: int(9, 15), w: int(9, 15) };
      const x = random([c.batch, c.h, c.w, c.inC]);
      const filter = random([c.fh, c.fw, c.inC, c.outC]);
      await expectSame(
        () => tf.conv2d(x() as tf.Tensor4D, filter() as tf.Tensor4D, 1, c.pad, 'NHWC', 2),
        JSON.stringify(c),
      );
    }
  });

  it('FusedConv2D: bias and activations, with gradients (kept fused for linear, relu, elu, sigmoid)', async () => {
    for (const activation of ['linear', 'relu', 'elu', 'leakyrelu', 'sigmoid'] as const) {
      const c = convCase();
      const x = random([c.batch, c.h, c.w, c.inC]);
      const filter = random([c.fh, c.fw, c.inC, c.outC], 0.5);
      const bias = random([c.outC]);
      const f = (a: tf.Tensor, b: tf.Tensor, z: tf.Tensor) =>
        tf.fused.conv2d({
          x: a as tf.Tensor4D,
          filter: b as tf.Tensor4D,
          strides: c.stride,
          pad: c.pad,
          bias: z,
          activation,
          leakyreluAlpha: 0.1,
        });
      // On cpu the reference is tfjs-core's unfused ops; leakyrelu is unfused on native too.
      await expectSame(
        withGrads(f, [x, filter, bias], convOutShape(c)),
        `${activation} ${JSON.stringify(c)}`,
      );
    }
    // A relu conv's gradient: one activation-gradient kernel (bias included), none of the unfused ops.
    await tf.setBackend('native');
    const [x, filter, bias] = [random([2, 6, 6, 3])(), random([3, 3, 3, 4])(), random([4])()];
    const loss = (f_: tf.Tensor, b_: tf.Tensor) =>
      tf.sum(
        tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: f_ as tf.Tensor4D,
          strides: 1,
          pad: 'same',
          bias: b_,
          activation: 'relu',
        }),
      );
    const kernels = (await tf.profile(() => tf.dispose(tf.grads(loss)([filter, bias])))).kernels.map(
      (k) => k.name,
    );
    expect(kernels).toContain('LatentlabActivationGrad');
    for (const unfused of ['Relu', 'Step', 'Add', 'Multiply', 'Conv2DBackpropInput'])
      expect(kernels).not.toContain(unfused);
    tf.dispose([x, filter, bias]);
  });

  it('transposed convolution (Conv2DBackpropInput forward) with gradients', async () => {
    for (let trial = 0; trial < 8; trial++) {
      const c = convCase();
      const outShape = convOutShape(c);
      if (outShape.some((d) => d === 0)) continue;
      // conv2dTranspose maps the conv's output shape back to its input shape.
      const dy = random(outShape);
      const filter = random([c.fh, c.fw, c.inC, c.outC], 0.5);
      const xShape: [number, number, number, number] = [c.batch, c.h, c.w, c.inC];
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, xShape, c.stride, c.pad);
      await expectSame(withGrads(f, [dy, filter], xShape), JSON.stringify(c));
    }
  });

  it('one input channel (the direct kernels): conv, both gradients and the transposed conv, by geometry', async () => {
    // Kernel sides up to 5x5 (25 taps: the transposed conv's direct path takes 16 at most) and 9x9 (81: im2col
    // again); output channels below, at and off multiples of the 16-wide register; odd sizes ('same' then pads
    // the top and left too); strides 1 to 3.
    const cases = [
      { batch: 2, h: 13, w: 11, outC: 19, fh: 3, fw: 3, stride: 2, pad: 'same' as const },
      { batch: 1, h: 12, w: 12, outC: 16, fh: 4, fw: 4, stride: 2, pad: 'same' as const },
      { batch: 3, h: 9, w: 10, outC: 5, fh: 5, fw: 5, stride: 1, pad: 'valid' as const },
      { batch: 2, h: 10, w: 15, outC: 32, fh: 1, fw: 3, stride: 3, pad: 'same' as const },
      { batch: 1, h: 11, w: 11, outC: 1, fh: 9, fw: 9, stride: 1, pad: 'same' as const },
      { batch: 2, h: 8, w: 8, outC: 17, fh: 2, fw: 3, stride: 1, pad: 'valid' as const },
    ];
    for (const c of cases) {
      const xShape: [number, number, number, number] = [c.batch, c.h, c.w, 1];
      const outShape = convOutShape({ ...c, inC: 1 });
      const filter = random([c.fh, c.fw, 1, c.outC], 0.5);
      const conv = (a: tf.Tensor, b: tf.Tensor) =>
        tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad);
      await expectSame(withGrads(conv, [random(xShape), filter], outShape), `conv ${JSON.stringify(c)}`);
      const transposed = (a: tf.Tensor, b: tf.Tensor) =>
        tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, xShape, c.stride, c.pad);
      await expectSame(
        withGrads(transposed, [random(outShape), filter], xShape),
        `deconv ${JSON.stringify(c)}`,
      );
    }
    // Dilated (forward only: tfjs has no dilated gradients).
    const [x, filter] = [random([2, 12, 12, 1]), random([3, 3, 1, 24], 0.5)];
    await expectSame(
      () => [tf.conv2d(x() as tf.Tensor4D, filter() as tf.Tensor4D, 1, 'same', 'NHWC', 2)],
      'dilated single-channel conv',
    );
  });

  it("W6's single-channel layers at full size: the filter gradient summed over 16 blocks of positions", async () => {
    // [4, 64, 64, 1] at stride 2 is 4,096 output positions, where the filter gradient splits into blocks.
    const [x, filter] = [random([4, 64, 64, 1]), random([3, 3, 1, 32], 0.3)];
    const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same');
    await expectSame(withGrads(conv, [x, filter], [4, 32, 32, 32]), 'encoder conv 1');
    const transposed = (a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [4, 64, 64, 1], 2, 'same');
    await expectSame(
      withGrads(transposed, [random([4, 32, 32, 32]), filter], [4, 64, 64, 1]),
      'decoder output deconv',
    );
  });

  it('a small conv autoencoder loss and its gradients match cpu', async () => {
    const [images, filter1, filter2] = [
      random([4, 12, 12, 1]),
      random([3, 3, 1, 8], 0.4),
      random([4, 4, 1, 8], 0.4),
    ];
    const build: Build = () => {
      const x = images();
      const w1 = filter1();
      const w2 = filter2();
      const loss = (a: tf.Tensor, b: tf.Tensor) => {
        const h = tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: a as tf.Tensor4D,
          strides: 2,
          pad: 'same',
          activation: 'relu',
        });
        const y = tf.conv2dTranspose(h, b as tf.Tensor4D, [4, 12, 12, 1], 2, 'same');
        return tf.mean(tf.square(tf.sub(tf.sigmoid(y), x)));
      };
      const [g1, g2] = tf.grads(loss)([w1, w2]);
      return [loss(w1, w2), g1, g2];
    };
    await expectSame(build, 'conv autoencoder');
  });

  it('Add, Sub, Multiply, RealDiv: full, scalar and repeated operands on either side, other broadcasts, gradients', async () => {
    const cases: [number[], number[]][] = [
      [
        [64, 9, 9, 16],
        [64, 9, 9, 16],
      ],
      [[64, 9, 9, 16], [16]],
      [
        [64, 9, 9, 16],
        [1, 1, 1, 16],
      ],
      [
        [9, 16],
        [64, 9, 16],
      ],
      [[], [70, 90]],
      [[70, 90], []],
      [
        [64, 1],
        [64, 100],
      ], // not a leading-dims repeat: wasm
      [
        [3, 5],
        [3, 5],
      ], // small: wasm
    ];
    const ops = [tf.add, tf.sub, tf.mul, tf.div] as const;
    for (const [sa, sb] of cases) {
      const a = random(sa);
      // Divisors away from zero.
      const bValues = random(sb);
      const b = () => tf.add(tf.abs(bValues()), 0.5);
      for (const op of ops) {
        await expectSame(
          withGrads(
            (x, y) => op(x, tf.add(tf.abs(y), 0.5)),
            [a, bValues],
            tf.broadcast_util.assertAndGetBroadcastShape(sa, sb),
          ),
          `${op.name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`,
        );
        await expectSame(
          () => op(b(), a()),
          `${op.name} swapped ${JSON.stringify(sa)} ${JSON.stringify(sb)}`,
        );
      }
    }
    await tf.setBackend('native');
    const ints = tf.tidy(() =>
      Array.from(tf.add(tf.ones([5000], 'int32'), tf.scalar(2, 'int32')).dataSync()),
    );
    expect(ints.every((v) => v === 3)).toBe(true);
  });

  it('a fused dense gradient runs one activation-gradient kernel and rank-2 products, no unfused ops', async () => {
    await tf.setBackend('native');
    const [x, w, b] = [random([32, 20])(), random([20, 16])(), random([16])()];
    const loss = (w_: tf.Tensor, b_: tf.Tensor) =>
      tf.sum(tf.fused.matMul({ a: x as tf.Tensor2D, b: w_ as tf.Tensor2D, bias: b_, activation: 'sigmoid' }));
    const kernels: string[] = [];
    const profile = await tf.profile(() => tf.dispose(tf.grads(loss)([w, b])));
    for (const k of profile.kernels) kernels.push(k.name);
    expect(kernels).toContain('LatentlabActivationGrad');
    expect(kernels.filter((k) => k === '_FusedMatMul')).toHaveLength(1);
    // x's gradient is not asked for: only w's product runs; no Sigmoid, Add or Reshape of the unfused path.
    expect(kernels.filter((k) => k === 'BatchMatMul')).toHaveLength(1);
    // (The loss's own Sum and its gradient's Reshape and Tile aside.)
    for (const unfused of ['Sigmoid', 'Add', 'Multiply', 'Sub', 'ExpandDims', 'Squeeze'])
      expect(kernels).not.toContain(unfused);
    expect(kernels.filter((k) => k === 'Sum')).toHaveLength(1);
    tf.dispose([x, w, b]);
  });

  it('second-order gradients through fused activations (a gradient penalty) match cpu', async () => {
    for (const activation of ['relu', 'elu', 'sigmoid'] as const) {
      const [x, w, b] = [random([9, 6]), random([6, 5]), random([5])];
      // The penalty is the squared gradient of a critic with respect to its input; its gradient with respect
      // to the critic's weights differentiates the fused gradient again. (Only the weights: stock tfjs-core
      // finds no path to the bias through its elu and sigmoid gradients, so tf.grads refuses it on cpu.)
      const penalty = (w_: tf.Tensor) => {
        const bias = b();
        const critic = (input: tf.Tensor) =>
          tf.sum(tf.fused.matMul({ a: input as tf.Tensor2D, b: w_ as tf.Tensor2D, bias, activation }));
        return tf.sum(tf.square(tf.grad(critic)(x())));
      };
      await expectSame(() => tf.grads(penalty)([w()]), `penalty ${activation}`);
    }
  });

  it("a sigmoid Dense layer runs fused, with the stock layer's outputs and gradients", async () => {
    const [x, w, b] = [random([24, 12]), random([12, 7]), random([7])];
    const build: Build = () => {
      // In a model, which owns and disposes the layer.
      const layer = tfl.sequential({
        layers: [tfl.layers.dense({ units: 7, activation: 'sigmoid', inputShape: [12] })],
      });
      layer.setWeights([w(), b()]);
      const input = x();
      const [kernel, bias] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
      const f = () => tf.sum(tf.square(layer.apply(input) as tf.Tensor)) as tf.Scalar;
      const { value, grads } = tf.variableGrads(f, [kernel, bias]);
      const out = [layer.apply(input) as tf.Tensor, value, grads[kernel.name], grads[bias.name]];
      layer.dispose();
      return out;
    };
    await expectSame(build, 'sigmoid dense');
    await tf.setBackend('native');
    const layer = tfl.sequential({
      layers: [tfl.layers.dense({ units: 7, activation: 'sigmoid', inputShape: [12] })],
    });
    const input = x();
    const profile = await tf.profile(() => tf.dispose(layer.apply(input) as tf.Tensor));
    expect(profile.kernels.map((k) => k.name)).toEqual(['_FusedMatMul']);
    layer.dispose();
    input.dispose();
  });

  it('Adam in one kernel per variable: same weights and moments as the stock optimizer on cpu', async () => {
    const [xs, ys, w0, b0] = [random([64, 40]), random([64, 30]), random([40, 30], 0.2), random([30], 0.1)];
    const train = async (backend: 'cpu' | 'native') => {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const init = [w0(), b0(), b0()];
      const w = tf.variable(init[0], true, `adam-w-${backend}`);
      const b = tf.variable(init[1], true, `adam-b-${backend}`);
      const frozen = tf.variable(init[2], false, `adam-frozen-${backend}`);
      const [x, y] = [xs(), ys()];
      const optimizer = tf.train.adam(0.01, 0.9, 0.999);
      let held: { copy: tf.Tensor; values: Float32Array } | undefined;
      for (let step = 0; step < 6; step++) {
        if (step === 3) {
          // A tensor sharing w's buffer (Identity shares on wasm): this step must not update it in place.
          const copy = tf.clone(w);
          held = { copy, values: Float32Array.from(copy.dataSync()) };
        }
        optimizer.minimize(
          () => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w), b), y))) as tf.Scalar,
          false,
          [w, b],
        );
      }
      expect(held!.copy.dataSync()).toEqual(held!.values);
      held!.copy.dispose();
      const weights = await optimizer.getWeights();
      tf.dispose(weights[0].tensor); // the iteration count, made by getWeights
      const moments = weights.slice(1).map((n) => ({
        shape: n.tensor.shape,
        values: Float32Array.from(n.tensor.dataSync()),
      }));
      const result: Result = [w, b, frozen].map((t) => ({
        shape: t.shape,
        values: Float32Array.from(t.dataSync()),
      }));
      optimizer.dispose();
      tf.dispose([w, b, frozen, x, y, ...init]);
      expect(tf.memory().numTensors).toBe(before);
      return [...result, ...moments];
    };
    const want = await train('cpu');
    const got = await train('native');
    // The gradients differ in the last bits (BLAS sums in another order), which Adam's normalisation
    // can magnify in the first steps: the usual 1e-4.
    expect(worstDifference(got, want)).toBeLessThanOrEqual(1e-4);
  });

  it('works on the threaded wasm build too (its memory is a SharedArrayBuffer)', async () => {
    const script = `
      const { tf } = await import('./src/engine/tf.ts');
      const { selectBackend } = await import('./src/engine/backend.ts');
      const info = await selectBackend({ backend: 'native' });
      const run = () => tf.tidy(() => {
        const x = tf.randomUniform([4, 9, 9, 3], -1, 1, 'float32', 1);
        const w = tf.randomUniform([3, 3, 3, 5], -1, 1, 'float32', 2);
        const f = (a, b) => tf.sum(tf.square(tf.conv2d(a, b, 2, 'same')));
        const [dx, dw] = tf.grads(f)([x, w]);
        const y = tf.matMul(tf.reshape(x, [4, 243]), tf.randomUniform([243, 7], -1, 1, 'float32', 3));
        return [dx, dw, y].map((t) => Array.from(t.dataSync()));
      });
      const got = run();
      await tf.setBackend('cpu');
      const want = run();
      let worst = 0;
      want.forEach((w, k) => {
        const scale = Math.max(...w.map(Math.abs));
        w.forEach((v, i) => { worst = Math.max(worst, Math.abs(got[k][i] - v) / scale); });
      });
      const shared = tf.engine().registry.native.wasm.HEAPU8.buffer instanceof SharedArrayBuffer;
      console.log(JSON.stringify({ threads: info.threads, shared, worst }));`;
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, LATENTLAB_NATIVE_WASM_THREADS: '2', LATENTLAB_THREADS: '2' },
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(result.threads).toBe(2);
    expect(result.shared).toBe(true);
    expect(result.worst).toBeLessThanOrEqual(1e-4);
  });

  it('products split across the pool: the same bits run to run, within rounding of one thread, any transposes', async () => {
    if (!native.ok) return;
    const { addon } = native;
    const before = addon.info();
    // [m, k, n]: taller than wide (split by rows), wider than tall (by columns), sizes off the 16-row blocks,
    // one below the split threshold, one with fewer rows than a block per thread.
    const shapes: Array<[number, number, number]> = [
      [256, 784, 256],
      [37, 300, 1000],
      [1001, 129, 67],
      [24, 16, 24],
      [20, 500, 300],
    ];
    const products: Build = () =>
      shapes.flatMap(([m, k, n]) =>
        [false, true].flatMap((ta) =>
          [false, true].map((tb) => {
            const a = random(ta ? [k, m] : [m, k])();
            const b = random(tb ? [n, k] : [k, n])();
            return tf.matMul(a, b, ta, tb);
          }),
        ),
      );
    const results: Result[] = [];
    try {
      // Two threads twice: a run repeats its bits (what resuming a run relies on).
      for (const threads of [1, 2, 3, 2]) {
        addon.setThreads(threads, threads);
        seed = 5000; // the same operands for every thread count
        results.push(await run('native', products));
      }
    } finally {
      addon.setThreads(before.blasThreads, before.loopThreads);
    }
    for (const [j, r] of results[3].entries()) {
      expect(Array.from(r.values), `product ${j}`).toEqual(Array.from(results[1][j].values));
    }
    // Another split changes how OpenBLAS blocks the rows, and so the last bits (OpenBLAS's own threads did too).
    for (const i of [1, 2])
      expect(worstDifference(results[i], results[0]), `threads ${i + 1}`).toBeLessThanOrEqual(2e-6);
    seed = 5000;
    expect(worstDifference(results[1], await run('cpu', products))).toBeLessThanOrEqual(1e-4);
  });

  it('large products that OpenBLAS splits across threads', async () => {
    await expectSame(
      withGrads((x, y) => tf.matMul(x, y), [random([256, 784]), random([784, 256], 0.1)], [256, 256]),
      '256x784x256',
    );
    await expectSame(
      withGrads(
        (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'),
        [random([4, 14, 14, 64]), random([4, 4, 64, 128], 0.1)],
        [4, 7, 7, 128],
      ),
      'DCGAN conv',
    );
  });
});
