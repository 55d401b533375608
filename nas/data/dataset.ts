// Datasets: a list of (key, label) entries over an LMDB (lmdb.ts) or an image folder. A dataset
// only reads records; decoding and augmentation are the loader's.
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { listClasses, readClassMap, readList, scanImageFolder, type Entry } from './folder.js';
import { ImageDb } from './lmdb.js';
import { ENCODED, type ImageRecord } from './record.js';

export interface Dataset {
  /** Where the images come from (for messages). */
  readonly source: string;
  /** Class names in label order. */
  readonly classes: string[];
  readonly entries: Entry[];
  /** The record of entry i; the entry's label is authoritative. */
  read(i: number): ImageRecord | Promise<ImageRecord>;
  /** A short name of entry i for error messages. */
  where(i: number): string;
  close(): void;
}

function checkLabels(entries: Entry[], classes: string[], source: string): void {
  const bad = entries.find((e) => !(Number.isInteger(e.label) && e.label >= 0 && e.label < classes.length));
  if (bad) throw new Error(`${source}: '${bad.key}' has label ${bad.label}, outside the class map (${classes.length} classes)`);
}

export class LmdbDataset implements Dataset {
  readonly entries: Entry[];

  private constructor(private readonly db: ReturnType<typeof ImageDb.openForRead>, entries?: Entry[]) {
    if (!entries) {
      // Labels follow from the key's class folder, so opening reads no record.
      const label = new Map(db.classes.map((c, i) => [c, i]));
      entries = db.keys().map((key) => ({ key, label: label.get(key.slice(0, key.indexOf('/'))) ?? -1 }));
    }
    checkLabels(entries, db.classes, db.path);
    this.entries = entries;
  }

  /**
   * Opens a finished LMDB; entries default to every record in key order, or come from a function
   * of the database's class map (to read a list against it).
   */
  static open(dir: string, entries?: Entry[] | ((classes: string[]) => Entry[])): LmdbDataset {
    const db = ImageDb.openForRead(dir);
    try {
      return new LmdbDataset(db, typeof entries === 'function' ? entries(db.classes) : entries);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  get source(): string { return this.db.path; }
  get classes(): string[] { return this.db.classes; }

  read(i: number): ImageRecord {
    const e = this.entries[i];
    const r = this.db.get(e.key, this.db.classes.length);
    if (r.label !== e.label) throw new Error(`${this.where(i)}: stored label ${r.label} differs from the list's ${e.label} (different class maps?)`);
    return r;
  }

  where(i: number): string { return `${this.db.path} record '${this.entries[i].key}'`; }
  close(): void { this.db.close(); }
}

export class FolderDataset implements Dataset {
  constructor(readonly source: string, readonly classes: string[], readonly entries: Entry[]) {
    checkLabels(entries, classes, source);
  }

  /** Every image under root/<class>/, classes sorted (or as given by a classes.json). */
  static scan(root: string, classMap?: string): FolderDataset {
    const classes = classMap ? readClassMap(classMap) : listClasses(root);
    return new FolderDataset(root, classes, scanImageFolder(root, classes));
  }

  /** The images a list names; classes.json defaults to the one beside the list. */
  static fromList(root: string, list: string, classMap = path.join(path.dirname(list), 'classes.json')): FolderDataset {
    const classes = readClassMap(classMap);
    return new FolderDataset(root, classes, readList(list, classes));
  }

  async read(i: number): Promise<ImageRecord> {
    const file = this.where(i);
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(file);
    } catch (e) {
      throw new Error(`${file}: cannot read image (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    let meta: Metadata;
    try {
      meta = await sharp(bytes).metadata();
    } catch (e) {
      throw new Error(`${file}: cannot decode image (${(e as Error).message})`);
    }
    if (!meta.width || !meta.height) throw new Error(`${file}: image has no size`);
    const channels = (meta.channels ?? 3) < 3 ? 1 : 3;
    return { kind: ENCODED, channels, label: this.entries[i].label, width: meta.width, height: meta.height, payload: bytes };
  }

  where(i: number): string { return path.join(this.source, this.entries[i].key); }
  close(): void {}
}

/** An LMDB (a directory with data.mdb) or an image folder, optionally restricted to a list (default class map: the LMDB's, or classes.json beside the list). */
export function openDataset(p: string, o: { list?: string; classMap?: string } = {}): Dataset {
  const { list, classMap } = o;
  if (fs.existsSync(path.join(p, 'data.mdb'))) {
    return LmdbDataset.open(p, list ? (classes) => readList(list, classMap ? readClassMap(classMap) : classes) : undefined);
  }
  return list ? FolderDataset.fromList(p, list, classMap) : FolderDataset.scan(p, classMap);
}

/** The entries of `base` that `entries` names (by key), as a dataset reading through `base`. */
export function subsetDataset(base: Dataset, entries: Entry[]): Dataset {
  const at = new Map(base.entries.map((e, i) => [e.key, i]));
  const index = entries.map((e) => {
    const i = at.get(e.key);
    if (i === undefined) throw new Error(`${base.source}: no image '${e.key}'`);
    return i;
  });
  return {
    source: base.source, classes: base.classes, entries,
    read: (i) => base.read(index[i]),
    where: (i) => base.where(index[i]),
    close: () => base.close(),
  };
}
