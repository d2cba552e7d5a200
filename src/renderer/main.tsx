// Renderer entry: connect to the engine (IPC or WebSocket), build the store, mount the app.
import { createRoot } from 'react-dom/client';
import { connectClient } from './api/client';
import { App } from './App';
import { createAppStore } from './store';
import { StoreProvider } from './store/context';
import './styles.css';

const client = connectClient();
const store = createAppStore(client);

client.onStatus((status) => {
  const wasDisconnected = store.getState().connection === 'disconnected';
  store.getState().setConnection(status);
  // After a reconnect, what we show may be stale: reload it.
  if (status === 'connected' && wasDisconnected) void store.getState().loadProjects();
});
client.on('projects.changed', () => void store.getState().loadProjects());
window.addEventListener('popstate', () => store.getState().syncFromHash(location.hash));

void store.getState().loadAppInfo();
void store.getState().loadProjects();

createRoot(document.getElementById('root')!).render(
  <StoreProvider store={store}>
    <App />
  </StoreProvider>,
);
