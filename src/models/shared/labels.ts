// Class labels as network inputs: one-hot rows every conditional or labelled family feeds its networks.
import { type Tensor, tf } from '../../engine/tf.js';

/**
 * Float one-hot rows [n, classes]. Made as int32 and cast: the wasm OneHot kernel writes int32 bits whatever
 * the dtype, so a float32 oneHot reads as ~1e-45 instead of 1 there.
 */
export function oneHot(labels: Tensor, classes: number): Tensor {
  return tf.cast(tf.oneHot(tf.cast(labels, 'int32'), classes), 'float32');
}
