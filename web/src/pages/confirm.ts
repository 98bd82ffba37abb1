/**
 * The one place the pages of Organisation, Teaching, Rooms and Libraries ask before something
 * destructive. confirm: a stand-in (the browser's own dialog, which is accessible but plain) until
 * the shared confirmation component in components.tsx lands; every call site names what will
 * happen and to how many, so swapping this body is the whole change.
 */
export function askConfirm(what: string): Promise<boolean> {
  return Promise.resolve(window.confirm(what));
}
