import type { Permission } from '../../../core/contracts/index.ts';

/**
 * The app's sections, in navigation order. Each later issue fills one in. A section is shown to
 * people holding any permission in `anyOf` (roles.ts); the router enforces every call regardless.
 */
export const sections = [
  { path: '/drafts', anyOf: ['drafts.read'], label: 'Drafts', summary: 'Draft credit memos, KYC reviews and SAR narratives section by section with agent workflows.' },
  { path: '/review', anyOf: ['feedback.read'], label: 'Review', summary: 'Approve, correct, score and label model outputs — offline.' },
  { path: '/traces', anyOf: ['traces.read'], label: 'Traces', summary: 'Every run as a trace of its steps, model calls and tool calls, with expert feedback.' },
  { path: '/evaluations', anyOf: ['evals.read'], label: 'Evaluations', summary: 'Datasets, evaluators and experiments that show whether a new workflow version is better.' },
  { path: '/workflows', anyOf: ['workflows.read'], label: 'Workflows', summary: 'Versioned workflow definitions, their structure, and a launcher for runs.' },
  { path: '/tools', anyOf: ['workflows.read'], label: 'Tools', summary: 'The tools workflow steps may call in this account: the built-ins and the MCP servers allowed for it.' },
  { path: '/models', anyOf: ['models.read'], label: 'Models', summary: 'Local GGUF models and customer-hosted endpoints, their health and availability per account.' },
  { path: '/audit', anyOf: ['audit.read'], label: 'Audit', summary: 'The tamper-evident audit log: search, verify and export.' },
  { path: '/admin', anyOf: ['members.manage', 'groups.manage', 'boundaries.manage'], label: 'Admin', summary: 'Accounts, identity provider, group mappings, roles and permission boundaries.' },
  { path: '/system', anyOf: ['system.read'], label: 'System', summary: 'Version, data directory and health of this installation.' },
] as const satisfies ReadonlyArray<{ path: string; anyOf: readonly Permission[]; label: string; summary: string }>;

export type Section = (typeof sections)[number];

/** Whether a user holding `can` has any use for a section. */
export function sectionVisible(section: Section, can: (permission: Permission) => boolean): boolean {
  return section.anyOf.some((permission) => can(permission));
}
