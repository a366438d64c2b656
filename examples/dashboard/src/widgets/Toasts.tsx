import { useEffect } from 'react';

import type { Toast } from '../state/dashboard';
import { useDashboard, useDashboardStore } from '../state/react';

const TTL_MS = 8000;

function ToastItem({ toast }: { toast: Toast }) {
  const store = useDashboardStore();
  useEffect(() => {
    const timer = setTimeout(() => store.dispatch({ type: 'dismiss-toast', id: toast.id }), TTL_MS);
    return () => clearTimeout(timer);
  }, [store, toast.id]);
  return (
    <div className={`toast toast-${toast.category.toLowerCase()}`} role="alert" data-testid="toast" data-key={toast.id}>
      <strong>{toast.title}</strong>
      {toast.message ? <div className="small">{toast.message}</div> : null}
      <button aria-label="dismiss" onClick={() => store.dispatch({ type: 'dismiss-toast', id: toast.id })}>
        ×
      </button>
    </div>
  );
}

/** Toasts for HIGH priority events. */
export function Toasts() {
  const { toasts } = useDashboard();
  return (
    <div className="toasts" data-testid="toasts">
      {toasts.map((t) => (
        <ToastItem key={t.id} toast={t} />
      ))}
    </div>
  );
}
