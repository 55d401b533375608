// Cost tables keyed by op description (nas/ops.ts), stored as JSON:
//   {"format": "densenas-cost-table/1", "kind": "latency" | "flops", "units": "ms",
//    "device": "...", "batch": 32, "entries": {"<op key>": cost, ...}, "spread": {"<op key>": ...},
//    "calibration": {"scale": s, "ratios": [...]}}
// A calibrated table's costs are its entries times `scale` (see nas/latency.ts calibrateTable).
// A table resolves to any space built from a config by looking up the key of every position;
// the original positional tables (spec 3.1) are imported by walking them beside the space.
import { existsSync } from 'node:fs';
import type { Config } from './config.js';
import type { ResolvedCosts } from './cost_chain.js';
import { opCounts } from './counting.js';
import { readText, showValue, writeFileAtomic } from './io.js';
import { opKey, parseOpKey, type OpDesc } from './ops.js';
import type { SearchSpace } from './space.js';

export const TABLE_FORMAT = 'densenas-cost-table/1';

export interface CostTable {
  format: typeof TABLE_FORMAT;
  kind: 'latency' | 'flops';
  units: string;
  /** What the costs were measured on (or how they were computed). */
  device: string;
  batch: number;
  entries: Record<string, number>;
  /** Optional spread of each measurement (same units), e.g. the interquartile range. */
  spread?: Record<string, number>;
  /** Optional factor on every entry, fitted to whole networks: measured / predicted of each. */
  calibration?: { scale: number; ratios: number[] };
}

/** The cost of one op key (scaled by the table's calibration), undefined when missing. */
export function tableCost(table: CostTable, key: string): number | undefined {
  const v = table.entries[key];
  return v === undefined ? undefined : v * (table.calibration?.scale ?? 1);
}

/** Something at every cost position of a space, in the layout of ResolvedCosts. */
export interface Sites<T> {
  stem: T;
  classifier: T;
  head: T[][][];
  stack: T[][][];
  last: T[];
}

/** The op description at every cost position of the space, at the given batch. */
export function spaceSites(space: SearchSpace, batch: number): Sites<OpDesc> {
  const { chs, resolution: res, pred, predStride, primitivesHead: ph, primitivesStack: ps } = space;
  const n = space.numNodes;
  const blocks = Array.from({ length: n - 2 }, (_, b) => b + 1);
  const d = (op: string, cin: number, cout: number, h: number, stride: number): OpDesc => ({ op, cin, cout, in: h, stride, batch });
  return {
    stem: space.netType === 'mbv2'
      ? { ...d('stem_mbv2', space.inChannels, space.headDim, space.inputSize, space.stemStride), mid: space.initDim }
      : d('stem_res', space.inChannels, space.initDim, space.inputSize, space.stemStride),
    classifier: d('classifier', space.lastDim, space.numClasses, 1, 1),
    head: blocks.map((s) => pred[s].map((m, r) => ph.map((op) => d(op, chs[m], chs[s], res[m], predStride[s][r])))),
    stack: blocks.map((s) => Array.from({ length: space.numLayers[s] }, () => ps.map((op) => d(op, chs[s], chs[s], res[s], 1)))),
    last: pred[n - 1].map((m) => d('conv1_1', chs[m], space.lastDim, res[m], 1)),
  };
}

export function mapSites<T, U>(s: Sites<T>, f: (x: T) => U): Sites<U> {
  return {
    stem: f(s.stem), classifier: f(s.classifier),
    head: s.head.map((rows) => rows.map((row) => row.map(f))),
    stack: s.stack.map((rows) => rows.map((row) => row.map(f))),
    last: s.last.map(f),
  };
}

function siteList<T>(s: Sites<T>): T[] {
  return [s.stem, ...s.head.flat(2), ...s.stack.flat(2), ...s.last, s.classifier];
}

/** Every distinct op description the space needs, in forward order. */
export function spaceOpDescs(space: SearchSpace, batch: number): OpDesc[] {
  const seen = new Map<string, OpDesc>();
  for (const d of siteList(spaceSites(space, batch))) if (!seen.has(opKey(d))) seen.set(opKey(d), d);
  return [...seen.values()];
}

/** skip_reg (spec 3.2): a skip op costs the first candidate of its layer / 10. */
export function applySkipReg(space: SearchSpace, costs: ResolvedCosts): void {
  const k = space.primitivesStack.indexOf('skip_connect');
  if (k < 0) return;
  for (const rows of costs.stack) for (const row of rows) row[k] = row[0] / 10;
}

