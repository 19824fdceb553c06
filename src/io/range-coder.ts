// An arithmetic (range) coder over integer frequency tables: a symbol of frequency f out of a total T costs
// about log2(T / f) bits, so codes drawn from the table the coder is given take about their entropy.
// Hand-written: npm has no well-kept range coder that takes the caller's tables (`arithmetic-coding` 1.2.3 is a
// CLI over its own adaptive byte model; `range-coder`, `arithmetic-coder` do not exist).
//
// The 32-bit integer coder of Witten, Neal and Cleary (1987): low/high bounds shifted out bit by bit, with the
// underflow ("pending") bits of a straddled middle. Products stay below 2^32 · 2^16 < 2^53, exact in a double.
import { IoError } from '../errors.js';

const PRECISION = 32;
const TOP = 2 ** PRECISION - 1;
const HALF = 2 ** (PRECISION - 1);
const QUARTER = 2 ** (PRECISION - 2);
/** Largest total of a frequency table: 16 bits keeps every product exact and every interval non-empty. */
export const MAX_TOTAL = 2 ** 16;

/**
 * Cumulative frequencies of a table: cum[s] .. cum[s + 1] is symbol s's interval, cum[n] the total. Every
 * frequency must be a positive integer (a zero-frequency symbol could not be coded) and the total at most
 * MAX_TOTAL.
 */
export function cumulative(frequencies: ArrayLike<number>): Uint32Array {
  const cum = new Uint32Array(frequencies.length + 1);
  for (let s = 0; s < frequencies.length; s++) {
    const f = frequencies[s];
    if (!Number.isInteger(f) || f < 1)
      throw new IoError(`expected positive integer frequencies, got ${f} for symbol ${s}`);
    cum[s + 1] = cum[s] + f;
  }
  if (cum[frequencies.length] > MAX_TOTAL)
    throw new IoError(`expected a frequency total of at most ${MAX_TOTAL}, got ${cum[frequencies.length]}`);
  return cum;
}

/**
 * Integer frequencies from probabilities, the same on every call for the same floats: each symbol gets a floor of
 * 1 plus its share of the rest, rounded down (float64 arithmetic on the float32 inputs, in symbol order), so no
 * symbol is uncodable and the total never exceeds `total`.
 */
export function quantiseProbabilities(
  probabilities: ArrayLike<number>,
  total = MAX_TOTAL,
  into = new Uint32Array(probabilities.length),
): Uint32Array {
  const spare = total - probabilities.length;
  if (spare < 0) throw new IoError(`${probabilities.length} symbols do not fit a total of ${total}`);
  for (let s = 0; s < probabilities.length; s++) {
    const p = probabilities[s];
    into[s] = 1 + Math.floor((Number.isFinite(p) ? Math.min(1, Math.max(0, p)) : 0) * spare);
  }
  return into;
}

/** Bits written most significant first into a growing byte buffer. */
class BitWriter {
  private bytes = new Uint8Array(1024);
  private bits = 0;

  write(bit: number): void {
    const at = this.bits >>> 3;
    if (at >= this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    if (bit) this.bytes[at] |= 0x80 >>> (this.bits & 7);
    this.bits++;
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, Math.ceil(this.bits / 8));
  }
}

export class RangeEncoder {
  private low = 0;
  private high = TOP;
  private pending = 0;
  private readonly out = new BitWriter();
  private done = false;

  /** Code `symbol` under the cumulative table `cum` (from cumulative()). */
  encode(symbol: number, cum: Uint32Array): void {
    if (this.done) throw new IoError('the range encoder is finished');
    if (!(symbol >= 0 && symbol < cum.length - 1))
      throw new IoError(`symbol ${symbol} is outside the table of ${cum.length - 1} symbols`);
    const total = cum[cum.length - 1];
    const range = this.high - this.low + 1;
    this.high = this.low + Math.floor((range * cum[symbol + 1]) / total) - 1;
    this.low = this.low + Math.floor((range * cum[symbol]) / total);
    for (;;) {
      if (this.high < HALF) this.emit(0);
      else if (this.low >= HALF) {
        this.emit(1);
        this.low -= HALF;
        this.high -= HALF;
      } else if (this.low >= QUARTER && this.high < 3 * QUARTER) {
        this.pending++;
        this.low -= QUARTER;
        this.high -= QUARTER;
      } else break;
      this.low *= 2;
      this.high = this.high * 2 + 1;
    }
  }

  /** The coded bytes; two more bits pick a point inside the final interval. */
  finish(): Uint8Array {
    if (!this.done) {
      this.done = true;
      this.pending++;
      this.emit(this.low < QUARTER ? 0 : 1);
    }
    return this.out.finish();
  }

  private emit(bit: number): void {
    this.out.write(bit);
    for (; this.pending > 0; this.pending--) this.out.write(1 - bit);
  }
}

export class RangeDecoder {
  private low = 0;
  private high = TOP;
  private value = 0;
  private bit = 0;

  /** `bytes` from RangeEncoder.finish(); reading past the end reads zeros, as the encoder's tail assumes. */
  constructor(private readonly bytes: Uint8Array) {
    for (let i = 0; i < PRECISION; i++) this.value = this.value * 2 + this.next();
  }

  /** The next symbol under `cum`: the tables must be the encoder's, in the same order. */
  decode(cum: Uint32Array): number {
    const total = cum[cum.length - 1];
    const range = this.high - this.low + 1;
    const scaled = Math.floor(((this.value - this.low + 1) * total - 1) / range);
    // Binary search for the symbol whose interval holds `scaled`.
    let lo = 0;
    let hi = cum.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (cum[mid] <= scaled) lo = mid;
      else hi = mid - 1;
    }
    const symbol = lo;
    this.high = this.low + Math.floor((range * cum[symbol + 1]) / total) - 1;
    this.low = this.low + Math.floor((range * cum[symbol]) / total);
    for (;;) {
      if (this.high < HALF) {
        // nothing to subtract
      } else if (this.low >= HALF) {
        this.low -= HALF;
        this.high -= HALF;
        this.value -= HALF;
      } else if (this.low >= QUARTER && this.high < 3 * QUARTER) {
        this.low -= QUARTER;
        this.high -= QUARTER;
        this.value -= QUARTER;
      } else break;
      this.low *= 2;
      this.high = this.high * 2 + 1;
      this.value = this.value * 2 + this.next();
    }
    return symbol;
  }

  /** Bytes the decoder has read into so far (past-the-end reads included). */
  get bytesRead(): number {
    return Math.ceil(this.bit / 8);
  }

  private next(): number {
    const at = this.bit >>> 3;
    const b = at < this.bytes.length ? (this.bytes[at] >>> (7 - (this.bit & 7))) & 1 : 0;
    this.bit++;
    return b;
  }
}
