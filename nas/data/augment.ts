// Augmentation: a crop box (random resized crop for training, center crop for evaluation) and a
// flip are drawn first, from the image's size alone; then the box is resampled to size x size,
// converted to the wanted channels and normalised into the batch (NHWC float32). Raw records are
// resampled here in JavaScript (tiny images: a codec call costs more than the work); encoded
// images go through sharp, which decodes, crops and resizes on its own thread pool. Both use a
// linear (triangle) filter widened when shrinking, as PIL's bilinear does; when enlarging, libvips
// centres output pixels half an output pixel away from PIL (tests compare the paths elsewhere).
import sharp from 'sharp';
import { RAW, type ImageRecord } from './record.js';
import type { Random } from '../../engine/random.js';

export interface AugmentConfig {
  /** Random resized crop and flip (training), or center crop (evaluation). */
  train: boolean;
  /** Output side: images come out size x size. */
  size: number;
  /** Range of the crop's area as a fraction of the image's (training). */
  scale: [number, number];
  /** Range of the crop's aspect ratio, width / height (training). */
  ratio: [number, number];
  /** Flip horizontally with probability 1/2 (training). */
  flip: boolean;
  /** Output channels: grey images are replicated to 3, colour ones reduced to luma for 1. */
  channels: 1 | 3;
  /** Per-channel mean and std of x / 255, subtracted and divided (one value serves all channels). */
  mean: number[];
  std: number[];
  /** Evaluation: fraction of the shorter side that the center crop keeps (224/256 for ImageNet). Default 1. */
  centerCrop?: number;
}

export const IMAGENET_STATS = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
export const FASHION_MNIST_STATS = { mean: [0.286], std: [0.353] };

/** The original's train transform (spec 6.1): RandomResizedCrop(scale 0.08-1, ratio 3/4-4/3), flip. */
export function trainConfig(size: number, channels: 1 | 3, stats = IMAGENET_STATS): AugmentConfig {
  return { train: true, size, scale: [0.08, 1], ratio: [3 / 4, 4 / 3], flip: true, channels, ...stats };
}

/** The evaluation transform: center crop keeping `centerCrop` of the shorter side, resized to size. */
export function evalConfig(size: number, channels: 1 | 3, stats = IMAGENET_STATS, centerCrop = 1): AugmentConfig {
  return { train: false, size, scale: [1, 1], ratio: [1, 1], flip: false, channels, ...stats, centerCrop };
}

/** A box in source pixels and whether to mirror it. */
export interface Crop {
  x: number;
  y: number;
  w: number;
  h: number;
  flip: boolean;
}

/** Draws the crop for an image of width x height (torchvision's RandomResizedCrop.get_params). */
export function drawCrop(width: number, height: number, cfg: AugmentConfig, rng: Random): Crop {
  if (!cfg.train) {
    const side = Math.max(1, Math.round(Math.min(width, height) * (cfg.centerCrop ?? 1)));
    return { x: Math.round((width - side) / 2), y: Math.round((height - side) / 2), w: side, h: side, flip: false };
  }
  const area = width * height;
  const [lr0, lr1] = [Math.log(cfg.ratio[0]), Math.log(cfg.ratio[1])];
  const flip = () => cfg.flip && rng.uniform() < 0.5;
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(cfg.scale[0], cfg.scale[1]);
    const aspect = Math.exp(rng.uniform(lr0, lr1));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      const x = rng.int(width - w + 1), y = rng.int(height - h + 1);
      return { x, y, w, h, flip: flip() };
    }
  }
  // Fallback: the whole image, cut to the nearest allowed aspect ratio, centred.
  let w = width, h = height;
  if (width / height < cfg.ratio[0]) h = Math.round(width / cfg.ratio[0]);
  else if (width / height > cfg.ratio[1]) w = Math.round(height * cfg.ratio[1]);
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), w, h, flip: flip() };
}

/** Per-channel affine map from a byte value to the normalised one: v * a[c] + b[c]. */
function normaliser(cfg: AugmentConfig): { a: Float32Array; b: Float32Array } {
  const a = new Float32Array(cfg.channels), b = new Float32Array(cfg.channels);
  for (let c = 0; c < cfg.channels; c++) {
    const m = cfg.mean[cfg.mean.length === 1 ? 0 : c], s = cfg.std[cfg.std.length === 1 ? 0 : c];
    if (m === undefined || !(s > 0)) throw new Error(`augment: need ${cfg.channels} means and positive stds (or one of each)`);
    a[c] = 1 / (255 * s);
    b[c] = -m / s;
  }
  return { a, b };
}

/**
 * Taps of a linear filter mapping `n` output samples onto source pixels [start, start + len):
 * for output i, weights[i * k + t] applies to pixel first[i] + t.
 */
