/**
 * The console's only way to the server: Lectern's own HTTP API under /v1, authenticated by the
 * session cookie. Every write sends X-Lectern-CSRF (the API refuses cookie writes without it).
 * Errors become ApiError with the API's code, message, field and policy's reasons.
 */
export interface ErrorBody {
  code: string;
  message: string;
  field?: string;
  reasons?: string[];
  /** The refusal as a sentence for people: the field's label, no codes (the API adds it to every error). */
  text?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
  }
}

export interface WriteAnswer {
  revision: number;
  changed: boolean;
  result?: unknown;
}

type Query = Record<string, string | number | boolean | undefined | null>;

export function qs(q: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** Called when the API answers 401: the session ended (signed out elsewhere, expired). */
let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(fn: () => void): void {
  onUnauthenticated = fn;
}

export async function api<T>(method: string, path: string, body?: unknown, opts: { contentType?: string; quiet401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['x-lectern-csrf'] = '1';
  let payload: BodyInit | undefined;
  if (body !== undefined) {
    headers['content-type'] = opts.contentType ?? 'application/json';
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(`/v1${path}`, { method, headers, body: payload, credentials: 'same-origin' });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = text;
  }
  if (!res.ok) {
    const b = (data && typeof data === 'object' ? data : { code: 'http', message: `${res.status} ${res.statusText}` }) as ErrorBody;
    if (res.status === 401 && !opts.quiet401) onUnauthenticated();
    throw new ApiError(res.status, b);
  }
  return data as T;
}

export const get = <T>(path: string, q?: Query) => api<T>('GET', path + qs(q));
export const post = <T = WriteAnswer>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});
export const patch = <T = WriteAnswer>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const put = <T = WriteAnswer>(path: string, body: unknown) => api<T>('PUT', path, body);
export const del = <T = WriteAnswer>(path: string, q?: Query) => api<T>('DELETE', path + qs(q));

export const enc = encodeURIComponent;

/** Uploads a CSV (text/csv) with upload progress; XMLHttpRequest is the one browser API that reports it. */
export function uploadCsv<T>(path: string, file: Blob, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/v1${path}`);
    xhr.setRequestHeader('content-type', 'text/csv');
    xhr.setRequestHeader('x-lectern-csrf', '1');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let data: unknown;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = { code: 'http', message: xhr.responseText || `${xhr.status}` };
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data as T);
      else reject(new ApiError(xhr.status, data as ErrorBody));
    };
    xhr.onerror = () => reject(new ApiError(0, { code: 'network', message: 'the upload failed: Lectern did not answer' }));
    xhr.send(file);
  });
}

// --- shapes the console reads ---

export type Abilities = Record<string, boolean>;

export interface Session {
  via: string;
  institution: { id: string; name: string };
  home: string;
  user: { id: string; username: string; email: string; firstName: string; lastName: string } | null;
  revision: number;
  abilities: Abilities;
  /** Actions the user may take somewhere (a unit, one of their sections or collections, a kind of file): the navigation's source. */
  anywhere: Abilities;
}

export interface Unit {
  id: string;
  parentId: string | null;
  name: string;
  depth: number;
  abilities: Abilities;
}

export interface UserItem {
  id: string;
  username: string;
  email: string;
  firstName: string;
  lastName: string;
  identityProvider: string;
  status: 'active' | 'deactivated';
  staff: boolean;
  abilities: Abilities;
}

export interface Page<T> {
  total: number;
  offset: number;
  limit: number;
  items: T[];
}

export interface Role {
  role: string;
  scope: string | null;
}

export interface LicensePack {
  id: string;
  unit: string;
  seats: number;
  assigned: number;
  free: number;
  held?: boolean;
}

export interface BulkAnswer {
  summary: Record<string, number | boolean>;
  results: { user: string; outcome: string; code?: string; message?: string; reasons?: string[] }[];
}

export interface SearchUser {
  id: string;
  firstName: string;
  lastName: string;
  /** Only where the caller may view the user. */
  email?: string;
  /** Likewise. */
  username?: string;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
