// The built-in dataset plugins. Registration is done by `nmfinit/plugins`, not here.
import type { DatasetPlugin } from 'nmfinit';
import { fashionMnist } from './fashion-mnist.ts';
import { idx } from './idx.ts';
import { imageFolder } from './image-folder.ts';
import { mnist } from './mnist.ts';
import { spikedGaussian } from './spiked-gaussian.ts';
import { superposition } from './superposition.ts';
import { synthetic } from './synthetic.ts';

export {
  buildFashionMnistSplits,
  FASHION_MNIST_CLASS_NAMES,
  FASHION_MNIST_PER_CLASS,
  fashionMnist,
} from './fashion-mnist.ts';
export { idx } from './idx.ts';
export { imageFolder, listImageFolder, splitImageFolder } from './image-folder.ts';
export { mnist, mnistDataDir } from './mnist.ts';
export { spikedGaussian, spikedGaussianBasis } from './spiked-gaussian.ts';
export { superposition, superpositionDirections } from './superposition.ts';
export { synthetic } from './synthetic.ts';

export const builtinDatasets: DatasetPlugin[] = [
  mnist,
  fashionMnist,
  idx,
  imageFolder,
  synthetic,
  spikedGaussian,
  superposition,
];
