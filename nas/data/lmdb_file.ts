// A check of an LMDB data file before LMDB maps it. LMDB trusts its file: a truncated one dies
// of SIGBUS, a damaged page can corrupt the heap or point nowhere. So read both meta pages, take
// the newer, require the file to hold its last page, and walk every B-tree page reachable from
// the databases it records (the free list, the main database and the named ones in it): each
// page number in the file, each page the kind its parent says, every node inside its page,
// every overflow run inside the file, and as many entries as each database records.
// Layout (lmdb's mdb.c): a page header of 16 bytes (24 in the build the lmdb package ships, which
// stores a txnid in it) ends with flags, lower and upper (u16 each); a meta page holds MDB_meta
// after it. The 24-byte build counts lower, upper and node offsets from the header's end
// (PAGEBASE), the 16-byte one from the page's start.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const MAGIC = 0xbeefc0de;
const P_BRANCH = 0x01, P_LEAF = 0x02;
const F_BIGDATA = 0x01, F_SUBDATA = 0x02;
const NODE_BYTES = 8;        // mn_lo, mn_hi, mn_flags, mn_ksize
const DB_BYTES = 48;         // MDB_db
const NO_PAGE = 0xffffffffffffffffn;

interface Db { depth: number; entries: bigint; root: bigint }
interface Meta { version: number; pageSize: number; dbs: [Db, Db]; lastPage: bigint; txnid: bigint }

export class LmdbFileError extends Error {}

const readDb = (b: Buffer, at: number): Db => ({ depth: b.readUInt16LE(at + 6), entries: b.readBigUInt64LE(at + 32), root: b.readBigUInt64LE(at + 40) });

