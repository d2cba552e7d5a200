// Renderer entry: connect to the engine (IPC or WebSocket), build the store, mount the app.
import { createRoot } from 'react-dom/client';
import { connectClient } from './api/client';
import { App } from './App';
import { createAppStore } from './store';
import { ClientProvider, StoreProvider } from './store/context';
import './styles.css';
import { startTheme } from './theme';

// Before the first render, so the page is never drawn in the wrong theme first.
startTheme();

const client = connectClient();
const store = createAppStore(client);

client.onStatus((status) => {
  const wasDisconnected = store.getState().connection === 'disconnected';
  store.getState().setConnection(status);
  // After a reconnect, what we show may be stale: reload it.
  if (status === 'connected' && wasDisconnected) {
    void store.getState().loadProjects();
    void store.getState().loadHosts();
    void store.getState().loadRuns();
  }
});
// loadProjects and loadHosts show their own errors: nothing is lost by not awaiting them.
client.on('projects.changed', () => void store.getState().loadProjects());
client.on('hosts.changed', () => void store.getState().loadHosts());
client.on('runs.changed', (e) => {
  if (e.runId) void store.getState().refreshRun(e.runId);
  else void store.getState().loadRuns();
});
window.addEventListener('popstate', () => store.getState().syncFromHash(location.hash));

void store.getState().loadAppInfo();
void store.getState().loadProjects();
void store.getState().loadHosts();
void store.getState().loadRuns();
void store.getState().loadRecipes();

createRoot(document.getElementById('root')!).render(
  <StoreProvider store={store}>
    <ClientProvider client={client}>
      <App />
    </ClientProvider>
  </StoreProvider>,
);
