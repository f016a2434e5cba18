import type { Editor } from '@tiptap/core';
import { Markdown } from '@tiptap/markdown';
import { EditorContent, useEditor, useEditorState } from '@tiptap/react';
import { useEffect, useImperativeHandle, useRef } from 'react';
import type { Ref } from 'react';
import { contentExtensions } from './editorExtensions.ts';

/** What a section editor can ask of its rich-text field. */
export interface RichTextEditorHandle {
  getMarkdown(): string;
  /** The Markdown the editor produced for the text it was opened with (its own normalisation). */
  initialMarkdown(): string;
  focus(): void;
}

interface Props {
  /** The Markdown the editor opens with; later changes of this prop are ignored (the editor owns its text). */
  markdown: string;
  /** The accessible name of the text area, e.g. "Text of Borrower profile". */
  label: string;
  describedBy?: string;
  /** Put the caret at the end when the editor opens (the person asked to edit; not on a restore at load). */
  autoFocus?: boolean;
  onChange: (markdown: string) => void;
  onBlur: () => void;
  ref?: Ref<RichTextEditorHandle>;
}

function ToolbarButton({ editor, label, active, run }: { editor: Editor; label: string; active: boolean | null; run: (editor: Editor) => void }) {
  return (
    <button type="button" aria-pressed={active ?? undefined} onMouseDown={(event) => event.preventDefault()} onClick={() => run(editor)}>
      {label}
    </button>
  );
}

/** Bold, italics, lists, quote, table and undo/redo: the formatting a memo section needs. */
function Toolbar({ editor, label }: { editor: Editor; label: string }) {
  const state = useEditorState({
    editor,
    selector: ({ editor: current }) => ({
      bold: current.isActive('bold'),
      italic: current.isActive('italic'),
      bulletList: current.isActive('bulletList'),
      orderedList: current.isActive('orderedList'),
      blockquote: current.isActive('blockquote'),
      inTable: current.isActive('table'),
      canUndo: current.can().undo(),
      canRedo: current.can().redo(),
    }),
  });
  return (
    <div className="editor-toolbar" role="toolbar" aria-label={`Formatting for ${label}`}>
      <ToolbarButton editor={editor} label="Bold" active={state.bold} run={(e) => e.chain().focus().toggleBold().run()} />
      <ToolbarButton editor={editor} label="Italic" active={state.italic} run={(e) => e.chain().focus().toggleItalic().run()} />
      <ToolbarButton editor={editor} label="Bulleted list" active={state.bulletList} run={(e) => e.chain().focus().toggleBulletList().run()} />
      <ToolbarButton editor={editor} label="Numbered list" active={state.orderedList} run={(e) => e.chain().focus().toggleOrderedList().run()} />
      <ToolbarButton editor={editor} label="Quote" active={state.blockquote} run={(e) => e.chain().focus().toggleBlockquote().run()} />
      {state.inTable ? (
        <>
          <ToolbarButton editor={editor} label="Add row" active={null} run={(e) => e.chain().focus().addRowAfter().run()} />
          <ToolbarButton editor={editor} label="Add column" active={null} run={(e) => e.chain().focus().addColumnAfter().run()} />
          <ToolbarButton editor={editor} label="Delete row" active={null} run={(e) => e.chain().focus().deleteRow().run()} />
        </>
      ) : (
        <ToolbarButton editor={editor} label="Insert table" active={null} run={(e) => e.chain().focus().insertTable({ rows: 3, cols: 3, withHeaderRow: true }).run()} />
      )}
      <button type="button" disabled={!state.canUndo} onMouseDown={(event) => event.preventDefault()} onClick={() => editor.chain().focus().undo().run()}>Undo</button>
      <button type="button" disabled={!state.canRedo} onMouseDown={(event) => event.preventDefault()} onClick={() => editor.chain().focus().redo().run()}>Redo</button>
    </div>
  );
}

/**
 * A section's text in tiptap (ProseMirror) with Markdown in and out (`@tiptap/markdown`). Its CSS
 * comes from drafts.css, not tiptap's injected style tag, which serve mode's CSP would refuse.
 */
export function RichTextEditor({ markdown, label, describedBy, autoFocus = false, onChange, onBlur, ref }: Props) {
  const initial = useRef<string | null>(null);
  const onChangeRef = useRef(onChange);
  const onBlurRef = useRef(onBlur);
  useEffect(() => {
    onChangeRef.current = onChange;
    onBlurRef.current = onBlur;
  }, [onChange, onBlur]);

  const editor = useEditor({
    extensions: [...contentExtensions, Markdown],
    content: markdown,
    contentType: 'markdown',
    injectCSS: false,
    autofocus: autoFocus ? 'end' : false,
    editorProps: {
      attributes: {
        'aria-label': label,
        'aria-multiline': 'true',
        ...(describedBy ? { 'aria-describedby': describedBy } : {}),
        class: 'rich-editor-content',
        spellcheck: 'true',
      },
    },
    onCreate: ({ editor: created }) => { initial.current = created.getMarkdown(); },
    onUpdate: ({ editor: changed }) => onChangeRef.current(changed.getMarkdown()),
    onBlur: () => onBlurRef.current(),
  });

  useImperativeHandle(ref, () => ({
    getMarkdown: () => editor.getMarkdown(),
    initialMarkdown: () => initial.current ?? editor.getMarkdown(),
    focus: () => { editor.commands.focus('end'); },
  }), [editor]);

  return (
    <div className="rich-editor">
      <Toolbar editor={editor} label={label} />
      <EditorContent editor={editor} />
    </div>
  );
}
