/** Bad or missing data: the message names the file (or parameter), what was expected and what was found. */
export class DatasetError extends Error {
  override name = 'DatasetError';
}
