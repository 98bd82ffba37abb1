/**
 * Org units: create, update (rename or move), delete.
 */
import { conflict, invalid } from '../../domain/outcome.js';
import type { UnitRow } from '../../domain/rows.js';
import { refuseMoveUnderLock } from '../../policy/index.js';
import { at, defineOp, find, findOpt, type Operation } from '../operation.js';
import { id, optional, text } from '../validate.js';

export const unitOps: Record<string, Operation> = {
  'unit.create': defineOp({
    action: 'unit.create',
    args: { id: id(), parent: optional(id()), name: optional(text()) },
    load: ({ world: w, args }) => find(w, 'unit', args.parent ?? w.rootId, 'parent'),
    on: at('unit', 'parent', (w) => w.rootId),
    plan({ world: w, args }) {
      if (w.tree.units.has(args.id)) throw conflict('duplicateId', `a unit '${args.id}' already exists`, 'id');
      const row: UnitRow = { institutionId: w.institutionId, id: args.id, parentId: args.parent ?? w.rootId, name: args.name ?? args.id };
      return { changes: [{ table: 'unit', op: 'put', row }], target: `unit:${args.id}`, result: row };
    },
  }),
  'unit.update': defineOp({
    action: 'unit.update',
    args: { unit: id(), name: optional(text()), parent: optional(id()) },
    load: ({ world: w, args }) => ({ cur: find(w, 'unit', args.unit), parent: findOpt(w, 'unit', args.parent, 'parent') }),
    on: at('unit', 'unit'),
    plan({ world: w, actor, args, loaded: { cur } }) {
      const { parent } = args;
      if (parent !== undefined && parent !== cur.parentId) {
        if (cur.parentId === null) throw conflict('rootUnit', 'the root unit cannot be moved', 'parent');
        if (w.tree.within(parent, cur.id)) throw invalid('parent', `${parent} is within ${cur.id}; a unit cannot move under itself`, 'cycle');
      }
      refuseMoveUnderLock(actor, { type: 'unit', id: cur.id }, parent, 'parent');
      const row: UnitRow = { ...cur, ...(args.name !== undefined ? { name: args.name } : {}), ...(parent !== undefined && cur.parentId !== null ? { parentId: parent } : {}) };
      const same = row.name === cur.name && row.parentId === cur.parentId;
      return { changes: same ? [] : [{ table: 'unit', op: 'put', row }], target: `unit:${cur.id}`, result: row };
    },
  }),
  'unit.delete': defineOp({
    action: 'unit.delete',
    args: { unit: id() },
    load: ({ world: w, args }) => find(w, 'unit', args.unit),
    on: at('unit', 'unit'),
    plan({ world: w, loaded: cur }) {
      const unitId = cur.id;
      if (cur.parentId === null) throw conflict('rootUnit', 'the root unit cannot be deleted', 'unit');
      const kids = w.tree.childrenOf(unitId);
      if (kids.length > 0) throw conflict('unitNotEmpty', `unit ${unitId} still has units below it (${kids.join(', ')}); move or delete them first`, 'unit');
      const holders: string[] = [];
      for (const userId of w.usersWithGrants()) {
        if (w.grantsOf(userId).some((g) => g.scopeType === 'unit' && g.scopeId === unitId)) holders.push(userId);
      }
      if (holders.length > 0) {
        throw conflict('unitNotEmpty', `roles are still granted at ${unitId} (to ${holders.sort().join(', ')}); revoke them first`, 'unit');
      }
      // What belongs to the unit must go first; its own settings go with it.
      const belongs = [
        ...[...w.tables.course.values()].filter((x) => x.unitId === unitId).map((x) => `course ${x.id}`),
        ...[...w.tables.term.values()].filter((x) => x.unitId === unitId).map((x) => `term ${x.id}`),
        ...[...w.tables.library.values()].filter((x) => x.unitId === unitId).map((x) => `library ${x.id}`),
        ...[...w.tables.schedule.values()].filter((x) => x.unitId === unitId && x.sectionId === null).map((x) => `schedule ${x.id}`),
      ];
      if (belongs.length > 0) {
        throw conflict('unitNotEmpty', `unit ${unitId} still holds ${belongs.slice(0, 5).join(', ')}${belongs.length > 5 ? ', …' : ''}; move or delete them first`, 'unit');
      }
      const settings = [...(w.settingsAt('unit', unitId)?.values() ?? [])].map((row) => ({ table: 'setting' as const, op: 'del' as const, row }));
      return { changes: [...settings, { table: 'unit', op: 'del', row: cur }], target: `unit:${unitId}` };
    },
  }),
};
