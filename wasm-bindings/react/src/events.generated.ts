// Generated from the Rust catalogue (herald-event-types) by herald_wasm::typescript.
// Do not edit: `UPDATE_TS=1 cargo test -p herald-wasm --test typescript` rewrites it.

/** Every event category by name (the envelope's `category`): `EventCategory.SECURITY === "SECURITY"`. */
export const EventCategory = Object.freeze({ PIPELINE: "PIPELINE", SECURITY: "SECURITY", DEBUG: "DEBUG", SYSTEM: "SYSTEM", ARCHITECTURE: "ARCHITECTURE", USER: "USER" } as const);
/** An event category (the envelope's `category`). */
export type EventCategory = (typeof EventCategory)[keyof typeof EventCategory];

/** An event priority. */
export type Priority = "HIGH" | "MEDIUM" | "LOW";

/** Every category, in protocol order. */
export const EVENT_CATEGORIES = ["PIPELINE", "SECURITY", "DEBUG", "SYSTEM", "ARCHITECTURE", "USER"] as const;

/** Known values; unknown values are kept. */
export type PipelineStatus = "active" | "paused" | "draft" | "disabled" | (string & {});

/** Known values; unknown values are kept. */
export type ExecutionStatus = "queued" | "running" | "completed" | "failed" | "cancelled" | (string & {});

/** Known values; unknown values are kept. */
export type StepStatus = "pending" | "running" | "completed" | "failed" | "skipped" | (string & {});

/** Known values; unknown values are kept. */
export type LogLevel = "debug" | "info" | "warn" | "error" | (string & {});

/** Known values; unknown values are kept. */
export type LogStream = "stdout" | "stderr" | "system" | (string & {});

/** Known values; unknown values are kept. */
export type Severity = "critical" | "high" | "medium" | "low" | (string & {});

/** Known values; unknown values are kept. */
export type VulnerabilityStatus = "open" | "fixed" | "ignored" | "false_positive" | (string & {});

/** Known values; unknown values are kept. */
export type ScanStatus = "queued" | "running" | "completed" | "failed" | "cancelled" | (string & {});

/** Known values; unknown values are kept. */
export type SessionStatus = "active" | "analyzing" | "patching" | "resolved" | "failed" | (string & {});

/** Known values; unknown values are kept. */
export type HealthStatus = "healthy" | "degraded" | "down" | "maintenance" | (string & {});

/** Known values; unknown values are kept. */
export type NotificationLevel = "info" | "success" | "warning" | "error" | (string & {});

/** Known values; unknown values are kept. */
export type ToolStatus = "succeeded" | "failed" | "cancelled" | "timed_out" | (string & {});

export interface Pipeline {
  /** Pipeline id (`p-42`). */
  id: string;
  /** Display name. */
  name: string;
  /** Whether the pipeline runs. */
  status?: PipelineStatus;
  /** What the pipeline does. */
  description?: string;
  /** Source repository. */
  repository?: string;
  /** Branch it builds. */
  branch?: string;
  /** Stage names, in order. */
  stages?: string[];
  /** Who or what created it (a user or `ai-pipeline-generator`). */
  createdBy?: string;
  /** When it was created. */
  createdAt?: string;
  /** When it last changed. */
  updatedAt?: string;
  /** Fields this version does not know (kept, as Rust keeps them in `extra`). */
  [field: string]: unknown;
}

export interface Execution {
  /** Execution id (`e-7`). */
  id: string;
  /** Execution state. */
  status: ExecutionStatus;
  /** The pipeline it runs. */
  pipelineId?: string;
  /** Percent done, 0 to 100. */
  progress?: number;
  /** Name of the step running now. */
  currentStep?: string;
  /** Every step with its state. */
  steps?: ExecutionStep[];
  /** Human-readable status or result message. */
  message?: string;
  /** What started it (`push`, `schedule`, `manual`). */
  trigger?: string;
  /** Commit being built. */
  commit?: string;
  /** When it started. */
  startedAt?: string;
  /** When it ended. */
  completedAt?: string;
  /** How long it ran, in milliseconds. */
  durationMs?: number;
  /** Fields this version does not know (kept, as Rust keeps them in `extra`). */
  [field: string]: unknown;
}

