// The colour theme the page is drawn in. The user's choice (system, light, dark) resolves to light or
// dark; <html data-theme="light|dark"> carries the resolved one (styles.css keys its colours on it) and
// every change is announced, so open charts restyle without a reload. The choice is remembered in
// localStorage; "system" follows the OS setting live.
export type ThemeChoice = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

export const THEME_CHOICES: readonly ThemeChoice[] = ['system', 'light', 'dark'];

const EVENT = 'tunebench:theme';
const CHOICE_EVENT = 'tunebench:theme-choice';
const STORAGE_KEY = 'tunebench.theme';

/** The choice in force on this page (kept in step with storage by chooseTheme and startTheme). */
let remembered: ThemeChoice = 'system';
let started = false;

const systemDark = () => window.matchMedia('(prefers-color-scheme: dark)');

/** The theme the page is drawn in now. */
export function currentTheme(): Theme {
  const set = document.documentElement.dataset.theme;
  if (set === 'light' || set === 'dark') return set;
  return systemDark().matches ? 'dark' : 'light';
}

/** Calls `listener` with the new theme whenever it changes; returns the unsubscribe. */
export function onThemeChange(listener: (theme: Theme) => void): () => void {
  const handle = () => listener(currentTheme());
  window.addEventListener(EVENT, handle);
  return () => window.removeEventListener(EVENT, handle);
}

/** Draws the page in `theme` and tells every listener. */
export function applyTheme(theme: Theme): void {
  if (document.documentElement.dataset.theme === theme) return;
  document.documentElement.dataset.theme = theme;
  window.dispatchEvent(new Event(EVENT));
}

function isChoice(value: unknown): value is ThemeChoice {
  return (THEME_CHOICES as readonly unknown[]).includes(value);
}

/** The user's remembered choice ("system" until they pick one, or where storage is off). */
export function themeChoice(): ThemeChoice {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    return isChoice(saved) ? saved : 'system';
  } catch {
    return 'system';
  }
}

function resolve(choice: ThemeChoice): Theme {
  return choice === 'system' ? (systemDark().matches ? 'dark' : 'light') : choice;
}

/** Remembers the user's choice and draws the page in it now. */
export function chooseTheme(choice: ThemeChoice): void {
  try {
    if (choice === 'system') localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, choice);
  } catch {
    // Storage off (a locked-down profile): the choice still holds for this page.
  }
  remembered = choice;
  applyTheme(resolve(choice));
  window.dispatchEvent(new Event(CHOICE_EVENT));
}

/** Calls `listener` with the user's choice whenever it changes (here or in another window); returns the unsubscribe. */
export function onThemeChoiceChange(listener: (choice: ThemeChoice) => void): () => void {
  const handle = () => listener(remembered);
  window.addEventListener(CHOICE_EVENT, handle);
  return () => window.removeEventListener(CHOICE_EVENT, handle);
}

/** Draws the page in the remembered choice and keeps it current: the OS setting (for "system") and other windows. Once, before the first render. */
export function startTheme(): void {
  if (started) return;
  started = true;
  remembered = themeChoice();
  applyTheme(resolve(remembered));
  systemDark().addEventListener('change', () => {
    if (remembered === 'system') applyTheme(resolve('system'));
  });
  // Another window of the app changed the choice: follow it, so two windows never disagree.
  window.addEventListener('storage', (e) => {
    if (e.key !== STORAGE_KEY && e.key !== null) return;
    remembered = themeChoice();
    applyTheme(resolve(remembered));
    window.dispatchEvent(new Event(CHOICE_EVENT));
  });
}
