import { setupServer } from 'msw/node';
import { createConsoleModel } from './console-model';
import { createHandlers } from './handlers';

/** The component tests' server: the same handlers and model as the browser mocks. */
export const mockModel = createConsoleModel({ instances: 150 });
export const server = setupServer(...createHandlers(mockModel));