export interface ExecutionStep {
  /** Step name. */
  name: string;
  /** Step state. */
  status: StepStatus;
  /** When the step started. */
  startedAt?: string;
  /** When the step ended. */
  completedAt?: string;
  /** How long it ran, in milliseconds. */
  durationMs?: number;
  /** Fields this version does not know (kept, as Rust keeps them in `extra`). */
  [field: string]: unknown;
}

export interface Vulnerability {
  /** Finding id (`v-1`). */
  id: string;
  /** One-line summary. */
  title: string;
  /** How severe it is. */
  severity: Severity;
  /** The scan that found it; when set, it prefixes the subject. */
  scanId?: string;
  /** Where it stands. */
  status?: VulnerabilityStatus;
  /** CVE id (`CVE-2026-1234`). */
  cve?: string;
  /** Affected package. */
  package?: string;
  /** Affected version. */
  version?: string;
  /** First version with a fix. */
  fixedVersion?: string;
  /** Affected file. */
  file?: string;
  /** Line in the file. */
  line?: number;
  /** CVSS score, 0 to 10. */
  cvss?: number;
  /** Details and remediation. */
  description?: string;
  /** Advisory link. */
  url?: string;
  /** Fields this version does not know (kept, as Rust keeps them in `extra`). */
  [field: string]: unknown;
}

export interface Scan {
  /** Scan id (`scan-1`). */
  id: string;
  /** Scan state. */
  status: ScanStatus;
  /** What is scanned (repository, image, pipeline id). */
  target?: string;
  /** The scanner used (`sast`, `dependency`, `secrets`). */
  scanner?: string;
  /** Percent done, 0 to 100. */
  progress?: number;
  /** Findings so far, by severity. */
  findings?: FindingCounts;
  /** Human-readable status. */
  message?: string;
  /** When it started. */
  startedAt?: string;
  /** When it ended. */
  completedAt?: string;
  /** Fields this version does not know (kept, as Rust keeps them in `extra`). */
  [field: string]: unknown;
}

export interface FindingCounts {
  /** Critical findings. */
  critical: number;
  /** High findings. */
  high: number;
  /** Medium findings. */
  medium: number;
  /** Low findings. */
  low: number;
  /** Fields this version does not know (kept, as Rust keeps them in `extra`). */
  [field: string]: unknown;
}

export interface DebugSession {
  /** Session id (`s-1`). */
  id: string;
  /** Session state. */
  status: SessionStatus;
  /** What is being debugged. */
  title?: string;
  /** The pipeline of the failing execution. */
  pipelineId?: string;
  /** The failing execution. */
  executionId?: string;
  /** When the session started. */
  startedAt?: string;
  /** When it ended. */
  endedAt?: string;
  /** Fields this version does not know (kept, as Rust keeps them in `extra`). */
  [field: string]: unknown;
}

export interface DebugError {
  /** The error message. */
  message: string;
  /** The error's kind (`CompileError`, `TestFailure`). */
  errorType?: string;
  /** The execution step it happened in. */
  step?: string;
  /** Source file. */
  file?: string;
  /** Line in the file. */
  line?: number;
  /** Stack trace or log excerpt. */
  stackTrace?: string;
  /** Fields this version does not know (kept, as Rust keeps them in `extra`). */
  [field: string]: unknown;
}

export interface Classification {
  /** The class (`dependency_conflict`, `flaky_test`). */
  label: string;
  /** Confidence, 0 to 1. */
  confidence: number;
  /** Why the classifier chose it. */
  explanation?: string;
  /** Fields this version does not know (kept, as Rust keeps them in `extra`). */
  [field: string]: unknown;
}

export interface Patch {
  /** What the patch changes. */
  description: string;
  /** Unified diff. */
  diff?: string;
  /** Files it touches. */
  files?: string[];
  /** Confidence that it fixes the error, 0 to 1. */
  confidence?: number;
  /** Fields this version does not know (kept, as Rust keeps them in `extra`). */
  [field: string]: unknown;
}

