/** The app's sections, in navigation order. Each later issue fills one in. */
export const sections = [
  { path: '/drafts', label: 'Drafts', summary: 'Draft credit memos, KYC reviews and SAR narratives section by section with agent workflows.' },
  { path: '/review', label: 'Review', summary: 'Approve, correct, score and label model outputs — offline.' },
  { path: '/traces', label: 'Traces', summary: 'Every run as a trace of its steps, model calls and tool calls, with expert feedback.' },
  { path: '/evaluations', label: 'Evaluations', summary: 'Datasets, evaluators and experiments that show whether a new workflow version is better.' },
  { path: '/workflows', label: 'Workflows', summary: 'Versioned workflow definitions, their structure, and a launcher for runs.' },
  { path: '/models', label: 'Models', summary: 'Local GGUF models and customer-hosted endpoints, their health and availability per account.' },
  { path: '/audit', label: 'Audit', summary: 'The tamper-evident audit log: search, verify and export.' },
  { path: '/admin', label: 'Admin', summary: 'Accounts, identity provider, group mappings, roles and permission boundaries.' },
  { path: '/system', label: 'System', summary: 'Version, data directory and health of this installation.' },
] as const;
