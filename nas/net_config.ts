// net_config: a derived architecture (spec 5.3, 5.4), in the original text format
//   [[16, 16], 'mbconv_k3_t1', [], 0, 1]|[[16, 24], 'mbconv_k3_t6', [], 0, 2]|...|[[384, 1984], 'conv1_1']
//   net_type: mbv2
// and as JSON {"net_type": "mbv2", "net_config": [[[16, 16], "mbconv_k3_t1", [], 0, 1], ...]}.
// Both are read by one small literal parser (no eval) that keeps line numbers for errors.
import { CANDIDATE_OPS_TEXT, isCandidateOp } from './op_layers.js';
import { convOut, type OpDesc } from './ops.js';
import { join } from 'node:path';
import { lineOf, readText, writeFileAtomic } from './io.js';

export interface BlockEntry {
  chs: [number, number];
  head: string;
  /** Kept stack ops in layer order (skip_connect layers removed). */
  stack: string[];
  stride: number;
}

export interface NetConfig {
  netType: 'mbv2' | 'res';
  blocks: BlockEntry[];
  /** The final [[C, last_dim], 'conv1_1'] entry (mbv2 only). */
  conv1_1?: [number, number];
}

// ---- literal parser ---------------------------------------------------------------------

type Lit = { line: number } & (
  | { t: 'list'; v: Lit[] } | { t: 'obj'; v: Map<string, Lit> } | { t: 'str'; v: string }
  | { t: 'num'; v: number } | { t: 'bool'; v: boolean } | { t: 'null'; v: null });

/** Deeper lists than a net_config has (an entry's channel list is at depth 4 in the JSON form) are refused, not recursed into. */
const MAX_DEPTH = 16;
/** The widest layer a net_config may ask for: far above any network of the spaces, far below a failing allocation. */
export const MAX_CHANNELS = 65536;

class Reader {
  pos = 0;
  depth = 0;
  constructor(readonly text: string, readonly where: string, readonly base = 0) {}
  line(at = this.pos) { return lineOf(this.text, at) + this.base; }
  fail(msg: string, at = this.pos): never { throw new Error(`${this.where} line ${this.line(at)}: ${msg}`); }
  ws() { while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++; }
  peek() { this.ws(); return this.text[this.pos]; }
  expect(ch: string) {
    if (this.peek() !== ch) this.fail(`expected '${ch}', found ${this.text[this.pos] ? `'${this.text[this.pos]}'` : 'the end'}`);
    this.pos++;
  }

  value(): Lit {
    const c = this.peek(), line = this.line();
    if (c === '[' || c === '{') {
      if (++this.depth > MAX_DEPTH) this.fail(`lists nested deeper than ${MAX_DEPTH} levels; a net_config nests 4`);
      try {
        if (c === '[') return { t: 'list', v: this.seq(']', () => this.value()), line };
        const v = new Map<string, Lit>();
        this.seq('}', () => {
          const k = this.value();
          if (k.t !== 'str') this.fail('expected a string key', this.pos);
          this.expect(':');
          v.set(k.v, this.value());
          return k;
        });
        return { t: 'obj', v, line };
      } finally {
        this.depth--;
      }
    }
    if (c === "'" || c === '"') {
      const end = this.text.indexOf(c, this.pos + 1);
      if (end < 0) this.fail('unterminated string');
      const v = this.text.slice(this.pos + 1, end);
      this.pos = end + 1;
      return { t: 'str', v, line };
    }
    const m = /^(-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null)/.exec(this.text.slice(this.pos));
    if (!m) this.fail(c === undefined ? 'unexpected end of text' : `unexpected '${c}'`);
    this.pos += m[0].length;
    if (m[0] === 'null') return { t: 'null', v: null, line };
    if (m[0] === 'true' || m[0] === 'false') return { t: 'bool', v: m[0] === 'true', line };
    return { t: 'num', v: Number(m[0]), line };
  }

