// Sample-rate conversion with libsamplerate (Erik de Castro Lopo's band-limited sinc converter, compiled to wasm
// by @alexanderolsen/libsamplerate-js): components above the new Nyquist frequency are filtered out, not folded.
import type libsamplerateModule from '@alexanderolsen/libsamplerate-js';

type Library = typeof libsamplerateModule;
type Converter = Awaited<ReturnType<Library['create']>>;

// Loaded on first use: the bundle (its wasm inlined) takes ~50 ms to import, which every command that loads data
// would pay, and only recordings at another rate need it. A CommonJS bundle: its names come through the default
// export under Node's ESM loader.
let library: Promise<Library> | undefined;
const libsamplerate = () => {
  library ??= import('@alexanderolsen/libsamplerate-js').then((m) => m.default);
  return library;
};

async function createConverter(from: number, to: number): Promise<Converter> {
  const { ConverterType, create } = await libsamplerate();
  return create(1, from, to, { converterType: ConverterType.SRC_SINC_MEDIUM_QUALITY });
}
/** Samples libsamplerate-js converts in one stateless `simple` call (its buffer size); beyond, it works in pieces. */
const SIMPLE_LIMIT = 1_008_000;
// One converter per pair of rates, kept: creating one (a wasm instance) cost more than converting a second of
// audio with it, and `simple` up to its buffer size keeps no state between calls. A corpus has a handful of rates.
const converters = new Map<string, Promise<Converter>>();
function converterFor(from: number, to: number): Promise<Converter> {
  const key = `${from}/${to}`;
  let converter = converters.get(key);
  if (!converter) {
    converter = createConverter(from, to);
    converters.set(key, converter);
    // A failed start is not kept: the next call tries again.
    converter.catch(() => converters.delete(key));
  }
  return converter;
}

/** The length of `count` samples at `from` Hz once at `to` Hz: the same duration, to the nearest sample. */
export const resampledLength = (count: number, from: number, to: number) => Math.round((count * to) / from);

/** `samples` at `from` Hz → `resampledLength` samples at `to` Hz (the same array when the rates match). */
export async function resample(samples: Float32Array, from: number, to: number): Promise<Float32Array> {
  if (from === to) return samples;
  let out: Float32Array;
  if (Math.max(samples.length, resampledLength(samples.length, from, to)) <= SIMPLE_LIMIT)
    out = (await converterFor(from, to)).simple(samples);
  else {
    // Longer inputs go through libsamplerate's `full` API in pieces, which carries state to the next call.
    const converter = await createConverter(from, to);
    try {
      out = converter.simple(samples);
    } finally {
      converter.destroy();
    }
  }
  // The converter can end a sample short of the duration (44,100 samples at 44.1 kHz gave 7,999 at 8 kHz):
  // the clip keeps its length in seconds, the missing tail as silence.
  const length = resampledLength(samples.length, from, to);
  if (out.length === length) return out;
  const exact = new Float32Array(length);
  exact.set(out.subarray(0, length));
  return exact;
}
