export * from './port.js';
export * from './errors.js';
export { SqliteEventStore } from './sqlite/sqliteEventStore.js';
export type { SqliteEventStoreOptions } from './sqlite/sqliteEventStore.js';
