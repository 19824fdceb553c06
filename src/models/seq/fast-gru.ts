// A GRU layer that computes the stock tfjs-layers GRU's function (same weights, gates, activations, masking) with
// far fewer kernel calls: the input product of every step in one matmul and the recurrent kernel split once per
// call, where the stock GRUCell does both at every step. Serialised, it is a stock 'GRU' (see FastGru).
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
  activation: { apply(x: Tensor): Tensor };
  recurrentActivation: { apply(x: Tensor): Tensor; getClassName(): string };
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
 * clip(u, 0, 1) with a cheaper gradient: dy where 0 < y < 1, from the output y (y·(1 − y) > 0 exactly there).
 * The stock ClipByValue gradient takes five single-threaded kernels (two comparisons, and, zeros, select) a gate
 * a step, ~5% of a W5 step; this takes four, three of them multithreaded on the native backend. It differs from
 * the stock one only where u is exactly 0 or 1 (stock passes dy there), a set of measure zero.
 */
const unitClip = tf.customGrad((u, save) => {
  const y = tf.clipByValue(u as Tensor, 0, 1);
  (save as tf.GradSaveFunc)([y]);
  return { value: y, gradFunc: (dy, [kept]) => tf.mul(dy, tf.step(tf.mul(kept, tf.sub(1, kept)))) };
}) as (u: Tensor) => Tensor;

/**
 * The stock GRU with a faster call. It inherits the static className 'GRU', getConfig and the weights, so a
 * saved network is exactly a stock one and a plain tfl.loadLayersModel reads it (with the stock class, same
 * function). It is deliberately NOT registered: registering it under 'GRU' would swap the class every
 * tfl.loadLayersModel in the process builds, a global side effect of importing latentlab; under another name,
 * saved files would need latentlab to load. Options the fast path does not cover (dropout, stateful, backwards,
 * returned or given states, other than a GRUCell's activations) run the stock call.
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
      kwargs?.initialState != null
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
      let [inputZr, inputH] = tf.split(projected, [2 * units, units], 2);
      let [kernelZr, kernelH] = tf.split(cell.recurrentKernel.read(), [2 * units, units], 1);
      // hardSigmoid(a) = clip(0.2·a + 0.5, 0, 1): with the scale and offset folded into the input part and the
      // recurrent kernel once per call, each step's update and reset gates are one product, one add, one clip.
      const hard = cell.recurrentActivation.getClassName() === 'hardSigmoid';
      if (hard) {
        inputZr = tf.add(tf.mul(inputZr, 0.2), 0.5);
        kernelZr = tf.mul(kernelZr, 0.2);
      }
      const stepZr = tf.unstack(inputZr); // T × [n, 2h]
      const stepH = tf.unstack(inputH); // T × [n, h]
      // The stock rnn() masking: a masked step keeps the previous state (state·(1 − m) + new·m).
      let keep: Tensor[] | undefined;
      let take: Tensor[] | undefined;
      if (mask) {
        const m = tf.expandDims(tf.transpose(tf.cast(tf.cast(mask, 'bool'), 'float32'), [1, 0]), 2); // [T, n, 1]
        take = tf.unstack(m);
        keep = tf.unstack(tf.sub(1, m));
      }
      let h: Tensor = tf.zeros([n, units]);
      const outputs: Tensor[] = [];
      for (let t = 0; t < steps; t++) {
        const pre = tf.add(stepZr[t], tf.matMul(h, kernelZr));
        const gates = hard ? unitClip(pre) : cell.recurrentActivation.apply(pre);
        const [z, r] = tf.split(gates, 2, 1);
        const candidate = cell.activation.apply(tf.add(stepH[t], tf.matMul(tf.mul(r, h), kernelH)));
        // z·h + (1 − z)·candidate, as candidate + z·(h − candidate): three ops instead of five.
        const next = tf.add(candidate, tf.mul(z, tf.sub(h, candidate)));
        h = take && keep ? tf.add(tf.mul(next, take[t]), tf.mul(h, keep[t])) : next;
        if (this.returnSequences) outputs.push(h);
      }
      return this.returnSequences ? tf.stack(outputs, 1) : h; // [n, T, h] or [n, h]
    });
  }
}

/** A GRU layer (tfl.layers.gru's arguments) that runs FastGru's call and saves as a stock 'GRU'. */
export function fastGru(args: GruArgs): StockGru {
  return new FastGru(args);
}
