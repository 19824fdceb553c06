// Request and response bodies of the /v1 API, as zod schemas: they validate every request and generate the
// OpenAPI description. Limits (batch size) are part of the schemas, so they are built per server.
import { z } from 'zod';
import { AnomalyScore } from '../apps/detect.js';
import { ModelManifest } from '../io/model-files.js';
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
  .enum(['json', 'png'])
  .describe('json (default) or png (a grid of image outputs)');
export const FormatQuery = z.object({ format: OutputFormat.optional() });

/** The largest float32: models compute in float32, so a JSON number beyond it would reach them as ±Infinity. */
export const FLOAT32_MAX = 3.4028234663852886e38;
const FLOAT32_RANGE = 'expected a number within the float32 range (±3.4028234663852886e38)';
const Value = z.number().min(-FLOAT32_MAX, FLOAT32_RANGE).max(FLOAT32_MAX, FLOAT32_RANGE);
const Row = z.array(Value);
const Label = z.number().int().min(0);

/** Schemas that depend on the server's limits. */
export function bodySchemas(maxBatch: number) {
  const inputs = z
    .array(Row.describe('one sample, flattened row-major (images: h·w·c values in [0, 1])'))
    .min(1)
    .max(maxBatch)
    .describe(
      'samples as arrays, or PNG images uploaded as multipart files (or one image/png body), resized to the model',
    );
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
    })
    .refine((e) => [e.input, e.code, e.seed].filter((v) => v !== undefined).length === 1, {
      message: 'give exactly one of input, code or seed',
    });
  return {
    encode: z.strictObject({ inputs, labels, format: z.literal('json').optional() }),
    decode: z.strictObject({
      codes: z.array(Row).min(1).max(maxBatch).describe('latent codes, one array each'),
      labels,
      format,
      cols: z.number().int().min(1).max(maxBatch).optional().describe('PNG grid columns'),
    }),
    reconstruct: z.strictObject({ inputs, labels, format }),
    sample: z.strictObject({
      n: n.default(16),
      seed: seed.default(0),
      class: Label.optional().describe('conditional models: the class (default: one row per class)'),
      format,
    }),
    interpolate: z.strictObject({
      from: endpoint,
      to: endpoint,
      steps: z.number().int().min(2).max(maxBatch).default(10).describe('codes on the path, ends included'),
      slerp: z.boolean().default(false).describe('spherical interpolation (suits Gaussian priors)'),
      class: Label.optional().describe('conditional models: the class decoded (default 0)'),
      format,
    }),
    score: z
      .strictObject({
        inputs,
        labels,
        score: AnomalyScore.default('mse').describe(
          'mse or bce: reconstruction error; elbo: negative ELBO (VAEs); mahalanobis: distance of the code from a Gaussian fitted to the codes of the training split',
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
      .refine((b) => b.quantile === undefined || b.contamination === undefined, {
        message: 'give a quantile or a contamination rate, not both',
        path: ['contamination'],
      }),
  };
}
export type BodySchemas = ReturnType<typeof bodySchemas>;

const Rows = z.array(z.array(z.number()));

export const RunListing = z.object({
  name: z.string(),
  config: z.unknown().optional().describe('config.json: the whole run'),
  summary: z.unknown().optional().describe('summary.json: test figures'),
  epochsDone: z.number().int(),
  lastEpoch: z.unknown().optional().describe('the last line of metrics.jsonl'),
  model: ModelManifest.optional().describe('the saved model, when training has finished'),
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
});

export const responses = {
  runs: z.object({ runs: z.array(RunListing) }),
  run: RunListing.extend({
    history: z.array(z.unknown()).describe('every line of metrics.jsonl'),
    capabilities: Capabilities.optional(),
  }),
  encode: z.object({ codes: Rows, latentSize: z.number().int() }),
  outputs: z.object({
    outputs: Rows.describe('one flattened sample each'),
    shape: z.array(z.number().int()).describe('the shape of one sample'),
  }),
  reconstruct: z.object({
    outputs: Rows,
    shape: z.array(z.number().int()),
    mse: z.array(z.number()).describe('mean squared error per sample'),
  }),
  interpolate: z.object({ outputs: Rows, shape: z.array(z.number().int()), codes: Rows }),
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
  }),
};