/** Looks up every position of the space; `missing` lists the keys the table lacks. */
export function resolveCosts(space: SearchSpace, table: CostTable, opts: { skipReg?: boolean } = {}): { costs: ResolvedCosts; missing: string[] } {
  const missing = new Set<string>();
  const costs = mapSites(spaceSites(space, table.batch), (d) => {
    const key = opKey(d), v = tableCost(table, key);
    if (v === undefined) missing.add(key);
    return v ?? NaN;
  });
  if (opts.skipReg) applySkipReg(space, costs);
  return { costs, missing: [...missing] };
}

/** Millions of multiply-adds per image of every op the space needs (spec 8). */
export function flopsTable(space: SearchSpace): CostTable {
  const entries: Record<string, number> = {};
  for (const d of spaceOpDescs(space, 1)) entries[opKey(d)] = opCounts(d, false).madds / 1e6;
  return { format: TABLE_FORMAT, kind: 'flops', units: 'M multiply-adds', device: 'counted (spec 8)', batch: 1, entries };
}

/** Sum of the table's costs over a list of ops, e.g. a derived model's (nas/net_config.ts archOps). */
export function opsTableCost(ops: OpDesc[], table: CostTable): { total: number; missing: string[] } {
  let total = 0;
  const missing: string[] = [];
  for (const d of ops) {
    const v = tableCost(table, opKey({ ...d, batch: table.batch }));
    if (v === undefined) missing.push(opKey({ ...d, batch: table.batch }));
    else total += v;
  }
  return { total, missing };
}

// ---- the original positional tables -------------------------------------------------------

export interface PositionalImport {
  /** Costs by position when the table covers every position of the space, else undefined. */
  costs?: ResolvedCosts;
  /** Keyed table of every position present in both; repeated keys keep the mean, with max-min as spread. */
  table: CostTable;
  /** Every disagreement between the table's shape and the space's. */
  mismatches: string[];
}

/**
 * Walks an original positional table (spec 3.1) beside the space, reporting every list whose
 * length differs from the space's (extra rows are ignored, as the original ignores them).
 */
export function importPositional(space: SearchSpace, raw: unknown, meta: TableMeta): PositionalImport {
  const mismatches: string[] = [];
  const sites = spaceSites(space, meta.batch);
  const values = new Map<string, number[]>();
  let complete = true;
  const num = (v: unknown, where: string, d: OpDesc): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      mismatches.push(`${where}: expected a cost (a finite number >= 0), got ${showValue(v)}`);
      complete = false;
      return NaN;
    }
    const k = opKey(d);
    values.set(k, [...(values.get(k) ?? []), v]);
    return v;
  };
  const list = (v: unknown, want: number, where: string, what: string): unknown[] => {
    if (!Array.isArray(v)) {
      mismatches.push(`${where}: expected a list of ${want} ${what}, got ${showValue(v, 40)}`);
      complete = false;
      return [];
    }
    if (v.length !== want) {
      mismatches.push(`${where}: has ${v.length} ${what}, the space has ${want}`);
      if (v.length < want) complete = false;
    }
    return v;
  };
  const nanRows = (want: OpDesc[][]) => want.map((row) => row.map(() => NaN));
  const rows = (v: unknown, want: OpDesc[][], where: string, what: string, cols: string) => {
    const got = list(v, want.length, where, what);
    return want.map((row, r) => {
      if (r >= got.length) return row.map(() => NaN);   // already reported as too few rows
      const g = list(got[r], row.length, `${where}[${r}]`, cols);
      return row.map((d, k) => (k < g.length ? num(g[k], `${where}[${r}][${k}] (${opKey(d)})`, d) : NaN));
    });
  };

  const top = list(raw, 4, 'table', 'top-level items (stem, blocks, conv1_1 branches, classifier)');
  const blocks = list(top[1], sites.head.length, 'table[1]', 'blocks');
  const perBlock = sites.head.map((want, b) => {
    const node = `node ${b + 1}`;
    if (b >= blocks.length) return { head: nanRows(want), stack: nanRows(sites.stack[b]) };
    const pair = list(blocks[b], 2, `table[1][${b}] (${node})`, 'items (head edges, stack layers)');
    if (pair.length < 2) return { head: nanRows(want), stack: nanRows(sites.stack[b]) };
    return {
      head: rows(pair[0], want, `table[1][${b}][0] (${node} head)`, 'head edges', 'head ops'),
      stack: rows(pair[1], sites.stack[b], `table[1][${b}][1] (${node} stack)`, 'stack layers', 'stack ops'),
    };
  });
  const lastGot = list(top[2], sites.last.length, 'table[2] (conv1_1 branches)', 'branches');
  const costs: ResolvedCosts = {
    stem: num(top[0], 'table[0] (stem)', sites.stem),
    head: perBlock.map((x) => x.head),
    stack: perBlock.map((x) => x.stack),
    last: sites.last.map((d, r) => (r < lastGot.length ? num(lastGot[r], `table[2][${r}] (${opKey(d)})`, d) : NaN)),
    classifier: num(top[3], 'table[3] (classifier)', sites.classifier),
  };
  const entries: Record<string, number> = {}, spread: Record<string, number> = {};
  for (const [k, vs] of values) {
    entries[k] = vs.reduce((a, x) => a + x, 0) / vs.length;
    if (vs.length > 1) spread[k] = Math.max(...vs) - Math.min(...vs);
  }
  const table: CostTable = { format: TABLE_FORMAT, ...meta, entries, ...(Object.keys(spread).length ? { spread } : {}) };
  return { costs: complete ? costs : undefined, table, mismatches };
}

