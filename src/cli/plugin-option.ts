// `--plugin`, the one flag every command that loads plugins shares (run, report, view, plugins, slurm).

/** yargs' declaration of `--plugin MODULE…`: modules that register extra plugins, imported before the command runs. */
export const PLUGIN_OPTION = {
  type: 'string',
  array: true,
  describe: 'module(s) that register extra plugins',
} as const;
