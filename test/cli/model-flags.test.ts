// The model flags of `latentlab train` and `latentlab models` come from the family schemas: every option of every
// family (one registered later included) has a flag, a flag reads by the chosen kind's type, and help and
// `models` show choices and defaults. Choices are read from the schemas here, never written out, so that a
// renamed enum value needs no test edit.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { runConfigFromFlags, trainCommand } from '../../src/cli/commands/train.js';
import { main } from '../../src/cli/main.js';
import { kebab } from '../../src/cli/model-options.js';
import type { ModelFamily } from '../../src/models/family.js';
import { getFamily, listFamilies, registerFamily } from '../../src/models/registry.js';
import { runInProcess } from '../apps/cli-helper.js';
import { withTempDir } from '../helpers.js';

/** The run config `latentlab train ARGS` would train, without training. */
async function configFor(args: string[]): Promise<Record<string, unknown>> {
  let config: Record<string, unknown> | undefined;
  const command = trainCommand()
    .exitOverride()
    .action(async (flags) => {
      config = await runConfigFromFlags(flags);
    });
  await command.parseAsync(args, { from: 'user' });
  if (!config) throw new Error('the train action did not run');
  return config;
}

/** `latentlab models ARGS` in this process (runInProcess adds --backend, which `models` has no use for). */
async function models(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(['node', 'latentlab', 'models', ...args]);
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

const modelFor = async (args: string[]) => (await configFor(args)).model as Record<string, unknown>;

/** A family's options as JSON Schema, the way the studio reads them. */
function propertiesOf(kind: string): Record<string, { enum?: unknown[]; default?: unknown }> {
  const json = z.toJSONSchema(getFamily(kind).configSchema, { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, { enum?: unknown[]; default?: unknown }>;
  };
  return json.properties;
}

const flagsOf = () => new Set(trainCommand().options.map((option) => option.long));

describe('model flags from the family schemas', () => {
  it('gives every option of every registered family a flag', () => {
    const flags = flagsOf();
    for (const family of listFamilies())
      for (const key of Object.keys(propertiesOf(family.kind)).filter((key) => key !== 'kind'))
        expect(flags, `${family.kind}.${key}`).toContain(`--${kebab(key)}`);
  });

  it('keeps every model flag that the hand-written list had', () => {
    const flags = flagsOf();
    const before =
      'latent hidden filters activation loss noise sparsity likelihood sigma beta kl-warmup free-bits conditional ' +
      'architecture generator-hidden discriminator-hidden discriminator-steps g-lr d-lr label-smoothing ' +
      'instance-noise ema acgan prior semi-supervised adversarial-loss set patch-size dim heads depth';
    for (const flag of before.split(' ')) expect(flags).toContain(`--${flag}`);
  });

  it('reads each flag by the chosen kind’s type', async () => {
    expect((await modelFor(['--model', 'vae', '--sigma', '0.5'])).sigma).toBe(0.5);
    expect((await modelFor(['--model', 'vae', '--sigma', 'learned'])).sigma).toBe('learned');
    expect((await modelFor(['--hidden', '8,4'])).hidden).toEqual([8, 4]);
    expect((await modelFor(['--hidden', ''])).hidden).toEqual([]);
    expect((await modelFor(['--model', 'vae', '--conditional'])).conditional).toBe(true);
    expect((await modelFor(['--model', 'vae', '--conditional', 'false'])).conditional).toBe(false);
    expect((await modelFor(['--model', 'vae', '--kl-warmup', '3'])).klWarmupEpochs).toBe(3);
    expect((await modelFor(['--model', 'vae', '--kl-warmup-epochs', '4'])).klWarmupEpochs).toBe(4);
    const aae = await modelFor(['--model', 'aae', '--g-lr', '1e-3', '--d-lr', '2e-3', '--prior', 'mixture']);
    expect(aae).toMatchObject({
      generatorLearningRate: 1e-3,
      discriminatorLearningRate: 2e-3,
      prior: 'mixture',
    });
    expect((await modelFor(['--model', 'aae', '--labelled-augment', '{"shift":2}'])).labelledAugment).toEqual(
      { shift: 2 },
    );
    expect((await modelFor(['--noise', 'gaussian:0.2'])).noise).toEqual({ type: 'gaussian', level: 0.2 });
    // A level left out is the schema's default level.
    const level = (propertiesOf('dense-ae').noise.default as { level: number }).level;
    expect((await modelFor(['--noise', 'gaussian'])).noise).toEqual({ type: 'gaussian', level });
  });

  it('takes the kind from the config file when --model is not given', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'run.json');
      await writeFile(file, JSON.stringify({ model: { kind: 'vae', latent: 3 } }));
      const model = await modelFor(['--config', file, '--sigma', 'learned-per-pixel']);
      expect(model).toMatchObject({ kind: 'vae', latent: 3, sigma: 'learned-per-pixel' });
    });
  });

  it('refuses a flag the kind does not have, naming the kinds that have it', async () => {
    await expect(modelFor(['--model', 'vae', '--prior', 'mixture'])).rejects.toThrow(
      '--prior is not an option of "vae" (it is an option of aae)',
    );
    const r = await runInProcess(['train', '--model', 'vae', '--prior', 'mixture']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--prior is not an option of "vae"');
  });

  it("points 0.1.0's words to today's: the GAN's --loss, the dcgan architecture", async () => {
    await expect(modelFor(['--model', 'gan', '--loss', 'hinge'])).rejects.toThrow(
      '"gan" now calls it adversarialLoss: --adversarial-loss',
    );
    await expect(modelFor(['--model', 'gan', '--architecture', 'dcgan'])).rejects.toThrow(
      '--architecture: expected one of dense, conv, got "dcgan" ("dcgan" is now called "conv")',
    );
  });

  it('refuses a value outside the choices, naming them', async () => {
    const choices = propertiesOf('vae').likelihood.enum as string[];
    await expect(modelFor(['--model', 'vae', '--likelihood', 'normal'])).rejects.toThrow(
      `--likelihood: expected one of ${choices.join(', ')}, got "normal"`,
    );
    await expect(modelFor(['--model', 'vae', '--sigma', 'wide'])).rejects.toThrow(
      /--sigma: expected a number/,
    );
  });

  it('checks integers and bounds where the schema says so', async () => {
    await expect(modelFor(['--model', 'vae', '--kl-warmup', '1.5'])).rejects.toThrow(
      '--kl-warmup: expected an integer >= 0, got "1.5"',
    );
    await expect(modelFor(['--latent', '0'])).rejects.toThrow(/--latent: expected an integer > 0/);
    await expect(modelFor(['--hidden', '8,x'])).rejects.toThrow('--hidden: expected an integer > 0');
  });

  it('refuses one option given by two flags', async () => {
    await expect(modelFor(['--model', 'vae', '--kl-warmup', '1', '--kl-warmup-epochs', '2'])).rejects.toThrow(
      'both set klWarmupEpochs',
    );
  });

  it('keeps --set for any option', async () => {
    expect((await modelFor(['--model', 'gan', '--set', 'instanceNoiseEpochs=10'])).instanceNoiseEpochs).toBe(
      10,
    );
  });
});

