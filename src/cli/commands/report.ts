import type { CommandModule } from 'yargs';
import { loadPluginModules } from '../../experiment/plugins.ts';
import { PLUGIN_OPTION } from '../plugin-option.ts';

/** `nmfinit report DIR…`: (re)writes the report from stored runs, merging the directories of shards. */
export const reportCommand: CommandModule<object, { dirs: string[]; partial: boolean; plugin?: string[] }> = {
  command: 'report <dirs..>',
  describe:
    'write plots, grids, report.md and results.json from stored runs (merges shard directories; written to the first)',
  builder: (y) =>
    y
      .positional('dirs', { type: 'string', array: true, demandOption: true })
      .option('partial', {
        type: 'boolean',
        default: false,
        describe: 'write the report even when runs of the grid are missing (it names them)',
      })
      .option('plugin', PLUGIN_OPTION),
  handler: async (args) => {
    await loadPluginModules(args.plugin ?? []);
    // The runner and the backends load on use, so `nmfinit --help` starts fast.
    const { loadStudy, writeReport } = await import('../../experiment/study.ts');
    const study = loadStudy(args.dirs);
    const files = await writeReport(study, { allowPartial: args.partial });
    console.log(
      `${study.input.runs.length} runs → ${files.reportMd} (${files.figures.length} figures, ${files.resultsJson})`,
    );
  },
};
