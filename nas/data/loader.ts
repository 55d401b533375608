// The loader: a seeded order per epoch, batches assembled as NHWC float32 with int32 labels, and
// the next batches prepared while the current one trains. Every random draw of an image comes
// from (seed, epoch, image), so batches do not depend on batch size, prefetch depth or timing.
import { augment, type AugmentConfig } from './augment.js';
import type { Dataset } from './dataset.js';
import { mixSeed, Random } from '../../engine/random.js';

export interface LoaderOptions {
  batchSize: number;
  augment: AugmentConfig;
  /** Seed of the order, the augmentation draws and the --limit subset. Default 0. */
  seed?: number;
  /** Shuffle each epoch; default: when training (augment.train). */
  shuffle?: boolean;
  /** Drop a last batch smaller than batchSize. */
  dropLast?: boolean;
  /** Use a fixed, seeded subset of this many images (quick runs). */
  limit?: number;
  /** Batches assembled ahead of the one being consumed. Default 2. */
  prefetch?: number;
}

/** What the training loop uploads: x is [n, size, size, channels] (NHWC), y the labels. */
export interface Batch {
  x: Float32Array;
  y: Int32Array;
  n: number;
  shape: [number, number, number, number];
}

export class Loader {
  /** The dataset indices this loader draws from (all, or the --limit subset), ascending. */
  readonly indices: number[];
  private readonly o: Required<Omit<LoaderOptions, 'limit'>>;

  constructor(readonly dataset: Dataset, o: LoaderOptions) {
    if (!(Number.isInteger(o.batchSize) && o.batchSize >= 1)) throw new Error(`batch size ${o.batchSize} is not a positive integer`);
    this.o = { seed: 0, shuffle: o.augment.train, dropLast: false, prefetch: 2, ...o };
    const all = dataset.entries.map((_, i) => i);
    this.indices = o.limit !== undefined && o.limit < all.length
      ? new Random(mixSeed(this.o.seed, 0x6c696d)).shuffle(all).slice(0, o.limit).sort((a, b) => a - b)
      : all;
    if (!this.indices.length) throw new Error(`${dataset.source}: no images to load`);
  }

  /** Images per epoch (after dropLast). */
  get length(): number { return this.o.dropLast ? this.batches * this.o.batchSize : this.indices.length; }

  get batches(): number {
    return this.o.dropLast ? Math.floor(this.indices.length / this.o.batchSize) : Math.ceil(this.indices.length / this.o.batchSize);
  }

  /** Dataset indices in the order of the given epoch. */
  order(epoch: number): number[] {
    const idx = [...this.indices];
    return this.o.shuffle ? new Random(mixSeed(this.o.seed, epoch, 0x6f7264)).shuffle(idx) : idx;
  }

  /** Assembles one batch of the given dataset indices with the given epoch's draws. */
  async batch(indices: number[], epoch: number): Promise<Batch> {
    const { size, channels } = this.o.augment;
    const per = size * size * channels;
    const x = new Float32Array(indices.length * per), y = new Int32Array(indices.length);
    await Promise.all(indices.map(async (di, k) => {
      const rec = await this.dataset.read(di);
      y[k] = this.dataset.entries[di].label;
      await augment(rec, this.o.augment, new Random(mixSeed(this.o.seed, epoch, di)), x, k * per, this.dataset.where(di));
    }));
    return { x, y, n: indices.length, shape: [indices.length, size, size, channels] };
  }

  /**
   * The batches of one epoch from batch `start` on (a resumed run skips what it has done),
   * `prefetch` of them in preparation while one is consumed.
   */
  async *epoch(epoch: number, start = 0): AsyncGenerator<Batch> {
    const order = this.order(epoch), bs = this.o.batchSize;
    const pending: Promise<Batch>[] = [];
    let next = start;
    const fill = () => {
      while (pending.length <= this.o.prefetch && next < this.batches) {
        const p = this.batch(order.slice(next * bs, (next + 1) * bs), epoch);
        p.catch(() => {});   // a failure surfaces when its batch is awaited, not as an unhandled rejection
        pending.push(p);
        next++;
      }
    };
    fill();
    while (pending.length) {
      const b = await pending.shift()!;
      fill();
      yield b;
    }
  }
}
