import { decodeFloat32, type ImageGridRow } from 'nmfinit';
import type { RunSnapshot } from './result.ts';

/** Mean squared difference over every pixel of the images shown (NaN when any is not finite). */
export function rowMse(originals: readonly Float32Array[], images: readonly Float32Array[]): number {
  let sum = 0;
  let n = 0;
  originals.forEach((o, i) => {
    const r = images[i];
    for (let j = 0; j < o.length; j++) sum += (r[j] - o[j]) ** 2;
    n += o.length;
  });
  return n > 0 ? sum / n : Number.NaN;
}

/**
 * The rows of a reconstruction grid: the originals, then per initializer one row per epoch in
 * `epochs` (0 = at initialization), labelled with the epoch and the row's MSE on the images shown.
 * A snapshot that was not recorded is a row of NaN (drawn magenta) with "no snapshot".
 */
export function reconstructionRows(
  originals: readonly Float32Array[],
  imageShape: readonly [number, number],
  groups: readonly { label: string; snapshots: readonly RunSnapshot[] }[],
  epochs: readonly number[],
): { rows: ImageGridRow[]; mse: { label: string; epoch: number; mse: number }[] } {
  const d = imageShape[0] * imageShape[1];
  const rows: ImageGridRow[] = [{ label: 'original', images: [...originals] }];
  const mse: { label: string; epoch: number; mse: number }[] = [];
  for (const g of groups) {
    for (const epoch of epochs) {
      const snap = g.snapshots.find((s) => s.epoch === epoch);
      const flat = snap
        ? decodeFloat32(snap.reconstructions)
        : new Float32Array(originals.length * d).fill(Number.NaN);
      const images = originals.map((_, i) => flat.subarray(i * d, (i + 1) * d));
      const m = rowMse(originals, images);
      mse.push({ label: g.label, epoch, mse: m });
      const text = snap ? `MSE ${m.toPrecision(3)}` : 'no snapshot';
      rows.push({ label: `${g.label}, epoch ${epoch}: ${text}`, images });
    }
  }
  return { rows, mse };
}
