// The app shell: navigation on the left, the current page, notices, and a status bar.
import { Notices } from './components/Notices';
import { Shortcuts } from './components/ShortcutsHelp';
import { Sidebar } from './components/Sidebar';
import { StatusBar } from './components/StatusBar';
import { ComparePage } from './features/compare/ComparePage';
import { HostsPage } from './features/hosts/HostsPage';
import { ProjectDetailPage } from './features/projects/ProjectDetailPage';
import { ProjectsPage } from './features/projects/ProjectsPage';
import { ReviewsPage } from './features/reviews/ReviewsPage';
import { TestRunPage } from './features/reviews/TestRunPage';
import { BundlePage } from './features/reviews/BundlePage';
import { RegistryPage } from './features/registry/RegistryPage';
import { RunsPage } from './features/runs/RunsPage';
import { SweepsPage } from './features/sweeps/SweepsPage';
import { useApp } from './store/context';

function CurrentPage() {
  const route = useApp((s) => s.route);
  switch (route.area) {
    case 'projects':
      return route.projectId ? <ProjectDetailPage projectId={route.projectId} /> : <ProjectsPage />;
    case 'hosts':
      return <HostsPage />;
    case 'runs':
      return <RunsPage />;
    case 'compare':
      return <ComparePage />;
    case 'registry':
      return <RegistryPage />;
    case 'sweeps':
      return <SweepsPage sweepId={route.sweepId} />;
    case 'reviews':
      return route.bundleId ? <BundlePage bundleId={route.bundleId} /> : route.testId ? <TestRunPage testId={route.testId} /> : <ReviewsPage />;
  }
}

export function App() {
  return (
    <div className="shell">
      <Sidebar />
      <main className="page" id="main">
        <CurrentPage />
      </main>
      <Notices />
      <StatusBar />
      <Shortcuts />
    </div>
  );
}
