/**
 * Institution role names (docs/ROLES.md): an institution may rename roles and access levels for
 * display. Ids never change; only the words of reasons, messages, the console and exports do.
 * While policy decides for one institution, that institution's names are the ones in force here,
 * so rules that word a role without a world in hand (a section role's words) still use them.
 */
let current: ReadonlyMap<string, string> | undefined;

/** Puts `labels` in force, returning the ones it replaced (to put back). */
export function setLabels(labels: ReadonlyMap<string, string> | undefined): ReadonlyMap<string, string> | undefined {
  const before = current;
  current = labels;
  return before;
}

/** The display name of `role`: the institution's (from `labels`, else the ones in force), or `fallback`. */
export function labelOf(role: string, fallback: string, labels: ReadonlyMap<string, string> | undefined = current): string {
  return labels?.get(role) ?? fallback;
}

/** "a"/"an" and a label, for a renamed role in a sentence. */
export function withArticle(label: string): string {
  return /^[aeiou]/i.test(label) ? `an ${label}` : `a ${label}`;
}
