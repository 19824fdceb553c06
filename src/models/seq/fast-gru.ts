// A GRU layer that computes the stock tfjs-layers GRU's function (same weights, gates, activations, masking) with
// far fewer kernel calls: the input product of every step in one matmul, the recurrent kernel split once per call
// (the stock GRUCell does both at every step) and the recurrence as one op with a hand-written backward pass.
// Serialised, it is a stock 'GRU' (see FastGru).
import { type Tensor, tf, type tfl } from '../../engine/tf.js';

type StockGru = ReturnType<typeof tfl.layers.gru>;
type GruArgs = Parameters<typeof tfl.layers.gru>[0];
type CallKwargs = Parameters<StockGru['call']>[1];
/** The fields of the stock GRUCell that the fast path reads (tfjs-layers does not export the class). */
interface GruCellFields {
  units: number;
  useBias: boolean;
  dropout: number;
  recurrentDropout: number;
  activation: { getClassName(): string };
  recurrentActivation: { getClassName(): string };
  kernel: { read(): Tensor };
  recurrentKernel: { read(): Tensor };
  bias: { read(): Tensor } | null;
}

// The class stock tfjs-layers registered under 'GRU' (the one tfl.layers.gru builds): its registry entry is the
// only public handle on the constructor, and reading it builds no layer (so no layer-name counter moves).
const StockGruClass = tf.serialization.SerializationMap.getMap().classNameMap.GRU?.[0] as unknown as
  | (new (
      args: GruArgs,
    ) => StockGru)
  | undefined;
if (!StockGruClass)
  throw new Error('tfjs-layers has no GRU class registered (is @tensorflow/tfjs-layers loaded?)');

/**
 * The recurrence of a GRU with tanh candidates and hard-sigmoid gates, over precomputed input parts, as one
 * differentiable op with a hand-written backward pass through time. Inputs: inputZr [T, n, 2h] and kernelZr
 * [h, 2h], both already scaled so that the gates are clip(inputZr_t + h·kernelZr, 0, 1) (hardSigmoid folded in);
 * inputH [T, n, h]; kernelH [h, h]; and, when masked, m [T, n, 1] (1: a real step, 0: keep the state). Output:
 * every step's state [n, T, h] (sequences) or the last one [n, h].
 * By hand because, under autodiff, each step's kernel gradients are two small products summed across steps and
 * the tape adds ~20 recorded ops a step; here they are two [h, T·n] · [T·n, ·] products for all steps, and the
 * backward pass is ~17 kernels a step. The gates' gradient passes where 0 < g < 1; the stock ClipByValue gradient
 * also passes where the pre-activation is exactly 0 or 1 (a set of measure zero).
 */
function recurrence(sequences: boolean, masked: boolean): (...inputs: Tensor[]) => Tensor {
  return tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [inputZr, inputH, kernelZr, kernelH, m] = args as Tensor[];
    const [steps, n, units] = inputH.shape;
    const stepZr = tf.unstack(inputZr);
    const stepH = tf.unstack(inputH);
    const take = masked ? tf.unstack(m) : [];
    const keep = masked ? tf.unstack(tf.sub(1, m)) : [];
    // Per step, for the backward pass: the previous state, the gates (z | r, and each), r·h and the candidate.
    const prev: Tensor[] = [];
    const gates: Tensor[] = [];
    const updates: Tensor[] = [];
    const resets: Tensor[] = [];
    const resetState: Tensor[] = [];
    const candidates: Tensor[] = [];
    const outputs: Tensor[] = [];
    let h: Tensor = tf.zeros([n, units]);
    for (let t = 0; t < steps; t++) {
      const g = tf.clipByValue(tf.add(stepZr[t], tf.matMul(h, kernelZr)), 0, 1); // [n, 2h]
      const [z, r] = tf.split(g, 2, 1);
      const rh = tf.mul(r, h);
      const candidate = tf.tanh(tf.add(stepH[t], tf.matMul(rh, kernelH)));
      // z·h + (1 − z)·candidate, as candidate + z·(h − candidate): three ops instead of five.
      const next = tf.add(candidate, tf.mul(z, tf.sub(h, candidate)));
      prev.push(h);
      gates.push(g);
      updates.push(z);
      resets.push(r);
      resetState.push(rh);
      candidates.push(candidate);
      // The stock rnn() masking: a masked step keeps the previous state (new·m + state·(1 − m)).
      h = masked ? tf.add(tf.mul(next, take[t]), tf.mul(h, keep[t])) : next;
      if (sequences) outputs.push(h);
    }
    save([
      kernelZr,
      kernelH,
      ...(masked ? [m] : []),
      ...prev,
      ...gates,
      ...resetState,
      ...candidates,
      ...updates,
      ...resets,
    ]);
    const value = sequences ? tf.stack(outputs, 1) : h;
    const gradFunc = (dy: Tensor, saved: Tensor[]): Tensor[] => {
      const [kZr, kH] = saved;
      const offset = masked ? 3 : 2;
      const at = (block: number, t: number) => saved[offset + block * steps + t];
      const dys = sequences ? tf.unstack(dy, 1) : [];
      const takes = masked ? tf.unstack(saved[2]) : [];
      const keeps = masked ? tf.unstack(tf.sub(1, saved[2])) : [];
      const dPre: Tensor[] = new Array(steps);
      const dCandidatePre: Tensor[] = new Array(steps);
      let carry: Tensor | undefined; // dLoss/dh of the state after step t, from the steps after it
      for (let t = steps - 1; t >= 0; t--) {
        const [hPrev, g, candidate, z, r] = [at(0, t), at(1, t), at(3, t), at(4, t), at(5, t)];
        let dh = sequences ? dys[t] : t === steps - 1 ? dy : (carry as Tensor);
        if (sequences && carry) dh = tf.add(dh, carry);
        const dNext = masked ? tf.mul(dh, takes[t]) : dh;
        const dz = tf.mul(dNext, tf.sub(hPrev, candidate));
        const viaZ = tf.mul(dNext, z);
        const db = tf.mul(tf.sub(dNext, viaZ), tf.sub(1, tf.square(candidate))); // through tanh
        const dRh = tf.matMul(db, kH, false, true);
        const dr = tf.mul(dRh, hPrev);
        const open = tf.step(tf.mul(g, tf.sub(1, g))); // 1 where the clip passes
        const dp = tf.mul(tf.concat([dz, dr], 1), open);
        let dPrev = tf.add(tf.add(viaZ, tf.mul(dRh, r)), tf.matMul(dp, kZr, false, true));
        if (masked) dPrev = tf.add(dPrev, tf.mul(dh, keeps[t]));
        dPre[t] = dp;
        dCandidatePre[t] = db;
        carry = dPrev;
      }
      const dInputZr = tf.stack(dPre); // [T, n, 2h]
      const dInputH = tf.stack(dCandidatePre); // [T, n, h]
      const rows = steps * n;
      const flat = (list: Tensor[]) => tf.reshape(tf.stack(list), [rows, units]);
      const dKernelZr = tf.matMul(
        flat(saved.slice(offset, offset + steps)),
        tf.reshape(dInputZr, [rows, 2 * units]),
        true,
      );
      const dKernelH = tf.matMul(
        flat(saved.slice(offset + 2 * steps, offset + 3 * steps)),
        tf.reshape(dInputH, [rows, units]),
        true,
      );
      const grads = [dInputZr, dInputH, dKernelZr, dKernelH];
      return masked ? [...grads, tf.zerosLike(saved[2])] : grads;
    };
    return { value, gradFunc };
  }) as (...inputs: Tensor[]) => Tensor;
}

