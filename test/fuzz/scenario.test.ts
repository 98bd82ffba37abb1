/**
 * The scenario parser on hostile YAML: the repository's own scenario files mutated line by line
 * (lines dropped, repeated, swapped, cut short, values replaced with other types, YAML syntax and
 * alias bombs inserted) and random documents, each run through `runScenarioFile` from a temp dir on
 * a fresh store. It must never throw: every problem is a failure with a line number.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorldFile, runScenarioFile } from '../../src/scenario/run.js';
import { Lectern } from '../../src/services/lectern.js';
import type { Store } from '../../src/store/store.js';
import { openTestStore } from '../helpers.js';
import { ROOT, scale } from '../reliability/harness.js';

const RUNS = scale(30, 600);
const tally = { files: 0 };

const SOURCES = readdirSync(join(ROOT, 'scenarios'))
  .filter((n) => n.endsWith('.yaml') && n !== 'demo.yaml')
  .sort()
  .map((n) => readFileSync(join(ROOT, 'scenarios', n), 'utf8'));

const JUNK = [': [', '{', '}', '- - -', '&a [*a, *a]', '*nope', '!!binary AAAA', '!!js/function x', '~', '-1e999', '0x7fffffffffffffff', '"\\u0000"', `'${'z'.repeat(20_000)}'`, '? complex', '<<: *a', '\t', '%YAML 9.9', '---', '...'];
const BOMB = `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n`;

describe('scenario parser under hostile YAML', () => {
  let store: Store;
  let lectern: Lectern;
  let dir: string;

  beforeAll(async () => {
    store = await openTestStore('pglite');
    lectern = new Lectern(store);
    dir = mkdtempSync(join(tmpdir(), 'lectern-scenario-fuzz-'));
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
    console.log(`[fuzz] scenario: ${tally.files} files, 0 crashes`);
  });

  async function runText(text: string) {
    await store.reset();
    lectern.forget();
    const file = join(dir, `f${tally.files++}.yaml`);
    writeFileSync(file, text);
    const r = await runScenarioFile(lectern, file);
    for (const f of r.failures) expect(Number.isInteger(f.line) && f.line >= 1, JSON.stringify(f)).toBe(true);
    return r;
  }

  it('reports an alias bomb and broken syntax as failures', async () => {
    // The yaml library refuses to expand it (no memory blow-up, no hang): a failure at line 1 that
    // says why, from the scenario runner and from `lectern serve --world` alike.
    const bomb = await runText(BOMB);
    expect(bomb.failures).toEqual([expect.objectContaining({ line: 1, message: expect.stringMatching(/alias/i) })]);
    const file = join(dir, 'bomb-world.yaml');
    writeFileSync(file, `institution: { id: bomb, name: Bomb }\n${BOMB}`);
    await store.reset();
    lectern.forget();
    await expect(loadWorldFile(lectern, file)).rejects.toThrow(/bomb-world\.yaml:1: .*alias/i);
    expect((await runText('institution: [\n')).failures[0]!.what).toBe('YAML');
  });

  it('never throws on mutated scenario files', async () => {
    const mutation = fc.record({
      source: fc.nat({ max: SOURCES.length - 1 }),
      edits: fc.array(
        fc.record({ at: fc.nat(), kind: fc.constantFrom('drop', 'dup', 'swap', 'cut', 'junk', 'value'), junk: fc.constantFrom(...JUNK), value: fc.oneof(fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)), fc.string({ maxLength: 12 })) }),
        { minLength: 1, maxLength: 6 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ source, edits }) => {
        const lines = SOURCES[source]!.split('\n');
        for (const e of edits) {
          const i = e.at % lines.length;
          if (e.kind === 'drop') lines.splice(i, 1);
          else if (e.kind === 'dup') lines.splice(i, 0, lines[i]!);
          else if (e.kind === 'swap') [lines[i], lines[(i + 1) % lines.length]] = [lines[(i + 1) % lines.length]!, lines[i]!];
          else if (e.kind === 'cut') lines[i] = lines[i]!.slice(0, Math.floor(lines[i]!.length / 2));
          else if (e.kind === 'junk') lines[i] = `${lines[i]} ${e.junk}`;
          else lines[i] = lines[i]!.replace(/:\s.*$/, `: ${e.value}`);
          if (lines.length === 0) lines.push('');
        }
        await runText(lines.join('\n'));
      }),
      { seed: 1337, numRuns: RUNS },
    );
  }, 300_000);

  it('never throws on random documents', async () => {
    const doc = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.dictionary(fc.constantFrom('institution', 'units', 'users', 'steps', 'checks', 'roles', 'x'), fc.jsonValue({ maxDepth: 3 })).map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200 }),
    );
    await fc.assert(fc.asyncProperty(doc, async (text) => void (await runText(text))), { seed: 7, numRuns: RUNS });
  }, 300_000);
});
