// Worker threads do not inherit tsx's TypeScript loader, so each worker registers it before
// loading the TypeScript worker module, with this package's tsconfig (its paths map 'nmfinit'
// to the sources) whatever the working directory.
import { register } from 'tsx/esm/api';

register({ tsconfig: new URL('../../tsconfig.json', import.meta.url).pathname });
await import('./worker.ts');
