// Packing images into the LMDB (lmdb.ts, record.ts). Work goes in chunks: each chunk's images are
// decoded concurrently (sharp's thread pool) and written in one transaction, so memory stays
// bounded by the chunk, a killed pack leaves only whole records behind, and a re-run skips the
// keys already there. The class map and count are written at the end, the `complete` flag last.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp, { type OutputInfo, type Sharp } from 'sharp';
import { Progress } from './files.js';
import { listClasses, readClassMap, readList, scanImageFolder, type Entry } from './folder.js';
import { ImageDb } from './lmdb.js';
import { encodeRecord, ENCODED, RAW, type ImageRecord } from './record.js';

/** An image that exists but does not decode (what --skip-bad skips). */
export class BadImageError extends Error {}

/** Images up to this many pixels are stored raw under `store: 'auto'` (a codec call costs more than their bytes). */
export const AUTO_RAW_MAX_PIXELS = 64 * 64;

export interface EncodeOptions {
  /** Resize so that the shorter side is this long. */
  size?: number;
  /** JPEG quality when a resized non-PNG image is re-encoded. */
  quality?: number;
  /** raw pixels, the encoded file, or raw up to AUTO_RAW_MAX_PIXELS. */
  store?: 'auto' | 'raw' | 'encoded';
}

/** A sharp pipeline over raw HWC pixels; grey stays one channel when encoded (sharp would write RGB). */
export function fromPixels(pixels: Uint8Array, width: number, height: number, channels: 1 | 3): Sharp {
  return sharp(pixels, { raw: { width, height, channels } }).toColourspace(channels === 1 ? 'b-w' : 'srgb');
}

/**
 * Decodes an image file (which proves it is whole) and returns its record: raw pixels, the
 * original bytes, or, when resized, the bytes re-encoded (PNG stays PNG, the rest become JPEG).
 */
export async function imageToRecord(bytes: Uint8Array, label: number, where: string, o: EncodeOptions = {}): Promise<ImageRecord> {
  let pixels: Buffer, info: OutputInfo, format: string | undefined;
  try {
    const meta = await sharp(bytes).metadata();
    format = meta.format;
    let p = sharp(bytes).removeAlpha().toColourspace((meta.channels ?? 3) < 3 ? 'b-w' : 'srgb');
    if (o.size) p = p.resize(o.size, o.size, { fit: 'outside' });
    ({ data: pixels, info } = await p.raw().toBuffer({ resolveWithObject: true }));
  } catch (e) {
    throw new BadImageError(`${where}: cannot decode image (${(e as Error).message})`);
  }
  const { width, height, channels } = info;
  const store = o.store ?? 'auto';
  if (store === 'raw' || (store === 'auto' && width * height <= AUTO_RAW_MAX_PIXELS)) {
    return { kind: RAW, channels, label, width, height, payload: pixels };
  }
  let payload = bytes;
  if (o.size) {
    const p = fromPixels(pixels, width, height, channels as 1 | 3);
    payload = await (format === 'png' ? p.png() : p.jpeg({ quality: o.quality ?? 95 })).toBuffer();
  }
  return { kind: ENCODED, channels, label, width, height, payload };
}

export interface PackResult {
  count: number;
  /** Images that did not decode and were skipped (with their error). */
  skipped: string[];
  /** The database was already finished; nothing was written. */
  alreadyComplete: boolean;
}

/**
 * The resumable core: writes load(entry) for every entry not yet in the database, then the
 * metadata. `source` identifies the input; resuming with another input is refused.
 */
export async function packEntries(
  out: string, source: string, classes: string[], entries: Entry[],
  load: (e: Entry, index: number) => Promise<ImageRecord>, o: { skipBad?: boolean; chunk?: number; label?: string } = {},
): Promise<PackResult> {
  const db = ImageDb.openForWrite(out);
  try {
    if (!db.begin(source)) {
      const m = db.readMeta();
      return { count: m.count as number, skipped: [], alreadyComplete: true };
    }
    const skipped: string[] = [];
    const chunk = o.chunk ?? 256;
    const progress = new Progress(o.label ?? `pack ${out}`, entries.length);
    for (let i = 0; i < entries.length; i += chunk) {
      const todo = entries.slice(i, i + chunk).map((e, j) => [e, i + j] as const).filter(([e]) => !db.has(e.key));
      const records = await Promise.all(todo.map(async ([e, index]): Promise<[string, Buffer] | null> => {
        try {
          return [e.key, encodeRecord(await load(e, index))];
        } catch (err) {
          if (!(err instanceof BadImageError && o.skipBad)) throw err;
          skipped.push((err as Error).message);
          return null;
        }
      }));
      db.putMany(records.filter((r): r is [string, Buffer] => r !== null));
      progress.tick(Math.min(i + chunk, entries.length));
    }
    progress.end(entries.length);
    const count = entries.length - skipped.length;
    db.finish({ classes, count });
    return { count, skipped, alreadyComplete: false };
  } finally {
    db.close();
  }
}

export interface PackOptions extends EncodeOptions {
  /** Image root: <images>/<class>/<file>. */
  images: string;
  /** A list of "<class>/<file>" lines; default: every image under the root. */
  list?: string;
  /** classes.json; default: the one beside the list, or the sorted class folders. */
  classMap?: string;
  /** LMDB directory to write. */
  out: string;
  skipBad?: boolean;
}

/** densenas data pack: images named by a list (or all of a folder) into an LMDB. */
export async function packImages(o: PackOptions): Promise<PackResult> {
  const classMap = o.classMap ?? (o.list ? path.join(path.dirname(o.list), 'classes.json') : undefined);
  const classes = classMap ? readClassMap(classMap) : listClasses(o.images);
  const entries = o.list ? readList(o.list, classes) : scanImageFolder(o.images, classes);
  const named = o.list ? `list ${o.list}` : `image folder ${o.images}`;
  const h = createHash('sha256');
  for (const e of entries) h.update(`${e.key}\t${e.label}\n`);
  const source = JSON.stringify({
    images: path.resolve(o.images), list: o.list ? path.resolve(o.list) : null, classes,
    size: o.size ?? null, quality: o.quality ?? null, store: o.store ?? 'auto', entries: h.digest('hex'),
  });
  return packEntries(o.out, source, classes, entries, async (e) => {
    const file = path.join(o.images, e.key);
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(file);
    } catch (err) {
      throw new Error(`${named} names ${file}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    return imageToRecord(bytes, e.label, file, o);
  }, { skipBad: o.skipBad });
}