// ---- files --------------------------------------------------------------------------------

/** Checks a parsed table object, naming the file and the field at fault. */
export function checkCostTable(data: unknown, source: string): CostTable {
  const fail = (msg: string): never => { throw new Error(`cost table ${source}: ${msg}`); };
  if (data === null || typeof data !== 'object' || Array.isArray(data)) fail('expected a JSON object');
  const t = data as Record<string, unknown>;
  if (t.format !== TABLE_FORMAT) fail(`field format must be "${TABLE_FORMAT}"`);
  if (t.kind !== 'latency' && t.kind !== 'flops') fail('field kind must be "latency" or "flops"');
  for (const f of ['units', 'device']) if (typeof t[f] !== 'string') fail(`field ${f} must be a string`);
  if (!Number.isInteger(t.batch) || (t.batch as number) < 1) fail('field batch must be a positive integer');
  for (const f of ['entries', 'spread']) {
    const m = t[f];
    if (m === undefined && f === 'spread') continue;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) fail(`field ${f} must be an object of op key -> number`);
    for (const [k, v] of Object.entries(m as object)) {
      let batch = 0;
      try {
        batch = parseOpKey(k).batch;
      } catch (err) {
        fail(`${f}: ${(err as Error).message}`);
      }
      if (batch !== t.batch) fail(`${f} key '${k}': batch differs from the table's batch ${t.batch}`);
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(`${f} key '${k}': expected a finite number >= 0, got ${showValue(v)}`);
    }
  }
  const entries = Object.values(t.entries as Record<string, number>);
  if (entries.length && entries.every((v) => v === 0)) fail('every entry is 0: a table of no cost cannot steer a search (a failed build?)');
  if (t.calibration !== undefined) {
    const c = t.calibration as Record<string, unknown> | null;
    const finitePositive = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
    if (!c || typeof c !== 'object' || !Array.isArray(c.ratios)) fail('field calibration must be {"scale": finite number > 0, "ratios": [finite numbers > 0]}');
    if (!finitePositive(c!.scale)) fail(`field calibration.scale: expected a finite number > 0, got ${showValue(c!.scale)}`);
    (c!.ratios as unknown[]).forEach((r, i) => { if (!finitePositive(r)) fail(`field calibration.ratios[${i}]: expected a finite number > 0, got ${showValue(r)}`); });
    // Scaled entries must stay finite too (a huge scale times a large entry overflows).
    for (const [k, v] of Object.entries(t.entries as Record<string, number>)) {
      if (!Number.isFinite(v * (c!.scale as number))) fail(`entries key '${k}': ${v} times calibration.scale ${c!.scale} is not finite`);
    }
  }
  return t as unknown as CostTable;
}

