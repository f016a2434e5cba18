/** What a key can do in the drafting view. */
export type ShortcutAction = 'next' | 'previous' | 'accept' | 'reject' | 'edit' | 'regenerate' | 'comment' | 'help';

/** The shortcuts, as the help dialog lists them. Ctrl/Cmd combinations are handled by the fields they belong to. */
export const shortcutList: ReadonlyArray<{ keys: string[]; description: string; action?: ShortcutAction }> = [
  { keys: ['j'], description: 'Next section', action: 'next' },
  { keys: ['k'], description: 'Previous section', action: 'previous' },
  { keys: ['a'], description: 'Accept the current section', action: 'accept' },
  { keys: ['r'], description: 'Reject the current section (asks for an optional reason)', action: 'reject' },
  { keys: ['e'], description: 'Edit the current section', action: 'edit' },
  { keys: ['g'], description: 'Regenerate the current section with an instruction', action: 'regenerate' },
  { keys: ['c'], description: 'Comment on the current section', action: 'comment' },
  { keys: ['Ctrl', 'S'], description: 'Save the edit (⌘S on a Mac); works while typing in the editor' },
  { keys: ['Ctrl', 'Enter'], description: 'Regenerate, in the instruction field (⌘Enter on a Mac)' },
  { keys: ['Esc'], description: 'Close the open form or this dialog' },
  { keys: ['?'], description: 'Show this list', action: 'help' },
];

const singleKeys: Readonly<Record<string, ShortcutAction>> = Object.fromEntries(
  shortcutList.filter((shortcut) => shortcut.action && shortcut.keys.length === 1).map((shortcut) => [shortcut.keys[0]!, shortcut.action!]),
);

/** The parts of a keyboard event the mapping reads (a KeyboardEvent has them all). */
export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  target: EventTarget | null;
}

/** Minimal view of an element, so the rule can be tested without a DOM. */
interface ElementLike {
  tagName?: string;
  isContentEditable?: boolean;
  type?: string;
  closest?: (selector: string) => unknown;
}

const textInputTypes = new Set(['text', 'search', 'email', 'url', 'tel', 'password', 'number', 'date', 'datetime-local', 'month', 'time', 'week', '']);

/** Whether a key pressed here is typing: text fields, selects and rich-text editors keep their keys. */
export function isTypingTarget(target: EventTarget | null): boolean {
  const element = target as ElementLike | null;
  if (!element || typeof element !== 'object') return false;
  if (element.isContentEditable) return true;
  const tag = (element.tagName ?? '').toUpperCase();
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') return textInputTypes.has((element.type ?? '').toLowerCase());
  // A node inside a rich-text editor (ProseMirror reports the inner element as the target).
  return typeof element.closest === 'function' && element.closest('[contenteditable="true"]') !== null;
}

/**
 * The drafting view's single-key shortcuts: none while the person is typing, none with Ctrl, Cmd or
 * Alt held (those belong to the browser and to the fields' own Ctrl/Cmd shortcuts).
 */
export function shortcutFor(press: KeyPress): ShortcutAction | null {
  if (press.ctrlKey || press.metaKey || press.altKey) return null;
  if (isTypingTarget(press.target)) return null;
  return singleKeys[press.key] ?? null;
}

/** Ctrl+S, or Cmd+S on a Mac: save the edit. */
export function isSaveChord(press: Pick<KeyPress, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>): boolean {
  return (press.ctrlKey || press.metaKey) && !press.altKey && press.key.toLowerCase() === 's';
}

/** Ctrl+Enter, or Cmd+Enter: send the instruction field's form. */
export function isSubmitChord(press: Pick<KeyPress, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>): boolean {
  return (press.ctrlKey || press.metaKey) && !press.altKey && press.key === 'Enter';
}
