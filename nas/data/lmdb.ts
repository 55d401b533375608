// The image database: one LMDB environment (a directory holding data.mdb and lock.mdb) with two
// named databases. `images` maps a key (the image's path relative to the image root, e.g.
// "0_T-shirt_top/00017.png") to a record (record.ts). `meta` holds `classes` (class names in label
// order), `count` (number of records), `source` (what the pack was started from, so a resumed
// pack cannot mix two inputs) and `complete`, written last: a database without it is unfinished.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { checkLmdbFile } from './lmdb_file.js';
import { decodeRecord, type ImageRecord } from './record.js';

export interface DbMeta {
  classes: string[];
  count: number;
}

/** LMDB trusts its file (a damaged data.mdb can crash the process), so the file is checked first. */
function checkDataFile(dir: string): void {
  const file = path.join(dir, 'data.mdb');
  if (!fs.existsSync(file)) throw new Error(`${dir}: no LMDB here (no data.mdb)`);
  checkLmdbFile(file);
}

export class ImageDb {
  private constructor(
    readonly path: string,
    private readonly env: RootDatabase,
    private readonly images: Database<Buffer, string>,
    private readonly meta: Database<unknown, string>,
  ) {}

  /** Opens (creating if needed) a database for writing. */
  static openForWrite(dir: string): ImageDb {
    if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new Error(`${dir}: exists and is not an LMDB directory`);
    if (fs.existsSync(path.join(dir, 'data.mdb'))) checkDataFile(dir);
    return ImageDb.openEnv(dir, false);
  }

  /** Opens a finished database read-only; an unfinished or damaged one is a clear error. */
  static openForRead(dir: string): ImageDb & { classes: string[]; count: number } {
    checkDataFile(dir);
    const db = ImageDb.openEnv(dir, true);
    try {
      const m = db.readMeta();
      if (!m.complete) throw new Error(`${dir}: unfinished LMDB (no 'complete' flag): re-run densenas data pack to finish it`);
      const { classes, count } = m;
      if (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string') || !Number.isInteger(count)) {
        throw new Error(`${dir}: corrupt LMDB metadata (classes or count missing)`);
      }
      return Object.assign(db, { classes: classes as string[], count: count as number });
    } catch (e) {
      db.close();
      throw e;
    }
  }

  private static openEnv(dir: string, readOnly: boolean): ImageDb {
    try {
      // noSubdir false: always a directory, whatever the name looks like. Read-only use needs no lock.
      const env = open({ path: dir, noSubdir: false, readOnly, maxDbs: 4, mapSize: 2 ** 40 });
      const images = env.openDB<Buffer, string>({ name: 'images', encoding: 'binary' });
      const meta = env.openDB<unknown, string>({ name: 'meta', encoding: 'json' });
      return new ImageDb(dir, env, images, meta);
    } catch (e) {
      throw new Error(`${dir}: cannot open as LMDB (${(e as Error).message})`);
    }
  }

  readMeta(): { classes?: unknown; count?: unknown; source?: unknown; complete?: unknown } {
    try {
      return {
        classes: this.meta.get('classes'), count: this.meta.get('count'),
        source: this.meta.get('source'), complete: this.meta.get('complete'),
      };
    } catch (e) {
      throw new Error(`${this.path}: corrupt LMDB metadata (${(e as Error).message})`);
    }
  }

  /** Runs an LMDB call, naming the database when it fails (LMDB's own errors name nothing). */
  private named<T>(what: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw new Error(`${this.path}: ${what} (${(e as Error).message})`);
    }
  }

  has(key: string): boolean { return this.named(`cannot look up '${key}'`, () => this.images.doesExist(key)); }

  /** Number of records stored, finished or not. */
  size(): number { return this.named('cannot count the records', () => this.images.getCount()); }

  /** Every key, in LMDB's (byte) order. */
  keys(): string[] { return this.named('cannot list the keys', () => [...this.images.getKeys()]); }

  /** Reads and checks one record. */
  get(key: string, numClasses: number): ImageRecord {
    const where = `${this.path} record '${key}'`;
    const buf = this.named(`cannot read record '${key}'`, () => this.images.getBinary(key));
    if (!buf) throw new Error(`${where}: not in the database`);
    const r = decodeRecord(buf, where);
    if (r.label >= numClasses) throw new Error(`${where}: label ${r.label} is outside the class map (${numClasses} classes)`);
    return r;
  }

  /** Writes records in one transaction: after a crash either all of them are there or none. */
  putMany(records: [string, Buffer][]): void {
    this.images.transactionSync(() => {
      for (const [k, v] of records) this.images.putSync(k, v);
    });
  }

  /** Starts or resumes a pack from `source`; returns false if the database is already finished. */
  begin(source: string): boolean {
    const m = this.readMeta();
    if (m.source !== undefined && m.source !== source) {
      throw new Error(`${this.path}: this LMDB was packed from a different input (${String(m.source)}); remove it or choose another output`);
    }
    if (m.complete === true) return false;
    this.meta.transactionSync(() => this.meta.putSync('source', source));
    return true;
  }

  /** Writes the class map and count, then the `complete` flag, in one transaction. */
  finish(meta: DbMeta): void {
    const n = this.size();
    if (n !== meta.count) throw new Error(`${this.path}: holds ${n} records, expected ${meta.count}`);
    this.meta.transactionSync(() => {
      this.meta.putSync('classes', meta.classes);
      this.meta.putSync('count', meta.count);
      this.meta.putSync('complete', true);
    });
  }

  close(): void { void this.env.close(); }
}
