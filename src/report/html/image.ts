/** A PNG as a data: URI, for an image block of report.html (the page loads no files). */
export function pngDataUri(png: Uint8Array): string {
  const bytes = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (bytes.length < 8 || bytes.readUInt32BE(0) !== 0x89504e47)
    throw new Error('report.html: an image block needs PNG bytes (they do not start with the PNG signature)');
  return `data:image/png;base64,${bytes.toString('base64')}`;
}
