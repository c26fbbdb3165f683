/**
 * The app's URLs that features link to. Features never import each other or the app, so the app hands them
 * these builders (docs/architecture.md#import-rules).
 */

/** A run's page (web/features/runs). Run IDs come from the proxy; encoded so any ID stays one path segment. */
export function runHref(id: string): string {
  return `/runs/${encodeURIComponent(id)}`;
}
