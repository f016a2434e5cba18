import { useMemo } from 'react';
import { comparableText } from './editorExtensions.ts';
import { condense, diffStats, hasChanges, wordDiff } from './wordDiff.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The analyst's text against the model's draft, word by word. Added words are underlined in an
 * `<ins>`, removed ones struck through in a `<del>`, each with a spoken "added"/"removed" marker,
 * so the change reads without colour and with a screen reader. Long unchanged stretches fold.
 * Both sides are first written out the way the editor writes Markdown, so re-spelt syntax is no change,
 * and then read as written: the writer's escapes (`&lt;`, `&amp;`, `\_`) are not shown.
 */
export function DiffView({ before, after, testId }: { before: string; after: string; testId?: string }) {
  const parts = useMemo(() => wordDiff(comparableText(before), comparableText(after)), [before, after]);
  const stats = diffStats(parts);
  if (!hasChanges(parts)) return <p className="notice" data-testid={testId}>No difference from the model&apos;s draft.</p>;
  return (
    <div className="diff" data-testid={testId}>
      <p className="diff-stats">{plural(stats.addedWords, 'word')} added, {plural(stats.removedWords, 'word')} removed.</p>
      <p className="diff-text">
        {condense(parts).map((part, index) => {
          if (part.kind === 'gap') return <span key={index} className="diff-gap">[… {plural(part.words, 'unchanged word')} …]</span>;
          if (part.kind === 'added') return <ins key={index}><span className="visually-hidden">[added: </span>{part.text}<span className="visually-hidden">]</span></ins>;
          if (part.kind === 'removed') return <del key={index}><span className="visually-hidden">[removed: </span>{part.text}<span className="visually-hidden">]</span></del>;
          return <span key={index}>{part.text}</span>;
        })}
      </p>
    </div>
  );
}
