// File helpers shared by nas/: reads that name the file on failure, writes that never leave a
// half-written file behind (temp name in the same folder, then rename).
import { mkdirSync, readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

export function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${what} ${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

/** A file-system error as one that names the path and what was being done (Node's own often name neither). */
export function fsError(err: unknown, path: string, doing: string): Error {
  const e = err as NodeJS.ErrnoException;
  const why = e.code === 'ENOSPC' ? 'no space left on the device' : e.code === 'EEXIST' ? 'a file is in the way'
    : e.code === 'ENOTDIR' ? 'a part of the path is a file, not a folder' : e.code === 'EROFS' ? 'read-only file system'
    : e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied' : e.code === 'ENOENT' ? 'no such file or folder' : e.message;
  return new Error(`${path}: ${doing} (${e.code ? `${e.code}: ` : ''}${why})`);
}

/** Makes a folder (and its parents), with an error that names it. */
export function makeDir(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (err) {
    throw fsError(err, path, 'cannot create the folder');
  }
}

/** Writes a file under a temporary name in its folder (made when missing), then renames it; the temporary file never stays. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  makeDir(dirname(path));
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw fsError(err, path, 'cannot write');
  }
}

/** A value for an error message: numbers as JavaScript writes them (NaN, Infinity, where JSON says null). */
export function showValue(v: unknown, max = 60): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `'${v.length > max ? v.slice(0, max) + '...' : v}'`;
  const text = JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x)) ?? String(v);
  return text.length > max ? text.slice(0, max) + '...' : text;
}

/** 1-based line of a character offset in a text. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
