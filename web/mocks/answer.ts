/** What the mock console answers: an HTTP status, a JSON body and headers, as the proxy would. */
export interface ConsoleAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}
