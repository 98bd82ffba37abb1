/**
 * Security headers on every answer, worked out once. `@fastify/helmet` builds a new helmet
 * middleware (parsing the CSP directives again) for every request; the configuration here never
 * changes per request, so helmet runs once at start against a stand-in response and the hook copies
 * the headers it set. The headers themselves are helmet's, unchanged.
 */
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/** The headers helmet sets for `options`, in the order it sets them. */
export function helmetHeaders(options: Readonly<HelmetOptions>): [string, string][] {
  const set = new Map<string, string>();
  const res = {
    setHeader: (name: string, value: string | number | readonly string[]) => void set.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value)),
    removeHeader: (name: string) => void set.delete(name.toLowerCase()),
    getHeader: (name: string) => set.get(name.toLowerCase()),
  };
  let failed: unknown;
  helmet(options)({} as never, res as never, (e?: unknown) => {
    failed = e;
  });
  if (failed) throw failed instanceof Error ? failed : new Error(String(failed));
  return [...set];
}

/** Sets helmet's headers for `options` on every answer of `app` (its 404s included). */
export function securityHeaders(app: FastifyInstance, options: Readonly<HelmetOptions>): void {
  const headers = helmetHeaders(options);
  app.addHook('onRequest', (_req, reply, done) => {
    const raw = reply.raw;
    for (let i = 0; i < headers.length; i++) raw.setHeader(headers[i]![0], headers[i]![1]);
    done();
  });
}
