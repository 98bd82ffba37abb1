/**
 * An upload written to a file as it arrives, checked on the way (SPEC §10): the bytes are UTF-8,
 * the file is no larger than the byte cap, and it has no more data lines than the row cap. A
 * refused upload is refused before any row runs, and the server never holds the whole file.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Refusal } from '../../domain/outcome.js';
import { ImportRefused } from './csv.js';
import { utf8Checked } from './utf8.js';

export interface Spooled {
  bytes: number;
  /** Lines after the first that hold anything (an upper bound on the rows of a CSV file). */
  dataLines: number;
}

export class SpoolRefused extends ImportRefused {
  constructor(
    refusal: Refusal,
    /** The HTTP status for it: 413 for a cap, 400 otherwise. */
    readonly httpStatus: number,
  ) {
    super(refusal);
  }
}

/**
 * Writes `input` to `path`. `text`: the bytes must be UTF-8 (CSV); otherwise (a zip) they are
 * passed as they are and only the byte cap applies. Deletes the file when refused or failed.
 */
export async function spool(input: Readable | Buffer, path: string, caps: { maxBytes: number; maxRows?: number; text: boolean; rowsHint?: string }): Promise<Spooled> {
  let bytes = 0;
  let lines = 0;
  /** Whether the current line has anything but a carriage return. */
  let filled = false;
  const source = Buffer.isBuffer(input) ? [input] : input;
  async function* counted(chunks: AsyncIterable<Buffer> | Iterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      bytes += chunk.length;
      if (bytes > caps.maxBytes) {
        throw new SpoolRefused({ status: 'invalid', code: 'tooLarge', field: 'file', message: `the upload is over ${Math.round(caps.maxBytes / 1024 / 1024)} MB: split it${caps.rowsHint ? `, or ${caps.rowsHint}` : ''}` }, 413);
      }
      if (caps.text) {
        for (let i = 0; i < chunk.length; i++) {
          const b = chunk[i]!;
          if (b === 0x0a) {
            if (filled) lines++;
            filled = false;
          } else if (b !== 0x0d) filled = true;
        }
        if (caps.maxRows !== undefined && lines - 1 > caps.maxRows) {
          throw new SpoolRefused(
            { status: 'invalid', code: 'tooManyRows', field: 'file', message: `the file has more than ${caps.maxRows} rows; an upload may have at most ${caps.maxRows} (LECTERN_IMPORT_MAX_ROWS): split it${caps.rowsHint ? `, or ${caps.rowsHint}` : ''}` },
            413,
          );
        }
      }
      yield chunk;
    }
  }
  const checked = caps.text ? utf8Checked(counted(source as AsyncIterable<Buffer>), (r) => new SpoolRefused(r, 400)) : counted(source as AsyncIterable<Buffer>);
  try {
    await pipeline(checked, createWriteStream(path));
  } catch (e) {
    await rm(path, { force: true });
    if (!Buffer.isBuffer(input)) input.resume();
    throw e;
  }
  if (filled) lines++;
  return { bytes, dataLines: Math.max(0, lines - 1) };
}
