import { ConnectionIndicator } from './widgets/ConnectionIndicator';
import { DebugFeed } from './widgets/DebugFeed';
import { ExecutionMonitor } from './widgets/ExecutionMonitor';
import { PipelineStatus } from './widgets/PipelineStatus';
import { SecurityAlerts } from './widgets/SecurityAlerts';
import { SystemStatus } from './widgets/SystemStatus';
import { Toasts } from './widgets/Toasts';

/** The dashboard layout (inside <HeraldProvider> and <DashboardProvider>). */
export function Dashboard() {
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
        <PipelineStatus />
        <ExecutionMonitor />
        <SecurityAlerts />
        <DebugFeed />
      </main>
      <Toasts />
    </div>
  );
}
