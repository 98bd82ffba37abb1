/**
 * "What would change?" in the console (docs/PREVIEW.md): a confirmation that asks POST /v1/preview
 * for an operation before it is saved, shows who would gain and who would lose which capability
 * (counted, with the first few named) and the notes (locks below, a move, delegated
 * administration), and lets the user go ahead or cancel. A refused operation shows the refusal and
 * cannot be confirmed. Reusable by any page: settings, delegated administration, role grants.
 */
import { useEffect, useRef, useState } from 'react';
import { errorText, post } from './api';

export interface Operation {
  do: string;
  with: Record<string, unknown>;
}

interface Tally {
  users: number;
  objects: number;
  pairs: number;
  sections?: number;
}

export interface PreviewAnswer {
  status: 'ok' | 'refused';
  revision: number;
  refusal?: { status: string; code: string; message: string; reasons?: string[] };
  changes?: number;
  impact?: { capability: string; action: string; type: string; gained: Tally; lost: Tally }[];
  items?: { user: string; capability: string; object: string; change: 'gain' | 'loss' }[];
  total?: number;
  notes?: { code: string; message: string }[];
}

/** The capability in words: "download video", "view", "change the settings of". */
const DOING: Record<string, string> = {
  'media.view': 'view',
  'media.download:video': 'download video',
  'media.download:audio': 'download audio',
  'media.copy': 'copy',
  'media.edit': 'edit',
  'media.editDetails': 'edit the details of',
  'media.editTranscripts': 'edit the transcripts of',
  'media.delete': 'delete',
  'media.share': 'share',
  'media.post': 'post',
  'section.view': 'see',
  'section.roster': 'see the roster of',
  'section.settings': 'change the settings of',
  'section.enroll:student': 'enroll students in',
  'section.analytics': 'see the analytics of',
  'qa.post': 'post questions in',
  'qa.moderate': 'moderate Q&A in',
  'class.create': 'add classes to',
  'unit.settings': 'change the settings of',
  'course.create': 'create courses in',
  'monitor.view': 'monitor captures in',
};

const n = (x: number) => x.toLocaleString('en');
const plural = (x: number, one: string, many = `${one}s`) => `${n(x)} ${x === 1 ? one : many}`;
const THINGS: Record<string, [string, string]> = { media: ['media item', 'media items'], section: ['section', 'sections'], unit: ['unit', 'units'] };

/** One line per capability that moves: "lets 4,212 people download video on 3,180 media items in 318 sections". */
export function impactLines(a: PreviewAnswer): string[] {
  const out: string[] = [];
  for (const i of a.impact ?? []) {
    const doing = DOING[i.capability] ?? i.capability;
    const [one, many] = THINGS[i.type] ?? [i.type, `${i.type}s`];
    const where = (t: Tally) => `${plural(t.objects, one, many)}${t.sections ? ` in ${plural(t.sections, 'section')}` : ''}`;
    if (i.gained.pairs > 0) out.push(`lets ${plural(i.gained.users, 'person', 'people')} ${doing} ${where(i.gained)}`);
    if (i.lost.pairs > 0) out.push(`stops ${plural(i.lost.users, 'person', 'people')} who could ${doing} ${where(i.lost)}`);
  }
  return out;
}

/** The preview, shown: the sentences, the notes, and the first people named. */
export function PreviewSummary({ answer, what }: { answer: PreviewAnswer; what: string }) {
  if (answer.status === 'refused') {
    return (
      <div className="error" role="alert">
        <p>
          {what} would be refused: {answer.refusal?.message}
        </p>
        {(answer.refusal?.reasons ?? []).slice(1).map((r) => (
          <p key={r} className="small">
            because {r}
          </p>
        ))}
      </div>
    );
  }
  const lines = impactLines(answer);
  return (
    <div className="preview">
      {answer.changes === 0 ? (
        <p>{what} would change nothing.</p>
      ) : lines.length === 0 ? (
        <p>{what}: nobody would gain or lose any capability.</p>
      ) : (
        <>
          <p>{what}:</p>
          <ul>
            {lines.map((l) => (
              <li key={l}>{l}</li>
            ))}
          </ul>
        </>
      )}
      {(answer.notes ?? []).map((note) => (
        <p key={note.message} className="muted small">
          {note.message}
        </p>
      ))}
      {(answer.items ?? []).length > 0 && (
        <details>
          <summary>
            The first {Math.min(answer.items!.length, answer.total ?? 0)} of {n(answer.total ?? 0)} changes
          </summary>
          <ul className="small">
            {answer.items!.map((it) => (
              <li key={`${it.user}|${it.capability}|${it.object}|${it.change}`}>
                {it.user} {it.change === 'gain' ? 'could' : 'could no longer'} {DOING[it.capability] ?? it.capability} {it.object}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

/**
 * A modal confirmation with the preview of `op`: "Save" runs `onConfirm`, "Cancel" (or Escape)
 * runs `onCancel`. The preview is asked when the dialog opens; a refused operation cannot be saved.
 */
export function ConfirmWithPreview({
  op,
  what,
  question,
  onConfirm,
  onCancel,
}: {
  op: Operation;
  what: string;
  /** The page's own question (title, what happens to how many, the button's words), above the preview. */
  question?: { title: string; body: string; action: string };
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [answer, setAnswer] = useState<PreviewAnswer | undefined>();
  const [error, setError] = useState<unknown>();
  const args = JSON.stringify(op.with);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    let live = true;
    post<PreviewAnswer>('/preview', { do: op.do, with: JSON.parse(args) as Record<string, unknown>, limit: 10 })
      .then((a) => live && setAnswer(a))
      .catch((e: unknown) => live && setError(e));
    return () => {
      live = false;
    };
  }, [op.do, args]);
  const refused = answer?.status === 'refused';
  return (
    <dialog ref={ref} aria-labelledby="preview-h" onCancel={(e) => (e.preventDefault(), onCancel())} className="confirm">
      <h2 id="preview-h">{question?.title ?? 'What would change?'}</h2>
      {question && <p>{question.body}</p>}
      {!answer && !error && (
        <p role="status" aria-live="polite">
          Working out who would gain and who would lose what…
        </p>
      )}
      {error !== undefined && (
        <p className="error" role="alert">
          The preview failed: {errorText(error)}
        </p>
      )}
      {answer && <PreviewSummary answer={answer} what={what} />}
      <div className="actions">
        <button type="button" className="primary" disabled={(!answer && error === undefined) || refused} onClick={onConfirm}>
          {question?.action ?? 'Save'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
