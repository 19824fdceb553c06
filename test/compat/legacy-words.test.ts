// latentlab 0.1.0's option words, read into today's (src/models/legacy.ts): each rename, today's words untouched,
// and a config naming both an old key and its new one keeping the new value.
import { describe, expect, it } from 'vitest';
import { upgradeModelConfig } from '../../src/models/legacy.js';
import { parseModelConfig } from '../../src/models/registry.js';

describe('configs in 0.1.0 words', () => {
  it.each([
    [
      { kind: 'gan', architecture: 'mlp', loss: 'hinge' },
      { kind: 'gan', architecture: 'dense', adversarialLoss: 'hinge' },
    ],
    [
      { kind: 'gan', architecture: 'dcgan' },
      { kind: 'gan', architecture: 'conv' },
    ],
    [
      { kind: 'vaegan', architecture: 'dcgan' },
      { kind: 'vaegan', architecture: 'conv' },
    ],
    [
      { kind: 'classifier', architecture: 'cnn' },
      { kind: 'classifier', architecture: 'conv' },
    ],
    [
      { kind: 'classifier', architecture: 'mlp' },
      { kind: 'classifier', architecture: 'dense' },
    ],
    [
      { kind: 'aegan', discriminator: 'dcgan' },
      { kind: 'aegan', discriminatorArchitecture: 'conv' },
    ],
    [
      { kind: 'latentgan', imageDiscriminator: 'mlp' },
      { kind: 'latentgan', imageDiscriminatorArchitecture: 'dense' },
    ],
  ])('%j reads as %j', (old, now) => {
    expect(upgradeModelConfig(old)).toEqual(now);
    // And the schema takes it: the saved config parses as today's.
    expect(parseModelConfig(old).config).toEqual(parseModelConfig(now).config);
  });

  it("leaves today's words, other kinds and non-objects as they are", () => {
    const today = { kind: 'gan', architecture: 'conv', adversarialLoss: 'lsgan' };
    expect(upgradeModelConfig(today)).toEqual(today);
    const ae = { kind: 'conv-ae', loss: 'bce' };
    expect(upgradeModelConfig(ae)).toBe(ae);
    expect(upgradeModelConfig(null)).toBe(null);
    expect(upgradeModelConfig('gan')).toBe('gan');
  });

  it('keeps the new value where a config names the old key and the new one', () => {
    expect(upgradeModelConfig({ kind: 'gan', loss: 'hinge', adversarialLoss: 'lsgan' })).toEqual({
      kind: 'gan',
      adversarialLoss: 'lsgan',
    });
  });

  it('refuses old words for what never had them', () => {
    expect(() => parseModelConfig({ kind: 'aae', architecture: 'mlp' })).toThrow(/model\.architecture/);
  });
});
