// The range coder: exact round trips on random and adversarial symbol streams, and coded sizes within a few
// bytes of the information content -sum log2(f / total) of the stream under its tables.
import { describe, expect, it } from 'vitest';
import {
  cumulative,
  MAX_TOTAL,
  quantiseProbabilities,
  RangeDecoder,
  RangeEncoder,
} from '../../src/io/range-coder.js';

/** mulberry32: a seeded uniform [0, 1) stream, so every case is the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A symbol drawn from a cumulative table by inverse CDF. */
function draw(cum: Uint32Array, u: number): number {
  const target = Math.floor(u * cum[cum.length - 1]);
  let s = 0;
  while (cum[s + 1] <= target) s++;
  return s;
}

/** Codes `symbols` (each under its own table), decodes them back; returns the bytes and the bound in bits. */
function roundTrip(symbols: number[], tables: Uint32Array[]): { bytes: number; bound: number } {
  const encoder = new RangeEncoder();
  let bound = 0;
  symbols.forEach((s, i) => {
    const cum = tables[i];
    encoder.encode(s, cum);
    bound -= Math.log2((cum[s + 1] - cum[s]) / cum[cum.length - 1]);
  });
  const bytes = encoder.finish();
  const decoder = new RangeDecoder(bytes);
  const back = symbols.map((_, i) => decoder.decode(tables[i]));
  expect(back).toEqual(symbols);
  return { bytes: bytes.length, bound };
}

describe('range coder', () => {
  it('round-trips random streams under random tables, within 3 bytes of the information content', () => {
    const rand = random(1);
    for (const [alphabet, length] of [
      [2, 5000],
      [16, 3000],
      [64, 4000],
      [1000, 2000],
    ]) {
      const tables = Array.from({ length }, () =>
        cumulative(Array.from({ length: alphabet }, () => 1 + Math.floor(rand() * 60))),
      );
      const symbols = tables.map((cum) => draw(cum, rand()));
      const { bytes, bound } = roundTrip(symbols, tables);
      expect(bytes).toBeLessThanOrEqual(Math.ceil(bound / 8) + 3);
    }
  });

  it('round-trips adversarial streams: the rarest symbol of a skewed table, again and again, and certain ones', () => {
    const skewed = cumulative([MAX_TOTAL - 1, 1]);
    // 2000 symbols of 16 bits each: low and high meet the underflow case over and over.
    const rare = roundTrip(Array(2000).fill(1), Array(2000).fill(skewed));
    expect(rare.bound).toBeCloseTo(2000 * 16, 6);
    expect(rare.bytes).toBeLessThanOrEqual(Math.ceil(rare.bound / 8) + 3);
    // The likely symbol: almost nothing per symbol.
    const likely = roundTrip(Array(5000).fill(0), Array(5000).fill(skewed));
    expect(likely.bytes).toBeLessThanOrEqual(Math.ceil(likely.bound / 8) + 3);
    // Alternating extremes, a one-symbol table (costs 0 bits) and the full 2^16 alphabet of frequency 1.
    const rand = random(2);
    const tables = Array.from({ length: 3000 }, (_, i) =>
      i % 3 === 0 ? skewed : i % 3 === 1 ? cumulative([1]) : cumulative(new Uint32Array(MAX_TOTAL).fill(1)),
    );
    const symbols = tables.map((_, i) =>
      i % 3 === 0 ? i % 2 : i % 3 === 1 ? 0 : Math.floor(rand() * MAX_TOTAL),
    );
    const mixed = roundTrip(symbols, tables);
    expect(mixed.bytes).toBeLessThanOrEqual(Math.ceil(mixed.bound / 8) + 3);
  });

  it('codes the empty stream in at most one byte', () => {
    const bytes = new RangeEncoder().finish();
    expect(bytes.length).toBeLessThanOrEqual(1);
  });

  it('refuses tables it cannot code and symbols outside them', () => {
    expect(() => cumulative([3, 0, 2])).toThrow('expected positive integer frequencies, got 0 for symbol 1');
    expect(() => cumulative([MAX_TOTAL, 1])).toThrow(
      `expected a frequency total of at most ${MAX_TOTAL}, got 65537`,
    );
    expect(() => new RangeEncoder().encode(2, cumulative([1, 1]))).toThrow(
      'symbol 2 is outside the table of 2 symbols',
    );
  });

  it('quantises probabilities with a floor of 1 and a total of at most 2^16, the same every time', () => {
    const p = Float32Array.from([0.7, 0.2999, 0.0001, 0]);
    const f = quantiseProbabilities(p);
    // 1 + floor(p * (65536 - 4)), in float64 on the float32 values.
    expect([...f]).toEqual([...p].map((v) => 1 + Math.floor(v * 65532)));
    expect(f[3]).toBe(1);
    expect(f.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(MAX_TOTAL);
    expect([...quantiseProbabilities(p)]).toEqual([...f]);
    expect(() => quantiseProbabilities(new Float32Array(10), 8)).toThrow(
      '10 symbols do not fit a total of 8',
    );
  });
});
