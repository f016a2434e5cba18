import { describe, expect, it } from 'vitest';
import { isSaveChord, isSubmitChord, isTypingTarget, shortcutFor, shortcutList } from './shortcuts.ts';

const press = (key: string, target: unknown = { tagName: 'BUTTON' }, modifiers: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}) => ({
  key,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...modifiers,
  target: target as EventTarget,
});

describe('shortcutFor', () => {
  it('maps the single keys to their actions', () => {
    expect(shortcutFor(press('j'))).toBe('next');
    expect(shortcutFor(press('k'))).toBe('previous');
    expect(shortcutFor(press('a'))).toBe('accept');
    expect(shortcutFor(press('r'))).toBe('reject');
    expect(shortcutFor(press('e'))).toBe('edit');
    expect(shortcutFor(press('g'))).toBe('regenerate');
    expect(shortcutFor(press('c'))).toBe('comment');
    expect(shortcutFor(press('?'))).toBe('help');
    expect(shortcutFor(press('x'))).toBeNull();
    expect(shortcutFor(press('A'))).toBeNull();
  });

  it('does nothing while the person types in a field or the rich-text editor', () => {
    expect(shortcutFor(press('a', { tagName: 'TEXTAREA' }))).toBeNull();
    expect(shortcutFor(press('a', { tagName: 'INPUT', type: 'text' }))).toBeNull();
    expect(shortcutFor(press('a', { tagName: 'SELECT' }))).toBeNull();
    expect(shortcutFor(press('a', { tagName: 'DIV', isContentEditable: true }))).toBeNull();
    expect(shortcutFor(press('a', { tagName: 'P', closest: (selector: string) => (selector === '[contenteditable="true"]' ? {} : null) }))).toBeNull();
  });

  it('still acts on buttons, checkboxes and the page itself', () => {
    expect(shortcutFor(press('a', { tagName: 'INPUT', type: 'checkbox' }))).toBe('accept');
    expect(shortcutFor(press('j', { tagName: 'ARTICLE', closest: () => null }))).toBe('next');
    expect(shortcutFor(press('j', null))).toBe('next');
  });

  it('leaves Ctrl, Cmd and Alt combinations to the browser and the fields', () => {
    expect(shortcutFor(press('a', undefined, { ctrlKey: true }))).toBeNull();
    expect(shortcutFor(press('r', undefined, { metaKey: true }))).toBeNull();
    expect(shortcutFor(press('e', undefined, { altKey: true }))).toBeNull();
  });

  it('documents every single-key action in the help list', () => {
    const documented = shortcutList.filter((shortcut) => shortcut.action).map((shortcut) => shortcut.action);
    expect(new Set(documented)).toEqual(new Set(['next', 'previous', 'accept', 'reject', 'edit', 'regenerate', 'comment', 'help']));
  });
});

describe('chords', () => {
  it('saves with Ctrl+S or Cmd+S, not plain S or Alt', () => {
    expect(isSaveChord({ key: 's', ctrlKey: true, metaKey: false, altKey: false })).toBe(true);
    expect(isSaveChord({ key: 'S', ctrlKey: false, metaKey: true, altKey: false })).toBe(true);
    expect(isSaveChord({ key: 's', ctrlKey: false, metaKey: false, altKey: false })).toBe(false);
    expect(isSaveChord({ key: 's', ctrlKey: true, metaKey: false, altKey: true })).toBe(false);
  });

  it('regenerates with Ctrl+Enter or Cmd+Enter', () => {
    expect(isSubmitChord({ key: 'Enter', ctrlKey: true, metaKey: false, altKey: false })).toBe(true);
    expect(isSubmitChord({ key: 'Enter', ctrlKey: false, metaKey: true, altKey: false })).toBe(true);
    expect(isSubmitChord({ key: 'Enter', ctrlKey: false, metaKey: false, altKey: false })).toBe(false);
  });

  it('treats a text input as typing and a button as not', () => {
    expect(isTypingTarget({ tagName: 'INPUT', type: 'search' } as unknown as EventTarget)).toBe(true);
    expect(isTypingTarget({ tagName: 'BUTTON' } as unknown as EventTarget)).toBe(false);
  });
});
