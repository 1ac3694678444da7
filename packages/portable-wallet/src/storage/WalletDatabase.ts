import BetterSqlite3 from 'better-sqlite3'

/**
 * The SQLite file behind one wallet. It knows tables and SQL, nothing about crypto: every
 * lookup column holds a MAC and every value column a ciphertext, produced by `StoreKeys`.
 *
 * better-sqlite3 is synchronous, so each method runs to completion without yielding to the
 * event loop; multi-statement writes are wrapped in transactions so a crash can't leave a
 * record without its tags.
 */

const SCHEMA = `
CREATE TABLE IF NOT EXISTS wallet_meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS wallet_keys (
  id BLOB PRIMARY KEY,
  key_type TEXT NOT NULL,
  secret BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
  id INTEGER PRIMARY KEY,
  category BLOB NOT NULL,
  name BLOB NOT NULL,
  value BLOB NOT NULL,
  UNIQUE (category, name)
);
CREATE TABLE IF NOT EXISTS record_tags (
  tag BLOB NOT NULL,
  record_id INTEGER NOT NULL REFERENCES records (id) ON DELETE CASCADE,
  PRIMARY KEY (tag, record_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_tags_by_record ON record_tags (record_id);
`

/** A WHERE fragment over `records r`, with its positional parameters. */
export interface SqlCondition {
  sql: string
  params: Uint8Array[]
}

export interface StoredRecordRow {
  category: Uint8Array
  name: Uint8Array
  value: Uint8Array
}

/** Dynamic query SQL varies with the query's shape only; cap the cache in case shapes vary wildly. */
const MAX_CACHED_QUERY_STATEMENTS = 500

export class WalletDatabase {
  private readonly db: BetterSqlite3.Database
  private readonly queryStatements = new Map<string, BetterSqlite3.Statement>()

  private readonly statements: {
    getMeta: BetterSqlite3.Statement<[string], { value: string }>
    setMeta: BetterSqlite3.Statement<[string, string]>
    getKey: BetterSqlite3.Statement<[Uint8Array], { key_type: string; secret: Uint8Array }>
    insertKey: BetterSqlite3.Statement<[Uint8Array, string, Uint8Array]>
    insertRecord: BetterSqlite3.Statement<[Uint8Array, Uint8Array, Uint8Array]>
    findRecordId: BetterSqlite3.Statement<[Uint8Array, Uint8Array], { id: number }>
    updateRecordValue: BetterSqlite3.Statement<[Uint8Array, number]>
    deleteRecord: BetterSqlite3.Statement<[Uint8Array, Uint8Array]>
    getRecord: BetterSqlite3.Statement<[Uint8Array, Uint8Array], StoredRecordRow>
    getAllRecords: BetterSqlite3.Statement<[Uint8Array], StoredRecordRow>
    insertTag: BetterSqlite3.Statement<[Uint8Array, number]>
    deleteTags: BetterSqlite3.Statement<[number]>
  }

  /**
   * @param filename a path, or `:memory:`
   * @param mustExist open only an existing file (never create one by accident)
   */
  public constructor(filename: string, mustExist: boolean) {
    this.db = new BetterSqlite3(filename, { fileMustExist: mustExist })
    try {
      if (filename !== ':memory:') {
        this.db.pragma('journal_mode = WAL')
        // With WAL, NORMAL is durable against application crashes and much faster than FULL.
        this.db.pragma('synchronous = NORMAL')
      }
      this.db.pragma('foreign_keys = ON')
      this.db.exec(SCHEMA)
    } catch (error) {
      this.db.close()
      throw error
    }

    const db = this.db
    this.statements = {
      getMeta: db.prepare('SELECT value FROM wallet_meta WHERE name = ?'),
      setMeta: db.prepare('INSERT OR REPLACE INTO wallet_meta (name, value) VALUES (?, ?)'),
      getKey: db.prepare('SELECT key_type, secret FROM wallet_keys WHERE id = ?'),
      insertKey: db.prepare('INSERT INTO wallet_keys (id, key_type, secret) VALUES (?, ?, ?)'),
      insertRecord: db.prepare('INSERT INTO records (category, name, value) VALUES (?, ?, ?)'),
      findRecordId: db.prepare('SELECT id FROM records WHERE category = ? AND name = ?'),
      updateRecordValue: db.prepare('UPDATE records SET value = ? WHERE id = ?'),
      deleteRecord: db.prepare('DELETE FROM records WHERE category = ? AND name = ?'),
      getRecord: db.prepare('SELECT category, name, value FROM records WHERE category = ? AND name = ?'),
      getAllRecords: db.prepare('SELECT category, name, value FROM records WHERE category = ? ORDER BY id'),
      insertTag: db.prepare('INSERT OR IGNORE INTO record_tags (tag, record_id) VALUES (?, ?)'),
      deleteTags: db.prepare('DELETE FROM record_tags WHERE record_id = ?'),
    }
  }