describe('help and `latentlab models`', () => {
  it('train --help lists the model options with kinds, choices and defaults', async () => {
    const r = await runInProcess(['train', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Model options');
    const help = r.stdout.replace(/\s+/g, ' ');
    // A description (from the schema's .describe()) may come between the flag and its kinds.
    const likelihood = propertiesOf('vae').likelihood;
    const choices = likelihood.enum?.join(', ');
    // Every VAE kind takes it, the zoo's variants included.
    const vaeKinds =
      'vae, conv-vae, cvae, iwae, wae, info-vae, rae-l2, rae-gp, msssim-vae, beta-tcvae, factor-vae, dip-vae, vamp-prior, vae-nf, vae-iaf';
    expect(help).toContain(`[${vaeKinds}] (choices: ${choices}) (default: ${likelihood.default})`);
    expect(help).toMatch(/--likelihood <name> p\(x\|z\): .*? \[vae, conv-vae, cvae, iwae,/);
    const prior = propertiesOf('aae').prior;
    expect(help).toContain(`[aae] (choices: ${prior.enum?.join(', ')}) (default: ${prior.default})`);
    expect(help).toContain('--latent <n>');
    expect(help).toContain('--kl-warmup <n> the same as --kl-warmup-epochs');
  });

  it('lists every family', async () => {
    const r = await models([]);
    expect(r.code).toBe(0);
    for (const family of listFamilies()) expect(r.stdout).toContain(family.kind);
    const json = await models(['--json']);
    const kinds = (JSON.parse(json.stdout) as { kind: string }[]).map((family) => family.kind);
    expect(kinds).toEqual(listFamilies().map((family) => family.kind));
  });

  it('lists one family’s options with flags, types and defaults', async () => {
    const r = await models(['vae']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /likelihood\s+--likelihood <name>\s+one of bernoulli, gaussian; default bernoulli/,
    );
    expect(r.stdout).toMatch(/klWarmupEpochs\s+--kl-warmup-epochs <n>, --kl-warmup <n>/);
    const json = await models(['vae', '--json']);
    const parsed = JSON.parse(json.stdout) as { kind: string; options: Record<string, unknown>[] };
    expect(parsed.kind).toBe('vae');
    expect(parsed.options.map((option) => option.name)).toEqual(
      Object.keys(propertiesOf('vae')).filter((key) => key !== 'kind'),
    );
    expect(parsed.options.find((option) => option.name === 'sigma')).toMatchObject({
      flag: '--sigma',
      default: 'learned',
    });
  });

  it('refuses an unknown kind, naming the known ones', async () => {
    const r = await models(['nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown model kind "nope": expected one of dense-ae, conv-ae');
  });
});

describe('a family registered later', () => {
  it('gets flags, help and a models entry without CLI edits', async () => {
    const schema = z.object({
      kind: z.literal('test-widget'),
      widgetCount: z.number().int().min(1).default(3).describe('how many widgets'),
      shape: z.enum(['round', 'square']).default('round'),
    });
    registerFamily({
      kind: 'test-widget',
      description: 'a family for this test only',
      configSchema: schema,
      build: () => {
        throw new Error('not built in this test');
      },
      restore: () => {
        throw new Error('not restored in this test');
      },
    } as unknown as ModelFamily);
    expect(flagsOf()).toContain('--widget-count');
    const model = await modelFor(['--model', 'test-widget', '--widget-count', '5', '--shape', 'square']);
    expect(model).toEqual({ kind: 'test-widget', widgetCount: 5, shape: 'square' });
    await expect(modelFor(['--model', 'test-widget', '--widget-count', '0'])).rejects.toThrow(
      '--widget-count: expected an integer >= 1, got "0"',
    );
    const help = (await runInProcess(['train', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('--widget-count <n> how many widgets [test-widget] (default: 3)');
    const listed = await models(['test-widget']);
    expect(listed.stdout).toMatch(/widgetCount\s+--widget-count <n>\s+an integer >= 1; default 3/);
    expect(listed.stdout).toContain('how many widgets');
  });
});
