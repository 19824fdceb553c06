// The public types, checked by the compiler (npm run typecheck covers test/): a run config's model part is typed
// per family, so a misspelt kind or option does not compile. Each `@ts-expect-error` fails the typecheck once
// the line compiles; vitest runs the file, so the runtime checks beside them hold too.
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Tensor } from '../../src/engine/tf.js';
import {
  type ArrayOutput,
  Autoencoder,
  type DenseAutoencoderConfig,
  type ModelConfigInput,
  type ModelKind,
  parseRunConfig,
  type RunConfigInput,
  trainRun,
  type VaeConfig,
} from '../../src/index.js';

const data = { source: 'mnist' } as const;

describe('RunConfigInput', () => {
  it("types the model part as a union over the families' configs", () => {
    const good: RunConfigInput = { model: { kind: 'dense-ae', latent: 16 }, data, train: {} };
    // @ts-expect-error a misspelt kind
    const badKind: RunConfigInput = { model: { kind: 'dense-aee', latent: 16 }, data, train: {} };
    // @ts-expect-error a misspelt option
    const badOption: RunConfigInput = { model: { kind: 'dense-ae', latnet: 16 }, data, train: {} };
    // @ts-expect-error an option of another family (beta is the VAE's)
    const otherFamily: RunConfigInput = { model: { kind: 'dense-ae', beta: 2 }, data, train: {} };
    // @ts-expect-error a value of the wrong type
    const badValue: RunConfigInput = { model: { kind: 'vae', latent: '16' }, data, train: {} };
    // The run-time check says the same for configs that are not typed (read from a file, say).
    expect(() => parseRunConfig(good)).not.toThrow();
    for (const bad of [badKind, badOption, otherFamily, badValue])
      expect(bad.model.kind).toBeTypeOf('string');
  });

  it('is what trainRun takes', () => {
    expectTypeOf(trainRun).parameter(0).toEqualTypeOf<RunConfigInput>();
    expectTypeOf<RunConfigInput['model']>().toEqualTypeOf<ModelConfigInput>();
  });

  it('names every registered family, each with its own options', () => {
    expectTypeOf<ModelKind>().toEqualTypeOf<
      | 'dense-ae'
      | 'conv-ae'
      | 'attention-ae'
      | 'vae'
      | 'conv-vae'
      | 'cvae'
      | 'classifier'
      | 'gan'
      | 'aae'
      | 'latentgan'
      | 'aegan'
      | 'vaegan'
      | 'seq-ae'
      | 'seq-vae'
      | 'lm'
      | 'wave-ae'
      | 'tvae'
      | 'ctgan'
      | 'table-ae'
      | 'table-vae'
      | 'gain'
      | 'beta-tcvae'
      | 'factor-vae'
      | 'dip-vae'
      | 'vamp-prior'
      | 'infogan'
    >();
    expectTypeOf<ModelConfigInput<'vae'>>().toHaveProperty('beta');
    expectTypeOf<Extract<ModelConfigInput, { kind: 'dense-ae' }>>().toEqualTypeOf<
      ModelConfigInput<'dense-ae'>
    >();
    // Configs after validation have every default filled in.
    expectTypeOf<DenseAutoencoderConfig['latent']>().toEqualTypeOf<number>();
    expectTypeOf<VaeConfig['kind']>().toEqualTypeOf<'vae'>();
  });
});

describe('Autoencoder.fit', () => {
  it('checks the model config at compile time, as trainRun does', () => {
    // Never called: only the compiler reads these lines.
    const compileOnly = () => {
      // @ts-expect-error a misspelt option
      void Autoencoder.fit([[1, 2]], { kind: 'dense-ae', latnet: 2 });
      // @ts-expect-error a misspelt fit option
      void Autoencoder.fit([[1, 2]], { kind: 'dense-ae' }, { epoch: 5 });
      void Autoencoder.fit([[1, 2]], { kind: 'vae', beta: 4 }, { epochs: 5, contamination: 0.05 });
    };
    expect(compileOnly).toBeTypeOf('function');
  });

  it('gives results in the form of the input', () => {
    expectTypeOf<ArrayOutput<number[][]>>().toEqualTypeOf<number[][]>();
    expectTypeOf<ArrayOutput<Float32Array>>().toEqualTypeOf<Float32Array>();
    expectTypeOf<ArrayOutput<Tensor>>().toEqualTypeOf<Tensor>();
    expectTypeOf<Awaited<ReturnType<Autoencoder['score']>>>().toEqualTypeOf<Float32Array>();
    expectTypeOf<Awaited<ReturnType<Autoencoder['predict']>>>().toEqualTypeOf<Uint8Array>();
  });
});
