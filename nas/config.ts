// Configuration: one schema holds every key, its type, range and default. The defaults are the
// original train config (spec section 6.1) with the original search_config.py merged on top,
// so that a search YAML merged over them resolves exactly as the original did (spec 1.1,
// including the LR-schedule keys that come from the train config, spec 4.3). Keys added by this
// project are marked "new". A YAML file, then command-line overrides (`a.b.c=value`), may only
// set keys that exist, with values of the right type and range; errors name the source, the
// dotted key and, for files, the line.
import { LineCounter, parseDocument, parse as parseYaml, stringify, isMap, isPair, isScalar, type Node } from 'yaml';
import { readText, showValue, writeFileAtomic } from './io.js';

interface Leaf<T> {
  readonly leaf: true;
  readonly def: T;
  /** Returns the normalised value, or a message saying what was expected. */
  readonly check: (v: unknown) => { ok: T } | { err: string };
}

type Range = { min?: number; max?: number; gt?: number; lt?: number };

function rangeText(r: Range): string {
  const parts = [];
  if (r.gt !== undefined) parts.push(`> ${r.gt}`);
  if (r.min !== undefined) parts.push(`>= ${r.min}`);
  if (r.lt !== undefined) parts.push(`< ${r.lt}`);
  if (r.max !== undefined) parts.push(`<= ${r.max}`);
  return parts.join(' and ');
}

function inRange(v: number, r: Range): boolean {
  return !((r.gt !== undefined && !(v > r.gt)) || (r.min !== undefined && !(v >= r.min)) ||
    (r.lt !== undefined && !(v < r.lt)) || (r.max !== undefined && !(v <= r.max)));
}

const show = (v: unknown) => showValue(v);

function numberLeaf(def: number, r: Range, integer: boolean): Leaf<number> {
  const what = `${integer ? 'an integer' : 'a number'}${rangeText(r) ? ' ' + rangeText(r) : ''}`;
  return {
    leaf: true, def,
    check: (v) => typeof v === 'number' && Number.isFinite(v) && (!integer || Number.isInteger(v)) && inRange(v, r)
      ? { ok: v } : { err: `expected ${what}, got ${show(v)}` },
  };
}
const int = (def: number, r: Range = {}) => numberLeaf(def, r, true);
const num = (def: number, r: Range = {}) => numberLeaf(def, r, false);

/** A value that may also be null (the default): "not set". */
function optional<T>(inner: Leaf<T>): Leaf<T | null> {
  return { leaf: true, def: null, check: (v) => (v === null ? { ok: null } : inner.check(v)) };
}

const bool = (def: boolean): Leaf<boolean> => ({
  leaf: true, def, check: (v) => (typeof v === 'boolean' ? { ok: v } : { err: `expected true or false, got ${show(v)}` }),
});

const str = (def: string): Leaf<string> => ({
  leaf: true, def, check: (v) => (typeof v === 'string' ? { ok: v } : { err: `expected a string, got ${show(v)}` }),
});

function oneOf<V extends string>(def: V, values: readonly V[]): Leaf<V> {
  return {
    leaf: true, def,
    check: (v) => (values.includes(v as V) ? { ok: v as V } : { err: `expected one of ${values.join(', ')}, got ${show(v)}` }),
  };
}

function list<T>(def: T[], item: Leaf<T>, what: string): Leaf<T[]> {
  return {
    leaf: true, def,
    check: (v) => {
      if (!Array.isArray(v)) return { err: `expected a list of ${what}, got ${show(v)}` };
      const out: T[] = [];
      for (let i = 0; i < v.length; i++) {
        const r = item.check(v[i]);
        if ('err' in r) return { err: `index ${i}: ${r.err}` };
        out.push(r.ok);
      }
      return { ok: out };
    },
  };
}
const ints = (def: number[], r: Range = {}) => list(def, int(0, r), 'integers');
const nums = (def: number[], r: Range = {}) => list(def, num(0, r), 'numbers');
const strs = (def: string[]) => list(def, str(''), 'strings');

