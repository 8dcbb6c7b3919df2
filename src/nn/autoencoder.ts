import type { ActivationName, Backend } from '../backend/types.ts';
import { Sequential } from './sequential.ts';

export interface AutoencoderOptions {
  /** Activation of every hidden layer (default 'relu', as in the study). */
  hidden?: ActivationName;
  /** Activation of the output layer (default 'sigmoid': pixels lie in [0, 1]). */
  output?: ActivationName;
}

/**
 * An autoencoder from its layer sizes, input first: [784, 128, 64, 32, 64, 128, 784] gives six
 * dense layers 784→128→64→32→64→128→784.
 */
export function autoencoder(
  backend: Backend,
  sizes: readonly number[],
  options: AutoencoderOptions = {},
): Sequential {
  if (sizes.length < 2)
    throw new RangeError(`autoencoder needs at least 2 layer sizes, got [${sizes.join(', ')}]`);
  const bad = sizes.findIndex((s) => !Number.isInteger(s) || s <= 0);
  if (bad >= 0)
    throw new RangeError(`autoencoder: size ${bad} is ${sizes[bad]}, expected a positive integer`);
  if (sizes[0] !== sizes[sizes.length - 1]) {
    throw new RangeError(
      `autoencoder: the output size ${sizes[sizes.length - 1]} must equal the input size ${sizes[0]}`,
    );
  }
  const hidden = options.hidden ?? 'relu';
  const output = options.output ?? 'sigmoid';
  const specs = sizes
    .slice(1)
    .map((units, i) => ({ units, activation: i === sizes.length - 2 ? output : hidden }));
  return new Sequential(backend, specs, sizes[0]);
}
