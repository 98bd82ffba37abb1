/**
 * CSV files must be UTF-8 (SPEC §10; docs/IMPORTS.md). A byte sequence that is not UTF-8 is never
 * silently turned into U+FFFD (which would store a name nobody typed): the file is refused with the
 * line and the byte offset of the first bad byte, so it can be saved again as UTF-8.
 */
import type { Refusal } from '../../domain/outcome.js';

/**
 * Where the bytes stop being UTF-8: `bad` at the first invalid byte, or `incomplete` at a sequence
 * cut off by the end of the buffer (more bytes may complete it), or neither.
 */
export function scanUtf8(buf: Uint8Array): { bad?: number; incomplete?: number } {
  const n = buf.length;
  let i = 0;
  while (i < n) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0; // no overlong forms
      if (b === 0xed) hi = 0x9f; // no UTF-16 surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f; // nothing past U+10FFFF
    } else return { bad: i };
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return { incomplete: i };
      const c = buf[i + k]!;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return { bad: i };
    }
    i += need + 1;
  }
  return {};
}

function refusal(line: number, offset: number, byte: number | undefined): Refusal {
  return {
    status: 'invalid',
    code: 'notUtf8',
    field: 'file',
    message: `line ${line}, byte offset ${offset}: the file is not valid UTF-8${byte === undefined ? ' (it ends inside a character)' : ` (byte 0x${byte.toString(16).padStart(2, '0')})`}; save it as UTF-8 and send it again`,
  };
}

const countLines = (buf: Uint8Array, end: number): number => {
  let lines = 0;
  for (let i = 0; i < end; i++) if (buf[i] === 0x0a) lines++;
  return lines;
};

/** The refusal for a whole file in memory, or undefined when it is UTF-8. */
export function checkUtf8(buf: Uint8Array): Refusal | undefined {
  const r = scanUtf8(buf);
  const at = r.bad ?? r.incomplete;
  if (at === undefined) return undefined;
  return refusal(countLines(buf, at) + 1, at, r.bad !== undefined ? buf[at] : undefined);
}

/**
 * Passes a stream of bytes through unchanged while checking it is UTF-8, across chunk boundaries;
 * throws `fail(refusal)` at the first bad byte.
 */
export async function* utf8Checked(input: AsyncIterable<Buffer | string>, fail: (r: Refusal) => Error): AsyncGenerator<Buffer> {
  let carry: Buffer = Buffer.alloc(0);
  let offset = 0;
  let lines = 0;
  for await (const chunk of input) {
    const buf = carry.length ? Buffer.concat([carry, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]) : typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const r = scanUtf8(buf);
    if (r.bad !== undefined) throw fail(refusal(lines + countLines(buf, r.bad) + 1, offset + r.bad, buf[r.bad]));
    const end = r.incomplete ?? buf.length;
    lines += countLines(buf, end);
    offset += end;
    carry = buf.subarray(end);
    if (end > 0) yield buf.subarray(0, end);
  }
  if (carry.length) throw fail(refusal(lines + 1, offset, undefined));
}
