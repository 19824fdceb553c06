// The waveform autoencoder's spectral loss: log power spectra at several FFT sizes compared by L1 (the
// multi-resolution STFT loss of Parallel WaveGAN and DDSP). MSE on samples alone rewards muffled output; the
// spectra weigh every band's energy whatever its phase. tfjs has no gradient for its FFT ops, so the STFT here
// is a gather into frames and one matmul with a Hann-windowed DFT basis, both differentiable.
import { type Tensor, tf } from '../../engine/tf.js';

/** Power floor of the log spectra (-40 dB of a unit bin): below it, noise in near-silent frames does not count. */
export const POWER_FLOOR = 1e-4;

const bases = new Map<number, Float32Array>();

/**
 * [nFft, 2 * bins] with bins = nFft / 2 + 1: column k is the periodic Hann window times cos(2πkt/nFft), column
 * bins + k the same times -sin, so frames @ basis gives each frame's real and imaginary DFT parts.
 */
function dftBasis(nFft: number): Float32Array {
  const cached = bases.get(nFft);
  if (cached) return cached;
  const bins = nFft / 2 + 1;
  const basis = new Float32Array(nFft * 2 * bins);
  for (let t = 0; t < nFft; t++) {
    const window = 0.5 - 0.5 * Math.cos((2 * Math.PI * t) / nFft);
    for (let k = 0; k < bins; k++) {
      // (k * t) mod nFft keeps the angle small, so float64 rounding stays far below float32's.
      const angle = (2 * Math.PI * ((k * t) % nFft)) / nFft;
      basis[t * 2 * bins + k] = window * Math.cos(angle);
      basis[t * 2 * bins + bins + k] = -window * Math.sin(angle);
    }
  }
  bases.set(nFft, basis);
  return basis;
}

/** Frames of nFft samples every nFft / 4, the whole frames of a clip of `samples` (no padding). */
export function spectralFrames(samples: number, nFft: number): number {
  return Math.floor((samples - nFft) / (nFft / 4)) + 1;
}

/**
 * Log power spectrogram of waveforms [n, samples, 1]: ln(|STFT|² + POWER_FLOOR), Hann window of nFft, hop
 * nFft / 4, [n, frames, nFft / 2 + 1].
 */
export function logPowerSpectrogram(x: Tensor, nFft: number): Tensor {
  return tf.tidy(() => {
    const [n, samples] = x.shape;
    const frames = spectralFrames(samples, nFft);
    const hop = nFft / 4;
    const bins = nFft / 2 + 1;
    const indices = new Int32Array(frames * nFft);
    for (let f = 0; f < frames; f++) for (let t = 0; t < nFft; t++) indices[f * nFft + t] = f * hop + t;
    const framed = tf.reshape(tf.gather(tf.reshape(x, [n, samples]), tf.tensor1d(indices, 'int32'), 1), [
      n * frames,
      nFft,
    ]);
    const parts = tf.matMul(framed, tf.tensor2d(dftBasis(nFft), [nFft, 2 * bins]));
    const power = tf.sum(tf.reshape(tf.square(parts), [n * frames, 2, bins]), 1);
    return tf.reshape(tf.log(tf.add(power, POWER_FLOOR)), [n, frames, bins]);
  });
}

/** Mean over `ffts` of the mean absolute difference of the two waveforms' log power spectra. */
export function spectralLoss(target: Tensor, recon: Tensor, ffts: readonly number[]): tf.Scalar {
  return tf.tidy(() => {
    const terms = ffts.map((nFft) =>
      tf.mean(tf.abs(tf.sub(logPowerSpectrogram(target, nFft), logPowerSpectrogram(recon, nFft)))),
    );
    return tf.div(tf.addN(terms), ffts.length) as tf.Scalar;
  });
}
