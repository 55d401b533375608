// Split lists: which classes, and which of their images go to train and which to val. Unlike the
// original (spec 7.1) this is sorted and seeded, so every machine gets the same lists.
import * as path from 'node:path';
import { byCodeUnits, listClasses, scanImageFolder, writeClassMap, writeList, type Entry } from './folder.js';
import { mixSeed, Random } from '../../engine/random.js';
import { makeDir } from '../io.js';

/** The first n classes of the sorted list, or n chosen with the seed (then sorted again). */
export function selectClasses(all: string[], n = all.length, random = false, seed = 0): string[] {
  if (!(Number.isInteger(n) && n >= 1 && n <= all.length)) throw new Error(`cannot choose ${n} classes out of ${all.length}`);
  const sorted = [...all].sort(byCodeUnits);
  return (random ? new Random(mixSeed(seed, 0x636c73)).shuffle(sorted).slice(0, n) : sorted.slice(0, n)).sort(byCodeUnits);
}

/**
 * Splits entries class by class: each class's keys are sorted, shuffled with the seed, and
 * round(valFraction * n) of them go to val. Both halves come back sorted by key.
 */
export function splitEntries(entries: Entry[], valFraction: number, seed: number): { train: Entry[]; val: Entry[] } {
  if (!(valFraction >= 0 && valFraction <= 1)) throw new Error(`validation fraction ${valFraction} is not in [0, 1]`);
  const byLabel = new Map<number, Entry[]>();
  for (const e of entries) {
    let g = byLabel.get(e.label);
    if (!g) byLabel.set(e.label, (g = []));
    g.push(e);
  }
  const train: Entry[] = [], val: Entry[] = [];
  for (const [label, group] of [...byLabel].sort((a, b) => a[0] - b[0])) {
    group.sort((a, b) => byCodeUnits(a.key, b.key));
    new Random(mixSeed(seed, label)).shuffle(group);
    const nVal = Math.round(valFraction * group.length);
    val.push(...group.slice(0, nVal));
    train.push(...group.slice(nVal));
  }
  const byKey = (a: Entry, b: Entry) => byCodeUnits(a.key, b.key);
  return { train: train.sort(byKey), val: val.sort(byKey) };
}

export interface SplitOptions {
  images: string;
  out: string;
  classes?: number;
  randomClasses?: boolean;
  valFraction: number;
  seed: number;
}

/** Writes out/train.txt, out/val.txt and out/classes.json, replacing (never appending to) old ones. */
export function writeSplit(o: SplitOptions): { classes: string[]; train: Entry[]; val: Entry[] } {
  const classes = selectClasses(listClasses(o.images), o.classes, o.randomClasses, o.seed);
  const { train, val } = splitEntries(scanImageFolder(o.images, classes), o.valFraction, o.seed);
  makeDir(o.out);
  writeList(path.join(o.out, 'train.txt'), train);
  writeList(path.join(o.out, 'val.txt'), val);
  writeClassMap(path.join(o.out, 'classes.json'), classes);
  return { classes, train, val };
}
