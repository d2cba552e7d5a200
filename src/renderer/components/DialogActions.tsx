// The end of a dialog's form: its error (from the engine), Cancel, and the submit button. A red
// (danger) submit is the deliberate button of approving, signing and promoting.
import { plainText } from './form-errors';

export function DialogActions({
  error,
  onCancel,
  submit,
  disabled,
  danger = false,
  cancel = 'Cancel',
}: {
  error?: string | null | undefined;
  onCancel: () => void;
  submit: string;
  disabled?: boolean;
  danger?: boolean;
  cancel?: string;
}) {
  return (
    <>
      {error && (
        <p className="form-error" role="alert">
          {plainText(error)}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel}>
          {cancel}
        </button>
        <button type="submit" className={danger ? 'red-button' : 'primary'} disabled={disabled}>
          {submit}
        </button>
      </div>
    </>
  );
}
