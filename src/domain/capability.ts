/**
 * A capability: one action of the catalogue (SPEC §11), optionally narrowed to checks whose context
 * carries given values (`media.download` with `format: audio`). Custom roles are sets of them
 * (docs/ROLES.md). Data only: policy/custom.ts gives them meaning.
 */
import { type Action, isAction } from './catalog.js';

export interface Capability {
  action: Action;
  /** Context values a check must carry for the capability to apply; absent: every check. */
  narrow?: Readonly<Record<string, string>>;
}

/** Parses the stored JSON; a row that does not hold a list of capabilities yields none. */
export function parseCapabilities(json: string): Capability[] {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(v)) return [];
  const out: Capability[] = [];
  for (const c of v) {
    if (typeof c !== 'object' || c === null || !isAction(String((c as { action?: unknown }).action))) continue;
    const { action, narrow } = c as { action: Action; narrow?: Record<string, string> };
    out.push(narrow && Object.keys(narrow).length > 0 ? { action, narrow } : { action });
  }
  return out;
}

/** How a capability is written in a scenario file, a CSV cell or the console: `action key=value …`. */
export function formatCapability(c: Capability): string {
  return c.narrow ? [c.action, ...Object.entries(c.narrow).map(([k, v]) => `${k}=${v}`)].join(' ') : c.action;
}

/** Does the check's context carry every value the capability is narrowed to? */
export function narrowMatches(c: Capability, context: Readonly<Record<string, unknown>>): boolean {
  if (!c.narrow) return true;
  for (const k in c.narrow) if (String(context[k] ?? '') !== c.narrow[k]) return false;
  return true;
}

/** Is `held` at least as broad as `wanted`: the same action, narrowed to no more than `wanted` is? */
export function covers(held: Capability, wanted: Capability): boolean {
  if (held.action !== wanted.action) return false;
  if (!held.narrow) return true;
  for (const k in held.narrow) if (wanted.narrow?.[k] !== held.narrow[k]) return false;
  return true;
}

const KEY = /^[A-Za-z][A-Za-z0-9]{0,39}$/;
const VALUE = /^[A-Za-z0-9._@:-]{1,64}$/;

/**
 * Reads a capability as a caller writes it: `action` or `action key=value …` (text), or
 * `{ action, narrow? }`. Returns the reason in words when it is not one.
 */
export function readCapability(x: unknown): Capability | string {
  let action: unknown;
  let narrow: Record<string, unknown> | undefined;
  if (typeof x === 'string') {
    const [a, ...pairs] = x.trim().split(/\s+/);
    action = a;
    for (const p of pairs) {
      const eq = p.indexOf('=');
      if (eq <= 0) return `'${p}' narrows nothing: write key=value (e.g. format=audio)`;
      (narrow ??= {})[p.slice(0, eq)] = p.slice(eq + 1);
    }
  } else if (typeof x === 'object' && x !== null && !Array.isArray(x)) {
    const o = x as Record<string, unknown>;
    for (const k of Object.keys(o)) if (k !== 'action' && k !== 'narrow') return `a capability has action and narrow, not '${k}'`;
    action = o.action;
    if (o.narrow !== undefined) {
      if (typeof o.narrow !== 'object' || o.narrow === null || Array.isArray(o.narrow)) return 'narrow must be a mapping of context values';
      narrow = o.narrow as Record<string, unknown>;
    }
  } else return 'a capability is an action (text, optionally followed by key=value) or { action, narrow }';
  if (typeof action !== 'string' || !isAction(action)) return `'${String(action)}' is not an action of the catalogue (SPEC §11)`;
  if (!narrow || Object.keys(narrow).length === 0) return { action };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(narrow)) {
    if (!KEY.test(k)) return `'${k}' is not a context key`;
    if ((typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') || !VALUE.test(String(v))) return `${k} must be a plain value (letters, digits, . _ @ : -), not '${String(v)}'`;
    out[k] = String(v);
  }
  return { action, narrow: out };
}
