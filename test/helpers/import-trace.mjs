// `node --import ./test/helpers/import-trace.mjs …`: appends the URL of every module the process
// loads to the file named by NMFINIT_IMPORT_TRACE, one a line (test/cli-startup.test.ts uses it
// to see what `nmfinit --help` imports).
import { register } from 'node:module';

register(new URL('./import-trace-hooks.mjs', import.meta.url), {
  data: { file: process.env.NMFINIT_IMPORT_TRACE },
});
