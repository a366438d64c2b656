import type { HeraldError } from '@herald/client';

/** `code channel/subject: message` of a refused subscription (or any Herald error). */
export function describeError(error: HeraldError): string {
  const where = error.channel ? ` ${error.channel}${error.subject ? `/${error.subject}` : ''}` : '';
  return `${error.detail ?? error.code}${where}: ${error.message}`;
}

/** A hook's `error` (its subscription was refused), shown in the widget instead of silence. */
export function HookError({ error }: { error: HeraldError | null }) {
  if (!error) return null;
  return (
    <p className="hook-error" role="alert" data-testid="hook-error" data-code={error.detail ?? error.code}>
      Not receiving — {describeError(error)}
    </p>
  );
}
