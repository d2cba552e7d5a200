// The page-wide keyboard shortcuts (see shortcuts.ts) and the help overlay that lists them. `/` and `c`
// act on what the runs table marks with data-shortcut="filter" and data-shortcut="compare".
import { useEffect, useState } from 'react';
import { useApp } from '../store/context';
import { isDialogOpen, Modal } from './Modal';
import { CONTEXT_KEYS, SHORTCUTS, shortcutFor } from './shortcuts';
import './shell.css';

/** The status bar's button asks for the list this way: the overlay lives at the app's root, not inside the bar (whose nowrap, small text it would inherit). */
const OPEN_HELP = 'tunebench:shortcuts-help';

const target = (name: string) => document.querySelector<HTMLElement>(`[data-shortcut="${name}"]`);

/** Waits (a few frames, at most ~2 s) for a page that is being opened to draw an element. */
function whenDrawn(name: string, then: (el: HTMLElement) => void, framesLeft = 120): void {
  const el = target(name);
  if (el) return then(el);
  if (framesLeft > 0) requestAnimationFrame(() => whenDrawn(name, then, framesLeft - 1));
}

export function Shortcuts() {
  const [helpOpen, setHelpOpen] = useState(false);
  const navigate = useApp((s) => s.navigate);
  const notify = useApp((s) => s.notify);
  const selected = useApp((s) => s.selectedRunIds);

  useEffect(() => {
    const open = () => setHelpOpen(true);
    window.addEventListener(OPEN_HELP, open);
    return () => window.removeEventListener(OPEN_HELP, open);
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isDialogOpen()) return;
      const action = shortcutFor(e);
      if (!action) return;
      e.preventDefault();
      if (action === 'help') return setHelpOpen(true);
      if (action === 'focus-filter') {
        // Elsewhere than the runs table, `/` takes the person to it.
        if (!target('filter')) navigate({ area: 'runs' });
        return whenDrawn('filter', (el) => el.focus());
      }
      const compare = target('compare') as HTMLButtonElement | null;
      if (compare && !compare.disabled) compare.click();
      // Away from the table, a selection made there is still the one to compare.
      else if (!compare && selected.length >= 2) navigate({ area: 'compare', runIds: selected });
      else
        notify(
          'info',
          compare ? 'Select two or more runs in the table (their checkboxes), then press c to compare them.' : 'Press c on the runs table, with two or more runs selected, to compare them.',
        );
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [navigate, notify, selected]);

  return helpOpen ? <ShortcutsHelp onClose={() => setHelpOpen(false)} /> : null;
}

/** Opens the list of shortcuts, for those who do not know the `?` key. */
export function ShortcutsButton() {
  return (
    <button type="button" className="shortcuts-button" onClick={() => window.dispatchEvent(new Event(OPEN_HELP))} aria-keyshortcuts="?">
      Keyboard shortcuts
    </button>
  );
}

export function ShortcutsHelp({ onClose }: { onClose: () => void }) {
  return (
    <Modal title="Keyboard shortcuts" onClose={onClose}>
      <p className="muted">Anywhere but in a text field:</p>
      <dl className="shortcut-list" aria-label="Page shortcuts">
        {SHORTCUTS.map((s) => (
          <div key={s.key}>
            <dt>
              <kbd>{s.key}</kbd>
            </dt>
            <dd>{s.does}</dd>
          </div>
        ))}
      </dl>
      <p className="muted">Where they apply:</p>
      <dl className="shortcut-list" aria-label="Keys in dialogs and tables">
        {CONTEXT_KEYS.map((s) => (
          <div key={s.does}>
            <dt>
              {s.keys.map((k, i) => (
                <span key={k}>
                  {i > 0 && ' '}
                  <kbd>{k}</kbd>
                </span>
              ))}
            </dt>
            <dd>{s.does}</dd>
          </div>
        ))}
      </dl>
      <div className="dialog-actions">
        <button type="button" className="primary" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}
