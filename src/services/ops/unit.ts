/**
 * Org units: create, update (rename or move), delete.
 */
import { conflict, invalid, notFound } from '../../domain/outcome.js';
import type { UnitRow } from '../../domain/rows.js';
import { refuseMoveUnderLock } from '../../policy/index.js';
import { authorize, type Operation } from '../operation.js';
import { id, only, optId, optStr } from '../validate.js';

export const unitOps: Record<string, Operation> = {
  'unit.create': {
    fields: ['id', 'parent', 'name'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const unitId = id(args, 'id');
      const parent = optId(args, 'parent') ?? w.rootId;
      const name = optStr(args, 'name') ?? unitId;
      if (!w.tree.units.has(parent)) throw notFound('parent', 'unit', parent);
      authorize(ctx, 'unit.create', `unit:${parent}`);
      if (w.tree.units.has(unitId)) throw conflict('duplicateId', `a unit '${unitId}' already exists`, 'id');
      const row: UnitRow = { institutionId: w.institutionId, id: unitId, parentId: parent, name };
      return { changes: [{ table: 'unit', op: 'put', row }], target: `unit:${unitId}`, result: row };
    },
  },
  'unit.update': {
    fields: ['unit', 'name', 'parent'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const unitId = id(args, 'unit');
      const name = optStr(args, 'name');
      const parent = optId(args, 'parent');
      const cur = w.tree.units.get(unitId);
      if (!cur) throw notFound('unit', 'unit', unitId);
      if (parent !== undefined && !w.tree.units.has(parent)) throw notFound('parent', 'unit', parent);
      authorize(ctx, 'unit.update', `unit:${unitId}`, parent !== undefined ? { parent } : {});
      if (parent !== undefined && parent !== cur.parentId) {
        if (cur.parentId === null) throw conflict('rootUnit', 'the root unit cannot be moved', 'parent');
        if (w.tree.within(parent, unitId)) throw invalid('parent', `${parent} is within ${unitId}; a unit cannot move under itself`, 'cycle');
      }
      refuseMoveUnderLock(ctx.actor, { type: 'unit', id: unitId }, parent, 'parent');
      const row: UnitRow = { ...cur, ...(name !== undefined ? { name } : {}), ...(parent !== undefined && cur.parentId !== null ? { parentId: parent } : {}) };
      const same = row.name === cur.name && row.parentId === cur.parentId;
      return { changes: same ? [] : [{ table: 'unit', op: 'put', row }], target: `unit:${unitId}`, result: row };
    },
  },
  'unit.delete': {
    fields: ['unit'],
    plan(ctx) {
      const { world: w, args } = ctx;
      only(args, this.fields);
      const unitId = id(args, 'unit');
      const cur = w.tree.units.get(unitId);
      if (!cur) throw notFound('unit', 'unit', unitId);
      authorize(ctx, 'unit.delete', `unit:${unitId}`);
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
  },
};
