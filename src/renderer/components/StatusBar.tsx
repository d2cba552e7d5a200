import './shell.css';
import { useApp } from '../store/context';
import { ShortcutsButton } from './ShortcutsHelp';

const LABEL = { connecting: 'Connecting…', connected: 'Connected', disconnected: 'Disconnected — reconnecting' } as const;

export function StatusBar() {
  const connection = useApp((s) => s.connection);
  const info = useApp((s) => s.appInfo);
  return (
    <footer className="statusbar" aria-label="Status">
      <span className={`dot dot-${connection}`} aria-hidden="true" />
      <span role="status">{LABEL[connection]}</span>
      {info && (
        <>
          <span className="sep">·</span>
          <span className="statusbar-path" title={info.databasePath}>
            Data: {info.dataDir}
          </span>
          <span className="sep">·</span>
          <span>v{info.version}</span>
        </>
      )}
      <ShortcutsButton />
    </footer>
  );
}
