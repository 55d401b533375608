// Using an exported model: image files decoded with sharp, brought to the model's input by the
// evaluation transform its metadata describes (size, channels, center crop, bilinear resize,
// mean and std), run through the folded network, and the top classes with their names.
import { readFileSync } from 'node:fs';
import sharp, { type OutputInfo } from 'sharp';
import { Random } from '../engine/random.js';
import { noGrad, Tensor } from '../engine/tensor.js';
import { augment, evalConfig } from './data/augment.js';
import { FASHION_MNIST_CLASSES, classFolder } from './data/fashion_mnist.js';
import { RAW } from './data/record.js';
import { loadFolded, type FoldedMeta } from './export.js';

export interface Prediction {
  image: string;
  /** The most probable classes first: label, name and softmax probability. */
  top: Array<{ label: number; name: string; probability: number }>;
}

/**
 * Names for a model's classes: its `class_names` (the class folders of the data it was trained on),
 * Fashion-MNIST's own names when those folders are Fashion-MNIST's; without them, the labels.
 */
export function classNames(meta: FoldedMeta & { class_names?: string[] }): string[] {
  const folders = meta.class_names;
  if (!folders) return Array.from({ length: meta.classes }, (_, i) => String(i));
  const fashionMnist = folders.length === FASHION_MNIST_CLASSES.length && folders.every((f, i) => f === classFolder(i));
  return fashionMnist ? [...FASHION_MNIST_CLASSES] : folders;
}

/** Decodes one image file into the model's input (NHWC, normalised) exactly as validation prepares test images. */
async function prepare(file: string, meta: FoldedMeta, out: Float32Array, offset: number): Promise<void> {
  const [c, size, w] = meta.input_shape;
  if (size !== w) throw new Error(`model input ${meta.input_shape.join('x')}: only square inputs are supported`);
  let data: Buffer, info: OutputInfo;
  try {
    const image = sharp(readFileSync(file)).removeAlpha().toColourspace(c === 1 ? 'b-w' : 'srgb');
    ({ data, info } = await image.raw().toBuffer({ resolveWithObject: true }));
  } catch (e) {
    throw new Error(`${file}: cannot decode image (${(e as Error).message})`);
  }
  const rec = { kind: RAW as typeof RAW, channels: info.channels, label: 0, width: info.width, height: info.height, payload: new Uint8Array(data) };
  const transform = evalConfig(size, c as 1 | 3, { mean: meta.mean, std: meta.std });
  await augment(rec, transform, new Random(0), out, offset, file);   // evaluation draws nothing from the generator
}

/** The `top` most probable classes of each image under an exported model (densenas export --out DIR). */
export async function predict(modelDir: string, images: string[], o: { top?: number } = {}): Promise<Prediction[]> {
  if (!images.length) throw new Error('predict: name at least one image');
  const { model, meta } = loadFolded(modelDir);
  try {
    const names = classNames(meta);
    const [c, h, w] = meta.input_shape;
    const x = new Float32Array(images.length * h * w * c);
    for (const [i, f] of images.entries()) await prepare(f, meta, x, i * h * w * c);
    const input = Tensor.fromArray(x, [images.length, h, w, c]);
    const logits = await noGrad(() => model.forward(input)).toArray();
    input.dispose();
    const k = Math.min(o.top ?? 3, meta.classes);
    return images.map((image, i) => {
      const row = Array.from(logits.subarray(i * meta.classes, (i + 1) * meta.classes));
      const max = Math.max(...row), exp = row.map((v) => Math.exp(v - max)), sum = exp.reduce((a, b) => a + b, 0);
      const top = exp.map((e, label) => ({ label, name: names[label] ?? String(label), probability: e / sum }))
        .sort((a, b) => b.probability - a.probability).slice(0, k);
      return { image, top };
    });
  } finally {
    model.dispose();
  }
}