/** Checks `file` (a data.mdb); throws an LmdbFileError naming it and what is wrong. */
export function checkLmdbFile(file: string): void {
  const fail = (msg: string): never => { throw new LmdbFileError(`${file}: corrupt LMDB (${msg})`); };
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const read = (at: number, n: number) => {
      const b = Buffer.alloc(n);
      if (readSync(fd, b, 0, n, at) !== n) fail(`the file ends inside the page at byte ${at}`);
      return b;
    };
    if (size < 1024) fail(`${size} bytes, too short for its two meta pages`);
    const first = read(0, 512);
    const hdr = [16, 24].find((o) => first.readUInt32LE(o) === MAGIC) ?? fail('no meta page: the first page lacks the LMDB magic number');
    const base = hdr === 24 ? hdr : 0;
    const pageSize = first.readUInt32LE(hdr + 24);   // dbs[FREE_DBI].md_pad holds the page size
    if (!(pageSize >= 512 && pageSize <= 65536 && (pageSize & (pageSize - 1)) === 0)) fail(`page size ${pageSize} in the first meta page`);
    const metas = [0, 1].map((i): Meta => {
      const b = read(i * pageSize, hdr + 136), m = hdr;
      if (b.readUInt32LE(m) !== MAGIC) fail(`meta page ${i} lacks the LMDB magic number`);
      return { version: b.readUInt32LE(m + 4), pageSize, dbs: [readDb(b, m + 24), readDb(b, m + 24 + DB_BYTES)], lastPage: b.readBigUInt64LE(m + 120), txnid: b.readBigUInt64LE(m + 128) };
    });
    if (metas[0].version !== metas[1].version) fail(`the meta pages disagree on the version (${metas[0].version}, ${metas[1].version})`);
    const meta = metas[0].txnid >= metas[1].txnid ? metas[0] : metas[1];
    const pages = BigInt(Math.floor(size / pageSize));
    if (meta.lastPage + 1n > pages) fail(`its meta page records ${meta.lastPage + 1n} pages, the file holds ${pages}: truncated`);
    const last = Number(meta.lastPage);
    const seen = new Set<number>();

    /** Walks a database's tree; returns its leaf entries. */
    const walk = (db: Db, what: string, named: boolean): bigint => {
      if (db.root === NO_PAGE) return db.entries === 0n ? 0n : fail(`${what} records ${db.entries} entries but has no root page`);
      let entries = 0n;
      const visit = (pgno: bigint, depth: number): void => {
        if (pgno > meta.lastPage) fail(`${what}: page ${pgno} is past the last page ${last}`);
        const p = Number(pgno);
        if (seen.has(p)) fail(`${what}: page ${p} is reached twice`);
        seen.add(p);
        const b = read(p * pageSize, pageSize), at = (msg: string) => fail(`${what}, page ${p}: ${msg}`);
        if (b.readBigUInt64LE(0) !== pgno) at(`its header says page ${b.readBigUInt64LE(0)}`);
        const flags = b.readUInt16LE(hdr - 6), lower = base + b.readUInt16LE(hdr - 4), upper = base + b.readUInt16LE(hdr - 2);
        const leaf = (flags & P_LEAF) !== 0, branch = (flags & P_BRANCH) !== 0;
        if (leaf === branch) at(`flags 0x${flags.toString(16)}: neither a branch nor a leaf page`);
        if ((depth === 1) !== leaf) at(`a ${leaf ? 'leaf' : 'branch'} page where the tree's depth puts a ${depth === 1 ? 'leaf' : 'branch'}`);
        if (lower < hdr || upper > pageSize || lower > upper || (lower - hdr) % 2) at(`free space from ${lower} to ${upper}`);
        for (let i = 0; i < (lower - hdr) / 2; i++) {
          const node = base + b.readUInt16LE(hdr + 2 * i);
          if (node < upper || node + NODE_BYTES > pageSize) at(`node ${i} at ${node}, outside the page's nodes`);
          const lo = b.readUInt16LE(node), hi = b.readUInt16LE(node + 2), nflags = b.readUInt16LE(node + 4), ksize = b.readUInt16LE(node + 6);
          const keyEnd = node + NODE_BYTES + ksize;
          if (keyEnd > pageSize) at(`node ${i}: its ${ksize}-byte key runs past the page`);
          if (branch) {
            visit(BigInt(lo) | (BigInt(hi) << 16n) | (BigInt(nflags) << 32n), depth - 1);
            continue;
          }
          entries++;
          const dsize = lo + hi * 65536;
          if (nflags & F_BIGDATA) {
            if (keyEnd + 8 > pageSize) at(`node ${i}: its overflow page number runs past the page`);
            const first = b.readBigUInt64LE(keyEnd), run = BigInt(Math.floor((hdr - 1 + dsize) / pageSize) + 1);
            if (first + run - 1n > meta.lastPage) at(`node ${i}: ${dsize} bytes on overflow pages ${first}-${first + run - 1n}, past the last page ${last}`);
          } else if (keyEnd + dsize > pageSize) at(`node ${i}: its ${dsize}-byte value runs past the page`);
          else if (nflags & F_SUBDATA) {
            if (!named || dsize !== DB_BYTES) at(`node ${i}: a sub-database where none can be`);
            const name = b.subarray(node + NODE_BYTES, keyEnd).toString('latin1');
            const sub = readDb(b, keyEnd);
            const n = walk(sub, `database '${name}'`, false);
            if (n !== sub.entries) fail(`database '${name}' records ${sub.entries} entries, its pages hold ${n}`);
          }
        }
      };
      if (db.depth < 1 || db.depth > 64) fail(`${what}: depth ${db.depth}`);
      visit(db.root, db.depth);
      return entries;
    };
    const [free, main] = meta.dbs;
    for (const [db, what, named] of [[free, 'the free list', false], [main, 'the main database', true]] as const) {
      const n = walk(db, what, named);
      if (n !== db.entries) fail(`${what} records ${db.entries} entries, its pages hold ${n}`);
    }
  } finally {
    closeSync(fd);
  }
}
