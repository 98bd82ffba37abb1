/**
 * A capture a schedule produced (issue 20, ESS and Echo360 seeds: "schedules name their
 * presenter"). The capture service tells Lectern which schedule recorded it; Lectern, not the
 * caller, decides whose it is and where it goes: the schedule's presenter owns and presents it, and
 * it is published in a system class of the schedule's section. A schedule that targets no section
 * gets its capture owned by the presenter and published nowhere (SPEC §6: such schedules stay
 * with their unit).
 */
import { conflict, invalid } from '../../domain/outcome.js';
import type { Change, ClassRow, MediaRow } from '../../domain/rows.js';
import { at, defineOp, find, type Operation } from '../operation.js';
import { id, optional, text } from '../validate.js';

/** Section roles that present a schedule's captures: a TA presents only as a guest presenter. */
export const SCHEDULE_PRESENTER_ROLES = ['instructor', 'guest_presenter'] as const;

export const captureOps: Record<string, Operation> = {
  'capture.register': defineOp({
    action: 'capture.register',
    // No owner, presenter or origin: those are Lectern's to set from the schedule.
    args: { schedule: id(), media: id(), title: optional(text()), class: optional(id()) },
    load: ({ world: w, args }) => find(w, 'schedule', args.schedule),
    on: at('schedule', 'schedule'),
    plan({ world: w, args, loaded: s }) {
      if (w.media(args.media)) throw conflict('duplicateId', `a media item '${args.media}' already exists`, 'media');
      if (s.presenterId === null) {
        throw conflict('noPresenter', `schedule ${s.id} names no presenter, so Lectern cannot tell whose capture this is; name the schedule's presenter first`, 'schedule');
      }
      const presenter = s.presenterId;
      if (w.user(presenter)?.status !== 'active') throw conflict('deactivated', `${presenter}, the presenter of schedule ${s.id}, is deactivated`, 'schedule');
      const changes: Change[] = [];
      let classId: string | undefined;
      if (s.sectionId !== null) {
        const role = w.sectionRole(presenter, s.sectionId);
        if (!role || !(SCHEDULE_PRESENTER_ROLES as readonly string[]).includes(role)) {
          throw conflict(
            'presenterNotInstructor',
            `${presenter}, the presenter of schedule ${s.id}, is ${role ? `now a ${role.replace('_', ' ')}` : 'no longer enrolled'} in section ${s.sectionId}; a schedule's captures belong to an instructor or guest presenter of the section`,
            'schedule',
          );
        }
        classId = args.class ?? args.media;
        const cls = w.class(classId);
        if (cls && (cls.sectionId !== s.sectionId || cls.kind !== 'system')) {
          throw conflict('notSystemClass', `class ${classId} is ${cls.kind === 'system' ? `a class of section ${cls.sectionId}` : 'a manual class'}, not a system class of section ${s.sectionId}`, 'class');
        }
        if (!cls) {
          const row: ClassRow = { institutionId: w.institutionId, id: classId, sectionId: s.sectionId, kind: 'system', name: args.title ?? `${s.name}: ${args.media}` };
          changes.push({ table: 'class', op: 'put', row });
        }
      } else if (args.class !== undefined) {
        throw invalid('class', `schedule ${s.id} targets no section, so its captures are published in no class`, 'unknownField');
      }
      const media: MediaRow = {
        institutionId: w.institutionId,
        id: args.media,
        ownerId: presenter,
        presenterId: presenter,
        origin: 'scheduled',
        locked: false,
        title: args.title ?? `${s.name}: ${args.media}`,
        libraryId: null,
        description: '',
        tags: '[]',
      };
      changes.push({ table: 'media', op: 'put', row: media });
      if (classId !== undefined) changes.push({ table: 'publication', op: 'put', row: { institutionId: w.institutionId, mediaId: media.id, classId, publishedBy: presenter } });
      return { changes, target: `media:${media.id}`, result: { media: media.id, owner: presenter, schedule: s.id, class: classId ?? null } };
    },
  }),
};
