// Who may talk to the server: bearer tokens, where it may listen (without a token, loopback only), the Host
// names it answers to (DNS rebinding) and the pages it takes state-changing requests from (CSRF).
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname as machineName, networkInterfaces } from 'node:os';
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

/** The Host names the server answers to, besides the loopback ones (Jupyter's local_hostnames, allow_remote_access). */
export interface HostPolicy {
  /** The address it listens on (--host): accepted as a Host unless it is a wildcard (0.0.0.0, ::). */
  bound?: string;
  /** Names the operator allows (--allow-host); '*' allows any Host (behind a proxy that checks it). */
  allow?: readonly string[];
  /** On a wildcard address, the machine's own addresses and name (default: read from the system). */
  interfaces?: readonly string[];
  hostname?: string;
}

const isWildcard = (address: string) => ['', '0.0.0.0', '::', '[::]'].includes(address);

/** A Host header or address as a bare lower-case name: no port, no IPv6 brackets, no trailing dot. */
function bareHost(host: string): string {
  let name = host.trim().toLowerCase();
  if (name.startsWith('[')) name = name.slice(1).split(']')[0];
  else if (name.split(':').length === 2) name = name.split(':')[0]; // name:port; more colons: a bare IPv6
  return name.replace(/\.$/, '');
}

function allowedNames(policy: HostPolicy): Set<string> {
  const names = new Set((policy.allow ?? []).map(bareHost));
  if (policy.bound !== undefined && !isWildcard(policy.bound)) names.add(bareHost(policy.bound));
  if (policy.bound !== undefined && isWildcard(policy.bound)) {
    const own =
      policy.interfaces ??
      Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
    for (const address of [...own, policy.hostname ?? machineName()]) names.add(bareHost(address));
  }
  return names;
}

/** Whether a Host header names this server; a request without one (HTTP/1.0, not a browser) passes. */
export function hostAllowed(host: string | undefined, policy: HostPolicy): boolean {
  if (host === undefined || policy.allow?.includes('*')) return true;
  const name = bareHost(host);
  return isLoopback(name) || allowedNames(policy).has(name);
}

const display = (name: string) => (isIP(name) === 6 ? `[${name}]` : name);

/** onRequest hook, first of all: a Host that is not this server's is a page on another name (DNS rebinding). */
export function requireKnownHost(policy: HostPolicy) {
  const names = allowedNames(policy);
  const known = ['127.0.0.1', 'localhost', '[::1]', ...[...names].filter((n) => !isLoopback(n)).map(display)];
  if (policy.bound !== undefined && isWildcard(policy.bound)) known.push("this machine's addresses and name");
  const listed = `${known.slice(0, -1).join(', ')} and ${known.at(-1)}`;
  return async (request: FastifyRequest): Promise<void> => {
    const host = request.headers.host;
    if (hostAllowed(host, policy)) return;
    throw new HttpError(
      403,
      `refused Host "${host}": this server answers to ${listed}; to reach it by another name, start it with --allow-host ${bareHost(host ?? '')}`,
      'host',
    );
  };
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** Whether an Origin header is this server as the request reached it (its Host), or a host the operator allows. */
function sameOrigin(origin: string, host: string | undefined, policy: HostPolicy): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const allow = policy.allow ?? [];
  if (allow.includes('*') || allow.map(bareHost).includes(bareHost(url.host))) return true;
  if (host === undefined) return false;
  const name = bareHost(host);
  const port = host.trim().startsWith('[') ? /\]:(\d+)$/.exec(host)?.[1] : host.split(':')[1];
  // A Host without a port is the scheme's default one.
  return (
    bareHost(url.host) === name && (port === undefined || (url.port || DEFAULT_PORTS[url.protocol]) === port)
  );
}

/**
 * onRequest hook: a state-changing request sent by a page of another origin is refused, whether the browser says
 * so in Sec-Fetch-Site or its Origin shows it ("null" included: sandboxed frames, files). Clients that are not
 * browsers (curl, scripts) send neither and pass.
 */
export function refuseForeignPages(policy: HostPolicy) {
  return async (request: FastifyRequest): Promise<void> => {
    if (!STATE_CHANGING.has(request.method)) return;
    const { origin } = request.headers;
    if (origin !== undefined && !sameOrigin(origin, request.headers.host, policy))
      throw new HttpError(
        403,
        `refused a ${request.method} from the page at ${origin}: state-changing requests must come from this server's own pages`,
        'origin',
      );
    const site = request.headers['sec-fetch-site'];
    if (site === 'cross-site' || site === 'same-site')
      throw new HttpError(
        403,
        `refused a ${request.method} sent by a page of another origin (Sec-Fetch-Site: ${site}): state-changing requests must come from this server's own pages`,
        'sec-fetch-site',
      );
  };
}

// What a browser sends cross-site without asking first (a CORS "simple request"), body or not.
const FORM_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

/** onRequest hook for APIs a browser page drives (the studio): state-changing requests are JSON only. */
export async function requireJson(request: FastifyRequest): Promise<void> {
  if (!STATE_CHANGING.has(request.method)) return;
  const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json') return;
  const sent = type === '' ? 'a request without a content type' : type;
  const forgeable = FORM_TYPES.has(type) || type === '';
  throw new HttpError(
    415,
    `this API takes JSON only (content-type application/json), not ${sent}${forgeable ? ': a page on another site can send that without asking' : ''}`,
    'content-type',
  );
}
