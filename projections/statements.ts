import type { Database as Db, Statement } from 'better-sqlite3';

const caches = new WeakMap<Db, Map<string, Statement>>();

/**
 * A prepared statement for `sql` on `db`, compiled once and reused. Projections run their SQL
 * for every event; compiling it each time cost more than executing it.
 */
export function prepared<P extends unknown[] = unknown[], R = unknown>(db: Db, sql: string): Statement<P, R> {
  let cache = caches.get(db);
  if (cache === undefined) {
    cache = new Map();
    caches.set(db, cache);
  }
  let statement = cache.get(sql);
  if (statement === undefined) {
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement as Statement<P, R>;
}
