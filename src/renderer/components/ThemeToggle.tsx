// The theme toggle in the sidebar: system, light or dark, remembered across reloads and applied at once.
import { useEffect, useState } from 'react';
import { chooseTheme, onThemeChoiceChange, THEME_CHOICES, themeChoice, type ThemeChoice } from '../theme';
import './shell.css';

const LABELS: Record<ThemeChoice, string> = { system: 'System', light: 'Light', dark: 'Dark' };

export function ThemeToggle() {
  const [choice, setChoice] = useState<ThemeChoice>(themeChoice);
  useEffect(() => onThemeChoiceChange(setChoice), []);
  return (
    <fieldset className="theme-toggle" role="radiogroup">
      <legend>Theme</legend>
      <div className="theme-options">
        {THEME_CHOICES.map((c) => (
          <label key={c} title={c === 'system' ? 'Follow the light or dark setting of your computer' : undefined}>
            <input type="radio" name="theme" value={c} checked={choice === c} onChange={() => chooseTheme(c)} />
            {LABELS[c]}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
