// The app's keyboard shortcuts, in one table: the key handler and the help overlay both read it, so the
// overlay lists every shortcut there is. Shortcuts stand aside while the person types in a field and
// while a dialog is open (the dialog owns the keys then).

/** Keys that are handled where they apply (a dialog, a table), listed in the help for completeness. */
export const CONTEXT_KEYS: readonly { keys: string[]; does: string }[] = [
  { keys: ['Esc'], does: 'Close the dialog or menu that is open' },
  { keys: ['Tab', 'Shift+Tab'], does: 'Move between controls; inside a dialog, focus stays in it' },
  { keys: ['↑', '↓'], does: 'Runs table (one Tab stop): move between rows; Page Up, Page Down, Home and End jump' },
  { keys: ['←', '→'], does: "Runs table: move into a row's checkbox, name, tags and notes, and back" },
  { keys: ['Enter'], does: 'Runs table: open the run' },
  { keys: ['Space'], does: 'Runs table: select the run (for Compare)' },
];

export type ShortcutAction = 'focus-filter' | 'compare' | 'help';

/** Page-wide keys: one printable key each, pressed with no Ctrl, Alt or Cmd. */
export const SHORTCUTS: readonly { key: string; action: ShortcutAction; does: string }[] = [
  { key: '/', action: 'focus-filter', does: 'Focus the runs filter' },
  { key: 'c', action: 'compare', does: 'Compare the selected runs' },
  { key: '?', action: 'help', does: 'Show this list of shortcuts' },
];

/** Inputs where a key press is not typing: toggles and buttons. */
const NOT_TYPING = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file', 'image']);

/** Whether the key press goes into something the person is typing in (a text field, a list, an editor). */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLInputElement) return !NOT_TYPING.has(target.type);
  return target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

/** The page-wide shortcut a key press asks for, or null (modifiers held, typing, or not a shortcut). */
export function shortcutFor(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'isComposing' | 'defaultPrevented' | 'target'>): ShortcutAction | null {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return null;
  if (isTyping(e.target)) return null;
  return SHORTCUTS.find((s) => s.key === e.key)?.action ?? null;
}
