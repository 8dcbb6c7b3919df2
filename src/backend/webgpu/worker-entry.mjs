// Worker threads do not inherit tsx's TypeScript loader, so the device worker registers it
// before loading its TypeScript module (as src/experiment/worker-entry.mjs does).
import { register } from 'tsx/esm/api';

register({ tsconfig: new URL('../../../tsconfig.json', import.meta.url).pathname });
await import('./worker.ts');