  /** Comma-separated items up to `close` (a trailing comma is allowed, as in Python). */
  seq<T>(close: string, item: () => T): T[] {
    this.pos++;
    const out: T[] = [];
    while (this.peek() !== close) {
      out.push(item());
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== close) this.fail(`expected ',' or '${close}'`);
    }
    this.pos++;
    return out;
  }
}

// ---- entries ----------------------------------------------------------------------------

const FIELDS = ['channels [C_in, C_out]', 'head op', 'stack ops', 'number of stack ops', 'stride'];

function entryFromLit(e: Lit, i: number, where: string): BlockEntry | { conv1_1: [number, number] } {
  const fail = (msg: string, at: Lit = e, field?: number): never => {
    throw new Error(`${where} line ${at.line}: entry ${i}${field !== undefined ? `, field ${field} (${FIELDS[field]})` : ''}: ${msg}`);
  };
  if (e.t !== 'list') fail('expected a list');
  const f = e.v as Lit[];
  const posInt = (x: Lit, field: number) => (x.t === 'num' && Number.isInteger(x.v) && x.v >= 1
    ? x.v : fail(`expected a positive integer, got ${x.t === 'str' ? `'${x.v}'` : String(x.v)}`, x, field));
  const channels = (x: Lit) => {
    const c = posInt(x, 0);
    return c <= MAX_CHANNELS ? c : fail(`${c} channels is more than ${MAX_CHANNELS}, the most a layer may have`, x, 0);
  };
  const chsLit = f[0];
  if (!chsLit || chsLit.t !== 'list' || chsLit.v.length !== 2) return fail('expected [C_in, C_out]', chsLit ?? e, 0);
  const chs: [number, number] = [channels(chsLit.v[0]), channels(chsLit.v[1])];
  const op = (x: Lit | undefined, field: number) => {
    if (!x || x.t !== 'str') return fail('expected an op name', x ?? e, field);
    if (!isCandidateOp(x.v)) fail(`unknown op '${x.v}'; expected ${CANDIDATE_OPS_TEXT}`, x, field);
    return x.v;
  };
  if (f[1]?.t === 'str' && f[1].v === 'conv1_1') {
    if (f.length !== 2) fail(`a conv1_1 entry has 2 fields, found ${f.length}`);
    return { conv1_1: chs };
  }
  if (f.length !== 5) fail(`a block entry has 5 fields ([C_in, C_out], head op, stack ops, count, stride), found ${f.length}`);
  const head = op(f[1], 1);
  const st = f[2];
  if (st.t !== 'list') return fail('expected a list of op names', st, 2);
  const stack = st.v.map((x) => op(x, 2));
  if (f[3].t !== 'num' || f[3].v !== stack.length) fail(`is ${f[3].v} but the stack list has ${stack.length} ops`, f[3], 3);
  const stride = posInt(f[4], 4);
  if (stride > 2) fail(`stride must be 1 or 2, got ${stride}`, f[4], 4);
  return { chs, head, stack, stride };
}

function netFromEntries(entries: Lit[], netType: string, netTypeLine: number, where: string): NetConfig {
  if (netType !== 'mbv2' && netType !== 'res') throw new Error(`${where} line ${netTypeLine}: net_type must be mbv2 or res, got '${netType}'`);
  if (entries.length === 0) throw new Error(`${where}: no entries`);
  const net: NetConfig = { netType, blocks: [] };
  entries.forEach((e, i) => {
    const x = entryFromLit(e, i, where);
    const at = `${where} line ${e.line}: entry ${i}`;
    if (net.conv1_1) throw new Error(`${at}: nothing may follow the conv1_1 entry`);
    const prev = net.blocks[net.blocks.length - 1];
    const cin = 'conv1_1' in x ? x.conv1_1[0] : x.chs[0];
    if (prev && cin !== prev.chs[1]) {
      throw new Error(`${at}, field 0 (channels [C_in, C_out]): C_in is ${cin} but the previous entry ends with ${prev.chs[1]} channels`);
    }
    if ('conv1_1' in x) {
      if (netType !== 'mbv2') throw new Error(`${at}: a res net_config has no conv1_1 entry`);
      net.conv1_1 = x.conv1_1;
    } else net.blocks.push(x);
  });
  if (net.blocks.length === 0) throw new Error(`${where}: no block entries`);
  if (netType === 'mbv2') {
    const b0 = net.blocks[0];
    if (b0.head !== 'mbconv_k3_t1' || b0.stack.length || b0.stride !== 1) {
      throw new Error(`${where} line ${entries[0].line}: entry 0: an mbv2 net_config starts with the fixed [[C, C'], 'mbconv_k3_t1', [], 0, 1]`);
    }
    if (!net.conv1_1) throw new Error(`${where}: an mbv2 net_config must end with a [[C, last_dim], 'conv1_1'] entry`);
  }
  return net;
}

