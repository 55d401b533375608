// The search's two loaders: the training images of a data directory (an image folder or LMDB,
// its train/ part when it has one) split per class into search-train and search-validation by
// the config's fraction and seed. Weight steps see training augmentation; architecture steps see
// the evaluation transform, shuffled, as the original (spec 7.5).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.js';
import { trainConfig, evalConfig, type AugmentConfig } from './data/augment.js';
import { openDataset, subsetDataset, type Dataset } from './data/dataset.js';
import { mustExist } from './data/files.js';
import { Loader } from './data/loader.js';
import { mixSeed, Random } from '../engine/random.js';
import { splitEntries } from './data/split.js';
import type { Entry } from './data/folder.js';
import { dataIdentity, type DataIdentity } from './resumable_run.js';

export interface SearchData { train: Loader; val: Loader; classes: string[]; identity: DataIdentity }

/** The training part of a data directory, as the data commands write it. */
export function openTrainImages(dir: string): Dataset {
  mustExist(dir, 'data directory');
  return openDataset(existsSync(join(dir, 'train')) ? join(dir, 'train') : dir);
}

export function augmentConfigs(cfg: Config): { train: AugmentConfig; eval: AugmentConfig } {
  const [c, size] = cfg.data.input_size;
  if (c !== 1 && c !== 3) throw new Error(`data.input_size: ${c} channels; images have 1 or 3`);
  const stats = { mean: cfg.data.mean, std: cfg.data.std };
  const train = trainConfig(size, c, stats);
  train.scale = [cfg.data.random_sized.min_scale, 1];
  return { train, eval: evalConfig(size, c, stats) };
}

export function searchLoaders(cfg: Config, dir: string): SearchData {
  const ds = openTrainImages(dir);
  if (ds.classes.length > cfg.search_params.num_classes) {
    throw new Error(`${ds.source} has ${ds.classes.length} classes but search_params.num_classes is ${cfg.search_params.num_classes}`);
  }
  const split = splitTrainImages(cfg, ds, cfg.search_params.val_fraction, 'search_params.val_fraction');
  const aug = augmentConfigs(cfg), batchSize = cfg.data.batch_size, seed = cfg.train_params.seed;
  return {
    train: new Loader(subsetDataset(ds, split.train), { batchSize, augment: aug.train, seed }),
    val: new Loader(subsetDataset(ds, split.val), { batchSize, augment: aug.eval, seed, shuffle: true }),
    classes: ds.classes,
    identity: dataIdentity(ds),
  };
}

/**
 * The training images (a seeded subset of data.limit of them, when set) split per class into
 * training and held-out validation images by `fraction` (the config key named by `key`) and the seed.
 */
export function splitTrainImages(cfg: Config, ds: Dataset, fraction: number, key: string): { train: Entry[]; val: Entry[] } {
  const seed = cfg.train_params.seed;
  let entries = ds.entries;
  if (cfg.data.limit !== null && cfg.data.limit < entries.length) {
    entries = new Random(mixSeed(seed, 0x6c696d)).shuffle([...entries]).slice(0, cfg.data.limit);
  }
  const split = splitEntries(entries, fraction, seed);
  if (!split.train.length || !split.val.length) throw new Error(`${ds.source}: ${entries.length} images cannot be split into training and validation images with ${key} ${fraction}`);
  return split;
}
