/**
 * The license CSV (SPEC §5): `Username,Action,License ID`. Username is an email or a username;
 * Action is assign, autoassign, revoke or revokeall; License ID is required for assign and revoke
 * and ignored otherwise. An export lists every seat as an assign row, so it is a valid template.
 */
import type { BatchRow } from '../lectern.js';
import type { ImportKind } from './csv.js';
import { decide } from '../../policy/index.js';

const ACTIONS: Record<string, string> = { assign: 'license.assign', autoassign: 'license.autoassign', revoke: 'license.revoke', revokeall: 'license.revokeall' };

export const licenseKind: ImportKind = {
  name: 'licenses',
  columns: ['Username', 'Action', 'License ID'],
  importAction: 'license.import',
  exportAction: 'license.export',
  columnOf: { user: 'Username', pack: 'License ID' },
  toRow(rec, line): BatchRow {
    const user = rec.Username ?? '';
    const action = (rec.Action ?? '').toLowerCase();
    const pack = rec['License ID'] ?? '';
    if (!user) return { line, refusal: { status: 'invalid', code: 'required', field: 'Username', message: 'Username: is required' } };
    const op = ACTIONS[action];
    if (!op) return { line, refusal: { status: 'invalid', code: 'enum', field: 'Action', message: `Action: must be assign, autoassign, revoke or revokeall, not '${rec.Action ?? ''}'` } };
    if (op === 'license.assign' || op === 'license.revoke') {
      if (!pack) return { line, refusal: { status: 'invalid', code: 'required', field: 'License ID', message: `License ID: is required for ${action}` } };
      return { line, op, args: { user, pack } };
    }
    return { line, op, args: { user } };
  },
  *exportRows(world, principal) {
    const d = decide(world, principal, 'license.export', `institution:${world.institutionId}`);
    if (!d.allow) return;
    const rows: string[][] = [];
    for (const a of world.tables.licenseAssignment.values()) rows.push([world.user(a.userId)?.username ?? a.userId, 'assign', a.packId]);
    rows.sort((x, y) => (x[0]! < y[0]! ? -1 : x[0]! > y[0]! ? 1 : x[2]! < y[2]! ? -1 : 1));
    yield* rows;
  },
};
