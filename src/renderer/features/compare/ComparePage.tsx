import { EmptyState } from '../../components/EmptyState';

export function ComparePage() {
  return (
    <>
      <header className="page-header">
        <h1>Compare</h1>
      </header>
      <EmptyState title="Nothing to compare yet">
        <p>
          Side-by-side curves, config diffs against a baseline and picking a production candidate need runs first. This
          page is not built yet.
        </p>
      </EmptyState>
    </>
  );
}
