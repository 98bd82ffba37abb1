/** Pieces every page uses: error and status messages, paging, the user typeahead, tabs. */
import { type KeyboardEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { ApiError, get, type SearchUser } from './api';
import './safety.css';

/**
 * One message at a time (issue 17): every ErrorBox and Status that shows something takes a number
 * when its message appears; only the newest is shown, so a success does not stay beside a later
 * error (nor an old error beside a later success).
 */
const messages = { seq: 0, listeners: new Set<() => void>() };
function useNewest(active: boolean, content: unknown): boolean {
  const [mine, setMine] = useState(0);
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!active) return;
    const n = ++messages.seq;
    setMine(n);
    for (const l of messages.listeners) l();
  }, [active, content]);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    messages.listeners.add(l);
    return () => {
      messages.listeners.delete(l);
    };
  }, []);
  return active && (mine === 0 || mine === messages.seq);
}

/** An error in words: the API's sentence (`text`) and policy's reasons; never a code or a field key. */
export function errorWords(error: unknown): { text: string; reasons: string[] } {
  if (error instanceof ApiError) {
    const b = error.body;
    const text = b.text ?? b.message;
    return { text, reasons: (b.reasons ?? []).filter((r) => r !== b.message && `${r}.` !== text && r !== text) };
  }
  return { text: error instanceof Error ? error.message : String(error), reasons: [] };
}

