/**
 * Text at the HTTP boundary, before any route sees it: every string in the query, the path, the
 * JSON body (keys too) and the `Lectern-Institution` header must be text PostgreSQL stores exactly as the
 * world holds it. Refused with 400 `invalid` naming the field: NUL and the other control characters
 * (tab, line feed and carriage return are text), lone UTF-16 surrogates (which no UTF-8 database
 * can hold), and values longer than any field Lectern has. Operation arguments are checked again by
 * their own schemas; this guard covers everything else (sign-in, tokens, audit filters, ids in
 * paths, `rootName`, query strings) in one place.
 */
import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './http.js';

/** The longest string a JSON body may carry (the longest field Lectern stores is far shorter). */
export const MAX_BODY_STRING = 10_000;
/** The longest value of a query parameter, a path parameter or a header Lectern reads. */
export const MAX_QUERY_STRING = 2_000;
const MAX_DEPTH = 64;

// Control characters other than tab (09), line feed (0A) and carriage return (0D); DEL (7F) too.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string is not acceptable text, or undefined when it is. */
export function badText(s: string, max: number): string | undefined {
  if (s.length > max) return `is too long (${s.length} characters; at most ${max})`;
  const c = CONTROL.exec(s);
  if (c) return `contains the control character U+${c[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at position ${c.index}`;
  if (LONE_SURROGATE.test(s)) return 'contains a lone UTF-16 surrogate (not text that can be stored)';
  return undefined;
}

function refuse(field: string, why: string): never {
  throw new HttpError(400, { code: 'invalid', field, message: `${field}: ${why}` });
}

function walk(v: unknown, path: string, max: number, depth: number): void {
  if (typeof v === 'string') {
    const why = badText(v, max);
    if (why) refuse(path || 'body', why);
    return;
  }
  if (v === null || typeof v !== 'object') return;
  if (depth > MAX_DEPTH) refuse(path || 'body', `is nested more than ${MAX_DEPTH} levels deep`);
  if (Array.isArray(v)) {
    v.forEach((x, i) => walk(x, path ? `${path}.${i}` : String(i), max, depth + 1));
    return;
  }
  for (const [k, x] of Object.entries(v)) {
    const at = path ? `${path}.${k}` : k;
    const why = badText(k, 200);
    if (why) refuse(at, `the name ${why}`);
    walk(x, at, max, depth + 1);
  }
}

/** onRequest: the path, the query and the headers Lectern reads (before authentication uses them). */
export async function guardRequestText(req: FastifyRequest): Promise<void> {
  walk(req.params, '', MAX_QUERY_STRING, 0);
  walk(req.query, '', MAX_QUERY_STRING, 0);
  // (A bearer token is only ever hashed, never stored or compared as text: a malformed one is
  // simply not a token, 401.)
  const v = req.headers['lectern-institution'];
  if (typeof v === 'string') {
    const why = badText(v, MAX_QUERY_STRING);
    if (why) refuse('Lectern-Institution', why);
  }
}

/** preValidation: a parsed JSON body (a CSV body is a file, checked by the importer line by line). */
export async function guardBodyText(req: FastifyRequest): Promise<void> {
  // A file streamed to its route (a CSV upload) is checked there, byte by byte, not walked as JSON.
  if (typeof req.body === 'object' && req.body !== null && !Buffer.isBuffer(req.body) && !(req.body instanceof Readable)) walk(req.body, '', MAX_BODY_STRING, 0);
}