/** An image shape [C, H, W]; the original writes it as the Python tuple text "(3,224,224)". */
const shape = (def: number[]): Leaf<number[]> => ({
  leaf: true, def,
  check: (v) => {
    const parts = typeof v === 'string' && /^\(\s*\d+\s*,\s*\d+\s*,\s*\d+\s*\)$/.test(v)
      ? v.slice(1, -1).split(',').map(Number) : v;
    const r = ints([], { min: 1 }).check(parts);
    if ('err' in r || r.ok.length !== 3) return { err: `expected (C,H,W) or [C, H, W] of positive integers, got ${show(v)}` };
    return r;
  },
});

const MBCONV6 = ['mbconv_k3_t3', 'mbconv_k3_t6', 'mbconv_k5_t3', 'mbconv_k5_t6', 'mbconv_k7_t3', 'mbconv_k7_t6'];

export const SCHEMA = {
  net_type: oneOf('mbv2', ['mbv2', 'res'] as const),
  net_config: str(''),
  train_params: {
    epochs: int(240, { min: 1 }),
    use_seed: bool(false),
    seed: int(0, { min: 0 }),
    num_classes: int(1000, { min: 1 }),              // new: classes of derived models (original: 1000)
    // new: share of each class's training images a retrain holds out to choose its best epoch
    // (the original chooses it on the test set, which then no longer measures the model)
    val_fraction: num(0.1, { gt: 0, lt: 1 }),
    // new: evaluate DIR/test after every epoch (a curve, never used to choose); false: once, on
    // the chosen epoch's weights at the end, which is all that is reported (and a third faster
    // when the test images outnumber the training ones)
    test_every_epoch: bool(true),
  },
  search_params: {
    arch_update_epoch: int(10, { min: 0 }),
    val_start_epoch: int(120, { min: 0 }),
    sample_policy: oneOf('prob', ['prob', 'uniform'] as const),
    // new: what a weight step trains: 'ops' (original) one op per row drawn by sample_policy, every
    // path mixed by its betas; 'path' one whole architecture drawn by sample_policy, run alone, as
    // arch steps over 'paths' and `densenas score` run architectures (supernet validation then runs
    // the derived architecture alone, whatever valid_policy says)
    weight_sampling: oneOf('ops', ['ops', 'path'] as const),
    weight_sample_num: int(1, { min: 1 }),
    arch_sample_num: int(2, { min: 1 }),             // new: ops sampled per row in arch steps (original: 2)
    // new: how arch steps estimate the architecture loss's gradient: 'mixture' (original) mixes the
    // sampled ops of each row by their weights and differentiates through the mix, beside the cost
    // term of the expected cost; 'paths' draws arch_paths whole architectures from the
    // distribution, runs each alone on the batch and weighs the log-probability of each by its
    // loss (cross-entropy plus the cost term of its own table cost) against the others' mean
    // (REINFORCE with a leave-one-out baseline): a mixture's best point can be a mixture, a single
    // architecture's cannot
    arch_gradient: oneOf('mixture', ['mixture', 'paths'] as const),
    arch_paths: int(4, { min: 2 }),                  // new: architectures a 'paths' arch step draws
    // new: MBConv candidates of a mixed op window one set of weights (nas/shared_mbconv.ts), without
    // which one uniformly drawn op per step leaves the supernet near chance (docs/search-learning.md);
    // false = original (independent weights per candidate)
    weight_sharing: bool(true),
    // new: the ops supernet validation runs: 'argmax' the most probable op of each row (the
    // single path that the weight steps train); 'all' every op mixed by its weight (original)
    valid_policy: oneOf('all', ['all', 'argmax'] as const),
    softmax_temp: num(1, { gt: 0 }),
    num_classes: int(100, { min: 1 }),               // new: supernet classes (original: 100)
    val_fraction: num(0.2, { gt: 0, lt: 1 }),        // new: share of each class's training images in the search-val split (original: 0.2)
    log_every: int(50, { min: 1 }),                  // new: steps between logged step lines (original report_freq: 100)
    PRIMITIVES_stack: strs([...MBCONV6, 'skip_connect']),
    PRIMITIVES_head: strs([...MBCONV6]),
    adjoin_connect_nums: ints([], { min: 1 }),
    net_scale: {
      chs: ints([], { min: 1 }),
      fm_sizes: nums([], { gt: 0 }),
      stage: ints([], { min: 0 }),
      num_layers: ints([], { min: 0 }),
      stem_stride: int(2, { min: 1, max: 2 }),       // new: stride of the stem conv (original: 2)
    },
  },
  optim: {
    init_lr: num(0.5, { min: 0 }),
    min_lr: num(1e-5, { min: 0 }),
    lr_schedule: oneOf('cosine', ['cosine', 'poly'] as const),
    momentum: num(0.9, { min: 0, lt: 1 }),
    nesterov: bool(false),                           // new: the original uses none
    weight_decay: num(4e-5, { min: 0 }),
    use_grad_clip: bool(false),
    grad_clip: num(10, { gt: 0 }),
    label_smooth: bool(true),
    smooth_alpha: num(0.1, { min: 0, lt: 1 }),
    if_resume: bool(false),
    resume: { load_path: str(''), load_epoch: int(0, { min: 0 }) },
    use_warm_up: bool(false),
    warm_up: { epoch: int(5, { min: 0 }), init_lr: num(1e-4, { min: 0 }), target_lr: num(0.1, { min: 0 }) },
    use_multi_stage: bool(false),
    multi_stage: { stage_epochs: int(330, { min: 1 }) },
    cosine: {
      use_restart: bool(false),
      restart: { lr_period: ints([10, 20, 40, 80, 160, 320], { min: 1 }), lr_step: ints([0, 10, 30, 70, 150, 310], { min: 0 }) },
    },
    init_dim: int(16, { min: 1 }),
    head_dim: int(16, { min: 1 }),
    last_dim: int(1984, { min: 1 }),
    bn_momentum: num(0.1, { min: 0, max: 1 }),
    bn_eps: num(1e-3, { gt: 0 }),
    weight: {
      init_lr: num(0.1, { min: 0 }),
      min_lr: num(1e-4, { min: 0 }),
      lr_decay_type: oneOf('cosine', ['cosine', 'poly'] as const),
      momentum: num(0.9, { min: 0, lt: 1 }),
      nesterov: bool(false),                         // new
      weight_decay: num(4e-5, { min: 0 }),
    },
    arch: {
      alpha_lr: num(3e-4, { min: 0 }),
      beta_lr: num(3e-4, { min: 0 }),
      weight_decay: num(1e-3, { min: 0 }),
      adam_beta1: num(0.5, { min: 0, lt: 1 }),       // new: hard-coded (0.5, 0.999) in the original
      adam_beta2: num(0.999, { min: 0, lt: 1 }),     // new
      adam_eps: num(1e-8, { gt: 0 }),                // new
    },
    if_sub_obj: bool(true),
    sub_obj: {
      type: oneOf('latency', ['latency', 'flops'] as const),
      skip_reg: bool(false),
      log_base: num(15, { gt: 1 }),
      sub_loss_factor: num(0.1, { min: 0 }),
      latency_list_path: str(''),
      target: optional(num(0, { gt: 0 })),               // new: target cost in table units; null = none
      target_form: oneOf('upper', ['upper', 'two_sided'] as const), // new: see nas/cost_loss.ts
      // new: with a target, derivation keeps an architecture whose table cost is within this
      // fraction of it (two_sided) or under it (upper); see nas/derive.ts
      target_tolerance: num(0.05, { min: 0, lt: 1 }),
      expect_over: oneOf('all', ['all', 'sampled'] as const),      // new: 'sampled' = original
      // new: temperature of the softmaxes inside the cost term (null = softmax_temp, the
      // original). Lower, the expected cost follows the argmax architecture that derivation
      // picks, which near-uniform weights otherwise leave far from the expected cost.
      cost_temperature: optional(num(0, { gt: 0 })),
    },
    last_node_double_softmax: bool(false),           // new: true = original (spec 12.1)
  },
  data: {
    dataset: str('imagenet'),
    batch_size: int(1024, { min: 1 }),
    num_workers: int(16, { min: 0 }),
    train_data_type: oneOf('lmdb', ['lmdb', 'img'] as const),
    val_data_type: oneOf('img', ['lmdb', 'img'] as const),
    patch_dataset: bool(false),
    num_examples: int(1281167, { min: 1 }),
    input_size: shape([3, 224, 224]),
    type_of_data_aug: oneOf('random_sized', ['random_sized', 'rand_scale'] as const),
    random_sized: { min_scale: num(0.08, { gt: 0, max: 1 }) },
    mean: nums([0.485, 0.456, 0.406]),
    std: nums([0.229, 0.224, 0.225], { gt: 0 }),
    color: bool(false),
    limit: optional(int(1, { min: 1 })),                 // new: use a seeded subset of this many training images (quick runs)
  },
};

