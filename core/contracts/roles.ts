import { z } from 'zod';
import type { Permission } from './permissions.ts';
import { permissions } from './permissions.ts';

export const roles = ['admin', 'builder', 'analyst', 'reviewer', 'compliance', 'auditor'] as const;
export const RoleSchema = z.enum(roles);
export type Role = z.infer<typeof RoleSchema>;

const everyone: readonly Permission[] = ['system.read', 'account.read'];

/**
 * The one role → permission matrix. Installation-wide permissions (`installation.manage`,
 * `keys.rotate`) are honoured only in the installation's administration account; everything else
 * applies inside the account the principal is acting in.
 */
export const rolePermissions: Readonly<Record<Role, readonly Permission[]>> = {
  admin: permissions,
  builder: [...everyone, 'models.read', 'models.use', 'models.manage', 'workflows.read', 'workflows.manage', 'runs.start', 'runs.read', 'runs.answer', 'runs.cancel', 'drafts.read', 'traces.read', 'traces.content', 'traces.export', 'feedback.read', 'feedback.write', 'evals.read', 'evals.manage'],
  analyst: [...everyone, 'models.read', 'models.use', 'workflows.read', 'runs.start', 'runs.read', 'runs.answer', 'runs.cancel', 'drafts.read', 'drafts.write', 'drafts.export', 'traces.read', 'traces.content', 'feedback.read', 'feedback.write'],
  reviewer: [...everyone, 'models.read', 'workflows.read', 'runs.read', 'runs.answer', 'drafts.read', 'drafts.approve', 'traces.read', 'traces.content', 'feedback.read', 'feedback.write', 'evals.read'],
  compliance: [...everyone, 'drafts.read', 'traces.read', 'traces.content', 'traces.export', 'feedback.read', 'audit.read', 'audit.export', 'audit.retention'],
  // Read-only: metadata everywhere, never content, never a change.
  auditor: [...everyone, 'traces.read', 'feedback.read', 'audit.read', 'audit.export'],
};

export const roleDescriptions: Readonly<Record<Role, string>> = {
  admin: 'Manages the account: members, group mappings, boundaries, models and everything else.',
  builder: 'Builds and evaluates workflows and models.',
  analyst: 'Runs workflows and drafts documents.',
  reviewer: 'Reviews, corrects and approves outputs.',
  compliance: 'Reads and exports the audit log, traces and feedback.',
  auditor: 'Read-only: audit log and metadata, never content.',
};

/** Permissions a role never holds outside the administration account. */
export const installationPermissions: readonly Permission[] = ['installation.manage', 'keys.rotate'];
