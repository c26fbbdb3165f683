/**
 * The audit module: the `AuditStore` interface the proxy depends on, its errors and limits, and the one store
 * there is (SQLite). Code outside this folder imports from here.
 */
export type {
  AuditIntent,
  AuditStore,
  CrashLeftAttach,
  RunEventInput,
  RunRows,
  RunsQueryInput,
  RunWrite,
  StoredRun,
  StoredRunInstance,
} from './types';
export { AuditInputError, AuditUnavailableError } from './errors';
export { AUDIT_LIMITS } from './validate';
export { openSqliteAuditStore, type SqliteAuditStoreOptions } from './sqlite-store';
