import type { JSONContent } from '@tiptap/core';
import { Fragment, useMemo } from 'react';
import type { ReactNode } from 'react';
import { parseMarkdown } from './editorExtensions.ts';

/** Only absolute web and mail links become links; anything else (javascript:, relative) stays text. */
const safeHref = (href: unknown): string | null => (typeof href === 'string' && /^(https?:|mailto:)/i.test(href) ? href : null);

function renderText(node: JSONContent, key: number): ReactNode {
  let content: ReactNode = node.text ?? '';
  for (const mark of node.marks ?? []) {
    switch (mark.type) {
      case 'bold': content = <strong>{content}</strong>; break;
      case 'italic': content = <em>{content}</em>; break;
      case 'strike': content = <s>{content}</s>; break;
      case 'underline': content = <u>{content}</u>; break;
      case 'code': content = <code>{content}</code>; break;
      case 'link': {
        const href = safeHref(mark.attrs?.href);
        if (href) content = <a href={href} target="_blank" rel="noreferrer noopener">{content}</a>;
        break;
      }
      default: break;
    }
  }
  return <Fragment key={key}>{content}</Fragment>;
}

function renderChildren(node: JSONContent): ReactNode[] {
  return (node.content ?? []).map((child, index) => renderNode(child, index));
}

function renderNode(node: JSONContent, key: number): ReactNode {
  switch (node.type) {
    case 'text': return renderText(node, key);
    case 'paragraph': return <p key={key}>{renderChildren(node)}</p>;
    case 'heading': {
      // Headings inside a section body are styled as sub-headings but kept out of the page's
      // outline: the section headings are the document's structure.
      return <p key={key} className={`md-heading md-heading-${String(node.attrs?.level ?? 1)}`}>{renderChildren(node)}</p>;
    }
    case 'bulletList': return <ul key={key}>{renderChildren(node)}</ul>;
    case 'orderedList': return <ol key={key} start={typeof node.attrs?.start === 'number' ? node.attrs.start : undefined}>{renderChildren(node)}</ol>;
    case 'listItem': return <li key={key}>{renderChildren(node)}</li>;
    case 'blockquote': return <blockquote key={key}>{renderChildren(node)}</blockquote>;
    case 'codeBlock': return <pre key={key} className="md-code"><code>{(node.content ?? []).map((child) => child.text ?? '').join('')}</code></pre>;
    case 'horizontalRule': return <hr key={key} />;
    case 'hardBreak': return <br key={key} />;
    case 'table': return <table key={key} className="table md-table"><tbody>{renderChildren(node)}</tbody></table>;
    case 'tableRow': return <tr key={key}>{renderChildren(node)}</tr>;
    case 'tableHeader': return <th key={key} scope="col">{renderChildren(node)}</th>;
    case 'tableCell': return <td key={key}>{renderChildren(node)}</td>;
    default: return node.content ? <Fragment key={key}>{renderChildren(node)}</Fragment> : null;
  }
}

/**
 * A section's Markdown, read-only. It goes through the editor's own parser into its document
 * model and is drawn as React elements — never as HTML — so a model's output cannot inject markup.
 */
export function MarkdownView({ markdown }: { markdown: string }) {
  const doc = useMemo(() => parseMarkdown(markdown), [markdown]);
  return <div className="md-body">{renderChildren(doc)}</div>;
}
