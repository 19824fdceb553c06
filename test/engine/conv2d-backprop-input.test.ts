// The wasm Conv2DBackpropInput fix, on both of its routes, must agree with the cpu backend and not leak.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Conv2DBackpropInputRoute,
  conv2dBackpropInputOptions,
} from '../../src/engine/kernels/conv2d-backprop-input.js';
import { registerWasmKernelFixes, unregisterWasmKernelFixes } from '../../src/engine/kernels/index.js';
import { tf } from '../../src/engine/tf.js';
import { randomValues } from '../helpers.js';

type Build = () => tf.Tensor;
type Shape4 = [number, number, number, number];
type Pad =
  | 'same'
  | 'valid'
  | number
  | [[number, number], [number, number], [number, number], [number, number]];

let seedCounter = 1;
/** Same values on whichever backend is active when the returned builder runs. */
function randomTensor(shape: number[]): () => tf.Tensor4D {
  const values = randomValues(tf.util.sizeFromShape(shape), seedCounter++);
  return () => tf.tensor(values, shape, 'float32') as tf.Tensor as tf.Tensor4D;
}

const ones4 = (shape: Shape4) => tf.ones(shape) as tf.Tensor4D;

async function runOn(
  backend: 'cpu' | 'wasm',
  build: Build,
): Promise<{ shape: number[]; values: Float32Array }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const t = build();
    return { shape: t.shape, values: Float32Array.from(t.dataSync() as Float32Array) };
  });
}

const routes = [undefined, 'phases', 'columns'] as const;

/**
 * wasm (on every route) against cpu, relative to the largest magnitude: long sums cancel, so near-zero
 * entries cannot be held to a per-element relative bound.
 */
async function expectSame(label: string, build: Build, reference: Build = build): Promise<void> {
  const want = await runOn('cpu', reference);
  let scale = 1;
  for (const v of want.values) scale = Math.max(scale, Math.abs(v));
  for (const route of routes) {
    conv2dBackpropInputOptions.forceRoute = route;
    try {
      const got = await runOn('wasm', build);
      const where = `${label}, route ${route ?? 'chosen'}`;
      expect(got.shape, where).toEqual(want.shape);
      let worst = 0;
      for (let i = 0; i < want.values.length; i++) {
        worst = Math.max(worst, Math.abs(got.values[i] - want.values[i]) / scale);
      }
      expect(worst, where).toBeLessThan(1e-4);
    } finally {
      conv2dBackpropInputOptions.forceRoute = undefined;
    }
  }
}

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

const channels = [1, 3, 8, 32];

