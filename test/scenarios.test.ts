import { readdirSync } from 'node:fs';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS } from '../src/domain/catalog.js';
import { isImplemented } from '../src/policy/index.js';
import { runScenarioFiles } from '../src/scenario/run.js';
import { Lectern } from '../src/services/lectern.js';
import type { Store } from '../src/store/store.js';
import { DRIVERS, openTestStore } from './helpers.js';

const files = readdirSync('scenarios')
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map((f) => join('scenarios', f));

describe.each(DRIVERS)('scenario files on %s', (driver) => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore(driver);
  });
  afterAll(async () => {
    await store.dropSchemaAndClose();
  });

  it.each(files)('%s holds', async (file) => {
    const lines: string[] = [];
    const { passed, failed } = await runScenarioFiles(new Lectern(store), [file], (l) => lines.push(l));
    expect(failed, lines.join('\n')).toBe(0);
    expect(passed).toBeGreaterThan(0);
  });
});

describe('the scenario runner', () => {
  let store: Store;
  let dir: string;
  beforeAll(async () => {
    store = await openTestStore('pglite');
    dir = await mkdtemp(join(tmpdir(), 'lectern-scn-'));
  });
  afterAll(async () => {
    await store.close();
  });

  async function run(name: string, text: string) {
    const file = join(dir, name);
    await writeFile(file, text);
    const lines: string[] = [];
    const r = await runScenarioFiles(new Lectern(store), [file], (l) => lines.push(l));
    return { ...r, out: lines.join('\n'), file };
  }

  const world = `institution: { id: u1, name: U One }
units: [ { id: sci, children: [ { id: phys } ] } ]
users:
  - { id: ada, email: ada@u1.edu, firstName: Ada, lastName: K, roles: [ { role: admin, scope: phys } ] }
  - { id: bob, email: bob@u1.edu, firstName: Bob, lastName: R }
`;

  it('reports a failing expectation with file, line and the decision\'s reasons, and counts it', async () => {
    const r = await run('fail.yaml', `${world}checks:
  - { user: ada, action: unit.create, resource: unit:phys, expect: allow }
  - { user: ada, action: unit.create, resource: unit:sci, expect: allow }
`);
    expect(r.passed).toBe(1);
    expect(r.failed).toBe(1);
    expect(r.out).toContain(`${r.file}:8: check ada unit.create unit:sci: expected allow, got deny`);
    expect(r.out).toMatch(/because ada has no admin rights over sci/);
    expect(r.out.split('\n').at(-1)).toBe('1 passed, 1 failed');
  });

  it('names the file, line and reason for unknown names and bad YAML', async () => {
    const unknownUser = await run('unknown.yaml', `${world}steps:
  - { as: zed, do: unit.create, with: { id: x, parent: sci }, expect: ok }
`);
    expect(unknownUser.failed).toBe(1);
    expect(unknownUser.out).toContain(`${unknownUser.file}:7: file: unknown user 'zed'`);
    const unknownOp = await run('op.yaml', `${world}steps:
  - { as: ada, do: unit.explode, with: {}, expect: ok }
`);
    expect(unknownOp.out).toContain(`${unknownOp.file}:7: file: do: unknown operation 'unit.explode'`);
    const badYaml = await run('bad.yaml', 'institution: { id: u1\nusers: [\n');
    expect(badYaml.failed).toBeGreaterThan(0);
    expect(badYaml.out).toMatch(/bad\.yaml:\d+: YAML: /);
    const badUnit = await run('badunit.yaml', `${world}checks:
  - { user: ada, action: unit.create, resource: unit:nowhere, expect: deny }
`);
    expect(badUnit.out).toContain(`${badUnit.file}:7: file: resource: unknown unit 'nowhere'`);
  });

  it('has a rule for every action of SPEC §11, so no check is left "not implemented"', () => {
    expect(ACTIONS.filter((a) => !isImplemented(a))).toEqual([]);
  });

  it('fails a world that does not load, at the line of the bad entry', async () => {
    const r = await run('badworld.yaml', `institution: { id: u1, name: U One }
users:
  - { id: ada, email: not-an-email, firstName: Ada, lastName: K }
`);
    expect(r.failed).toBe(1);
    expect(r.out).toContain(`${r.file}:3: file: invalid: email: 'not-an-email' is not an email address`);
  });
});