type Resolved<S> = S extends Leaf<infer T> ? T : { -readonly [K in keyof S]: Resolved<S[K]> };
export type Config = Resolved<typeof SCHEMA>;

type SchemaNode = Leaf<unknown> | { [k: string]: SchemaNode };
const isLeaf = (n: SchemaNode): n is Leaf<unknown> => (n as Leaf<unknown>).leaf === true;

function defaultsOf(node: SchemaNode): unknown {
  if (isLeaf(node)) return structuredClone(node.def);
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, defaultsOf(v)]));
}

export function defaultConfig(): Config {
  return defaultsOf(SCHEMA as SchemaNode) as Config;
}

type Where = (key: string) => string;   // how to name a key in an error, e.g. "file.yaml line 12: key a.b"

function schemaAt(key: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = SCHEMA as SchemaNode;
  for (const part of key.split('.')) {
    if (!node || isLeaf(node) || !Object.hasOwn(node, part)) return undefined;
    node = node[part];
  }
  return node;
}

/** Every dotted leaf key of the schema, for suggestions. */
const allKeys = (node: SchemaNode = SCHEMA as SchemaNode, prefix = ''): string[] =>
  isLeaf(node) ? [prefix.slice(0, -1)] : Object.entries(node).flatMap(([k, v]) => allKeys(v, `${prefix}${k}.`));

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/** " (did you mean x.y?)" for the known key nearest an unknown one, when one is near. */
function suggestKey(key: string): string {
  const last = key.slice(key.lastIndexOf('.') + 1);
  let best = '', score = Infinity;
  for (const k of allKeys()) {
    // the whole dotted key, or the last part alone (a key put under the wrong section)
    const d = Math.min(editDistance(key, k), editDistance(last, k.slice(k.lastIndexOf('.') + 1)) + 1);
    if (d < score) { score = d; best = k; }
  }
  return score <= Math.max(2, Math.floor(last.length / 3)) ? ` (did you mean ${best}?)` : '';
}

