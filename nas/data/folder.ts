// Image folders laid out as root/<class>/<image> (ImageNet style), and the list files that name
// their images. Everything is sorted by code units, so the result never depends on the order in
// which the file system lists a directory or on the locale.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../io.js';
import { mustExist } from './files.js';

/** One image: its path relative to the image root ("<class>/<file>") and its label. */
export interface Entry {
  key: string;
  label: number;
}

export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.avif']);

export const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Class folders of an image root, sorted. */
export function listClasses(root: string): string[] {
  if (!mustExist(root, 'image folder').isDirectory()) throw new Error(`image folder ${root} is not a directory`);
  const classes = fs.readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort(byCodeUnits);
  if (!classes.length) throw new Error(`image folder ${root} has no class folders (expected ${root}/<class>/<image>)`);
  return classes;
}

/** Image files of one class folder, sorted; an empty class is an error. */
export function listImages(root: string, cls: string): string[] {
  const dir = path.join(root, cls);
  const files = fs.readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile() && !d.name.startsWith('.') && IMAGE_EXTENSIONS.has(path.extname(d.name).toLowerCase()))
    .map((d) => d.name).sort(byCodeUnits);
  if (!files.length) throw new Error(`class folder ${dir} has no images (${[...IMAGE_EXTENSIONS].join(' ')})`);
  return files;
}

/** Every image of the given classes (default: all class folders), labelled by position in `classes`. */
export function scanImageFolder(root: string, classes = listClasses(root)): Entry[] {
  const entries: Entry[] = [];
  classes.forEach((cls, label) => {
    if (!fs.existsSync(path.join(root, cls))) throw new Error(`class folder ${path.join(root, cls)} does not exist`);
    for (const f of listImages(root, cls)) entries.push({ key: `${cls}/${f}`, label });
  });
  return entries;
}

/** classes.json: an object mapping each class folder to its label, labels 0..N-1. */
export function writeClassMap(file: string, classes: string[]): void {
  writeFileAtomic(file, JSON.stringify(Object.fromEntries(classes.map((c, i) => [c, i])), null, 2) + '\n');
}

/** Reads classes.json and returns the class names in label order. */
export function readClassMap(file: string): string[] {
  mustExist(file, 'class map');
  let map: unknown;
  try {
    map = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`class map ${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new Error(`class map ${file}: expected an object {"class": label}`);
  const pairs = Object.entries(map as Record<string, unknown>);
  const classes: string[] = new Array(pairs.length);
  for (const [cls, label] of pairs) {
    if (!Number.isInteger(label) || (label as number) < 0 || (label as number) >= pairs.length || classes[label as number] !== undefined) {
      throw new Error(`class map ${file}: label ${JSON.stringify(label)} of '${cls}' is not a unique integer in 0..${pairs.length - 1}`);
    }
    classes[label as number] = cls;
  }
  return classes;
}

/** Writes one key per line. */
export function writeList(file: string, entries: Entry[]): void {
  writeFileAtomic(file, entries.map((e) => e.key + '\n').join(''));
}

/** Reads a list of "<class>/<file>" lines; the label comes from the class map. */
export function readList(file: string, classes: string[]): Entry[] {
  mustExist(file, 'list');
  const label = new Map(classes.map((c, i) => [c, i]));
  const seen = new Set<string>();
  const entries: Entry[] = [];
  fs.readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    const key = line.trim();
    if (!key) return;
    const slash = key.indexOf('/');
    const l = label.get(key.slice(0, slash));
    if (slash <= 0 || l === undefined) throw new Error(`${file} line ${i + 1}: class of '${key}' is not in the class map`);
    if (seen.has(key)) throw new Error(`${file} line ${i + 1}: '${key}' is listed twice`);
    seen.add(key);
    entries.push({ key, label: l });
  });
  return entries;
}
