// The model configs of every registered family as one union, so a config written in TypeScript is checked
// against its family's schema at compile time: a misspelt kind or option does not compile.
import type { z } from 'zod';
import type { AaeConfig } from './aae/config.js';
import type { AeGanConfig } from './aegan/config.js';
import type { AttentionAutoencoderConfig } from './attention-ae/config.js';
import type { BetaTcVaeConfig } from './beta-tcvae/config.js';
import type { ClassifierConfig } from './classifier/config.js';
import type { ConvAutoencoderConfig } from './conv-ae/config.js';
import type { CtganConfig } from './ctgan/config.js';
import type { DenseAutoencoderConfig } from './dense-ae/config.js';
import type { DipVaeConfig } from './dip-vae/config.js';
import type { FactorVaeConfig } from './factor-vae/config.js';
import type { GainConfig } from './gain/config.js';
import type { GanConfig } from './gan/config.js';
import type { InfoGanConfig } from './infogan/config.js';
import type { LatentGanConfig } from './latentgan/config.js';
import type { LanguageModelConfig, SeqAutoencoderConfig, SeqVaeConfig } from './seq/config.js';
import type { TableAutoencoderConfig, TableVaeConfig } from './table-ae/config.js';
import type { TvaeConfig } from './tvae/config.js';
import type { ConvVaeConfig, CvaeConfig, VaeConfig } from './vae/config.js';
import type { VaeGanConfig } from './vaegan/config.js';
import type { VampPriorConfig } from './vamp-prior/config.js';
import type { WaveAutoencoderConfig } from './wave-ae/config.js';

/** Each family's config schema by its kind (a family added to the registry is added here too). */
export interface ModelConfigSchemas {
  'dense-ae': typeof DenseAutoencoderConfig;
  'conv-ae': typeof ConvAutoencoderConfig;
  'attention-ae': typeof AttentionAutoencoderConfig;
  vae: typeof VaeConfig;
  'conv-vae': typeof ConvVaeConfig;
  cvae: typeof CvaeConfig;
  classifier: typeof ClassifierConfig;
  gan: typeof GanConfig;
  aae: typeof AaeConfig;
  latentgan: typeof LatentGanConfig;
  aegan: typeof AeGanConfig;
  vaegan: typeof VaeGanConfig;
  'seq-ae': typeof SeqAutoencoderConfig;
  'seq-vae': typeof SeqVaeConfig;
  lm: typeof LanguageModelConfig;
  'wave-ae': typeof WaveAutoencoderConfig;
  tvae: typeof TvaeConfig;
  ctgan: typeof CtganConfig;
  'table-ae': typeof TableAutoencoderConfig;
  'table-vae': typeof TableVaeConfig;
  gain: typeof GainConfig;
  'beta-tcvae': typeof BetaTcVaeConfig;
  'factor-vae': typeof FactorVaeConfig;
  'dip-vae': typeof DipVaeConfig;
  'vamp-prior': typeof VampPriorConfig;
  infogan: typeof InfoGanConfig;
}

export type ModelKind = keyof ModelConfigSchemas;

/** A model config as written: `kind` and any options (the rest take their defaults). */
export type ModelConfigInput<K extends ModelKind = ModelKind> = {
  [P in K]: z.input<ModelConfigSchemas[P]>;
}[K];

/** A model config after validation, every default filled in. */
export type ModelConfig<K extends ModelKind = ModelKind> = {
  [P in K]: z.output<ModelConfigSchemas[P]>;
}[K];
