import { allowConsoleError, takeUnexpectedConsoleErrors } from './console-errors';

describe('the console.error guard (web/test/setup.ts)', () => {
  it('collects a console.error nobody expected, with its format arguments applied', () => {
    console.error('An update to %s inside a test was not wrapped in act(...).', 'Tooltip');
    expect(takeUnexpectedConsoleErrors()).toEqual(['An update to Tooltip inside a test was not wrapped in act(...).']);
  });

  it('lets through one the test allowed, and only that one', () => {
    allowConsoleError(/^render error/);
    console.error('render error', new Error('boom'));
    console.error('something else');
    expect(takeUnexpectedConsoleErrors()).toEqual(['something else']);
  });

  it('forgets an allowance at the end of the test that made it', () => {
    console.error('render error', new Error('boom'));
    expect(takeUnexpectedConsoleErrors()).toHaveLength(1);
  });
});
