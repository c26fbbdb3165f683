import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';

/**
 * The console's entry point. Until the operator UI lands (issue 4) it shows who the proxy says you are and
 * whether it talks to the simulated or the live ECS, which is enough to see that `npm start` works end to end.
 */
interface Session {
  user: string;
  groups: string[];
  allowedActions: string[];
  mode: 'sim' | 'live';
}

function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    fetch('/api/session')
      .then(async (res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        setSession((await res.json()) as Session);
      })
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', padding: 24 }}>
      <h1>ECS Key Pair Console</h1>
      {error && <p role="alert">The proxy did not answer: {error}</p>}
      {session && (
        <p>
          Signed in as <strong>{session.user}</strong> · {session.mode === 'sim' ? 'Simulated ECS' : 'Live ECS'} ·{' '}
          {session.allowedActions.length} actions allowed
        </p>
      )}
    </main>
  );
}

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
