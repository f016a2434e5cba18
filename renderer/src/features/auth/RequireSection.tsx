import type { ReactNode } from 'react';
import type { Section } from '../../app/navigation.ts';
import { sectionVisible } from '../../app/navigation.ts';
import { useAuth } from './AuthContext.tsx';
import { describeRoles } from './permissions.ts';

/** A section's page, or — for a role that has no use for it (a deep link, say) — a plain refusal. */
export function RequireSection({ section, children }: { section: Section; children: ReactNode }) {
  const auth = useAuth();
  if (sectionVisible(section, auth.can)) return children;
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{section.label}</h1>
      <p className="notice" data-testid="no-permission">
        Your role in {auth.account.name} ({describeRoles(auth.roles)}) does not include this section. Ask an administrator if you need it.
      </p>
    </section>
  );
}