export interface PatchResult {
  /** Whether the operation succeeded. */
  success: boolean;
  /** What happened. */
  message?: string;
  /** Whether the tests passed afterwards. */
  testsPassed?: boolean;
  /** The verification run, if one was started. */
  executionId?: string;
  /** Fields this version does not know (kept, as Rust keeps them in `extra`). */
  [field: string]: unknown;
}

export interface SystemStatus {
  /** Overall health. */
  status: HealthStatus;
  /** Details. */
  message?: string;
  /** Health per component. */
  components?: ComponentStatus[];
  /** Platform version. */
  version?: string;
  /** Seconds since start. */
  uptimeSeconds?: number;
  /** Fields this version does not know (kept, as Rust keeps them in `extra`). */
  [field: string]: unknown;
}

export interface ComponentStatus {
  /** Component name (`runner-pool`). */
  name: string;
  /** Its health. */
  status: HealthStatus;
  /** Details. */
  message?: string;
  /** Fields this version does not know (kept, as Rust keeps them in `extra`). */
  [field: string]: unknown;
}

export interface SystemMetrics {
  /** CPU use, percent. */
  cpuPercent?: number;
  /** Memory use, percent. */
  memoryPercent?: number;
  /** Pipelines with a running execution. */
  activePipelines?: number;
  /** Executions running now. */
  runningExecutions?: number;
  /** Jobs waiting for a runner. */
  queuedJobs?: number;
  /** Events published per second. */
  eventsPerSecond?: number;
  /** Dashboards connected. */
  connectedClients?: number;
  /** Fields this version does not know (kept, as Rust keeps them in `extra`). */
  [field: string]: unknown;
}

export interface Alert {
  /** One-line summary. */
  title: string;
  /** How severe it is. */
  severity: Severity;
  /** Details. */
  message?: string;
  /** The component it concerns. */
  component?: string;
  /** When it was raised. */
  raisedAt?: string;
  /** Whether it has cleared. */
  resolved?: boolean;
  /** Fields this version does not know (kept, as Rust keeps them in `extra`). */
  [field: string]: unknown;
}

export interface Diagram {
  /** Display name. */
  name?: string;
  /** Format of `content` (`mermaid`, `dot`). */
  format?: string;
  /** Diagram source. */
  content?: string;
  /** Nodes of the graph. */
  nodes?: DiagramNode[];
  /** Edges of the graph. */
  edges?: DiagramEdge[];
  /** Revision, growing by one per update. */
  version?: number;
  /** Fields this version does not know (kept, as Rust keeps them in `extra`). */
  [field: string]: unknown;
}

export interface DiagramNode {
  /** Node id. */
  id: string;
  /** Display label. */
  label: string;
  /** Node kind (`service`, `database`, `queue`). */
  kind?: string;
  /** Fields this version does not know (kept, as Rust keeps them in `extra`). */
  [field: string]: unknown;
}

export interface DiagramEdge {
  /** Source node id. */
  from: string;
  /** Target node id. */
  to: string;
  /** Display label. */
  label?: string;
  /** Fields this version does not know (kept, as Rust keeps them in `extra`). */
  [field: string]: unknown;
}

export interface Notification {
  /** One-line summary. */
  title: string;
  /** Details. */
  message?: string;
  /** How it is shown. */
  level?: NotificationLevel;
  /** Where clicking it leads. */
  link?: string;
  /** Fields this version does not know (kept, as Rust keeps them in `extra`). */
  [field: string]: unknown;
}

/** `data` of `pipeline_created` (subject `{pipelineId}`). */
export interface PipelineCreatedData {
  /** The pipeline's id. */
  pipelineId: string;
  /** The pipeline as created. */
  pipeline: Pipeline;
  /** Fields of other events of this category: never set on this one. */
  execution?: undefined;
  executionId?: undefined;
  level?: undefined;
  line?: undefined;
  step?: undefined;
  stream?: undefined;
}

