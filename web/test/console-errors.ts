import { format } from 'node:util';

/**
 * Web tests fail on a console.error nobody expected. React reports act(...) warnings, key and prop warnings and
 * errors caught by an error boundary that way, and jsdom its "not implemented" errors: each one is a bug in the
 * test or the app, and a page of them hides the one that matters. A test that expects one says so with
 * allowConsoleError(pattern), before it happens.
 */

let allowed: RegExp[] = [];
let unexpected: string[] = [];
/** Logged between tests (a timer of an earlier test firing late): reported with the next test. */
let strays: string[] = [];
let isInTest = false;

function record(...args: unknown[]): void {
  const text = format(...args);
  if (allowed.some((pattern) => pattern.test(text))) return;
  (isInTest ? unexpected : strays).push(text);
}

/** Installs the guard for every test of the file; web/test/setup.ts does this once for the web project. */
export function installConsoleErrorGuard(): void {
  console.error = record;
  beforeEach(() => {
    isInTest = true;
  });
  afterEach(() => {
    isInTest = false;
    const found = [...strays.map((text) => `(logged before this test began, by an earlier one) ${text}`), ...unexpected];
    strays = [];
    unexpected = [];
    allowed = [];
    if (found.length > 0) {
      throw new Error(
        `Unexpected console.error (${found.length}); fix the cause, or allowConsoleError(pattern) in a test that expects it:\n\n${found.join('\n\n')}`,
      );
    }
  });
}

/** Lets console.error calls matching `pattern` pass, until the end of the current test. */
export function allowConsoleError(pattern: RegExp): void {
  allowed.push(pattern);
}

/** Hands over (and forgets) what was logged unexpectedly so far in this test; for testing the guard itself. */
export function takeUnexpectedConsoleErrors(): string[] {
  const found = unexpected;
  unexpected = [];
  return found;
}
