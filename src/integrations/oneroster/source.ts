/**
 * Where a OneRoster export's CSV files come from: a directory, a zip file on disk, or a zip file in
 * memory (an upload). Each file can be opened as a stream as often as the import needs it (it reads
 * some files twice); a zip is read with yauzl, one entry at a time, never unpacked whole.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

export interface Source {
  /** The CSV file names present (`orgs.csv`, …), as the export spells them. */
  names(): string[];
  /** Opens one file from the start. */
  open(name: string): Promise<Readable>;
  close(): void;
}

/** A directory, or a zip file on disk (by its contents, not its name). */
export async function openPath(path: string): Promise<Source> {
  const st = await stat(path);
  if (st.isDirectory()) {
    const names = (await readdir(path, { withFileTypes: true })).filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.csv')).map((e) => e.name);
    return { names: () => names, open: async (name) => createReadStream(join(path, name)), close: () => {} };
  }
  return zipSource(await yauzl.openPromise(path, { lazyEntries: true, autoClose: false }));
}

/** A zip file held in memory (an HTTP upload). */
export async function openZipBuffer(buffer: Buffer): Promise<Source> {
  return zipSource(await yauzl.fromBufferPromise(buffer, { lazyEntries: true, autoClose: false }));
}

/**
 * The CSV entries of a zip, by their base name: exports put the files at the top or in one folder.
 * A name found twice is ambiguous and refused by the caller (`names()` lists it twice).
 */
async function zipSource(zip: yauzl.ZipFile): Promise<Source> {
  const entries = new Map<string, yauzl.Entry>();
  const names: string[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith('/') || !entry.fileName.toLowerCase().endsWith('.csv') || basename(entry.fileName).startsWith('._')) continue;
      const name = basename(entry.fileName);
      names.push(name);
      entries.set(name, entry);
    }
  } catch (e) {
    zip.close();
    throw e;
  }
  return {
    names: () => names,
    open: async (name) => {
      const entry = entries.get(name);
      if (!entry) throw new Error(`${name} is not in the zip file`);
      return zip.openReadStreamPromise(entry);
    },
    close: () => zip.close(),
  };
}
