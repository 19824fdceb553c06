// Memory guard for training loops: live tensors after every epoch must equal the count after the first.
import { NumericError } from '../errors.js';
import { tf } from './tf.js';

/**
 * Live tensors that are not variables. Variables are model or optimiser state; an optimiser first used in a
 * later phase (a hybrid's GAN phase) legitimately adds its moment variables then, while a leak is a tensor.
 */
export function liveNonVariableTensors(): number {
  return tf.memory().numTensors - Object.keys(tf.engine().state.registeredVariables).length;
}

export class TensorLeakGuard {
  private baseline: number | undefined;

  /** Call at the end of each epoch; throws (or reports) when live tensors grew since the first call. */
  check(epoch: number, onLeak: 'throw' | 'return' = 'throw'): number {
    const live = liveNonVariableTensors();
    if (this.baseline === undefined) {
      this.baseline = live;
      return 0;
    }
    const growth = live - this.baseline;
    if (growth !== 0 && onLeak === 'throw') {
      throw new NumericError(
        `tensor leak: ${live} live tensors (variables aside) after epoch ${epoch}, expected ${this.baseline} as after the first epoch`,
      );
    }
    return growth;
  }
}

export function liveTensors(): number {
  return tf.memory().numTensors;
}

/**
 * The values of the tensor `compute` makes, its intermediates and the tensor itself disposed. Read outside
 * tf.tidy, which walks whatever its function returns looking for tensors: a returned typed array is walked value
 * by value (about 100 ms for 200,000 values).
 */
export function computeValues(compute: () => tf.Tensor): Float32Array | Int32Array | Uint8Array {
  const result = tf.tidy(compute);
  try {
    return result.dataSync() as Float32Array | Int32Array | Uint8Array;
  } finally {
    result.dispose();
  }
}
