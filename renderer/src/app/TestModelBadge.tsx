/**
 * The label every surface puts on text written by a generated test model (`strongroom demo`), so
 * nobody reads meaning into it: models, runs, traces and drafts alike. `compact` for table rows.
 */
export function TestModelBadge({ compact = false }: { compact?: boolean }) {
  return (
    <span className="tag test-model-badge" data-testid="test-model-badge" title="Written by the generated test model: its text is meaningless.">
      {compact ? 'test model' : 'Test model — text is meaningless'}
    </span>
  );
}
