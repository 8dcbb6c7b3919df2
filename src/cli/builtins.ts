/**
 * The modules that register the built-in plugins (initializers, datasets, study kinds). Only the
 * CLI knows them: it imports them here and hands the list to every worker, so nothing in src
 * imports plugins.
 */
export const BUILTIN_PLUGIN_MODULES: readonly string[] = ['nmfinit/plugins'];
