// The page's theme as React state: charts rebuild the colours they set themselves when it changes.
import { useEffect, useState } from 'react';
import { currentTheme, onThemeChange, type Theme } from '../theme';

export function useTheme(): Theme {
  const [theme, setTheme] = useState<Theme>(currentTheme);
  useEffect(() => onThemeChange(setTheme), []);
  return theme;
}
