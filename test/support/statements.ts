import type { Database } from 'bun:sqlite';

/**
 * Records the SQL text of every statement `db` prepares from now on (the SQLite engine prepares each
 * statement shape once, through `db.query`), to read their plans afterwards; `restore` stops it.
 */
export function recordStatements(db: Database): { statements: string[]; restore(): void } {
  const statements: string[] = [];
  const query = db.query.bind(db);
  db.query = ((sql: string) => {
    statements.push(sql);
    return query(sql);
  }) as typeof db.query;
  return {
    statements,
    restore: () => {
      db.query = query;
    },
  };
}