describe('Conv2DBackpropInput on wasm', () => {
  it('matches cpu for conv2dTranspose: strides, paddings, kernel sizes, channels, odd and even sizes', async () => {
    let i = 0;
    for (const stride of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        for (const k of [1, 3, 4, 5]) {
          // conv2dTranspose filters are [fh, fw, outDepth, inDepth]; depths cycle through every count.
          const outC = channels[i % 4];
          const inC = channels[(i + 1 + (i >> 2)) % 4];
          const [h, w] = i % 2 === 0 ? [7, 5] : [4, 6];
          i++;
          const size = (d: number) => (pad === 'same' ? d * stride : (d - 1) * stride + k);
          const x = randomTensor([2, h, w, inC]);
          const filter = randomTensor([k, k, outC, inC]);
          const label = `s${stride} ${pad} k${k} ${inC}->${outC} ${h}x${w}`;
          const outShape: Shape4 = [2, size(h), size(w), outC];
          await expectSame(label, () => tf.conv2dTranspose(x(), filter(), outShape, stride, pad));
          if (stride === 2) {
            // The other output size the stride allows: one less for 'same', one more (never reached) for 'valid'.
            const other = (d: number) => size(d) + (pad === 'same' ? -1 : 1);
            const wider: Shape4 = [2, other(h), other(w), outC];
            await expectSame(`${label} ${wider}`, () =>
              tf.conv2dTranspose(x(), filter(), wider, stride, pad),
            );
          }
        }
      }
    }
  });

  it('matches cpu for the input gradient of conv2d', async () => {
    const cases: Array<{
      size: [number, number];
      inC: number;
      outC: number;
      k: number;
      stride: number;
      pad: Pad;
    }> = [];
    let i = 0;
    for (const stride of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        for (const k of [1, 3, 4, 5]) {
          const size: [number, number] = [
            [14, 14],
            [7, 7],
            [10, 9],
            [5, 8],
          ][i % 4] as [number, number];
          cases.push({ size, inC: channels[i % 4], outC: channels[(i + 2) % 4], k, stride, pad });
          i++;
        }
      }
    }
    // Explicit and numeric padding, including pads wider than the kernel (dy rows no dx position reads).
    cases.push({ size: [9, 8], inC: 8, outC: 3, k: 3, stride: 2, pad: 1 });
    cases.push({
      size: [8, 9],
      inC: 3,
      outC: 5,
      k: 3,
      stride: 2,
      pad: [
        [0, 0],
        [1, 2],
        [2, 0],
        [0, 0],
      ],
    });
    cases.push({
      size: [6, 7],
      inC: 8,
      outC: 4,
      k: 3,
      stride: 1,
      pad: [
        [0, 0],
        [4, 1],
        [0, 5],
        [0, 0],
      ],
    });
    cases.push({
      size: [6, 7],
      inC: 4,
      outC: 3,
      k: 2,
      stride: 3,
      pad: [
        [0, 0],
        [0, 4],
        [3, 1],
        [0, 0],
      ],
    });
    for (const { size, inC, outC, k, stride, pad } of cases) {
      const x = randomTensor([3, size[0], size[1], inC]);
      const filter = randomTensor([k, k, inC, outC]);
      const probe = tf.tidy(() => tf.conv2d(x(), filter(), stride, pad));
      const dy = randomTensor(probe.shape);
      probe.dispose();
      await expectSame(`s${stride} ${JSON.stringify(pad)} k${k} ${inC}->${outC} ${size}`, () =>
        tf.grad((t: tf.Tensor) => tf.conv2d(t as tf.Tensor4D, filter(), stride, pad))(x(), dy()),
      );
    }
  });

  it('honours dilations passed to the kernel directly', async () => {
    // A 3x3 filter dilated by 2 is the 5x5 filter with zeros between its taps.
    for (const [stride, pad] of [
      [1, 'same'],
      [2, 'same'],
      [1, 'valid'],
      [2, 'valid'],
    ] as const) {
      const [inC, outC] = stride === 1 ? [8, 3] : [3, 8];
      const inputShape: Shape4 = [2, 11, 10, inC];
      const values = randomValues(9 * inC * outC, seedCounter++);
      const dense = new Float32Array(25 * inC * outC);
      for (let ky = 0; ky < 3; ky++) {
        for (let kx = 0; kx < 3; kx++) {
          const from = (ky * 3 + kx) * inC * outC;
          dense.set(values.subarray(from, from + inC * outC), (ky * 2 * 5 + kx * 2) * inC * outC);
        }
      }
      const probe = tf.tidy(() =>
        tf.conv2d(
          tf.zeros(inputShape) as tf.Tensor4D,
          tf.zeros([5, 5, inC, outC]) as tf.Tensor4D,
          stride,
          pad,
        ),
      );
      const dy = randomTensor(probe.shape);
      probe.dispose();
      const attrs = { strides: stride, pad, dataFormat: 'NHWC', inputShape };
      await expectSame(
        `dilation 2, s${stride} ${pad}`,
        () =>
          runKernel(
            'Conv2DBackpropInput',
            { dy: dy(), filter: tf.tensor4d(values, [3, 3, inC, outC]) },
            { ...attrs, dilations: 2 },
          ),
        () =>
          runKernel(
            'Conv2DBackpropInput',
            { dy: dy(), filter: tf.tensor4d(dense, [5, 5, inC, outC]) },
            attrs,
          ),
      );
    }
  });

  it('matches cpu when the column route splits the batch into chunks', async () => {
    const saved = conv2dBackpropInputOptions.maxColumnFloats;
    conv2dBackpropInputOptions.maxColumnFloats = 2000;
    try {
      const x = randomTensor([7, 5, 5, 4]);
      const filter = randomTensor([3, 3, 3, 4]);
      await expectSame('chunked', () => tf.conv2dTranspose(x(), filter(), [7, 10, 10, 3], 2, 'same'));
    } finally {
      conv2dBackpropInputOptions.maxColumnFloats = saved;
    }
  });

  it('refuses NCHW with a clear message', async () => {
    await tf.setBackend('wasm');
    const dy = tf.zeros([1, 3, 4, 4]);
    const filter = tf.zeros([3, 3, 2, 3]);
    expect(() =>
      runKernel(
        'Conv2DBackpropInput',
        { dy, filter },
        { strides: 1, pad: 'same', dataFormat: 'NCHW', inputShape: [1, 2, 4, 4] },
      ),
    ).toThrow(/NHWC/);
    tf.dispose([dy, filter]);
  });

  it('is removed by unregisterWasmKernelFixes, leaving a working stock kernel', async () => {
    await tf.setBackend('wasm');
    const fixed = tf.getKernel('Conv2DBackpropInput', 'wasm')!.kernelFunc;
    const run = () =>
      tf.tidy(() =>
        Array.from(
          tf.conv2dTranspose(ones4([1, 2, 2, 2]), ones4([3, 3, 1, 2]), [1, 4, 4, 1], 2, 'same').dataSync(),
        ),
      );
    const ours = run();
    unregisterWasmKernelFixes();
    const stock = tf.getKernel('Conv2DBackpropInput', 'wasm')!.kernelFunc;
    try {
      expect(stock).not.toBe(fixed);
      expect(run()).toEqual(ours);
    } finally {
      registerWasmKernelFixes();
    }
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')!.kernelFunc).not.toBe(stock);
  });
});

