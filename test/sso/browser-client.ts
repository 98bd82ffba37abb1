/**
 * A small HTTP client that behaves like a browser for sign-in flows: it follows redirects, keeps
 * cookies per host (as browsers do, whatever the port), and submits the forms it is shown (the
 * OpenID provider's login and consent pages, the SAML POST binding's auto-submitting form).
 */
export interface Step {
  method: string;
  url: string;
  status: number;
}

export interface FlowResult {
  steps: Step[];
  /** The last answer that was neither a redirect nor a form to submit. */
  final: { url: string; status: number; location?: string; body: string };
  cookies: Map<string, string>;
}

export class BrowserClient {
  readonly jar = new Map<string, Map<string, string>>();

  constructor(
    private readonly opts: {
      /** Values for the form fields the client is shown (login, password). */
      fields?: Record<string, string>;
      /** Changes a URL before it is requested (a test's tampering). */
      rewrite?: (url: URL) => URL;
      /** Stop (without requesting) at the first URL for which this is true. */
      stopAt?: (url: URL) => boolean;
    } = {},
  ) {}

  cookies(host: string): Map<string, string> {
    let m = this.jar.get(host);
    if (!m) this.jar.set(host, (m = new Map()));
    return m;
  }

  private keep(url: URL, res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(c) || /max-age=0/i.test(c) || value === '') this.cookies(url.hostname).delete(name);
      else this.cookies(url.hostname).set(name, value);
    }
  }

  async request(method: string, url: URL, body?: URLSearchParams): Promise<Response> {
    const cookie = [...this.cookies(url.hostname)].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      headers: { ...(cookie ? { cookie } : {}), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), accept: 'text/html' },
      ...(body ? { body: body.toString() } : {}),
    });
    this.keep(url, res);
    return res;
  }

  /** Starts at `start` and goes on until an answer is neither a redirect nor a form. */
  async run(start: string, maxSteps = 30): Promise<FlowResult> {
    const steps: Step[] = [];
    let method = 'GET';
    let url = new URL(start);
    let body: URLSearchParams | undefined;
    for (let i = 0; i < maxSteps; i++) {
      if (this.opts.rewrite) url = this.opts.rewrite(url);
      if (this.opts.stopAt?.(url)) return { steps, final: { url: url.toString(), status: 0, body: '' }, cookies: this.cookies(url.hostname) };
      const res = await this.request(method, url, body);
      steps.push({ method, url: url.toString(), status: res.status });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        const next = new URL(location, url);
        // Only Lectern's own console pages end the flow; every other redirect is followed.
        if (next.pathname === '/' || next.pathname === '/identity-providers') {
          await res.text();
          return { steps, final: { url: url.toString(), status: res.status, location: next.toString(), body: '' }, cookies: this.cookies(url.hostname) };
        }
        url = next;
        method = 'GET';
        body = undefined;
        continue;
      }
      const text = await res.text();
      const form = /<form[^>]*>/i.exec(text);
      if (res.status === 200 && form) {
        const action = /action="([^"]*)"/i.exec(form[0])?.[1] ?? url.toString();
        const formMethod = (/method="([^"]*)"/i.exec(form[0])?.[1] ?? 'get').toUpperCase();
        const fields = new URLSearchParams();
        const formHtml = text.slice(form.index, text.indexOf('</form>', form.index));
        for (const input of formHtml.matchAll(/<input[^>]*>/gi)) {
          const name = /name="([^"]*)"/i.exec(input[0])?.[1];
          if (!name) continue;
          const value = /value="([^"]*)"/i.exec(input[0])?.[1] ?? '';
          fields.set(name, this.opts.fields?.[name] ?? decodeEntities(value));
        }
        url = new URL(decodeEntities(action), url);
        method = formMethod;
        body = formMethod === 'POST' ? fields : undefined;
        if (formMethod === 'GET') for (const [k, v] of fields) url.searchParams.set(k, v);
        continue;
      }
      return { steps, final: { url: url.toString(), status: res.status, body: text }, cookies: this.cookies(url.hostname) };
    }
    throw new Error(`no end after ${maxSteps} steps: ${steps.map((s) => `${s.method} ${s.url} ${s.status}`).join('\n')}`);
  }
}

function decodeEntities(s: string): string {
  return s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#x2F;/gi, '/').replace(/&#47;/g, '/').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'");
}
