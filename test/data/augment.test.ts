import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { augmentEncoded, augmentRaw, drawCrop, evalConfig, trainConfig, type AugmentConfig, type Crop } from '../../nas/data/augment.js';
import { Random } from '../../engine/random.js';
import { RAW, type ImageRecord } from '../../nas/data/record.js';
import { idxImage } from './util.js';

const raw = (pixels: Uint8Array, width: number, height: number, channels: number): ImageRecord =>
  ({ kind: RAW, channels, label: 0, width, height, payload: pixels });
const unit: Pick<AugmentConfig, 'mean' | 'std'> = { mean: [0], std: [1] };   // outputs = bytes / 255

test('random resized crop: inside the image, area and aspect within range, same seed same crop', () => {
  const cfg = trainConfig(224, 3);
  for (let s = 0; s < 500; s++) {
    const [w, h] = [50 + (s % 300), 40 + ((s * 7) % 500)];
    const c = drawCrop(w, h, cfg, new Random(s));
    assert.ok(c.x >= 0 && c.y >= 0 && c.w >= 1 && c.h >= 1 && c.x + c.w <= w && c.y + c.h <= h, JSON.stringify(c));
    const area = (c.w * c.h) / (w * h), aspect = c.w / c.h;
    assert.ok(area >= 0.07 && area <= 1, `area ${area}`);
    assert.ok(aspect >= 0.7 && aspect <= 1.4, `aspect ${aspect}`);
    assert.equal(drawCrop(w, h, cfg, new Random(s)), c);
  }
  const flips = Array.from({ length: 400 }, (_, s) => drawCrop(28, 28, trainConfig(28, 1), new Random(s)).flip).filter(Boolean).length;
  assert.ok(flips > 150 && flips < 250, `${flips} flips of 400`);
});

test('evaluation center crop: 224 of 256 on the shorter side, centred', () => {
  assert.equal(drawCrop(512, 256, evalConfig(224, 3, undefined, 224 / 256), new Random(0)), { x: 144, y: 16, w: 224, h: 224, flip: false });
  assert.equal(drawCrop(28, 28, evalConfig(28, 1), new Random(0)), { x: 0, y: 0, w: 28, h: 28, flip: false });
});

test('identity crop reproduces the image exactly, normalised; a flip mirrors it', () => {
  const { pixels } = idxImage('train', 0);
  const cfg = { ...evalConfig(28, 1), mean: [0.25], std: [0.5] };
  const out = new Float32Array(784), flipped = new Float32Array(784);
  augmentRaw(raw(pixels, 28, 28, 1), { x: 0, y: 0, w: 28, h: 28, flip: false }, cfg, out, 0);
  augmentRaw(raw(pixels, 28, 28, 1), { x: 0, y: 0, w: 28, h: 28, flip: true }, cfg, flipped, 0);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
    const want = (pixels[y * 28 + x] / 255 - 0.25) / 0.5;
    assert.ok(Math.abs(out[y * 28 + x] - want) < 1e-5, `(${x},${y})`);
    assert.ok(Math.abs(flipped[y * 28 + 27 - x] - want) < 1e-5, `flipped (${x},${y})`);
  }
});

test('shapes, channels and value ranges over random crops of real images', () => {
  for (const channels of [1, 3] as const) {
    const cfg = { ...trainConfig(32, channels), mean: [0.5, 0.4, 0.3].slice(0, channels), std: [0.2, 0.25, 0.3].slice(0, channels) };
    const out = new Float32Array(4 * 32 * 32 * channels).fill(NaN);
    for (let k = 0; k < 4; k++) {
      const rec = raw(idxImage('t10k', k).pixels, 28, 28, 1);
      augmentRaw(rec, drawCrop(28, 28, cfg, new Random(k)), cfg, out, k * 32 * 32 * channels);
    }
    for (let i = 0; i < out.length; i++) {
      const c = i % channels, lo = -cfg.mean[c] / cfg.std[c], hi = (1 - cfg.mean[c]) / cfg.std[c];
      assert.ok(out[i] >= lo - 1e-5 && out[i] <= hi + 1e-5, `value ${out[i]} at ${i}`);   // NaN (unwritten) fails too
      if (channels === 3 && c === 2) {   // grey replicated: the same byte value in every channel
        const v = (j: number) => out[i - 2 + j] * cfg.std[j] + cfg.mean[j];
        assert.ok(Math.abs(v(0) - v(1)) < 1e-5 && Math.abs(v(0) - v(2)) < 1e-5);
      }
    }
  }
});