/**
 * The stock GRU with a faster call. It inherits the static className 'GRU', getConfig and the weights, so a
 * saved network is exactly a stock one and a plain tfl.loadLayersModel reads it (with the stock class, same
 * function). It is deliberately NOT registered: registering it under 'GRU' would swap the class every
 * tfl.loadLayersModel in the process builds, a global side effect of importing latentlab; under another name,
 * saved files would need latentlab to load. Options the fast path does not cover (dropout, stateful, backwards,
 * returned or given states, activations other than the defaults tanh and hardSigmoid) run the stock call.
 */
export class FastGru extends StockGruClass {
  override call(inputs: Tensor | Tensor[], kwargs: CallKwargs): Tensor | Tensor[] {
    const cell = this.cell as unknown as GruCellFields;
    if (
      cell.dropout > 0 ||
      cell.recurrentDropout > 0 ||
      this.stateful ||
      this.goBackwards ||
      this.returnState ||
      kwargs?.initialState != null ||
      cell.activation.getClassName() !== 'tanh' ||
      cell.recurrentActivation.getClassName() !== 'hardSigmoid'
    ) {
      return super.call(inputs, kwargs);
    }
    const mask = (kwargs?.mask ?? null) as Tensor | null;
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs; // [n, T, d]
      const [n, steps, width] = x.shape;
      const units = cell.units;
      // Every step's input product at once, time-major: [T·n, d] · [d, 3h] (+ bias) → [T, n, 3h].
      const timeMajor = tf.reshape(tf.transpose(x, [1, 0, 2]), [steps * n, width]);
      const kernel = cell.kernel.read();
      const bias = cell.useBias && cell.bias ? cell.bias.read() : undefined;
      const projected = tf.reshape(tf.fused.matMul({ a: timeMajor, b: kernel, bias }), [steps, n, 3 * units]);
      const [inputZr, inputH] = tf.split(projected, [2 * units, units], 2);
      const [kernelZr, kernelH] = tf.split(cell.recurrentKernel.read(), [2 * units, units], 1);
      // hardSigmoid(a) = clip(0.2·a + 0.5, 0, 1): the scale and offset folded into the input part and the
      // recurrent kernel once per call, so each step's update and reset gates are one product, one add, one clip.
      const scaledZr = tf.add(tf.mul(inputZr, 0.2), 0.5);
      const scaledKernelZr = tf.mul(kernelZr, 0.2);
      if (!mask) return recurrence(this.returnSequences, false)(scaledZr, inputH, scaledKernelZr, kernelH);
      const m = tf.expandDims(tf.transpose(tf.cast(tf.cast(mask, 'bool'), 'float32'), [1, 0]), 2); // [T, n, 1]
      return recurrence(this.returnSequences, true)(scaledZr, inputH, scaledKernelZr, kernelH, m);
    });
  }
}

/** A GRU layer (tfl.layers.gru's arguments) that runs FastGru's call and saves as a stock 'GRU'. */
export function fastGru(args: GruArgs): StockGru {
  return new FastGru(args);
}
