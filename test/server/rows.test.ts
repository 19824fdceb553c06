// JSON rows of float32 values: short, and read back as exactly the same float32 values.
import { describe, expect, it } from 'vitest';
import { rows } from '../../src/server/operations.js';

describe('rows', () => {
  it('round-trips every float32 through 9 significant digits, in rows of the given width', () => {
    const values = new Float32Array(3000);
    for (let i = 0; i < values.length; i++) values[i] = Math.sin(i * 12.9898) * 10 ** ((i % 13) - 6);
    values[0] = 0.1;
    values[1] = -3.4e38;
    values[2] = 1.17549435e-38;
    const out = rows(values, 30);
    expect(out).toHaveLength(100);
    expect(out[0]).toHaveLength(30);
    const back = Float32Array.from(out.flat());
    expect(back).toEqual(values);
    expect(JSON.stringify(out).length).toBeLessThan(0.75 * JSON.stringify(Array.from(values)).length);
  });
});
