// A labelled form field with its error right under it and its help text kept below that, wired for
// screen readers. When errors appear, focus moves to the form's first invalid field, so every form
// that uses Field takes the person to what needs fixing without each form doing it.
import { useEffect, useId, useRef, type ReactElement, cloneElement } from 'react';
import { plainText } from './form-errors';

/** Forms whose focus move is already queued for this turn: several fields failing at once move it once. */
const queued = new WeakSet<Element>();

/**
 * How many times each form was submitted. A second submit that fails the same way leaves every error's
 * text as it was, so the fields' [error] effect does not run again: the count tells them to move focus anyway.
 */
const submits = new WeakMap<Element, number>();
if (typeof document !== 'undefined') document.addEventListener('submit', (e) => e.target instanceof Element && submits.set(e.target, (submits.get(e.target) ?? 0) + 1), true);

function focusFirstInvalid(from: HTMLElement): void {
  const scope = from.closest('form') ?? from.closest('[role="dialog"]') ?? document.body;
  if (queued.has(scope)) return;
  queued.add(scope);
  queueMicrotask(() => {
    queued.delete(scope);
    const first = scope.querySelector<HTMLElement>('[aria-invalid="true"]');
    if (!first) return;
    if (first !== document.activeElement) first.focus();
    // The whole field, its error and help below the input included (scrolling the input alone left the
    // error under the bottom edge of the page's scrolling area).
    (first.closest('.field') ?? first).scrollIntoView?.({ block: 'nearest' });
  });
}

export function Field({ label, error, hint, children }: { label: string; error?: string | undefined; hint?: string | undefined; children: ReactElement<Record<string, unknown>> }) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const box = useRef<HTMLDivElement>(null);
  const describedBy = [error ? errorId : '', hint ? hintId : ''].filter(Boolean).join(' ') || undefined;
  useEffect(() => {
    if (error && box.current) focusFirstInvalid(box.current);
  }, [error]);
  // After a submit: once the form has answered (its submit button no longer disabled while it works), focus
  // goes to the first field still in error, even when that error reads as it did before.
  const answered = useRef(0);
  useEffect(() => {
    const form = box.current?.closest('form');
    const count = form ? (submits.get(form) ?? 0) : 0;
    if (!form || count <= answered.current || form.querySelector('[type="submit"]:disabled')) return;
    answered.current = count;
    if (error) focusFirstInvalid(form);
  });
  return (
    <div className={error ? 'field has-error' : 'field'} ref={box}>
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, { id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy })}
      {error && (
        <div className="field-error" id={errorId} role="alert">
          {plainText(error, label)}
        </div>
      )}
      {hint && (
        <div className="field-hint" id={hintId}>
          {hint}
        </div>
      )}
    </div>
  );
}
