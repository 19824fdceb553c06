// Memory guard for training loops: live tensors after every epoch must equal the count after the first.
import { NumericError } from '../errors.js';
import { tf } from './tf.js';

export class TensorLeakGuard {
  private baseline: number | undefined;

  /** Call at the end of each epoch; throws (or reports) when live tensors grew since the first call. */
  check(epoch: number, onLeak: 'throw' | 'return' = 'throw'): number {
    const live = tf.memory().numTensors;
    if (this.baseline === undefined) {
      this.baseline = live;
      return 0;
    }
    const growth = live - this.baseline;
    if (growth !== 0 && onLeak === 'throw') {
      throw new NumericError(
        `tensor leak: ${live} live tensors after epoch ${epoch}, expected ${this.baseline} as after the first epoch`,
      );
    }
    return growth;
  }
}

export function liveTensors(): number {
  return tf.memory().numTensors;
}
