/**
 * The one confirmation the console asks before anything high-impact or hard to undo (issue 17):
 * a modal <dialog> (the browser makes the rest of the page inert), naming what will happen and to
 * how many. Focus starts on Cancel and stays inside (Tab wraps); Escape or Cancel answers no.
 *
 *   const confirm = useConfirm();
 *   if (!(await confirm.ask({ title: 'Deactivate 3 users?', body: '…', action: 'Deactivate 3 users' }))) return;
 *   …
 *   {confirm.dialog}
 */
import { type KeyboardEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';

export interface ConfirmRequest {
  /** The question, e.g. "Revoke all licenses of 3 users?" */
  title: string;
  /** What will happen, in words (who and how many). */
  body: ReactNode;
  /** The confirming button's words, e.g. "Revoke 3 users' licenses". */
  action: string;
  /** A destructive action: the button is styled as such. */
  danger?: boolean;
}

export function useConfirm(): { ask: (r: ConfirmRequest) => Promise<boolean>; dialog: ReactNode } {
  const [req, setReq] = useState<(ConfirmRequest & { resolve: (ok: boolean) => void }) | null>(null);
  const ask = (r: ConfirmRequest) => new Promise<boolean>((resolve) => setReq({ ...r, resolve }));
  const answer = (ok: boolean) => {
    req?.resolve(ok);
    setReq(null);
  };
  return { ask, dialog: req ? <ConfirmDialog req={req} onAnswer={answer} /> : null };
}

function ConfirmDialog({ req, onAnswer }: { req: ConfirmRequest; onAnswer: (ok: boolean) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const id = useId();
  useEffect(() => {
    const d = ref.current;
    // Where focus was, to give it back when the dialog closes.
    const before = document.activeElement as HTMLElement | null;
    if (d && !d.open) d.showModal();
    cancelRef.current?.focus();
    return () => {
      if (d?.open) d.close();
      if (before && document.contains(before)) before.focus();
    };
  }, []);
  // Tab and Shift+Tab wrap between the dialog's first and last control.
  const trap = (e: KeyboardEvent<HTMLDialogElement>) => {
    if (e.key !== 'Tab') return;
    const f = [...(ref.current?.querySelectorAll<HTMLElement>('button, [href], input, select, textarea') ?? [])].filter((x) => !x.hasAttribute('disabled'));
    if (f.length === 0) return;
    const first = f[0]!;
    const last = f[f.length - 1]!;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };
  return (
    <dialog
      ref={ref}
      className="confirm"
      aria-labelledby={`${id}-t`}
      aria-describedby={`${id}-b`}
      onKeyDown={trap}
      onCancel={(e) => {
        // Escape: the browser would close the dialog itself; answer no instead.
        e.preventDefault();
        onAnswer(false);
      }}
    >
      <h2 id={`${id}-t`}>{req.title}</h2>
      <div id={`${id}-b`} className="confirm-body">
        {req.body}
      </div>
      <div className="actions">
        <button type="button" ref={cancelRef} onClick={() => onAnswer(false)}>
          Cancel
        </button>
        <button type="button" className={req.danger ? 'danger' : 'primary'} onClick={() => onAnswer(true)}>
          {req.action}
        </button>
      </div>
    </dialog>
  );
}

/** "1 user", "3 users". */
export const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;
