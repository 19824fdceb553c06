// Sample-rate conversion with libsamplerate (Erik de Castro Lopo's band-limited sinc converter, compiled to wasm
// by @alexanderolsen/libsamplerate-js): components above the new Nyquist frequency are filtered out, not folded.
import libsamplerate from '@alexanderolsen/libsamplerate-js';

// A CommonJS bundle: its names come through the default export under Node's ESM loader.
const { ConverterType, create } = libsamplerate;

/** `samples` at `from` Hz → at `to` Hz (the same array when the rates match). */
export async function resample(samples: Float32Array, from: number, to: number): Promise<Float32Array> {
  if (from === to) return samples;
  const converter = await create(1, from, to, { converterType: ConverterType.SRC_SINC_MEDIUM_QUALITY });
  try {
    return converter.simple(samples);
  } finally {
    converter.destroy();
  }
}
