// The small D1-shaped SQL interface the search adapters need
// (worker/search/fts5-keyword-index.ts `SqlDatabase`), over Node's built-in
// SQLite (Node-only). Lets the benchmarks run the production index and search
// code in-process, e.g. to time SQL without D1's transport, or to measure the
// Porter stemmer, which the migration fixes and the gateway cannot switch off.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { fileURLToPath } from "node:url";
import type { SqlDatabase, SqlStatement } from "../worker/search/fts5-keyword-index.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

class NodeStatement implements SqlStatement {
  private readonly db: DatabaseSync;
  private readonly sql: string;
  private readonly values: SQLInputValue[];

  constructor(db: DatabaseSync, sql: string, values: SQLInputValue[] = []) {
    this.db = db;
    this.sql = sql;
    this.values = values;
  }

  bind(...values: unknown[]): SqlStatement {
    return new NodeStatement(this.db, this.sql, values as SQLInputValue[]);
  }

  async all<T = Record<string, unknown>>(): Promise<{ results: T[] }> {
    return { results: this.db.prepare(this.sql).all(...this.values) as T[] };
  }

  async run(): Promise<unknown> {
    return this.db.prepare(this.sql).run(...this.values);
  }

  /** Reads rows when the statement returns any, else runs it (as D1's batch does). */
  execute(): { results: unknown[] } {
    const statement = this.db.prepare(this.sql);
    if (statement.columns().length > 0) return { results: statement.all(...this.values) };
    statement.run(...this.values);
    return { results: [] };
  }
}

export class NodeSqlDatabase implements SqlDatabase {
  readonly db: DatabaseSync;

  /** A fresh in-memory database with the repository's migrations applied. */
  constructor(options: { tokenizer?: string } = {}) {
    this.db = new DatabaseSync(":memory:");
    for (const file of ["0002_search_index.sql"]) {
      let sql = readFileSync(join(ROOT, "migrations", file), "utf8").replaceAll(
        "--> statement-breakpoint",
        "",
      );
      if (options.tokenizer) sql = sql.replaceAll("porter unicode61 remove_diacritics 2", options.tokenizer);
      this.db.exec(sql);
    }
  }

  prepare(query: string): SqlStatement {
    return new NodeStatement(this.db, query);
  }

  async batch<T = unknown>(statements: SqlStatement[]): Promise<{ results: T[] }[]> {
    this.db.exec("BEGIN");
    try {
      const results = statements.map(
        (statement) => (statement as NodeStatement).execute() as { results: T[] },
      );
      this.db.exec("COMMIT");
      return results;
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
  }
}
