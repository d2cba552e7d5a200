import { EmptyState } from '../../components/EmptyState';

export function ReviewsPage() {
  return (
    <>
      <header className="page-header">
        <h1>Reviews</h1>
      </header>
      <EmptyState title="No reviews in this version yet">
        <p>
          Test reports of production candidates, and approving them with a signature anyone can verify, are not built
          yet. They follow comparison.
        </p>
      </EmptyState>
    </>
  );
}