/** `data` of `pipeline_updated` (subject `{pipelineId}`). */
export interface PipelineUpdatedData {
  /** The pipeline's id. */
  pipelineId: string;
  /** The pipeline as it is now. */
  pipeline: Pipeline;
  /** Fields of other events of this category: never set on this one. */
  execution?: undefined;
  executionId?: undefined;
  level?: undefined;
  line?: undefined;
  step?: undefined;
  stream?: undefined;
}

/** `data` of `pipeline_deleted` (subject `{pipelineId}`). */
export interface PipelineDeletedData {
  /** The deleted pipeline's id. */
  pipelineId: string;
  /** Fields of other events of this category: never set on this one. */
  execution?: undefined;
  executionId?: undefined;
  level?: undefined;
  line?: undefined;
  pipeline?: undefined;
  step?: undefined;
  stream?: undefined;
}

/** `data` of `pipeline_execution_started` (subject `{pipelineId}/{executionId}`). */
export interface PipelineExecutionStartedData {
  /** The execution's id. */
  executionId: string;
  /** The pipeline it runs. */
  pipelineId: string;
  /** The execution as started. */
  execution: Execution;
  /** Fields of other events of this category: never set on this one. */
  level?: undefined;
  line?: undefined;
  pipeline?: undefined;
  step?: undefined;
  stream?: undefined;
}

/** `data` of `pipeline_execution_updated` (subject `{pipelineId}/{executionId}`). */
export interface PipelineExecutionUpdatedData {
  /** The execution's id. */
  executionId: string;
  /** The pipeline it runs. */
  pipelineId: string;
  /** The execution as it is now. */
  execution: Execution;
  /** Fields of other events of this category: never set on this one. */
  level?: undefined;
  line?: undefined;
  pipeline?: undefined;
  step?: undefined;
  stream?: undefined;
}

/** `data` of `pipeline_execution_completed` (subject `{pipelineId}/{executionId}`). */
export interface PipelineExecutionCompletedData {
  /** The execution's id. */
  executionId: string;
  /** The pipeline it ran. */
  pipelineId: string;
  /** The execution's final state and result. */
  execution: Execution;
  /** Fields of other events of this category: never set on this one. */
  level?: undefined;
  line?: undefined;
  pipeline?: undefined;
  step?: undefined;
  stream?: undefined;
}

/** `data` of `pipeline_execution_log` (subject `{pipelineId}/{executionId}`). */
export interface PipelineExecutionLogData {
  /** The execution's id. */
  executionId: string;
  /** The pipeline it runs. */
  pipelineId: string;
  /** The text of the line, without its newline. */
  line: string;
  /** The line's severity. */
  level: LogLevel;
  /** Where the line came from. */
  stream: LogStream;
  /** The step that wrote it. */
  step?: string;
  /** Fields of other events of this category: never set on this one. */
  execution?: undefined;
  pipeline?: undefined;
}

/** `data` of `security_vulnerability_detected` (subject `{vulnerability.scanId}/{vulnerabilityId}, or {vulnerabilityId} without a scan`). */
export interface SecurityVulnerabilityDetectedData {
  /** The finding's id. */
  vulnerabilityId: string;
  /** The finding. */
  vulnerability: Vulnerability;
  /** Fields of other events of this category: never set on this one. */
  scan?: undefined;
  scanId?: undefined;
}

/** `data` of `security_vulnerability_updated` (subject `{vulnerability.scanId}/{vulnerabilityId}, or {vulnerabilityId} without a scan`). */
export interface SecurityVulnerabilityUpdatedData {
  /** The finding's id. */
  vulnerabilityId: string;
  /** The finding as it is now. */
  vulnerability: Vulnerability;
  /** Fields of other events of this category: never set on this one. */
  scan?: undefined;
  scanId?: undefined;
}

/** `data` of `security_scan_started` (subject `{scanId}`). */
export interface SecurityScanStartedData {
  /** The scan's id. */
  scanId: string;
  /** The scan as started. */
  scan: Scan;
  /** Fields of other events of this category: never set on this one. */
  vulnerability?: undefined;
  vulnerabilityId?: undefined;
}

/** `data` of `security_scan_updated` (subject `{scanId}`). */
export interface SecurityScanUpdatedData {
  /** The scan's id. */
  scanId: string;
  /** The scan as it is now. */
  scan: Scan;
  /** Fields of other events of this category: never set on this one. */
  vulnerability?: undefined;
  vulnerabilityId?: undefined;
}

