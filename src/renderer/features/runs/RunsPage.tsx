import { EmptyState } from '../../components/EmptyState';

export function RunsPage() {
  return (
    <>
      <header className="page-header">
        <h1>Runs</h1>
      </header>
      <EmptyState title="No runs in this version yet">
        <p>
          Launching fine-tuning runs (full, LoRA, QLoRA) and streaming their logs and metrics into this tracker is not
          built yet. Create a project now; its runs will live inside it.
        </p>
      </EmptyState>
    </>
  );
}