/** Sets one dotted key in cfg after checking it against the schema; problems go to `errors`. */
function setKey(cfg: Config, key: string, value: unknown, where: Where, errors: string[]): void {
  const node = schemaAt(key);
  if (!node) { errors.push(`${where(key)}: unknown key${suggestKey(key)}`); return; }
  if (!isLeaf(node)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) { errors.push(`${where(key)}: expected a mapping of ${Object.keys(node).join(', ')}, got ${show(value)}`); return; }
    for (const [k, v] of Object.entries(value)) setKey(cfg, `${key}.${k}`, v, where, errors);
    return;
  }
  const r = node.check(value);
  if ('err' in r) { errors.push(`${where(key)}: ${r.err}`); return; }
  const parts = key.split('.');
  let obj = cfg as unknown as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) obj = obj[p] as Record<string, unknown>;
  obj[parts[parts.length - 1]] = r.ok;
}

/** Throws one error listing every problem found, if there is any. */
function throwAll(errors: string[]): void {
  if (errors.length === 1) throw new Error(errors[0]);
  if (errors.length > 1) throw new Error(`${errors.length} problems in the config:\n  ${errors.join('\n  ')}`);
}

/** Line of every key in a YAML document, by dotted key. */
function keyLines(root: Node | null, lc: LineCounter, prefix = '', out = new Map<string, number>()): Map<string, number> {
  if (!isMap(root)) return out;
  for (const item of root.items) {
    if (!isPair(item) || !isScalar(item.key)) continue;
    const key = prefix + String(item.key.value);
    if (item.key.range) out.set(key, lc.linePos(item.key.range[0]).line);
    keyLines(item.value as Node | null, lc, key + '.', out);
  }
  return out;
}

