// A data set from a directory of image files (PNG, PGM, JPEG): the user's own faces, say. Either
// the images lie directly in the directory (one class, named after it), or in one subfolder per
// class. Images become grey levels in [0, 1], optionally resized; without `resize` every image must
// have the size of the first. A seeded, per-class fraction is held out as the test split.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { DatasetError, defineDataset, resolveLimit, sha256Hex, z } from 'nmfinit';
import { decodeImage, IMAGE_EXTENSIONS, imageSize, resizeArea } from './image-decode.ts';

const side = z.number().int().min(1).max(4096);

const params = z
  .object({
    /** The directory (relative to the working directory, or absolute). */
    dir: z.string().min(1),
    /** [height, width] to resample every image to (area averaging); omitted: keep the size. */
    resize: z.tuple([side, side]).optional(),
    /** The fraction of each class held out as the test split (rounded to whole images). */
    testFraction: z.number().min(0).lt(1).default(0.2),
    /** Seeds which images are held out and the order of both splits. */
    seed: z.number().int().default(0),
  })
  .strict();

export type ImageFolderParams = z.output<typeof params>;

interface ImageFile {
  /** Relative to `dir`, with '/' separators: stable across machines, so the split is too. */
  readonly relative: string;
  readonly path: string;
  readonly label: number;
}

const isImage = (name: string) =>
  (IMAGE_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase());
const visible = (name: string) => !name.startsWith('.');

/** The image files and class names of `dir`: flat, or one subfolder per class (sorted by name). */
export function listImageFolder(dir: string): { files: ImageFile[]; classNames: string[] } {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new DatasetError(`image-folder: cannot read the directory ${dir}: ${(e as Error).message}`);
  }
  entries = entries.filter((e) => visible(e.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
  const folders = entries.filter((e) => e.isDirectory());
  const images = entries.filter((e) => !e.isDirectory() && isImage(e.name));
  if (folders.length > 0 && images.length > 0) {
    throw new DatasetError(
      `image-folder: ${join(dir, images[0].name)} lies beside class subfolders (${folders[0].name}, …); put every image in a class subfolder, or use no subfolders`,
    );
  }
  if (folders.length === 0) {
    const files = images.map((e) => ({ relative: e.name, path: join(dir, e.name), label: 0 }));
    if (files.length === 0)
      throw new DatasetError(`image-folder: ${dir} has no ${IMAGE_EXTENSIONS.join('/')} files`);
    return { files, classNames: [basename(resolve(dir))] };
  }
  if (folders.length > 256) {
    throw new DatasetError(
      `image-folder: ${dir} has ${folders.length} class subfolders, at most 256 are allowed`,
    );
  }
  const files: ImageFile[] = [];
  folders.forEach((folder, label) => {
    const sub = join(dir, folder.name);
    const inner = readdirSync(sub, { withFileTypes: true })
      .filter((e) => visible(e.name))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const nested = inner.find((e) => e.isDirectory());
    if (nested)
      throw new DatasetError(
        `image-folder: ${join(sub, nested.name)} is a folder inside a class folder; classes are one level deep`,
      );
    const mine = inner.filter((e) => isImage(e.name));
    if (mine.length === 0)
      throw new DatasetError(`image-folder: class folder ${sub} has no ${IMAGE_EXTENSIONS.join('/')} files`);
    for (const e of mine)
      files.push({ relative: `${folder.name}/${e.name}`, path: join(sub, e.name), label });
  });
  return { files, classNames: folders.map((f) => f.name) };
}

/**
 * The split of each file: within each class, files are ordered by sha256(seed, relative path), and
 * the first round(testFraction · count) are the test split. Both splits keep that hashed order
 * across classes, so a limit takes a seeded sample, not the first classes.
 */
export function splitImageFolder(
  files: readonly ImageFile[],
  testFraction: number,
  seed: number,
): { train: ImageFile[]; test: ImageFile[] } {
  const keyed = files
    .map((f) => ({ f, key: sha256Hex(`${seed}\n${f.relative}`) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const perClass = new Map<number, number>();
  for (const { f } of keyed) perClass.set(f.label, (perClass.get(f.label) ?? 0) + 1);
  const taken = new Map<number, number>();
  const train: ImageFile[] = [];
  const test: ImageFile[] = [];
  for (const { f } of keyed) {
    const want = Math.round(testFraction * (perClass.get(f.label) ?? 0));
    const t = taken.get(f.label) ?? 0;
    if (t < want) {
      test.push(f);
      taken.set(f.label, t + 1);
    } else train.push(f);
  }
  return { train, test };
}

export const imageFolder = defineDataset({
  name: 'image-folder',
  description:
    'A directory of PNG, PGM or JPEG images (flat, or one subfolder per class), grey levels in [0, 1], optional resize, seeded held-out test fraction',
  params,
  async load({ split, limit, params: p, log }) {
    const dir = resolve(p.dir);
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) throw new DatasetError(`image-folder: dir ${p.dir} is not a directory (resolved to ${dir})`);
    const { files, classNames } = listImageFolder(dir);
    const splits = splitImageFolder(files, p.testFraction, p.seed);
    const chosen = splits[split];
    if (chosen.length === 0) {
      throw new DatasetError(
        `image-folder: the ${split} split of ${dir} is empty (${files.length} images, testFraction ${p.testFraction})`,
      );
    }
    const n = resolveLimit(limit, chosen.length, `image-folder ${split}`);
    let shape: [number, number] | undefined = p.resize;
    let first = '';
    let images = new Float32Array(0);
    const labels = new Uint8Array(n);
    for (let s = 0; s < n; s++) {
      const file = chosen[s];
      const bytes = readFileSync(file.path);
      // The header's size first: a mismatch (or a decompression bomb) is refused before decoding.
      const declared = imageSize(bytes, file.path);
      if (shape === undefined) {
        shape = [declared.height, declared.width];
        first = file.path;
      } else if (p.resize === undefined && (declared.height !== shape[0] || declared.width !== shape[1])) {
        throw new DatasetError(
          `image-folder: ${file.path} is ${declared.height}×${declared.width} (height×width), but ${first} is ${shape[0]}×${shape[1]}; give params.resize to resample every image to one size`,
        );
      }
      const img = decodeImage(bytes, file.path);
      if (img.height !== declared.height || img.width !== declared.width)
        throw new DatasetError(
          `image-folder: ${file.path} decodes to ${img.height}×${img.width}, but its header declares ${declared.height}×${declared.width}`,
        );
      if (s === 0) images = new Float32Array(n * shape[0] * shape[1]);
      images.set(resizeArea(img, shape[0], shape[1]), s * shape[0] * shape[1]);
      labels[s] = file.label;
    }
    log?.(`image-folder: ${n} ${split} images of ${shape?.join('×')} from ${dir}`);
    return {
      name: 'image-folder',
      split,
      images,
      labels,
      count: n,
      imageShape: shape as [number, number],
      classNames,
    };
  },
});
