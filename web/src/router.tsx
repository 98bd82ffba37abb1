/** A small history router: the server answers index.html for every console path. */
import { type AnchorHTMLAttributes, type MouseEvent, useEffect, useRef, useState } from 'react';

const listeners = new Set<() => void>();

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  listeners.forEach((l) => l());
  window.scrollTo(0, 0);
}

export function useLocation(): { path: string; search: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    listeners.add(l);
    window.addEventListener('popstate', l);
    return () => {
      listeners.delete(l);
      window.removeEventListener('popstate', l);
    };
  }, []);
  return { path: location.pathname, search: new URLSearchParams(location.search) };
}

export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={click} {...rest} />;
}

/** Changes the query string of the current path (no scrolling: a filter or a page number changed). */
export function setSearch(params: URLSearchParams, replace = false): void {
  const q = params.toString();
  const to = `${location.pathname}${q ? `?${q}` : ''}`;
  if (`${location.pathname}${location.search}` === to) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  listeners.forEach((l) => l());
}

/**
 * State kept in the URL (tab, filters, sort, page): reload, back and a shared link show the same
 * view. `params.get(k)` reads; `update({k: v})` writes — an empty string or null removes the key,
 * and `replace` (for typing in a search box) leaves no history entry per keystroke.
 */
export function useUrlParams(): [URLSearchParams, (patch: Record<string, string | number | null | undefined>, replace?: boolean) => void] {
  const { search } = useLocation();
  const update = (patch: Record<string, string | number | null | undefined>, replace = false) => {
    const p = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || v === undefined || v === '') p.delete(k);
      else p.set(k, String(v));
    }
    setSearch(p, replace);
  };
  return [search, update];
}

/**
 * One value kept in the URL's query, with useState's shape: `[value, set]` (set takes a value or
 * an updater). The fallback is not written, so a plain view has a plain URL. `replace` suits values
 * typed letter by letter.
 */
export function useUrlState<T extends string = string>(key: string, fallback: NoInfer<T>, replace = false): [T, (v: T | ((old: T) => T)) => void] {
  const [params, update] = useUrlParams();
  const value = (params.get(key) ?? fallback) as T;
  const set = (v: T | ((old: T) => T)) => {
    const next = typeof v === 'function' ? v((new URLSearchParams(location.search).get(key) ?? fallback) as T) : v;
    update({ [key]: next === fallback ? null : next }, replace);
  };
  return [value, set];
}

/** A number kept in the URL (a page offset): `[value, set]`. */
export function useUrlNumber(key: string, fallback = 0): [number, (n: number) => void] {
  const [raw, set] = useUrlState(key, String(fallback));
  const n = Number(raw);
  return [Number.isFinite(n) && n >= 0 ? n : fallback, (v: number) => set(String(v))];
}

/** Runs `fn` when a dependency changes after the first render (not on arrival: a reload keeps the URL's page). */
export function useOnChange(fn: () => void, deps: unknown[]): void {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    fn();
  }, deps);
}