describe('memory', () => {
  it('leaves no tensors or wasm buffers behind on any route', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const saved = conv2dBackpropInputOptions.maxColumnFloats;
    const work = (route: Conv2DBackpropInputRoute | undefined) => {
      conv2dBackpropInputOptions.forceRoute = route;
      tf.tidy(() => {
        tf.conv2dTranspose(ones4([5, 4, 4, 8]), ones4([3, 3, 6, 8]), [5, 8, 8, 6], 2, 'same');
        tf.conv2dTranspose(ones4([5, 4, 4, 8]), ones4([3, 3, 1, 8]), [5, 4, 4, 1], 1, 'same');
        // Pads wider than the kernel make the phase route crop dy first.
        const x = tf.ones([2, 6, 7, 4]) as tf.Tensor4D;
        tf.grad((t: tf.Tensor) =>
          tf.conv2d(t as tf.Tensor4D, tf.ones([3, 3, 4, 3]) as tf.Tensor4D, 1, [
            [0, 0],
            [4, 1],
            [0, 5],
            [0, 0],
          ]),
        )(x);
      });
    };
    conv2dBackpropInputOptions.maxColumnFloats = 1000;
    try {
      for (const route of routes) work(route); // warm-up: lazily created backend state is not a leak
      const tensors = tf.memory().numTensors;
      const buffers = backend.numDataIds();
      for (const route of routes) work(route);
      expect(tf.memory().numTensors, 'engine tensors').toBe(tensors);
      expect(backend.numDataIds(), 'wasm buffers').toBe(buffers);
    } finally {
      conv2dBackpropInputOptions.forceRoute = undefined;
      conv2dBackpropInputOptions.maxColumnFloats = saved;
    }
  });
});
