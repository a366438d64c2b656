import { useWebSocketEvents } from '@herald/client';
import type { CatalogueEvent } from '@herald/client';
import { useEffect, useState } from 'react';


const TTL_MS = 8000;
const MAX = 4;

interface Toast {
  id: string;
  category: string;
  title: string;
  message: string;
}

function toastFor(e: CatalogueEvent): Toast {
  const t = (title: string, message = '') => ({ id: e.id, category: e.category, title, message });
  switch (e.event_type) {
    case 'pipeline_execution_completed':
      return t(`Execution ${e.data.executionId} ${e.data.execution.status}`, e.data.execution.message);
    case 'security_vulnerability_detected':
    case 'security_vulnerability_updated':
      return t(`${e.data.vulnerability.severity.toUpperCase()}: ${e.data.vulnerability.title}`, e.data.vulnerability.cve);
    case 'debug_error_detected':
      return t(`Error in session ${e.data.sessionId}`, e.data.error.message);
    case 'debug_patch_rollback':
      return t(`Patch ${e.data.patchId} rolled back`, e.data.result.message);
    case 'debug_patch_applied':
      return t(`Patch ${e.data.patchId} ${e.data.result.success ? 'applied' : 'failed'}`, e.data.result.message);
    case 'system_alert':
      return t(e.data.alert.title, e.data.alert.message);
    default:
      return t(e.event_type.replaceAll('_', ' '), e.subject);
  }
}

function ToastItem({ toast, onDismiss }: { toast: Toast; onDismiss: (id: string) => void }) {
  useEffect(() => {
    const timer = setTimeout(() => onDismiss(toast.id), TTL_MS);
    return () => clearTimeout(timer);
  }, [toast.id, onDismiss]);
  return (
    <div className={`toast toast-${toast.category.toLowerCase()}`} role="alert" data-testid="toast" data-key={toast.id}>
      <strong>{toast.title}</strong>
      {toast.message ? <div className="small">{toast.message}</div> : null}
      <button aria-label="dismiss" onClick={() => onDismiss(toast.id)}>
        ×
      </button>
    </div>
  );
}

/** A toast for each live HIGH priority event (never for replayed history), at most four. */
export function Toasts() {
  const [toasts, setToasts] = useState<Toast[]>([]);
  useWebSocketEvents((event, delivery) => {
    if (event.priority !== 'HIGH' || delivery.replayed) return;
    setToasts((list) => [toastFor(event), ...list.filter((t) => t.id !== event.id)].slice(0, MAX));
  });
  const [dismiss] = useState(() => (id: string) => setToasts((list) => list.filter((t) => t.id !== id)));
  return (
    <div className="toasts" data-testid="toasts">
      {toasts.map((t) => (
        <ToastItem key={t.id} toast={t} onDismiss={dismiss} />
      ))}
    </div>
  );
}
