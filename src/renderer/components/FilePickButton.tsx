// A file chooser that looks like the app's buttons (the native one reads "Choose File / No file chosen").
import { useId } from 'react';

export function FilePickButton({ label, accept, ariaLabel, onFile }: { label: string; accept: string; ariaLabel: string; onFile: (file: File) => void }) {
  const id = useId();
  return (
    <label className="file-button" htmlFor={id}>
      {label}
      <input
        id={id}
        type="file"
        accept={accept}
        aria-label={ariaLabel}
        className="visually-hidden"
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file) onFile(file);
          e.target.value = '';
        }}
      />
    </label>
  );
}