function parseJsonFile(path: string, what: string): unknown {
  const text = readText(path, what);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${what} ${path}: not JSON (${(err as Error).message})`);
  }
}

export function readCostTable(path: string): CostTable {
  return checkCostTable(parseJsonFile(path, 'cost table'), path);
}

export function writeCostTable(path: string, table: CostTable): void {
  writeFileAtomic(path, JSON.stringify(table, null, 1) + '\n');
}

export interface TableMeta {
  kind: CostTable['kind'];
  units: string;
  device: string;
  batch: number;
}

/** The original tables carry no metadata; all three are TITAN XP-era latency in ms at batch 32 (spec 3.3). */
export const POSITIONAL_META: TableMeta = { kind: 'latency', units: 'ms', device: 'unknown (original positional table)', batch: 32 };

/**
 * Reads a keyed table, or an original positional one (a JSON list, described by `meta`) against
 * the space. `costs` is set when the table covers every position.
 */
export function readAnyCostTable(path: string, space: SearchSpace | undefined, meta: TableMeta = POSITIONAL_META): PositionalImport {
  const data = parseJsonFile(path, 'cost table');
  if (!Array.isArray(data)) {
    const table = checkCostTable(data, path);
    if (!space) return { table, mismatches: [] };
    const { costs, missing } = resolveCosts(space, table);
    return { table, costs: missing.length ? undefined : costs, mismatches: missing.map((k) => `missing key ${k}`) };
  }
  if (!space) throw new Error(`cost table ${path}: an original positional table needs a config (--config) to give its positions meaning`);
  return importPositional(space, data, meta);
}

/** Costs of every position of the space from a table file; throws listing every problem when it cannot. */
export function costsFromFile(
  path: string, space: SearchSpace, opts: { skipReg: boolean; meta?: TableMeta },
): PositionalImport & { costs: ResolvedCosts } {
  const r = readAnyCostTable(path, space, opts.meta);
  if (!r.costs) throw new Error(`cost table ${path} does not cover the space:\n  ${r.mismatches.join('\n  ')}`);
  if (opts.skipReg) applySkipReg(space, r.costs);
  return { ...r, costs: r.costs };
}

/**
 * The costs the architecture is charged by, chosen in one place for every command: the table
 * file `given` when there is one (of either kind); else, for optim.sub_obj.type latency, the
 * run's own table `runTable` when it exists or optim.sub_obj.latency_list_path; for flops, the
 * counted multiply-adds.
 */
export function chooseCosts(
  space: SearchSpace, sub: Config['optim']['sub_obj'], given?: string, runTable?: string,
): PositionalImport & { costs: ResolvedCosts } {
  const skipReg = sub.skip_reg;
  const saved = runTable && existsSync(runTable) ? runTable : sub.latency_list_path || undefined;
  const path = given ?? (sub.type === 'latency' ? saved : undefined);
  if (path) return costsFromFile(path, space, { skipReg });
  if (sub.type === 'flops') {
    const table = flopsTable(space);
    return { table, costs: resolveCosts(space, table, { skipReg }).costs, mismatches: [] };
  }
  throw new Error('a latency cost needs a table: pass --table FILE (build one with "densenas lut build --config ... '
    + '--out FILE") or set optim.sub_obj.latency_list_path, or count FLOPs with --set optim.sub_obj.type=flops');
}

// ---- building -----------------------------------------------------------------------------

export type Measure = (d: OpDesc) => Promise<{ value: number; spread: number }>;

/**
 * Measures every op description missing from the table at `path` (all of them when it does not
 * exist), writing the table after each one so that an interrupted build resumes where it stopped.
 */
export async function buildCostTable(
  descs: OpDesc[], measure: Measure,
  o: { path: string; kind: CostTable['kind']; units: string; device: string; batch: number; onProgress?: (done: number, total: number, key: string) => void },
): Promise<CostTable> {
  const table: CostTable = existsSync(o.path)
    ? readCostTable(o.path)
    : { format: TABLE_FORMAT, kind: o.kind, units: o.units, device: o.device, batch: o.batch, entries: {}, spread: {} };
  for (const f of ['kind', 'units', 'device', 'batch'] as const) {
    if (table[f] !== o[f]) {
      throw new Error(`cost table ${o.path}: cannot resume, its ${f} is ${JSON.stringify(table[f])} but this build's is ${JSON.stringify(o[f])}`);
    }
  }
  table.spread ??= {};
  let done = 0;
  for (const d of descs) {
    const key = opKey(d);
    if (d.batch !== o.batch) throw new Error(`op ${key}: batch differs from the table's batch ${o.batch}`);
    if (table.entries[key] === undefined) {
      const r = await measure(d);
      delete table.calibration; // fitted to the entries before this one
      table.entries[key] = r.value;
      table.spread[key] = r.spread;
      writeCostTable(o.path, table);
    }
    o.onProgress?.(++done, descs.length, key);
  }
  return table;
}
