// Request and response bodies of the /v1 API, as zod schemas: they validate every request and generate the
// OpenAPI description. Limits (batch size) are part of the schemas, so they are built per server.
import { z } from 'zod';
import { AnomalyScore } from '../apps/detect.js';
import { AudioFeatures } from '../data/audio/features.js';
import { ModelManifest } from '../io/model-files.js';
import type { ServerLimits } from './context.js';
import { RUN_NAME } from './runs.js';

export const ErrorBody = z.object({
  error: z.string().describe('what was expected and what came'),
  field: z.string().optional().describe('the request field at fault, e.g. inputs[3], run, format'),
});

export const RunParams = z.object({
  run: z
    .string()
    .regex(RUN_NAME, 'expected a run name: one path segment of letters, digits, ".", "_", "-"')
    .refine((name) => !name.includes('..'), 'a run name cannot contain ".."')
    .describe('a run directory directly inside the runs directory'),
});

export const OutputFormat = z
  .enum(['json', 'png', 'wav'])
  .describe(
    'json (default), png (a grid of image outputs; audio runs: of spectrograms) or wav (audio runs: one clip)',
  );
export const FormatQuery = z.object({ format: OutputFormat.optional() });

/** The largest float32: models compute in float32, so a JSON number beyond it would reach them as ±Infinity. */
export const FLOAT32_MAX = 3.4028234663852886e38;
const FLOAT32_RANGE = 'expected a number within the float32 range (±3.4028234663852886e38)';
const Value = z.number().min(-FLOAT32_MAX, FLOAT32_RANGE).max(FLOAT32_MAX, FLOAT32_RANGE);
const Row = z.array(Value);
const Label = z.number().int().min(0);

/** Exactly one of `inputs` (samples), `texts` (text models) and `audio` (audio models), naming `inputs`. */
const oneInput = {
  check: (b: { inputs?: unknown; texts?: unknown; audio?: unknown }) =>
    [b.inputs, b.texts, b.audio].filter((v) => v !== undefined).length === 1,
  message: {
    message:
      'give inputs (samples as arrays or images) or texts (strings, for text models) or audio (WAV files, for audio models), one of them',
    path: ['inputs'],
  },
};

/** What reading did to one uploaded recording (audio runs). */
export const ClipRead = z.object({
  cut: z.boolean().describe("longer than the model's clip: only its start was kept"),
  padded: z.boolean().describe('shorter: padded with silence at the end'),
  clipped: z.boolean().describe('holds samples at full scale (it was clipped when recorded)'),
  resampled: z.boolean().describe("at another sample rate: resampled to the model's"),
  silent: z.boolean().describe('all zero'),
});