/** `data` of `security_scan_completed` (subject `{scanId}`). */
export interface SecurityScanCompletedData {
  /** The scan's id. */
  scanId: string;
  /** The scan's final state and counts. */
  scan: Scan;
  /** Fields of other events of this category: never set on this one. */
  vulnerability?: undefined;
  vulnerabilityId?: undefined;
}

/** `data` of `debug_session_created` (subject `{sessionId}`). */
export interface DebugSessionCreatedData {
  /** The session's id. */
  sessionId: string;
  /** The session as started. */
  session: DebugSession;
  /** Fields of other events of this category: never set on this one. */
  agentId?: undefined;
  classifications?: undefined;
  crewId?: undefined;
  durationMs?: undefined;
  error?: undefined;
  errorId?: undefined;
  exitCode?: undefined;
  message?: undefined;
  params?: undefined;
  patch?: undefined;
  patchId?: undefined;
  progress?: undefined;
  result?: undefined;
  runId?: undefined;
  status?: undefined;
  tool?: undefined;
}

/** `data` of `debug_session_updated` (subject `{sessionId}`). */
export interface DebugSessionUpdatedData {
  /** The session's id. */
  sessionId: string;
  /** The session as it is now. */
  session: DebugSession;
  /** Fields of other events of this category: never set on this one. */
  agentId?: undefined;
  classifications?: undefined;
  crewId?: undefined;
  durationMs?: undefined;
  error?: undefined;
  errorId?: undefined;
  exitCode?: undefined;
  message?: undefined;
  params?: undefined;
  patch?: undefined;
  patchId?: undefined;
  progress?: undefined;
  result?: undefined;
  runId?: undefined;
  status?: undefined;
  tool?: undefined;
}

/** `data` of `debug_error_detected` (subject `{sessionId}/{errorId}`). */
export interface DebugErrorDetectedData {
  /** The session's id. */
  sessionId: string;
  /** The error's id. */
  errorId: string;
  /** The error. */
  error: DebugError;
  /** Fields of other events of this category: never set on this one. */
  agentId?: undefined;
  classifications?: undefined;
  crewId?: undefined;
  durationMs?: undefined;
  exitCode?: undefined;
  message?: undefined;
  params?: undefined;
  patch?: undefined;
  patchId?: undefined;
  progress?: undefined;
  result?: undefined;
  runId?: undefined;
  session?: undefined;
  status?: undefined;
  tool?: undefined;
}

/** `data` of `debug_ml_classification` (subject `{sessionId}/{errorId}`). */
export interface DebugMlClassificationData {
  /** The session's id. */
  sessionId: string;
  /** The classified error. */
  errorId: string;
  /** Labels, most likely first. */
  classifications: Classification[];
  /** Fields of other events of this category: never set on this one. */
  agentId?: undefined;
  crewId?: undefined;
  durationMs?: undefined;
  error?: undefined;
  exitCode?: undefined;
  message?: undefined;
  params?: undefined;
  patch?: undefined;
  patchId?: undefined;
  progress?: undefined;
  result?: undefined;
  runId?: undefined;
  session?: undefined;
  status?: undefined;
  tool?: undefined;
}

/** `data` of `debug_patch_generated` (subject `{sessionId}/{patchId}`). */
export interface DebugPatchGeneratedData {
  /** The session's id. */
  sessionId: string;
  /** The patch's id. */
  patchId: string;
  /** The patch. */
  patch: Patch;
  /** Fields of other events of this category: never set on this one. */
  agentId?: undefined;
  classifications?: undefined;
  crewId?: undefined;
  durationMs?: undefined;
  error?: undefined;
  errorId?: undefined;
  exitCode?: undefined;
  message?: undefined;
  params?: undefined;
  progress?: undefined;
  result?: undefined;
  runId?: undefined;
  session?: undefined;
  status?: undefined;
  tool?: undefined;
}

