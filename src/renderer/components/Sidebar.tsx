import { AREAS, type Area } from '../store/route';
import { useApp } from '../store/context';
import { ThemeToggle } from './ThemeToggle';

const LABELS: Record<Area, string> = {
  projects: 'Projects',
  hosts: 'Hosts',
  runs: 'Runs',
  compare: 'Compare',
  sweeps: 'Sweeps',
  reviews: 'Reviews',
  registry: 'Registry',
};

const ICONS: Record<Area, string> = {
  projects: '▦',
  hosts: '⌂',
  runs: '▶',
  compare: '≋',
  sweeps: '⋔',
  reviews: '✓',
  registry: '⬢',
};

export function Sidebar() {
  const area = useApp((s) => s.route.area);
  const navigate = useApp((s) => s.navigate);
  return (
    <div className="sidebar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          ◆
        </span>
        Tunebench
      </div>
      <nav aria-label="Main">
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
      <div className="sidebar-foot">
        <ThemeToggle />
      </div>
    </div>
  );
}