/** Schemas that depend on the server's limits. */
export function bodySchemas(limits: Pick<ServerLimits, 'maxBatch' | 'maxTextChars'>) {
  const { maxBatch, maxTextChars } = limits;
  const wav = z
    .base64('expected a WAV file as base64')
    .describe("a WAV file, base64: resampled to the model's rate, cut or padded to its clip");
  const audio = z
    .array(wav)
    .min(1)
    .max(maxBatch)
    .describe(
      'audio models: WAV files (base64) instead of inputs; or upload them as multipart files or one audio/wav body',
    );
  const iterations = z
    .number()
    .int()
    .min(1)
    .max(256)
    .optional()
    .describe(
      'audio models on spectrograms: Griffin-Lim iterations of each WAV answered (default 32; clips × iterations at most 8192)',
    );
  const inputs = z
    .array(Row.describe('one sample, flattened row-major (images: h·w·c values in [0, 1])'))
    .min(1)
    .max(maxBatch)
    .describe(
      'samples as arrays, or PNG images uploaded as multipart files (or one image/png body), resized to the model',
    );
  const text = z
    .string()
    .max(maxTextChars, `expected a text of at most ${maxTextChars} characters`)
    .describe("a sentence, tokenized with the model's saved vocabulary (unknown tokens read as <unk>)");
  const texts = z
    .array(text)
    .min(1)
    .max(maxBatch)
    .describe('text models (seq-ae, seq-vae): strings instead of inputs, each cut to maxLength - 1 tokens');
  // The model's `decoding`, for this request only; a model that does not choose tokens refuses them.
  const decoding = {
    temperature: z
      .number()
      .min(0)
      .max(100)
      .optional()
      .describe(
        "text models: draw each token from the softmax of logits / temperature (0, the default: the most likely token); draws are seeded by the request's seed (sample), else 0",
      ),
    topK: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('text models, with a temperature: draw among the k most likely tokens only (0: all)'),
  };
  const labels = z
    .array(Label)
    .max(maxBatch)
    .optional()
    .describe('one class per sample (conditional models need them)');
  const format = OutputFormat.optional();
  const n = z.number().int().min(1).max(maxBatch);
  const seed = z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1);
  const share = z
    .number()
    .gt(0, 'expected a number between 0 and 1')
    .lt(1, 'expected a number between 0 and 1');
  const endpoint = z
    .strictObject({
      input: Row.optional().describe('a sample, encoded'),
      code: Row.optional().describe('a latent code'),
      seed: seed.optional().describe('a draw from the prior'),
      text: text.optional().describe('text models: a sentence, encoded'),
      audio: wav.optional().describe('audio models: a WAV file (base64), encoded'),
    })
    .refine((e) => [e.input, e.code, e.seed, e.text, e.audio].filter((v) => v !== undefined).length === 1, {
      message: 'give exactly one of input, code, seed, text or audio',
    });
  return {
    encode: z
      .strictObject({
        inputs: inputs.optional(),
        texts: texts.optional(),
        audio: audio.optional(),
        labels,
        format: z.literal('json').optional(),
      })
      .refine(oneInput.check, oneInput.message),
    decode: z.strictObject({
      codes: z.array(Row).min(1).max(maxBatch).describe('latent codes, one array each'),
      labels,
      format,
      cols: z.number().int().min(1).max(maxBatch).optional().describe('PNG grid columns'),
      iterations,
      ...decoding,
    }),
    reconstruct: z
      .strictObject({
        inputs: inputs.optional(),
        texts: texts.optional(),
        audio: audio.optional(),
        labels,
        format,
        iterations,
        ...decoding,
      })
      .refine(oneInput.check, oneInput.message),
    sample: z.strictObject({
      n: n.default(16),
      seed: seed.default(0).describe('seeds the prior draws and, with a temperature, the token draws'),
      class: Label.optional().describe('conditional models: the class (default: one row per class)'),
      format,
      iterations,
      ...decoding,
    }),
    interpolate: z.strictObject({
      from: endpoint,
      to: endpoint,
      steps: z.number().int().min(2).max(maxBatch).default(10).describe('codes on the path, ends included'),
      slerp: z.boolean().default(false).describe('spherical interpolation (suits Gaussian priors)'),
      class: Label.optional().describe('conditional models: the class decoded (default 0)'),
      format,
      iterations,
      ...decoding,
    }),
    score: z
      .strictObject({
        inputs: inputs.optional(),
        texts: texts.optional(),
        audio: audio.optional(),
        labels,
        score: AnomalyScore.default('mse').describe(
          'mse or bce: reconstruction error; elbo: negative ELBO (VAEs); mahalanobis: distance of the code from a Gaussian fitted to the codes of the training split; knn: mean distance to the nearest codes of the training split',
        ),
        seed: seed.default(0).describe('seeds the ELBO draws'),
        elboSamples: z.number().int().min(1).max(64).default(1),
        quantile: share
          .optional()
          .describe(
            "flag scores above this quantile of the scores of the run's validation split (held-out normal data)",
          ),
        contamination: share
          .optional()
          .describe('or: the share of the validation split taken to be anomalous'),
        format,
      })
      .refine(oneInput.check, oneInput.message)
      .refine((b) => b.quantile === undefined || b.contamination === undefined, {
        message: 'give a quantile or a contamination rate, not both',
        path: ['contamination'],
      }),
  };
}
export type BodySchemas = ReturnType<typeof bodySchemas>;

const Rows = z.array(z.array(z.number()));
const Wavs = z
  .array(z.string())
  .optional()
  .describe('audio models: each output as a WAV file, base64 (spectrograms resynthesised by Griffin-Lim)');
const Spectrograms = z
  .array(z.string())
  .optional()
  .describe('audio models: the log-mel spectrogram of each output as a PNG data URL');
