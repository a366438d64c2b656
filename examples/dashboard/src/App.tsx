import { useCallback, useEffect, useState } from 'react';

import { useLatestExecution, type ExecutionRef } from './state/usePipelines';
import { ConnectionIndicator } from './widgets/ConnectionIndicator';
import { DebugFeed } from './widgets/DebugFeed';
import { DeliveryStats } from './widgets/DeliveryStats';
import { ExecutionMonitor } from './widgets/ExecutionMonitor';
import { PipelineStatus } from './widgets/PipelineStatus';
import { SecurityAlerts } from './widgets/SecurityAlerts';
import { SystemStatus } from './widgets/SystemStatus';
import { Toasts } from './widgets/Toasts';

/** How long a finished execution stays in the monitor before it follows the next one. */
const HOLD_MS = 5000;

/**
 * Which execution the monitor shows: the one clicked (`pinned`), else it follows the newest
 * running execution, keeping a finished one on screen for HOLD_MS.
 */
function useMonitored() {
  const latest = useLatestExecution();
  const [pinned, setPinned] = useState<ExecutionRef | null>(null);
  const [followed, setFollowed] = useState<ExecutionRef | null>(null);
  const [released, setReleased] = useState<string | null>(null);
  useEffect(() => {
    if (!latest || latest.executionId === followed?.executionId) return;
    if (followed && released !== followed.executionId) return;
    setFollowed(latest);
  }, [latest, followed, released]);
  // onExecutionComplete of the monitor: release the followed execution after HOLD_MS.
  const onComplete = useCallback((id: string) => {
    setTimeout(() => setReleased(id), HOLD_MS);
  }, []);
  return { shown: pinned ?? followed, pinned: pinned !== null, pin: setPinned, onComplete };
}

/** The dashboard layout (inside <HeraldProvider>). */
export function Dashboard() {
  const { shown, pinned, pin, onComplete } = useMonitored();
  return (
    <div className="app">
      <header className="topbar">
        <h1>
          Herald <span className="muted">live dashboard</span>
        </h1>
        <ConnectionIndicator />
      </header>
      <main className="grid">
        <SystemStatus />
        <DeliveryStats />
        <PipelineStatus selected={shown?.executionId ?? null} onSelect={pin} />
        {shown ? (
          <ExecutionMonitor
            key={shown.executionId}
            executionId={shown.executionId}
            pipelineId={shown.pipelineId}
            onExecutionComplete={(execution) => onComplete(execution.id)}
            actions={
              pinned ? (
                <button data-testid="monitor-follow-latest" onClick={() => pin(null)}>
                  Follow latest
                </button>
              ) : (
                <span className="muted">following the latest execution</span>
              )
            }
          />
        ) : (
          <section className="card" data-testid="execution-monitor" data-execution="">
            <header>
              <h2>Execution</h2>
            </header>
            <p className="empty">Waiting for an execution…</p>
          </section>
        )}
        <SecurityAlerts />
        <DebugFeed />
      </main>
      <Toasts />
    </div>
  );
}
