// Compile-time checks (never imported by the app; `tsc -b` checks them): what the package's
// types must refuse. Each `@ts-expect-error` fails the build when its line type-checks.
import { EventCategory, useWebSocketCategory, useWebSocketEvent } from '@herald/client';

export function typoCheck() {
  // @ts-expect-error a typo in an event type (issue 14: it used to type-check and never fire)
  useWebSocketEvent('pipeline_execution_update');
  // @ts-expect-error a category that does not exist
  useWebSocketCategory('SECURTY');
  // @ts-expect-error a category that does not exist, through the runtime object
  useWebSocketCategory(EventCategory.SECURTY);
  // The handler gets the event of its type, typed: `executionId` exists, `scanId` does not.
  useWebSocketEvent('pipeline_execution_completed', (event) => {
    event.data.executionId.toUpperCase();
    // @ts-expect-error not a field of pipeline_execution_completed
    void event.data.scanId;
  });
}