  public close(): void {
    this.queryStatements.clear()
    this.db.close()
  }

  public get isOpen(): boolean {
    return this.db.open
  }

  public transaction<T>(work: () => T): T {
    return this.db.transaction(work)()
  }

  public getMeta(name: string): string | undefined {
    return this.statements.getMeta.get(name)?.value
  }

  public setMeta(name: string, value: string): void {
    this.statements.setMeta.run(name, value)
  }

  public getKey(id: Uint8Array): { keyType: string; secret: Uint8Array } | undefined {
    const row = this.statements.getKey.get(id)
    return row ? { keyType: row.key_type, secret: row.secret } : undefined
  }

  /** @returns false if a key with this id already exists */
  public insertKey(id: Uint8Array, keyType: string, secret: Uint8Array): boolean {
    return this.ignoringUniqueViolation(() => this.statements.insertKey.run(id, keyType, secret))
  }

  /** @returns false if a record with this category and name already exists */
  public insertRecord(category: Uint8Array, name: Uint8Array, value: Uint8Array, tags: Uint8Array[]): boolean {
    return this.transaction(() => {
      let recordId: number | bigint = 0
      const inserted = this.ignoringUniqueViolation(() => {
        recordId = this.statements.insertRecord.run(category, name, value).lastInsertRowid
      })
      if (!inserted) return false
      for (const tag of tags) this.statements.insertTag.run(tag, Number(recordId))
      return true
    })
  }

  /** Replaces the value and the whole tag set. @returns false if the record doesn't exist */
  public replaceRecord(category: Uint8Array, name: Uint8Array, value: Uint8Array, tags: Uint8Array[]): boolean {
    return this.transaction(() => {
      const row = this.statements.findRecordId.get(category, name)
      if (!row) return false
      this.statements.updateRecordValue.run(value, row.id)
      this.statements.deleteTags.run(row.id)
      for (const tag of tags) this.statements.insertTag.run(tag, row.id)
      return true
    })
  }

  /** Tags go with it (ON DELETE CASCADE). @returns false if the record doesn't exist */
  public deleteRecord(category: Uint8Array, name: Uint8Array): boolean {
    return this.statements.deleteRecord.run(category, name).changes > 0
  }

  public getRecord(category: Uint8Array, name: Uint8Array): StoredRecordRow | undefined {
    return this.statements.getRecord.get(category, name)
  }

  public getAllRecords(category: Uint8Array): StoredRecordRow[] {
    return this.statements.getAllRecords.all(category)
  }

  /** Records of one category matching `condition`, in insertion order (stable for paging). */
  public queryRecords(
    category: Uint8Array,
    condition: SqlCondition,
    limit: number | undefined,
    offset: number | undefined,
  ): StoredRecordRow[] {
    // SQLite needs a LIMIT to accept OFFSET; -1 means no limit.
    const sql = `SELECT r.category, r.name, r.value FROM records r WHERE r.category = ? AND (${condition.sql}) ORDER BY r.id LIMIT ? OFFSET ?`
    let statement = this.queryStatements.get(sql)
    if (!statement) {
      if (this.queryStatements.size >= MAX_CACHED_QUERY_STATEMENTS) this.queryStatements.clear()
      statement = this.db.prepare(sql)
      this.queryStatements.set(sql, statement)
    }
    return statement.all(category, ...condition.params, limit ?? -1, offset ?? 0) as StoredRecordRow[]
  }

  private ignoringUniqueViolation(write: () => void): boolean {
    try {
      write()
      return true
    } catch (error) {
      const code = (error as { code?: string }).code
      if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return false
      throw error
    }
  }
}
