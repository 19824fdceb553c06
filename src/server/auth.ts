// Bearer tokens and where the server may listen: without a token, loopback only.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { UsageError } from '../errors.js';
import { HttpError } from './errors.js';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Compare in constant time (over digests, so the lengths do not leak either). */
export function tokenMatches(expected: string, given: string): boolean {
  return timingSafeEqual(digest(expected), digest(given));
}

/** onRequest hook: every request needs `Authorization: Bearer <token>`, except routes marked public. */
export function requireToken(token: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (request.routeOptions.config?.public) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match || !tokenMatches(token, match[1])) {
      void reply.header('www-authenticate', 'Bearer');
      throw new HttpError(
        401,
        match ? 'wrong bearer token' : 'expected Authorization: Bearer <token>',
        'authorization',
      );
    }
  };
}

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./.test(bare);
  return false;
}

/** Refuse a non-loopback address without a token: anyone who could reach it could use the models. */
export function checkBinding(host: string, token: string | undefined): void {
  if (token !== undefined && token.trim() === '')
    throw new UsageError('the token is empty', { path: '--token' });
  if (!token && !isLoopback(host))
    throw new UsageError(
      `refusing to listen on ${host} without a token: anyone who can reach it could use the models; give --token (or LATENTLAB_TOKEN), or listen on 127.0.0.1`,
      { path: '--host' },
    );
}