function taps(start: number, len: number, n: number): { first: Int32Array; weights: Float32Array; k: number } {
  const scale = len / n;
  const support = Math.max(scale, 1);   // widen the triangle when shrinking (antialias)
  const k = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(n), weights = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const centre = (i + 0.5) * scale;   // in box coordinates
    const lo = Math.max(0, Math.floor(centre - support)), hi = Math.min(len, Math.ceil(centre + support));
    let sum = 0;
    for (let j = lo; j < hi; j++) {
      const w = Math.max(0, 1 - Math.abs((j + 0.5 - centre) / support));
      weights[i * k + j - lo] = w;
      sum += w;
    }
    for (let t = 0; t < hi - lo; t++) weights[i * k + t] /= sum;
    first[i] = start + lo;
  }
  return { first, weights, k };
}

/** Resamples a raw record's crop into out[offset...] as size x size x cfg.channels floats. */
export function augmentRaw(rec: ImageRecord, crop: Crop, cfg: AugmentConfig, out: Float32Array, offset: number): void {
  const { width, channels: C, payload: src } = rec;
  const n = cfg.size, outC = cfg.channels;
  const tx = taps(crop.x, crop.w, n), ty = taps(crop.y, crop.h, n);
  // Horizontal pass over the box's rows: tmp[row][i][c], rows 0..crop.h-1.
  const tmp = new Float32Array(crop.h * n * C);
  for (let r = 0; r < crop.h; r++) {
    const rowBase = (crop.y + r) * width;
    for (let i = 0; i < n; i++) {
      const f = tx.first[i], wb = i * tx.k, o = (r * n + i) * C;
      for (let t = 0; t < tx.k; t++) {
        const w = tx.weights[wb + t];
        if (w === 0) continue;
        const p = (rowBase + f + t) * C;
        for (let c = 0; c < C; c++) tmp[o + c] += w * src[p + c];
      }
    }
  }
  // Vertical pass, channel conversion, flip and normalisation straight into the batch.
  const { a, b } = normaliser(cfg);
  const px = new Float32Array(C);
  for (let j = 0; j < n; j++) {
    const f = ty.first[j] - crop.y, wb = j * ty.k;
    for (let i = 0; i < n; i++) {
      px.fill(0);
      for (let t = 0; t < ty.k; t++) {
        const w = ty.weights[wb + t];
        if (w === 0) continue;
        const q = ((f + t) * n + i) * C;
        for (let c = 0; c < C; c++) px[c] += w * tmp[q + c];
      }
      const o = offset + (j * n + (crop.flip ? n - 1 - i : i)) * outC;
      if (C === outC) for (let c = 0; c < C; c++) out[o + c] = px[c] * a[c] + b[c];
      else if (C === 1) for (let c = 0; c < outC; c++) out[o + c] = px[0] * a[c] + b[c];
      else out[o] = (0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2]) * a[0] + b[0];   // ITU-R 601 luma, as sharp's b-w
    }
  }
}

/** Decodes, crops, resizes and flips an encoded image with sharp, then normalises into out[offset...]. */
export async function augmentEncoded(bytes: Uint8Array, crop: Crop, cfg: AugmentConfig, out: Float32Array, offset: number, where: string): Promise<void> {
  let data: Buffer, channels: number;
  try {
    let p = sharp(bytes).removeAlpha().toColourspace(cfg.channels === 1 ? 'b-w' : 'srgb')
      .extract({ left: crop.x, top: crop.y, width: crop.w, height: crop.h })
      .resize(cfg.size, cfg.size, { fit: 'fill', kernel: 'linear' });
    if (crop.flip) p = p.flop();
    ({ data, info: { channels } } = await p.raw().toBuffer({ resolveWithObject: true }));
  } catch (e) {
    throw new Error(`${where}: cannot decode image (${(e as Error).message})`);
  }
  if (channels !== cfg.channels || data.length !== cfg.size * cfg.size * channels) {
    throw new Error(`${where}: decoded to ${data.length} bytes in ${channels} channels, expected ${cfg.size}x${cfg.size}x${cfg.channels}`);
  }
  const { a, b } = normaliser(cfg);
  for (let p = 0; p < data.length; p += channels) {
    for (let c = 0; c < channels; c++) out[offset + p + c] = data[p + c] * a[c] + b[c];
  }
}

/** Augments one record into out[offset...], drawing its crop from rng. */
export function augment(rec: ImageRecord, cfg: AugmentConfig, rng: Random, out: Float32Array, offset: number, where: string): Promise<void> | void {
  const crop = drawCrop(rec.width, rec.height, cfg, rng);
  return rec.kind === RAW ? augmentRaw(rec, crop, cfg, out, offset) : augmentEncoded(rec.payload, crop, cfg, out, offset, where);
}
