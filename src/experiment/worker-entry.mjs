// Worker threads do not inherit tsx's TypeScript loader, so each worker registers it before
// loading the TypeScript worker module.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