test('resampling: a constant stays constant, a ramp stays monotone, colour to grey is luma', () => {
  const cfg = { ...trainConfig(16, 1), ...unit };
  const flat = raw(new Uint8Array(20 * 10).fill(77), 20, 10, 1);
  const ramp = raw(Uint8Array.from({ length: 20 * 10 }, (_, i) => (i % 20) * 12), 20, 10, 1);
  for (let s = 0; s < 20; s++) {
    const crop = { ...drawCrop(20, 10, cfg, new Random(s)), flip: false };
    const a = new Float32Array(256), b = new Float32Array(256);
    augmentRaw(flat, crop, cfg, a, 0);
    augmentRaw(ramp, crop, cfg, b, 0);
    assert.ok(a.every((v) => Math.abs(v - 77 / 255) < 1e-5));
    for (let y = 0; y < 16; y++) for (let x = 1; x < 16; x++) assert.ok(b[y * 16 + x] >= b[y * 16 + x - 1] - 1e-6);
  }
  const rgb = raw(Uint8Array.from({ length: 4 * 4 * 3 }, (_, i) => [200, 100, 50][i % 3]), 4, 4, 3);
  const g = new Float32Array(16);
  augmentRaw(rgb, { x: 0, y: 0, w: 4, h: 4, flip: false }, { ...evalConfig(4, 1), ...unit }, g, 0);
  assert.ok(g.every((v) => Math.abs(v * 255 - (0.299 * 200 + 0.587 * 100 + 0.114 * 50)) < 1e-3));
});

/** Naive float64 bilinear resampling of a grey box (PIL's pixel centres, edges clamped): valid when enlarging. */
function bilinearReference(px: Uint8Array, width: number, crop: Crop, size: number): Float64Array {
  const out = new Float64Array(size * size);
  const at = (x: number, y: number) => px[(crop.y + y) * width + crop.x + x];
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) {
    const sy = Math.min(Math.max((i + 0.5) * (crop.h / size) - 0.5, 0), crop.h - 1);
    const sx = Math.min(Math.max((j + 0.5) * (crop.w / size) - 0.5, 0), crop.w - 1);
    const y0 = Math.floor(sy), x0 = Math.floor(sx), y1 = Math.min(y0 + 1, crop.h - 1), x1 = Math.min(x0 + 1, crop.w - 1);
    const fy = sy - y0, fx = sx - x0;
    const top = at(x0, y0) * (1 - fx) + at(x1, y0) * fx, bottom = at(x0, y1) * (1 - fx) + at(x1, y1) * fx;
    out[i * size + (crop.flip ? size - 1 - j : j)] = (top * (1 - fy) + bottom * fy) / 255;
  }
  return out;
}

test('enlarging crops match a naive bilinear reference', () => {
  for (let k = 0; k < 4; k++) {
    const { pixels } = idxImage('train', k);
    for (const [size, crop] of [[28, { x: 3, y: 5, w: 14, h: 20, flip: true }], [40, { x: 0, y: 0, w: 28, h: 28, flip: false }], [17, { x: 9, y: 2, w: 5, h: 16, flip: false }]] as [number, Crop][]) {
      const cfg = { ...trainConfig(size, 1), ...unit };
      const a = new Float32Array(size * size);
      augmentRaw(raw(pixels, 28, 28, 1), crop, cfg, a, 0);
      const ref = bilinearReference(pixels, 28, crop, size);
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - ref[i]) < 1e-5, `image ${k} size ${size} at ${i}: ${a[i]} vs ${ref[i]}`);
    }
  }
});

// libvips places enlarged pixels half an output pixel away from PIL's centres, so the two paths
// are compared where they share a convention: identity (exact) and shrinking (antialiased).
test('sharp (encoded) and JavaScript (raw) paths agree on identity and shrinking crops', async () => {
  for (let k = 0; k < 6; k++) {
    const { pixels } = idxImage('train', k);
    const png = await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w').png().toBuffer();
    for (const [cfg, crop] of [
      [{ ...evalConfig(28, 1), ...unit }, { x: 0, y: 0, w: 28, h: 28, flip: false }],
      [{ ...evalConfig(28, 3), ...unit }, { x: 0, y: 0, w: 28, h: 28, flip: true }],
      [{ ...trainConfig(12, 1), ...unit }, { x: 1, y: 0, w: 26, h: 27, flip: true }],
      [{ ...trainConfig(20, 3), ...unit }, { x: 0, y: 0, w: 28, h: 28, flip: false }],
    ] as [AugmentConfig, Crop][]) {
      const n = cfg.size * cfg.size * cfg.channels;
      const a = new Float32Array(n), b = new Float32Array(n);
      augmentRaw(raw(pixels, 28, 28, 1), crop, cfg, a, 0);
      await augmentEncoded(png, crop, cfg, b, 0, 'test.png');
      let diff = 0;
      for (let i = 0; i < n; i++) diff += Math.abs(a[i] - b[i]) * 255;
      const mean = diff / n;
      assert.ok(cfg.size === 28 ? mean === 0 : mean < 1.5, `image ${k}, crop ${JSON.stringify(crop)}, size ${cfg.size}: mean difference ${mean.toFixed(2)} levels`);
    }
  }
});

test('a corrupt encoded image names its source', async () => {
  const out = new Float32Array(28 * 28);
  try {
    await augmentEncoded(Buffer.from('not an image'), { x: 0, y: 0, w: 28, h: 28, flip: false }, evalConfig(28, 1), out, 0, 'db record \'x/1.png\'');
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, "db record 'x/1.png': cannot decode image");
  }
});

test.run();
