import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { HtmlImage } from './model.ts';

/** A PNG as a data: URI, for an image block of report.html (the page loads no files). */
export function pngDataUri(png: Uint8Array): string {
  const bytes = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (bytes.length < 8 || bytes.readUInt32BE(0) !== 0x89504e47)
    throw new Error('report.html: an image block needs PNG bytes (they do not start with the PNG signature)');
  return `data:image/png;base64,${bytes.toString('base64')}`;
}

/** An image block of a PNG a report wrote (inlined), titled by its file name unless given a title. */
export function imageFileBlock(file: string, title?: string, caption?: string): HtmlImage {
  const name = basename(file, '.png');
  return {
    type: 'image',
    title: title ?? name,
    src: pngDataUri(readFileSync(file)),
    alt: title ?? name,
    ...(caption !== undefined && { caption }),
  };
}
