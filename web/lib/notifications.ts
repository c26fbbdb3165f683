/**
 * A tiny publish/subscribe for toasts, so the query client (created outside React) and any component can
 * raise one and the app shell shows it. Messages are already translated text.
 */
export interface Toast {
  id: number;
  severity: 'error' | 'warning' | 'info' | 'success';
  message: string;
  requestId?: string | undefined;
}

type Listener = (toast: Toast) => void;
const listeners = new Set<Listener>();
let nextId = 1;

export function publishToast(toast: Omit<Toast, 'id'>): void {
  const full = { ...toast, id: nextId++ };
  for (const listener of listeners) listener(full);
}

export function subscribeToasts(listener: Listener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}