/** Parses the original text format: entries joined by '|', then a `net_type: ...` line. */
export function parseNetConfigText(text: string, where = 'net_config'): NetConfig {
  const lines = text.split('\n');
  const typeLine = lines.findIndex((l) => l.includes('net_type'));
  if (typeLine < 0) throw new Error(`${where}: no 'net_type: mbv2' (or res) line after the architecture`);
  const netType = lines[typeLine].split(':').slice(1).join(':').trim();
  const after = lines.findIndex((l, i) => i > typeLine && l.trim() !== '');
  if (after >= 0) throw new Error(`${where} line ${after + 1}: unexpected text after the net_type line: '${lines[after].trim().slice(0, 40)}'`);
  const r = new Reader(lines.slice(0, typeLine).join('\n'), where);
  const entries: Lit[] = [];
  for (;;) {
    entries.push(r.value());
    const c = r.peek();
    if (c === undefined) break;
    if (c !== '|') r.fail(`expected '|' between entries, found '${c}'`);
    r.pos++;
  }
  return netFromEntries(entries, netType, typeLine + 1, where);
}

/** Parses the JSON form {"net_type": ..., "net_config": [entries]}. */
export function parseNetConfigJson(text: string, where = 'net_config'): NetConfig {
  const r = new Reader(text, where);
  const root = r.value();
  if (r.peek() !== undefined) r.fail('unexpected text after the JSON object');
  if (root.t !== 'obj') throw new Error(`${where} line ${root.line}: expected a JSON object`);
  const t = root.v.get('net_type'), list = root.v.get('net_config');
  if (!t || t.t !== 'str') throw new Error(`${where} line ${root.line}: field net_type must be "mbv2" or "res"`);
  if (!list || list.t !== 'list') throw new Error(`${where} line ${root.line}: field net_config must be a list of entries`);
  return netFromEntries(list.v, t.v, t.line, where);
}

/** Reads a net_config file in either format (JSON when it starts with '{'). */
export function readNetConfig(path: string): NetConfig {
  return readNetFile(path).net;
}

/**
 * What a JSON net_config says of its architecture beside the entries (a search's, derive's or
 * sample's record: cost, path and ops, a supernet score; a retrain's `origin`); undefined for the
 * text form, which has no record.
 */
export function readNetRecord(path: string): Record<string, any> | undefined {
  return recordOf(readText(path, 'net_config'), path);
}

/** A net_config file's architecture and its record (readNetRecord), from one read. */
export function readNetFile(path: string): { net: NetConfig; record?: Record<string, any> } {
  const text = readText(path, 'net_config');
  if (!isJsonForm(text)) return { net: parseNetConfigText(text, `net_config ${path}`) };
  return { net: parseNetConfigJson(text, `net_config ${path}`), record: recordOf(text, path) };
}

const isJsonForm = (text: string) => text.trimStart().startsWith('{');