/** `data` of `debug_patch_applied` (subject `{sessionId}/{patchId}`). */
export interface DebugPatchAppliedData {
  /** The session's id. */
  sessionId: string;
  /** The patch's id. */
  patchId: string;
  /** The outcome. */
  result: PatchResult;
  /** Fields of other events of this category: never set on this one. */
  agentId?: undefined;
  classifications?: undefined;
  crewId?: undefined;
  durationMs?: undefined;
  error?: undefined;
  errorId?: undefined;
  exitCode?: undefined;
  message?: undefined;
  params?: undefined;
  patch?: undefined;
  progress?: undefined;
  runId?: undefined;
  session?: undefined;
  status?: undefined;
  tool?: undefined;
}

/** `data` of `debug_patch_rollback` (subject `{sessionId}/{patchId}`). */
export interface DebugPatchRollbackData {
  /** The session's id. */
  sessionId: string;
  /** The patch's id. */
  patchId: string;
  /** The outcome. */
  result: PatchResult;
  /** Fields of other events of this category: never set on this one. */
  agentId?: undefined;
  classifications?: undefined;
  crewId?: undefined;
  durationMs?: undefined;
  error?: undefined;
  errorId?: undefined;
  exitCode?: undefined;
  message?: undefined;
  params?: undefined;
  patch?: undefined;
  progress?: undefined;
  runId?: undefined;
  session?: undefined;
  status?: undefined;
  tool?: undefined;
}

/** `data` of `tool_started` (subject `{crewId}/{runId}/{agentId}/{tool}`). */
export interface ToolStartedData {
  /** The agent crew. */
  crewId: string;
  /** The crew's run. */
  runId: string;
  /** The agent. */
  agentId: string;
  /** The tool's name. */
  tool: string;
  /** The tool's arguments. */
  params?: unknown;
  /** What the agent is doing. */
  message?: string;
  /** Fields of other events of this category: never set on this one. */
  classifications?: undefined;
  durationMs?: undefined;
  error?: undefined;
  errorId?: undefined;
  exitCode?: undefined;
  patch?: undefined;
  patchId?: undefined;
  progress?: undefined;
  result?: undefined;
  session?: undefined;
  sessionId?: undefined;
  status?: undefined;
}

/** `data` of `tool_progress` (subject `{crewId}/{runId}/{agentId}/{tool}`). */
export interface ToolProgressData {
  /** The agent crew. */
  crewId: string;
  /** The crew's run. */
  runId: string;
  /** The agent. */
  agentId: string;
  /** The tool's name. */
  tool: string;
  /** Percent done, 0 to 100. */
  progress: number;
  /** What it is doing now. */
  message?: string;
  /** Fields of other events of this category: never set on this one. */
  classifications?: undefined;
  durationMs?: undefined;
  error?: undefined;
  errorId?: undefined;
  exitCode?: undefined;
  params?: undefined;
  patch?: undefined;
  patchId?: undefined;
  result?: undefined;
  session?: undefined;
  sessionId?: undefined;
  status?: undefined;
}

/** `data` of `tool_completed` (subject `{crewId}/{runId}/{agentId}/{tool}`). */
export interface ToolCompletedData {
  /** The agent crew. */
  crewId: string;
  /** The crew's run. */
  runId: string;
  /** The agent. */
  agentId: string;
  /** The tool's name. */
  tool: string;
  /** How it ended. */
  status: ToolStatus;
  /** How long it ran, in milliseconds. */
  durationMs: number;
  /** The process exit code, for command tools. */
  exitCode?: number;
  /** Result summary or error. */
  message?: string;
  /** Fields of other events of this category: never set on this one. */
  classifications?: undefined;
  error?: undefined;
  errorId?: undefined;
  params?: undefined;
  patch?: undefined;
  patchId?: undefined;
  progress?: undefined;
  result?: undefined;
  session?: undefined;
  sessionId?: undefined;
}

/** `data` of `system_status_update` (subject `status`). */
export interface SystemStatusUpdateData {
  /** The health now. */
  status: SystemStatus;
  /** Fields of other events of this category: never set on this one. */
  alert?: undefined;
  alertId?: undefined;
  metrics?: undefined;
}

