// The colour theme the page is drawn in. The user's choice (system, light, dark) resolves to light or
// dark; <html data-theme="light|dark"> carries the resolved one (styles.css keys its colours on it) and
// every change is announced, so open charts restyle without a reload.
export type ThemeChoice = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

const EVENT = 'tunebench:theme';

/** The theme the page is drawn in now. */
export function currentTheme(): Theme {
  const set = document.documentElement.dataset.theme;
  if (set === 'light' || set === 'dark') return set;
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
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
