// HTTP errors: every failure leaves the server as {"error": message, "field"?: where}, with a 4xx status for
// anything the client can fix. Library errors map by their code; validation errors name the field.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { type ErrorCode, firstIssue, LatentlabError } from '../errors.js';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** A zod path as a field name: ['inputs', 3, 'x'] → "inputs[3].x". */
export function fieldName(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** The first issue of a failed parse as a 400 naming its field. */
export function validationError(error: z.ZodError, prefix = ''): HttpError {
  const { path, message } = firstIssue(error, 'field');
  return new HttpError(400, message, fieldName(path, prefix) || undefined);
}

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  usage: 400,
  config: 400,
  data: 400,
  io: 500, // a run's files missing or corrupt: the server's state, not the request
  network: 502,
  numeric: 500,
  backend: 500,
};

// Fastify's own errors the client caused (body too large, bad JSON, unsupported type, multipart limits).
const CLIENT_FIELDS: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'body',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'body',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'content-type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'content-length',
  FST_REQ_FILE_TOO_LARGE: 'inputs',
  FST_FILES_LIMIT: 'inputs',
  FST_FIELDS_LIMIT: 'body',
  FST_PARTS_LIMIT: 'body',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'content-type',
  FST_ERR_VALIDATION: 'body',
};

export function errorReply(error: unknown): { status: number; body: { error: string; field?: string } } {
  if (error instanceof HttpError) {
    return {
      status: error.statusCode,
      body: { error: error.message, ...(error.field ? { field: error.field } : {}) },
    };
  }
  if (error instanceof LatentlabError) {
    const status = STATUS_BY_CODE[error.code];
    // The path is already in the message ("path: message"); keep the message bare beside the field.
    const message =
      error.path && error.message.startsWith(`${error.path}: `)
        ? error.message.slice(error.path.length + 2)
        : error.message;
    return {
      status,
      body: { error: status >= 500 ? error.message : message, ...(error.path ? { field: error.path } : {}) },
    };
  }
  const fastifyError = error as Partial<FastifyError>;
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const field = fastifyError.code ? CLIENT_FIELDS[fastifyError.code] : undefined;
    return { status, body: { error: fastifyError.message ?? 'bad request', ...(field ? { field } : {}) } };
  }
  return { status: 500, body: { error: 'internal server error' } };
}

/** The error handler; `roots` (the runs directory) are cut from messages, so replies name runs, not disk paths. */
export function errorHandler(roots: readonly string[] = []) {
  const cut = (text: string) => roots.reduce((t, root) => t.split(`${root}/`).join(''), text);
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): void => {
    const { status, body } = errorReply(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const field = body.field === undefined ? undefined : cut(body.field);
    void reply
      .code(status)
      .type('application/json')
      .send({ error: cut(body.error), ...(field ? { field } : {}) });
  };
}
