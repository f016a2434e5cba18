import { sections } from '../../app/navigation.ts';

/** The page for a section whose feature is not in this build yet: says so plainly. */
export function SectionPlaceholder({ path }: { path: (typeof sections)[number]['path'] }) {
  const section = sections.find((s) => s.path === path);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{section?.label}</h1>
      <p>{section?.summary}</p>
      <p className="notice">Not available in this version yet.</p>
    </section>
  );
}