function recordOf(text: string, path: string): Record<string, any> | undefined {
  if (!isJsonForm(text)) return undefined;
  let parsed: Record<string, any>;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`net_config ${path}: not JSON (${(e as Error).message})`);
  }
  const { net_type: _t, net_config: _c, ...record } = parsed;
  return record;
}

// ---- writing ----------------------------------------------------------------------------

function entryLists(net: NetConfig): unknown[][] {
  const out: unknown[][] = net.blocks.map((b) => [b.chs, b.head, b.stack, b.stack.length, b.stride]);
  if (net.conv1_1) out.push([net.conv1_1, 'conv1_1']);
  return out;
}

/** Python repr of a list of ints, strings and lists, as the original logs it. */
function pyRepr(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return typeof v === 'string' ? `'${v}'` : String(v);
}

/** The "Derived arch" string: entries joined by '|'. */
export function formatArch(net: NetConfig): string {
  return entryLists(net).map(pyRepr).join('|');
}

/** "Total N layers": kept stack ops plus entries (spec 5.3). */
export function totalLayers(net: NetConfig): number {
  return entryLists(net).length + net.blocks.reduce((a, b) => a + b.stack.length, 0);
}

export function netConfigToText(net: NetConfig): string {
  return `${formatArch(net)}\nnet_type: ${net.netType}\n`;
}

export function netConfigToJson(net: NetConfig): string {
  return JSON.stringify({ net_type: net.netType, net_config: entryLists(net) }) + '\n';
}

/** Writes DIR/net_config (the original text format) and DIR/net_config.json with the record's fields beside the entries. */
export function writeNetConfigPair(dir: string, net: NetConfig, record: object): void {
  writeFileAtomic(join(dir, 'net_config.json'), JSON.stringify({ ...JSON.parse(netConfigToJson(net)), ...record }, null, 1) + '\n');
  writeFileAtomic(join(dir, 'net_config'), netConfigToText(net));
}

/** Writes JSON when the path ends in .json, the original text format otherwise. */
export function writeNetConfig(path: string, net: NetConfig): void {
  writeFileAtomic(path, path.endsWith('.json') ? netConfigToJson(net) : netConfigToText(net));
}

// ---- the derived model's ops ------------------------------------------------------------

export interface ArchShape {
  inputSize: number;
  inChannels: number;
  stemStride: number;
  classes: number;
  batch: number;
}

/**
 * Every op of the derived model (spec 5.5) as an op description, in forward order: the stem
 * (for mbv2 including entry 0's fixed mbconv_k3_t1), each head and stack op, conv1_1 and the
 * classifier.
 */
export function archOps(net: NetConfig, a: ArchShape): OpDesc[] {
  const ops: OpDesc[] = [];
  const b = a.batch;
  let h = a.inputSize;
  const [first, ...rest] = net.blocks;
  if (net.netType === 'mbv2') ops.push({ op: 'stem_mbv2', cin: a.inChannels, mid: first.chs[0], cout: first.chs[1], in: h, stride: a.stemStride, batch: b });
  else ops.push({ op: 'stem_res', cin: a.inChannels, cout: first.chs[0], in: h, stride: a.stemStride, batch: b });
  h = convOut(h, 3, a.stemStride);
  for (const e of net.netType === 'mbv2' ? rest : net.blocks) {
    ops.push({ op: e.head, cin: e.chs[0], cout: e.chs[1], in: h, stride: e.stride, batch: b });
    h = convOut(h, 3, e.stride);
    for (const s of e.stack) ops.push({ op: s, cin: e.chs[1], cout: e.chs[1], in: h, stride: 1, batch: b });
  }
  let width = net.blocks[net.blocks.length - 1].chs[1];
  if (net.conv1_1) {
    ops.push({ op: 'conv1_1', cin: net.conv1_1[0], cout: net.conv1_1[1], in: h, stride: 1, batch: b });
    width = net.conv1_1[1];
  }
  ops.push({ op: 'classifier', cin: width, cout: a.classes, in: 1, stride: 1, batch: b });
  return ops;
}
