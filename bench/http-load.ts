/**
 * The load generator for bench/http.ts, run as a child process: autocannon POSTing the bodies in a
 * JSON file in turn, printing {rps, p50, p99, errors, total}. Not a benchmark of its own (exports no run).
 *   node --import tsx bench/http-load.ts URL TOKEN BODIES.json CONNECTIONS SECONDS
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const [url, token, file, connections, seconds] = process.argv.slice(2);
if (process.argv[1]?.endsWith('http-load.ts') && url && token && file) {
  const bodies = JSON.parse(readFileSync(file, 'utf8')) as string[];
  let i = 0;
  const r = await autocannon({
    url,
    method: 'POST',
    connections: Number(connections),
    duration: Number(seconds),
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
  });
  process.stdout.write(JSON.stringify({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx, total: r.requests.total }));
}
