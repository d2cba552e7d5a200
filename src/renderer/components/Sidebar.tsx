import { AREAS, type Area } from '../store/route';
import { useApp } from '../store/context';

const LABELS: Record<Area, string> = {
  projects: 'Projects',
  hosts: 'Hosts',
  runs: 'Runs',
  compare: 'Compare',
  reviews: 'Reviews',
  registry: 'Registry',
};

const ICONS: Record<Area, string> = {
  projects: '▦',
  hosts: '⌂',
  runs: '▶',
  compare: '≋',
  reviews: '✓',
  registry: '⬢',
};

export function Sidebar() {
  const area = useApp((s) => s.route.area);
  const navigate = useApp((s) => s.navigate);
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          ◆
        </span>
        Tunebench
      </div>
      <ul>
        {AREAS.map((a) => (
          <li key={a}>
            <a
              href={`#/${a}`}
              className={a === area ? 'nav-link active' : 'nav-link'}
              aria-current={a === area ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                navigate({ area: a } as never);
              }}
            >
              <span className="nav-icon" aria-hidden="true">
                {ICONS[a]}
              </span>
              {LABELS[a]}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
