// A modal dialog: labelled, takes focus when it opens (its first field, else its first button), keeps
// focus inside while open, closes on Escape (only the topmost of stacked dialogs), and gives focus
// back to whatever opened it when it closes.
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';
const FIELDS = 'input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled])';

/** Open dialogs, oldest first: Escape and Tab belong to the last one. */
const open: HTMLElement[] = [];

/** Whether a dialog is open now (page shortcuts stand aside while one is). */
export function isDialogOpen(): boolean {
  return open.length > 0;
}

function focusables(dialog: HTMLElement): HTMLElement[] {
  return [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.getClientRects().length > 0);
}

export function Modal({ title, onClose, children, wide = false }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const titleId = useId();
  const ref = useRef<HTMLDivElement>(null);
  // Read while rendering, before any field in the dialog takes focus: this is what opened it.
  const [opener] = useState(() => document.activeElement as HTMLElement | null);
  // Callers pass a new arrow each render; the listeners below must not be rebuilt (and focus moved) for it.
  const close = useRef(onClose);
  useEffect(() => {
    close.current = onClose;
  });

  useEffect(() => {
    const dialog = ref.current!;
    // Opened as another dialog closed: what opened that one is where focus goes back to.
    const returnTo = opener?.isConnected ? opener : (document.activeElement as HTMLElement | null);
    open.push(dialog);
    if (!dialog.contains(document.activeElement)) (dialog.querySelector<HTMLElement>(FIELDS) ?? focusables(dialog)[0] ?? dialog).focus();

    const onKey = (e: KeyboardEvent) => {
      if (open[open.length - 1] !== dialog) return;
      if (e.key === 'Escape' && !e.defaultPrevented) {
        e.preventDefault();
        e.stopPropagation();
        close.current();
        return;
      }
      if (e.key !== 'Tab') return;
      const all = focusables(dialog);
      const first = all[0];
      const last = all[all.length - 1];
      if (!first || !last) return e.preventDefault();
      if (!dialog.contains(document.activeElement)) {
        e.preventDefault();
        first.focus();
      } else if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      open.splice(open.indexOf(dialog), 1);
      if (returnTo?.isConnected) returnTo.focus();
    };
  }, [opener]);

  return (
    <div className="modal-backdrop">
      <div className={wide ? 'modal wide-modal' : 'modal'} role="dialog" aria-modal="true" aria-labelledby={titleId} ref={ref} tabIndex={-1}>
        <h2 id={titleId}>{title}</h2>
        {children}
      </div>
    </div>
  );
}