/** `data` of `system_metrics_update` (subject `metrics`). */
export interface SystemMetricsUpdateData {
  /** The snapshot. */
  metrics: SystemMetrics;
  /** Fields of other events of this category: never set on this one. */
  alert?: undefined;
  alertId?: undefined;
  status?: undefined;
}

/** `data` of `system_alert` (subject `alerts/{alertId}`). */
export interface SystemAlertData {
  /** The alert's id. */
  alertId: string;
  /** The alert. */
  alert: Alert;
  /** Fields of other events of this category: never set on this one. */
  metrics?: undefined;
  status?: undefined;
}

/** `data` of `architecture_diagram_update` (subject `{diagramId}`). */
export interface ArchitectureDiagramUpdateData {
  /** The diagram's id. */
  diagramId: string;
  /** The diagram as it is now. */
  diagram: Diagram;
}

/** `data` of `user_notification` (subject `{userId}`). */
export interface UserNotificationData {
  /** The recipient's `sub`. */
  userId: string;
  /** The notification's id. */
  notificationId: string;
  /** The notification. */
  notification: Notification;
}

/** The envelope of a catalogue event (docs/protocol.md §2). */
export interface CatalogueEnvelope<T extends string, C extends EventCategory, D> {
  id: string;
  event_type: T;
  category: C;
  priority: Priority;
  timestamp: string;
  source: string;
  subject: string;
  data: D;
  final?: boolean;
}

export type PipelineCreatedEvent = CatalogueEnvelope<"pipeline_created", "PIPELINE", PipelineCreatedData>;
export type PipelineUpdatedEvent = CatalogueEnvelope<"pipeline_updated", "PIPELINE", PipelineUpdatedData>;
export type PipelineDeletedEvent = CatalogueEnvelope<"pipeline_deleted", "PIPELINE", PipelineDeletedData>;
export type PipelineExecutionStartedEvent = CatalogueEnvelope<"pipeline_execution_started", "PIPELINE", PipelineExecutionStartedData>;
export type PipelineExecutionUpdatedEvent = CatalogueEnvelope<"pipeline_execution_updated", "PIPELINE", PipelineExecutionUpdatedData>;
export type PipelineExecutionCompletedEvent = CatalogueEnvelope<"pipeline_execution_completed", "PIPELINE", PipelineExecutionCompletedData>;
export type PipelineExecutionLogEvent = CatalogueEnvelope<"pipeline_execution_log", "PIPELINE", PipelineExecutionLogData>;
export type SecurityVulnerabilityDetectedEvent = CatalogueEnvelope<"security_vulnerability_detected", "SECURITY", SecurityVulnerabilityDetectedData>;
export type SecurityVulnerabilityUpdatedEvent = CatalogueEnvelope<"security_vulnerability_updated", "SECURITY", SecurityVulnerabilityUpdatedData>;
export type SecurityScanStartedEvent = CatalogueEnvelope<"security_scan_started", "SECURITY", SecurityScanStartedData>;
export type SecurityScanUpdatedEvent = CatalogueEnvelope<"security_scan_updated", "SECURITY", SecurityScanUpdatedData>;
export type SecurityScanCompletedEvent = CatalogueEnvelope<"security_scan_completed", "SECURITY", SecurityScanCompletedData>;
export type DebugSessionCreatedEvent = CatalogueEnvelope<"debug_session_created", "DEBUG", DebugSessionCreatedData>;
export type DebugSessionUpdatedEvent = CatalogueEnvelope<"debug_session_updated", "DEBUG", DebugSessionUpdatedData>;
export type DebugErrorDetectedEvent = CatalogueEnvelope<"debug_error_detected", "DEBUG", DebugErrorDetectedData>;
export type DebugMlClassificationEvent = CatalogueEnvelope<"debug_ml_classification", "DEBUG", DebugMlClassificationData>;
export type DebugPatchGeneratedEvent = CatalogueEnvelope<"debug_patch_generated", "DEBUG", DebugPatchGeneratedData>;
export type DebugPatchAppliedEvent = CatalogueEnvelope<"debug_patch_applied", "DEBUG", DebugPatchAppliedData>;
export type DebugPatchRollbackEvent = CatalogueEnvelope<"debug_patch_rollback", "DEBUG", DebugPatchRollbackData>;
export type ToolStartedEvent = CatalogueEnvelope<"tool_started", "DEBUG", ToolStartedData>;
export type ToolProgressEvent = CatalogueEnvelope<"tool_progress", "DEBUG", ToolProgressData>;
export type ToolCompletedEvent = CatalogueEnvelope<"tool_completed", "DEBUG", ToolCompletedData>;
export type SystemStatusUpdateEvent = CatalogueEnvelope<"system_status_update", "SYSTEM", SystemStatusUpdateData>;
export type SystemMetricsUpdateEvent = CatalogueEnvelope<"system_metrics_update", "SYSTEM", SystemMetricsUpdateData>;
export type SystemAlertEvent = CatalogueEnvelope<"system_alert", "SYSTEM", SystemAlertData>;
export type ArchitectureDiagramUpdateEvent = CatalogueEnvelope<"architecture_diagram_update", "ARCHITECTURE", ArchitectureDiagramUpdateData>;
export type UserNotificationEvent = CatalogueEnvelope<"user_notification", "USER", UserNotificationData>;

