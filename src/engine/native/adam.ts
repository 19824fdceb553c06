// Adam in one pass per variable on the native backend. tfjs-core's AdamOptimizer runs 13 kernels per
// variable per step (each a full pass over it); here one addon call computes the new value and moments with
// the same float32 arithmetic in the same order. When nothing else holds a variable's buffers (the usual case:
// the tape's saved copies are gone by then) it updates them in place, with no kernel call or new tensor;
// otherwise into new buffers that the variables then take over.
// Installed by patching AdamOptimizer.prototype.applyGradients, which keeps the stock path for every other
// backend and for anything unusual (non-float variables, missing gradients are skipped as stock does).
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../tf.js';
import type { NativeAddon } from './addon.js';
import { heap, NATIVE_BACKEND, offset } from './kernels.js';

export const ADAM_KERNEL = 'LatentlabAdam';

type TensorInfo = tf.TensorInfo;
type NamedTensor = { name: string; tensor: tf.Tensor };

/** The kernel: inputs value, m, v, g (same shape, float32); attrs.params as native.h's adam_step reads them. */
export function createAdamKernel(addon: NativeAddon): tf.KernelConfig {
  const kernelFunc = ({
    inputs,
    backend,
    attrs,
  }: {
    inputs: tf.NamedTensorInfoMap;
    backend: BackendWasm;
    attrs: tf.NamedAttrMap;
  }): TensorInfo[] => {
    const { value, m, v, g } = inputs as Record<string, TensorInfo>;
    const outs = [value, m, v].map((t) => backend.makeOutput(t.shape, 'float32'));
    addon.adam(
      heap(backend),
      offset(backend, value),
      offset(backend, m),
      offset(backend, v),
      offset(backend, g),
      tf.util.sizeFromShape(value.shape),
      attrs.params as unknown as Float32Array,
      offset(backend, outs[0]),
      offset(backend, outs[1]),
      offset(backend, outs[2]),
    );
    return outs;
  };
  return {
    kernelName: ADAM_KERNEL,
    backendName: NATIVE_BACKEND,
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  };
}

/** The fields of tfjs-core's AdamOptimizer read here (protected in its types). */
interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  incrementIterations(): void;
}

type ApplyGradients = (this: tf.AdamOptimizer, grads: tf.NamedTensorMap | NamedTensor[]) => void;

let stockApply: ApplyGradients | undefined;
let nativeAddon: NativeAddon | undefined;

const f32 = Math.fround;

/** One optimiser step with the kernel; the same bookkeeping as the stock method. */
function nativeApply(this: tf.AdamOptimizer, variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
  const self = this as unknown as AdamInternals;
  const names = Array.isArray(variableGradients)
    ? variableGradients.map((v) => v.name)
    : Object.keys(variableGradients);
  const registered = tf.engine().registeredVariables;
  const gradientOf = (name: string, i: number): tf.Tensor | undefined =>
    Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
  const plain = names.every((name, i) => {
    const value = registered[name];
    const gradient = gradientOf(name, i);
    return (
      value?.dtype === 'float32' &&
      (gradient == null || (gradient.dtype === 'float32' && gradient.size === value.size))
    );
  });
  if (!plain) {
    stockApply!.call(this, variableGradients);
    return;
  }
  const backend = tf.backend() as BackendWasm;
  tf.tidy(() => {
    // 1 - beta^t as stock computes it: a float32 subtraction from the float32 accumulator.
    const [acc1, acc2] = [self.accBeta1, self.accBeta2].map((a) => (a.dataSync() as Float32Array)[0]);
    const params = Float32Array.of(
      self.beta1,
      1 - self.beta1,
      self.beta2,
      1 - self.beta2,
      f32(1 - acc1),
      f32(1 - acc2),
      self.epsilon,
      -self.learningRate,
    );
    names.forEach((name, i) => {
      const value = registered[name];
      self.accumulatedFirstMoment[i] ??= {
        originalName: `${name}/m`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      };
      self.accumulatedSecondMoment[i] ??= {
        originalName: `${name}/v`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      };
      const gradient = gradientOf(name, i);
      if (gradient == null) return;
      const m = self.accumulatedFirstMoment[i].variable;
      const v = self.accumulatedSecondMoment[i].variable;
      if ([value, m, v].every((t) => backend.refCount(t.dataId) === 1)) {
        // Each element is read before it is written, so the outputs may be the inputs.
        const [ov, om, ovv] = [value, m, v].map((t) => offset(backend, t));
        nativeAddon!.adam(
          heap(backend),
          ov,
          om,
          ovv,
          offset(backend, gradient),
          value.size,
          params,
          ov,
          om,
          ovv,
        );
        return;
      }
      const [newValue, newM, newV] = tf.engine().runKernel(ADAM_KERNEL, { value, m, v, g: gradient }, {
        params,
      } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      m.assign(newM);
      v.assign(newV);
      value.assign(newValue);
    });
    self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
    self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
  });
  self.incrementIterations();
}

/** Routes Adam steps through the kernel whenever the native backend is the active one (once). */
export function installNativeAdam(addon: NativeAddon): void {
  if (stockApply) return;
  nativeAddon = addon;
  const proto = tf.AdamOptimizer.prototype as unknown as { applyGradients: ApplyGradients };
  const stock = proto.applyGradients;
  stockApply = stock;
  proto.applyGradients = function (this: tf.AdamOptimizer, grads) {
    if (tf.getBackend() !== NATIVE_BACKEND) return stock.call(this, grads);
    return nativeApply.call(this, grads);
  };
}
