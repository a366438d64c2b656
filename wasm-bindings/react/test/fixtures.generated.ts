// Generated from docs/protocol/fixtures/events by herald_wasm::typescript. Do not edit:
// `UPDATE_TS=1 cargo test -p herald-wasm --test typescript` rewrites it. `tsc` checks that
// every golden fixture is a valid `CatalogueEvent` (no missing, extra or mistyped field).

import type { CatalogueEvent } from "../src/events.generated";

export const FIXTURES: Record<string, CatalogueEvent> = {
  "architecture_diagram_update": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000025",
    "event_type": "architecture_diagram_update",
    "category": "ARCHITECTURE",
    "priority": "LOW",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "platform-monitor",
    "subject": "d-1",
    "data": {
      "diagramId": "d-1",
      "diagram": {
        "name": "checkout",
        "format": "mermaid",
        "content": "graph LR; api-->db",
        "nodes": [
          {
            "id": "api",
            "label": "Checkout API",
            "kind": "service"
          },
          {
            "id": "db",
            "label": "Orders DB",
            "kind": "database"
          }
        ],
        "edges": [
          {
            "from": "api",
            "to": "db"
          }
        ],
        "version": 3
      }
    }
  },
  "debug_error_detected": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000014",
    "event_type": "debug_error_detected",
    "category": "DEBUG",
    "priority": "HIGH",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "self-healing-debugger",
    "subject": "s-1/err-3",
    "data": {
      "sessionId": "s-1",
      "errorId": "err-3",
      "error": {
        "message": "expected 90 to equal 81",
        "errorType": "TestFailure",
        "step": "test",
        "file": "src/cart.test.ts",
        "line": 27
      }
    }
  },
  "debug_ml_classification": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000015",
    "event_type": "debug_ml_classification",
    "category": "DEBUG",
    "priority": "MEDIUM",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "self-healing-debugger",
    "subject": "s-1/err-3",
    "data": {
      "sessionId": "s-1",
      "errorId": "err-3",
      "classifications": [
        {
          "label": "logic_error",
          "confidence": 0.82,
          "explanation": "assertion on a computed total"
        },
        {
          "label": "flaky_test",
          "confidence": 0.11
        }
      ]
    }
  },
  "debug_patch_applied": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000017",
    "event_type": "debug_patch_applied",
    "category": "DEBUG",
    "priority": "MEDIUM",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "self-healing-debugger",
    "subject": "s-1/patch-1",
    "data": {
      "sessionId": "s-1",
      "patchId": "patch-1",
      "result": {
        "success": true,
        "message": "tests pass",
        "testsPassed": true
      }
    }
  },
  "debug_patch_generated": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000016",
    "event_type": "debug_patch_generated",
    "category": "DEBUG",
    "priority": "MEDIUM",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "self-healing-debugger",
    "subject": "s-1/patch-1",
    "data": {
      "sessionId": "s-1",
      "patchId": "patch-1",
      "patch": {
        "description": "apply the discount before tax",
        "diff": "--- a/src/cart.ts\n+++ b/src/cart.ts\n@@ -12 +12 @@\n-  return total * tax - discount;\n+  return (total - discount) * tax;\n",
        "files": [
          "src/cart.ts"
        ],
        "confidence": 0.74
      }
    }
  },
  "debug_patch_rollback": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000018",
    "event_type": "debug_patch_rollback",
    "category": "DEBUG",
    "priority": "HIGH",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "self-healing-debugger",
    "subject": "s-1/patch-1",
    "data": {
      "sessionId": "s-1",
      "patchId": "patch-1",
      "result": {
        "success": false,
        "message": "2 tests still fail",
        "testsPassed": false
      }
    }
  },
  "debug_session_created": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000012",
    "event_type": "debug_session_created",
    "category": "DEBUG",
    "priority": "MEDIUM",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "self-healing-debugger",
    "subject": "s-1",
    "data": {
      "sessionId": "s-1",
      "session": {
        "id": "s-1",
        "status": "active",
        "title": "test stage of e-7 failed",
        "pipelineId": "p-42",
        "executionId": "e-7",
        "startedAt": "2026-11-22T10:03:00Z"
      }
    }
  },
  "debug_session_updated": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000013",
    "event_type": "debug_session_updated",
    "category": "DEBUG",
    "priority": "MEDIUM",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "self-healing-debugger",
    "subject": "s-1",
    "data": {
      "sessionId": "s-1",
      "session": {
        "id": "s-1",
        "status": "patching",
        "title": "test stage of e-7 failed",
        "pipelineId": "p-42",
        "executionId": "e-7",
        "startedAt": "2026-11-22T10:03:00Z"
      }
    }
  },
  "pipeline_created": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000000",
    "event_type": "pipeline_created",
    "category": "PIPELINE",
    "priority": "MEDIUM",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "pipeline-service",
    "subject": "p-42",
    "data": {
      "pipelineId": "p-42",
      "pipeline": {
        "id": "p-42",
        "name": "checkout-service build",
        "status": "active",
        "repository": "git@example.com:shop/checkout.git",
        "branch": "main",
        "stages": [
          "build",
          "test",
          "deploy"
        ],
        "createdBy": "ai-pipeline-generator",
        "createdAt": "2026-11-22T09:58:00.000Z"
      }
    }
  },
  "pipeline_deleted": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000002",
    "event_type": "pipeline_deleted",
    "category": "PIPELINE",
    "priority": "MEDIUM",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "pipeline-service",
    "subject": "p-42",
    "data": {
      "pipelineId": "p-42"
    },
    "final": true
  },
  "pipeline_execution_completed": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000005",
    "event_type": "pipeline_execution_completed",
    "category": "PIPELINE",
    "priority": "HIGH",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "pipeline-service",
    "subject": "p-42/e-7",
    "data": {
      "executionId": "e-7",
      "pipelineId": "p-42",
      "execution": {
        "id": "e-7",
        "status": "failed",
        "pipelineId": "p-42",
        "progress": 100,
        "currentStep": "test",
        "steps": [
          {
            "name": "build",
            "status": "completed",
            "durationMs": 41200
          },
          {
            "name": "test",
            "status": "running"
          }
        ],
        "message": "2 tests failed",
        "trigger": "push",
        "commit": "9fceb02",
        "startedAt": "2026-11-22T10:00:00.123Z",
        "completedAt": "2026-11-22T10:02:30Z",
        "durationMs": 149877
      }
    },
    "final": true
  },
  "pipeline_execution_log": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000006",
    "event_type": "pipeline_execution_log",
    "category": "PIPELINE",
    "priority": "LOW",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "pipeline-service",
    "subject": "p-42/e-7",
    "data": {
      "executionId": "e-7",
      "pipelineId": "p-42",
      "line": "FAIL src/cart.test.ts > applies discount (12 ms)",
      "level": "error",
      "stream": "stderr",
      "step": "test"
    }
  },
  "pipeline_execution_started": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000003",
    "event_type": "pipeline_execution_started",
    "category": "PIPELINE",
    "priority": "MEDIUM",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "pipeline-service",
    "subject": "p-42/e-7",
    "data": {
      "executionId": "e-7",
      "pipelineId": "p-42",
      "execution": {
        "id": "e-7",
        "status": "running",
        "pipelineId": "p-42",
        "progress": 0,
        "currentStep": "build",
        "steps": [
          {
            "name": "build",
            "status": "completed",
            "durationMs": 41200
          },
          {
            "name": "test",
            "status": "running"
          }
        ],
        "trigger": "push",
        "commit": "9fceb02",
        "startedAt": "2026-11-22T10:00:00.123Z"
      }
    }
  },
  "pipeline_execution_updated": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000004",
    "event_type": "pipeline_execution_updated",
    "category": "PIPELINE",
    "priority": "MEDIUM",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "pipeline-service",
    "subject": "p-42/e-7",
    "data": {
      "executionId": "e-7",
      "pipelineId": "p-42",
      "execution": {
        "id": "e-7",
        "status": "running",
        "pipelineId": "p-42",
        "progress": 55,
        "currentStep": "test",
        "steps": [
          {
            "name": "build",
            "status": "completed",
            "durationMs": 41200
          },
          {
            "name": "test",
            "status": "running"
          }
        ],
        "trigger": "push",
        "commit": "9fceb02",
        "startedAt": "2026-11-22T10:00:00.123Z"
      }
    }
  },
  "pipeline_updated": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000001",
    "event_type": "pipeline_updated",
    "category": "PIPELINE",
    "priority": "MEDIUM",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "pipeline-service",
    "subject": "p-42",
    "data": {
      "pipelineId": "p-42",
      "pipeline": {
        "id": "p-42",
        "name": "checkout-service build",
        "status": "paused",
        "repository": "git@example.com:shop/checkout.git",
        "branch": "main",
        "stages": [
          "build",
          "test",
          "deploy"
        ],
        "createdBy": "ai-pipeline-generator",
        "createdAt": "2026-11-22T09:58:00.000Z",
        "updatedAt": "2026-11-22T10:30:00Z"
      }
    }
  },
  "security_scan_completed": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000011",
    "event_type": "security_scan_completed",
    "category": "SECURITY",
    "priority": "HIGH",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "security-scanner",
    "subject": "scan-1",
    "data": {
      "scanId": "scan-1",
      "scan": {
        "id": "scan-1",
        "status": "completed",
        "target": "shop/checkout@9fceb02",
        "scanner": "dependency",
        "progress": 100,
        "findings": {
          "critical": 1,
          "high": 2,
          "medium": 0,
          "low": 5
        },
        "startedAt": "2026-11-22T10:01:00Z",
        "completedAt": "2026-11-22T10:04:10Z"
      }
    },
    "final": true
  },
  "security_scan_started": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000009",
    "event_type": "security_scan_started",
    "category": "SECURITY",
    "priority": "MEDIUM",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "security-scanner",
    "subject": "scan-1",
    "data": {
      "scanId": "scan-1",
      "scan": {
        "id": "scan-1",
        "status": "running",
        "target": "shop/checkout@9fceb02",
        "scanner": "dependency",
        "progress": 0,
        "findings": {
          "critical": 1,
          "high": 2,
          "medium": 0,
          "low": 5
        },
        "startedAt": "2026-11-22T10:01:00Z"
      }
    }
  },
  "security_scan_updated": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000010",
    "event_type": "security_scan_updated",
    "category": "SECURITY",
    "priority": "LOW",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "security-scanner",
    "subject": "scan-1",
    "data": {
      "scanId": "scan-1",
      "scan": {
        "id": "scan-1",
        "status": "running",
        "target": "shop/checkout@9fceb02",
        "scanner": "dependency",
        "progress": 60,
        "findings": {
          "critical": 1,
          "high": 2,
          "medium": 0,
          "low": 5
        },
        "startedAt": "2026-11-22T10:01:00Z"
      }
    }
  },
  "security_vulnerability_detected": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000007",
    "event_type": "security_vulnerability_detected",
    "category": "SECURITY",
    "priority": "HIGH",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "security-scanner",
    "subject": "scan-1/v-1",
    "data": {
      "vulnerabilityId": "v-1",
      "vulnerability": {
        "id": "v-1",
        "title": "Prototype pollution in lodash",
        "severity": "critical",
        "scanId": "scan-1",
        "status": "open",
        "cve": "CVE-2026-1234",
        "package": "lodash",
        "version": "4.17.20",
        "fixedVersion": "4.17.21",
        "file": "package-lock.json",
        "cvss": 9.1
      }
    }
  },
  "security_vulnerability_updated": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000008",
    "event_type": "security_vulnerability_updated",
    "category": "SECURITY",
    "priority": "MEDIUM",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "security-scanner",
    "subject": "scan-1/v-1",
    "data": {
      "vulnerabilityId": "v-1",
      "vulnerability": {
        "id": "v-1",
        "title": "Prototype pollution in lodash",
        "severity": "critical",
        "scanId": "scan-1",
        "status": "fixed",
        "cve": "CVE-2026-1234",
        "package": "lodash",
        "version": "4.17.20",
        "fixedVersion": "4.17.21",
        "file": "package-lock.json",
        "cvss": 9.1
      }
    }
  },
  "system_alert": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000024",
    "event_type": "system_alert",
    "category": "SYSTEM",
    "priority": "HIGH",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "platform-monitor",
    "subject": "alerts/a-5",
    "data": {
      "alertId": "a-5",
      "alert": {
        "title": "Runner queue above 40 jobs",
        "severity": "high",
        "message": "scale the runner pool",
        "component": "runner-pool",
        "raisedAt": "2026-11-22T10:05:00Z",
        "resolved": false
      }
    }
  },
  "system_metrics_update": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000023",
    "event_type": "system_metrics_update",
    "category": "SYSTEM",
    "priority": "LOW",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "platform-monitor",
    "subject": "metrics",
    "data": {
      "metrics": {
        "cpuPercent": 71.5,
        "memoryPercent": 63.0,
        "activePipelines": 12,
        "runningExecutions": 17,
        "queuedJobs": 48,
        "eventsPerSecond": 1250.0,
        "connectedClients": 230
      }
    }
  },
  "system_status_update": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000022",
    "event_type": "system_status_update",
    "category": "SYSTEM",
    "priority": "MEDIUM",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "platform-monitor",
    "subject": "status",
    "data": {
      "status": {
        "status": "degraded",
        "message": "runner pool at capacity",
        "components": [
          {
            "name": "api",
            "status": "healthy"
          },
          {
            "name": "runner-pool",
            "status": "degraded",
            "message": "queue 48 jobs"
          }
        ],
        "version": "3.14.0",
        "uptimeSeconds": 86400
      }
    }
  },
  "tool_completed": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000021",
    "event_type": "tool_completed",
    "category": "DEBUG",
    "priority": "MEDIUM",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "self-healing-debugger",
    "subject": "crew-1/run-9/fixer/run_tests",
    "data": {
      "crewId": "crew-1",
      "runId": "run-9",
      "agentId": "fixer",
      "tool": "run_tests",
      "status": "succeeded",
      "durationMs": 5230,
      "exitCode": 0,
      "message": "30 passed"
    },
    "final": true
  },
  "tool_progress": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000020",
    "event_type": "tool_progress",
    "category": "DEBUG",
    "priority": "LOW",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "self-healing-debugger",
    "subject": "crew-1/run-9/fixer/run_tests",
    "data": {
      "crewId": "crew-1",
      "runId": "run-9",
      "agentId": "fixer",
      "tool": "run_tests",
      "progress": 40,
      "message": "12 of 30 tests"
    }
  },
  "tool_started": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000019",
    "event_type": "tool_started",
    "category": "DEBUG",
    "priority": "LOW",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "self-healing-debugger",
    "subject": "crew-1/run-9/fixer/run_tests",
    "data": {
      "crewId": "crew-1",
      "runId": "run-9",
      "agentId": "fixer",
      "tool": "run_tests",
      "params": {
        "path": "src/cart.test.ts",
        "retries": 1
      },
      "message": "re-running the failing test"
    }
  },
  "user_notification": {
    "id": "019ab3c4-5d6e-7f80-9a1b-000000000026",
    "event_type": "user_notification",
    "category": "USER",
    "priority": "MEDIUM",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "source": "platform-monitor",
    "subject": "u-1",
    "data": {
      "userId": "u-1",
      "notificationId": "n-1",
      "notification": {
        "title": "Patch applied to checkout-service",
        "message": "the self-healing debugger fixed e-7",
        "level": "success",
        "link": "/pipelines/p-42/executions/e-7"
      }
    }
  },
};