/** Every catalogue event: a discriminated union on `event_type`. */
export type CatalogueEvent =
  | PipelineCreatedEvent
  | PipelineUpdatedEvent
  | PipelineDeletedEvent
  | PipelineExecutionStartedEvent
  | PipelineExecutionUpdatedEvent
  | PipelineExecutionCompletedEvent
  | PipelineExecutionLogEvent
  | SecurityVulnerabilityDetectedEvent
  | SecurityVulnerabilityUpdatedEvent
  | SecurityScanStartedEvent
  | SecurityScanUpdatedEvent
  | SecurityScanCompletedEvent
  | DebugSessionCreatedEvent
  | DebugSessionUpdatedEvent
  | DebugErrorDetectedEvent
  | DebugMlClassificationEvent
  | DebugPatchGeneratedEvent
  | DebugPatchAppliedEvent
  | DebugPatchRollbackEvent
  | ToolStartedEvent
  | ToolProgressEvent
  | ToolCompletedEvent
  | SystemStatusUpdateEvent
  | SystemMetricsUpdateEvent
  | SystemAlertEvent
  | ArchitectureDiagramUpdateEvent
  | UserNotificationEvent
;

/** Every catalogue `event_type`. */
export type EventType = CatalogueEvent["event_type"];

/** The event of each `event_type`. */
export type EventOfType<T extends EventType> = Extract<CatalogueEvent, { event_type: T }>;

/** The events of each category. */
export type EventOfCategory<C extends EventCategory> = Extract<CatalogueEvent, { category: C }>;

/** Category of every catalogue event type (runtime metadata). */
export const EVENT_TYPES = {
  pipeline_created: "PIPELINE",
  pipeline_updated: "PIPELINE",
  pipeline_deleted: "PIPELINE",
  pipeline_execution_started: "PIPELINE",
  pipeline_execution_updated: "PIPELINE",
  pipeline_execution_completed: "PIPELINE",
  pipeline_execution_log: "PIPELINE",
  security_vulnerability_detected: "SECURITY",
  security_vulnerability_updated: "SECURITY",
  security_scan_started: "SECURITY",
  security_scan_updated: "SECURITY",
  security_scan_completed: "SECURITY",
  debug_session_created: "DEBUG",
  debug_session_updated: "DEBUG",
  debug_error_detected: "DEBUG",
  debug_ml_classification: "DEBUG",
  debug_patch_generated: "DEBUG",
  debug_patch_applied: "DEBUG",
  debug_patch_rollback: "DEBUG",
  tool_started: "DEBUG",
  tool_progress: "DEBUG",
  tool_completed: "DEBUG",
  system_status_update: "SYSTEM",
  system_metrics_update: "SYSTEM",
  system_alert: "SYSTEM",
  architecture_diagram_update: "ARCHITECTURE",
  user_notification: "USER",
} as const satisfies { [T in EventType]: EventOfType<T>["category"] };
