// "← Projects" and the like: a real link (so it opens in a new tab too) that navigates in place.
import type { Route } from '../store/route';
import { routeToHash } from '../store/route';
import { useApp } from '../store/context';

export function BackLink({ to, label }: { to: Route; label: string }) {
  const navigate = useApp((s) => s.navigate);
  return (
    <a
      href={routeToHash(to)}
      className="back-link"
      onClick={(e) => {
        e.preventDefault();
        navigate(to);
      }}
    >
      ← {label}
    </a>
  );
}