const ClipsRead = z.array(ClipRead).optional().describe('audio: what reading did to each uploaded WAV');
const OutputTexts = z
  .array(z.string())
  .optional()
  .describe('text models: each output as a string (outputs holds its token ids)');

export const TextInfo = z
  .object({
    tokenizer: z.enum(['char', 'word']),
    lowercase: z.boolean(),
    vocabularySize: z
      .number()
      .int()
      .describe('token ids, the four reserved ones (<pad> <unk> <bos> <eos>) included'),
    maxLength: z.number().int().describe('tokens a text is read to, <eos> included'),
  })
  .describe('a text run: it takes and returns strings (texts), tokenized with this vocabulary');

/** What tokenizing did to one text of a request. */
export const Tokenized = z.object({
  tokens: z.number().int().describe('tokens read (before <eos>)'),
  unknown: z.number().int().describe('of them, tokens not in the vocabulary (read as <unk>)'),
  truncated: z.boolean().describe('the text had more than maxLength - 1 tokens and was cut'),
});

export const RunListing = z.object({
  name: z.string(),
  config: z.unknown().optional().describe('config.json: the whole run'),
  summary: z.unknown().optional().describe('summary.json: test figures'),
  epochsDone: z.number().int(),
  lastEpoch: z.unknown().optional().describe('the last line of metrics.jsonl'),
  model: ModelManifest.optional().describe('the saved model, when training has finished'),
  text: TextInfo.optional(),
});

export const Capabilities = z.object({
  encode: z.boolean(),
  decode: z.boolean(),
  reconstruct: z.boolean(),
  sample: z.boolean(),
  interpolate: z.boolean(),
  scores: z.array(AnomalyScore),
  latentSize: z.number().int().optional(),
  conditional: z.boolean(),
  text: TextInfo.optional(),
  audio: AudioFeatures.optional().describe(
    'an audio run: it takes and returns WAV; its clips are turned into these features and back',
  ),
});

export const responses = {
  runs: z.object({ runs: z.array(RunListing) }),
  run: RunListing.extend({
    history: z.array(z.unknown()).describe('every line of metrics.jsonl'),
    capabilities: Capabilities.optional(),
  }),
  encode: z.object({
    codes: Rows,
    latentSize: z.number().int(),
    tokenized: z.array(Tokenized).optional().describe('texts: what tokenizing did to each'),
    clips: ClipsRead,
  }),
  outputs: z.object({
    outputs: Rows.describe('one flattened sample each (text models: token ids, <eos> (3) then <pad> (0))'),
    shape: z.array(z.number().int()).describe('the shape of one sample'),
    texts: OutputTexts,
    wavs: Wavs,
    spectrograms: Spectrograms,
  }),
  reconstruct: z.object({
    outputs: Rows,
    shape: z.array(z.number().int()),
    mse: z.array(z.number()).optional().describe('mean squared error per sample (not for text models)'),
    texts: OutputTexts,
    wavs: Wavs,
    spectrograms: Spectrograms,
    inputSpectrograms: Spectrograms.describe(
      'audio models: the spectrogram of each input as the model heard it',
    ),
    clips: ClipsRead,
    inputTexts: z
      .array(z.string())
      .optional()
      .describe('text models: each input as the model read it (unknown tokens as <unk>, cut to maxLength)'),
    tokenized: z.array(Tokenized).optional().describe('text models: what tokenizing did to each input'),
    tokenAccuracy: z
      .array(z.number())
      .optional()
      .describe('text models: share of the tokens read (<eos> included) reconstructed exactly, per text'),
  }),
  interpolate: z.object({
    outputs: Rows,
    shape: z.array(z.number().int()),
    codes: Rows,
    texts: OutputTexts.describe('text models: the homotopy, one sentence per step'),
    wavs: Wavs,
    spectrograms: Spectrograms,
  }),
  score: z.object({
    score: AnomalyScore,
    scores: z.array(z.number()),
    threshold: z
      .object({
        value: z.number(),
        quantile: z.number(),
        calibrationSamples: z.number().int(),
        calibration: z.string().describe('the data the threshold was calibrated on'),
      })
      .optional()
      .describe('with quantile or contamination'),
    flags: z.array(z.number().int()).optional().describe('1 where the score is above the threshold'),
    clips: ClipsRead,
  }),
};
