import { z } from 'zod';

/**
 * Every permission a method can require: `area.action`. Roles are sets of these (roles.ts); a
 * permission boundary caps a role within an account; per-resource grants narrow further.
 */
export const permissions = [
  'system.read',
  'account.read',
  'members.manage',
  'groups.manage',
  'boundaries.manage',
  'installation.manage',
  'keys.rotate',
  'models.read',
  'models.use',
  'models.manage',
  'workflows.read',
  'workflows.manage',
  'runs.start',
  'runs.read',
  'runs.answer',
  'runs.cancel',
  'drafts.read',
  'drafts.write',
  'drafts.approve',
  'drafts.export',
  'traces.read',
  'traces.content',
  'traces.export',
  'feedback.read',
  'feedback.write',
  'evals.read',
  'evals.manage',
  'audit.read',
  'audit.export',
  'audit.retention',
  'sync.manage',
] as const;

export const PermissionSchema = z.enum(permissions);
export type Permission = z.infer<typeof PermissionSchema>;
