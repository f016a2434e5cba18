import { Link } from 'react-router';
import type { AuditEntryView } from '../../../../core/contracts/index.ts';
import { resourceHref, resourceText } from './filters.ts';

/** An entry's resource by name, linked to its page where the API says the caller may open it. */
export function ResourceCell({ entry }: { entry: Pick<AuditEntryView, 'resource' | 'resourceLabel'> }) {
  const text = resourceText(entry.resource, entry.resourceLabel);
  const href = resourceHref(entry.resourceLabel);
  return href === null ? <>{text}</> : <Link to={href}>{text}</Link>;
}