/** An API error with its reasons (policy's explanation), or a plain message. */
export function ErrorBox({ error }: { error: unknown }) {
  const shown = useNewest(!!error, error);
  if (!error || !shown) return null;
  const { text, reasons } = errorWords(error);
  return (
    <div className="error" role="alert">
      <strong>{text}</strong>
      {reasons.length > 0 && (
        <ul>
          {reasons.map((r, i) => (
            <li key={i}>{r}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The words of a message, to tell one message from the next (an element counts as the same). */
function textOf(n: ReactNode): string {
  if (typeof n === 'string' || typeof n === 'number') return String(n);
  if (Array.isArray(n)) return n.map(textOf).join('');
  return n ? '\u25a1' : '';
}

/** A polite live region for "saved", "3 users deactivated", ... */
export function Status({ children }: { children: ReactNode }) {
  const has = children !== undefined && children !== null && children !== '' && children !== false;
  const shown = useNewest(has, has ? textOf(children) : null);
  return (
    <p className="status" role="status" aria-live="polite">
      {shown ? children : null}
    </p>
  );
}

export function Pager({ offset, limit, total, onChange, label }: { offset: number; limit: number; total: number; onChange: (offset: number) => void; label: string }) {
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(offset + limit, total);
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" onClick={() => onChange(Math.max(0, offset - limit))} disabled={offset === 0}>
        ← Previous
      </button>
      <span aria-live="polite">
        {first}–{last} of {total.toLocaleString()}
      </span>
      <button type="button" onClick={() => onChange(offset + limit)} disabled={offset + limit >= total}>
        Next →
      </button>
    </nav>
  );
}

/** Debounced value, for search boxes that query the API. */
export function useDebounced<T>(value: T, ms = 200): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export const fullName = (u: { firstName: string; lastName: string }) => `${u.firstName} ${u.lastName}`;
/** How a picked person is shown: their email where the typeahead gave it, else their id. */
const handle = (u: SearchUser) => u.email ?? u.id;

/**
 * Typeahead on name and email (GET /v1/user-search), as an ARIA combobox: type, arrow up/down,
 * Enter to pick, Escape to close. Calls onPick with the user; the field then shows who was picked.
 */
export function UserPicker({ label, onPick, id: givenId, value, role }: { label: string; onPick: (u: SearchUser | null) => void; id?: string; value?: SearchUser | null; role?: 'academic_staff' }) {
  const autoId = useId();
  const id = givenId ?? `picker-${autoId}`;
  const [text, setText] = useState(value ? `${fullName(value)} <${handle(value)}>` : '');
  const [items, setItems] = useState<SearchUser[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const q = useDebounced(text, 150);
  const picked = useRef<string>('');

  useEffect(() => {
    if (value === null) setText('');
  }, [value]);

  useEffect(() => {
    if (!q.trim() || q === picked.current) {
      setItems([]);
      return;
    }
    let live = true;
    get<{ items: SearchUser[] }>('/user-search', { q, limit: 8, role })
      .then((r) => {
        if (!live) return;
        setItems(r.items);
        setActive(0);
        setOpen(true);
      })
      .catch(() => live && setItems([]));
    return () => {
      live = false;
    };
  }, [q, role]);

  const pick = (u: SearchUser) => {
    const t = `${fullName(u)} <${handle(u)}>`;
    picked.current = t;
    setText(t);
    setOpen(false);
    onPick(u);
  };

  const key = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setOpen(true);
      setActive((a) => Math.min(a + 1, items.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === 'Enter' && open && items[active]) {
      e.preventDefault();
      pick(items[active]);
    } else if (e.key === 'Escape') {
      setOpen(false);
    }
  };

  const listId = `${id}-list`;
  const showList = open && items.length > 0;
  return (
    <div className="picker">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        role="combobox"
        autoComplete="off"
        aria-autocomplete="list"
        aria-expanded={showList}
        aria-controls={listId}
        aria-activedescendant={showList ? `${listId}-${active}` : undefined}
        placeholder="Name, email or username"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          picked.current = '';
          onPick(null);
        }}
        onKeyDown={key}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
      />
      <ul id={listId} role="listbox" className="picker-list" hidden={!showList} aria-label={`${label} suggestions`}>
        {items.map((u, i) => (
          <li
            key={u.id}
            id={`${listId}-${i}`}
            role="option"
            aria-selected={i === active}
            className={i === active ? 'active' : ''}
            onMouseDown={(e) => {
              e.preventDefault();
              pick(u);
            }}
          >
            <span>{fullName(u)}</span> <span className="muted">{u.username && u.email ? `${u.username} · ${u.email}` : handle(u)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Tabs with the WAI-ARIA pattern: arrow keys move between tabs. */
export function Tabs<K extends string>({ tabs, current, onChange, label }: { tabs: { key: K; label: string }[]; current: K; onChange: (k: K) => void; label: string }) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const key = (e: KeyboardEvent, i: number) => {
    const n = tabs.length;
    const j = e.key === 'ArrowRight' ? (i + 1) % n : e.key === 'ArrowLeft' ? (i - 1 + n) % n : e.key === 'Home' ? 0 : e.key === 'End' ? n - 1 : -1;
    if (j < 0) return;
    e.preventDefault();
    refs.current[j]?.focus();
    onChange(tabs[j]!.key);
  };
  return (
    <div role="tablist" aria-label={label} className="tabs">
      {tabs.map((t, i) => (
        <button
          key={t.key}
          ref={(el) => {
            refs.current[i] = el;
          }}
          type="button"
          role="tab"
          id={`tab-${t.key}`}
          aria-selected={t.key === current}
          aria-controls={`panel-${t.key}`}
          tabIndex={t.key === current ? 0 : -1}
          onClick={() => onChange(t.key)}
          onKeyDown={(e) => key(e, i)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

export function TabPanel({ id, children }: { id: string; children: ReactNode }) {
  return (
    <div role="tabpanel" id={`panel-${id}`} aria-labelledby={`tab-${id}`} className="panel">
      {children}
    </div>
  );
}

/** Runs an async action, keeping its error and a busy flag. */
export function useAction(): { busy: boolean; error: unknown; run: <T>(fn: () => Promise<T>) => Promise<T | undefined>; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return {
    busy,
    error,
    clear: () => setError(null),
    run: async (fn) => {
      setBusy(true);
      setError(null);
      try {
        return await fn();
      } catch (e) {
        setError(e);
        return undefined;
      } finally {
        setBusy(false);
      }
    },
  };
}

/** Loads something from the API, again when a dependency changes or reload() is called. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; loading: boolean; reload: () => void; refresh: () => Promise<void> } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    fn()
      .then((d) => {
        if (live) {
          setData(d);
          setError(null);
        }
      })
      .catch((e) => live && setError(e))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return {
    data,
    error,
    loading,
    reload: () => setTick((t) => t + 1),
    /** Loads again now and resolves once the new data is in place. */
    refresh: async () => {
      try {
        setData(await fn());
        setError(null);
      } catch (e) {
        setError(e);
      }
    },
  };
}
