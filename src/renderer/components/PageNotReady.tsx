// A detail page before its data is there: what it was not found as (with the engine's sentence), or loading.
import type { ReactNode } from 'react';
import { EmptyState } from './EmptyState';

export function PageNotReady({ back, missing }: { back: ReactNode; missing: { title: string; message: string } | null }) {
  return (
    <>
      {back}
      {missing ? (
        <EmptyState title={missing.title}>
          <p>{missing.message}</p>
        </EmptyState>
      ) : (
        <p className="muted" role="status">
          Loading…
        </p>
      )}
    </>
  );
}
