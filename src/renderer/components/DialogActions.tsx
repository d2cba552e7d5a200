// The end of a dialog's form: its error (from the engine), Cancel, and the submit button.
export function DialogActions({ error, onCancel, submit, disabled }: { error?: string | undefined; onCancel: () => void; submit: string; disabled?: boolean }) {
  return (
    <>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={disabled}>
          {submit}
        </button>
      </div>
    </>
  );
}
