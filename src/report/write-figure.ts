import { writeFileAtomicSync } from '../util/files.ts';

/**
 * Writes `<pathWithoutExt>.png` and, when given, `<pathWithoutExt>.svg`, each atomically (a reader
 * never sees half a file). Returns the paths written.
 */
export function writeFigure(pathWithoutExt: string, figure: { svg?: string; png: Uint8Array }): string[] {
  if (/\.(png|svg)$/i.test(pathWithoutExt)) {
    throw new Error(`writeFigure: give the path without extension, got '${pathWithoutExt}'`);
  }
  const written: string[] = [];
  writeFileAtomicSync(`${pathWithoutExt}.png`, figure.png);
  written.push(`${pathWithoutExt}.png`);
  if (figure.svg !== undefined) {
    writeFileAtomicSync(`${pathWithoutExt}.svg`, figure.svg);
    written.push(`${pathWithoutExt}.svg`);
  }
  return written;
}