export function mergeYamlText(cfg: Config, text: string, source: string, errors?: string[]): void {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  if (doc.errors.length) throw new Error(`config ${source}: ${doc.errors[0].message}`);
  let data: unknown;
  try {
    // Aliases are expanded here; the yaml package refuses a document that expands past its alias budget.
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new Error(`config ${source}: ${(err as Error).message}`);
  }
  if (data === null || data === undefined) return;
  if (typeof data !== 'object' || Array.isArray(data)) throw new Error(`config ${source}: expected a mapping at the top level`);
  const lines = keyLines(doc.contents, lc);
  const where = (key: string) => {
    const line = lines.get(key);
    return `config ${source}${line ? ` line ${line}` : ''}: key ${key}`;
  };
  const found: string[] = errors ?? [];
  for (const [k, v] of Object.entries(data)) setKey(cfg, k, v, where, found);
  if (!errors) throwAll(found);
}

/** Applies one `a.b.c=value` override; the value is read as a YAML scalar or flow list. */
export function applyOverride(cfg: Config, assignment: string, errors?: string[]): void {
  const found: string[] = errors ?? [];
  const eq = assignment.indexOf('=');
  if (eq <= 0) { found.push(`--set ${assignment}: expected key=value`); if (!errors) throwAll(found); return; }
  const key = assignment.slice(0, eq).trim();
  const raw = assignment.slice(eq + 1);
  let value: unknown;
  try {
    value = parseYaml(raw);
  } catch {
    value = raw;
  }
  setKey(cfg, key, value ?? null, (k) => `--set ${assignment}: key ${k}`, found);
  if (!errors) throwAll(found);
}

/** Applies `key=value` overrides, reporting every bad one at once. */
export function applyOverrides(cfg: Config, overrides: string[]): void {
  const errors: string[] = [];
  for (const o of overrides) applyOverride(cfg, o, errors);
  throwAll(errors);
}

/** Defaults, then each YAML file in order, then each override; every problem of all of them in one error. */
export function loadConfig(files: string[], overrides: string[] = []): Config {
  const cfg = defaultConfig();
  const errors: string[] = [];
  for (const f of files) mergeYamlText(cfg, readText(f, 'config'), f, errors);
  for (const o of overrides) applyOverride(cfg, o, errors);
  throwAll(errors);
  checkAcrossKeys(cfg, [...files.map((f) => `config ${f}`), ...overrides.map((o) => `--set ${o}`)].join(', ') || 'the defaults');
  return cfg;
}

/** Floats one input batch may hold (1 GiB): more would fail as "Invalid typed array length" deep in the loader. */
const MAX_BATCH_FLOATS = 2 ** 28;

/**
 * What one key cannot check alone: the normalisation has a mean and std for every input channel
 * (or one for all), and an input batch fits in memory.
 */
function checkAcrossKeys(cfg: Config, source: string): void {
  const [c, h, w] = cfg.data.input_size, floats = cfg.data.batch_size * c * h * w;
  if (floats > MAX_BATCH_FLOATS) {
    throw new Error(`${source}: keys data.batch_size and data.input_size: a batch of ${cfg.data.batch_size} images of ${c}x${h}x${w} is ${floats} floats, more than ${MAX_BATCH_FLOATS}`);
  }
  for (const k of ['mean', 'std'] as const) {
    const n = cfg.data[k].length;
    if (n === 0 || (n !== 1 && n < c)) throw new Error(`${source}: key data.${k} has ${n} values, data.input_size has ${c} channel(s): give one per channel, or one for all`);
  }
}

export function configToYaml(cfg: Config): string {
  return stringify(cfg);
}

export function writeConfig(path: string, cfg: Config): void {
  writeFileAtomic(path, configToYaml(cfg));
}
