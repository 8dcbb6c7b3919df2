// `nmfinit view DIR`: serves the study's report.html on 127.0.0.1 and reloads it as runs finish.
import type { CommandModule } from 'yargs';
import { PLUGIN_OPTION } from '../plugin-option.ts';

export interface ViewArgs {
  dir: string;
  port: number;
  poll: number;
  plugin?: string[];
}

export const viewCommand: CommandModule<object, ViewArgs> = {
  command: 'view <dir>',
  describe: 'serve the report on 127.0.0.1 and reload it as runs finish (watch a study while it runs)',
  builder: (y) =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'the study output directory' })
      .option('port', { type: 'number', default: 0, describe: 'port on 127.0.0.1 (0: a free one)' })
      .option('poll', { type: 'number', default: 1000, describe: 'how often runs/ is looked at, in ms' })
      .option('plugin', PLUGIN_OPTION),
  handler: async (args) => {
    // Loaded here, not at start: `nmfinit --help` stays fast.
    const [{ loadPluginModules }, { loadStudy, writeReport }, { serveReport }] = await Promise.all([
      import('../../experiment/plugins.ts'),
      import('../../experiment/study.ts'),
      import('../view-server.ts'),
    ]);
    await loadPluginModules(args.plugin ?? []);
    const regenerate = async () => {
      await writeReport(loadStudy([args.dir]), { allowPartial: true, log: () => {} });
    };
    const server = await serveReport(args.dir, { port: args.port, pollMs: args.poll, regenerate });
    console.log(`nmfinit view: ${args.dir} at ${server.url} (reloads as runs finish; Ctrl-C stops)`);
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    await server.close();
  },
};
