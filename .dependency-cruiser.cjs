// The house's dependency rules (ARCHITECTURE.md), checked by `npm run lint`.
// Arrows point from the importer to what it imports.
const layer = (name) => `^src/${name}/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle makes module order matter and hides which room owns what.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'kernels-know-no-graphs',
      severity: 'error',
      comment: 'tensor and backend know buffers, not graphs: they never import autodiff.',
      from: { path: '^src/(tensor|backend)/' },
      to: { path: layer('autodiff') },
    },
    {
      name: 'ops-know-no-layers',
      severity: 'error',
      comment: 'autodiff ops know no layers.',
      from: { path: layer('autodiff') },
      to: { path: layer('nn') },
    },
    {
      name: 'training-knows-no-studies',
      severity: 'error',
      comment: 'nn, optim and train know no studies and no plugins.',
      from: { path: '^src/(nn|optim|train)/' },
      to: { path: ['^src/experiment/', '^plugins/'] },
    },
    {
      name: 'nmf-is-numerics',
      severity: 'error',
      comment: 'NMF is numerics, not a network.',
      from: { path: layer('nmf') },
      to: { path: layer('nn') },
    },
    {
      name: 'reports-read-results',
      severity: 'error',
      comment: 'Reports read stored results, never models.',
      from: { path: layer('report') },
      to: { path: ['^src/(nn|autodiff|optim|train)/'] },
    },
    {
      name: 'runner-knows-no-training',
      severity: 'error',
      comment:
        "The shared study machinery runs any kind; what a run trains is the kind's business (in plugins).",
      from: { path: layer('experiment') },
      to: { path: ['^src/(nn|optim|train|autodiff)/'] },
    },
    {
      name: 'runner-without-terminal',
      severity: 'error',
      comment: 'The runner is usable without a terminal: experiment never imports cli.',
      from: { path: layer('experiment') },
      to: { path: layer('cli') },
    },
    {
      name: 'src-never-imports-plugins',
      severity: 'error',
      comment:
        'src is the engine; plugins use it, never the other way round (the CLI names plugin modules as strings).',
      from: { path: '^src/' },
      to: { path: '^plugins/' },
    },
    {
      name: 'registry-is-the-ground-floor',
      severity: 'error',
      comment:
        'src/registry holds only the generic Registry and its parsing: each registry lives next to its contract (backend/registry.ts, data/registry.ts, …), so nothing imports upwards from here.',
      from: { path: layer('registry') },
      to: { path: '^src/', pathNot: layer('registry') },
    },
    {
      name: 'registry-knows-no-plugin',
      severity: 'error',
      comment: 'A registry never imports a plugin by name.',
      from: { path: layer('registry') },
      to: { path: ['^plugins/'] },
    },
    {
      name: 'kinds-are-self-contained',
      severity: 'error',
      comment:
        'A study kind never imports another kind: what two kinds share belongs in src, behind the public API.',
      from: { path: '^plugins/studies/([^/]+)/' },
      to: { path: '^plugins/studies/', pathNot: '^plugins/studies/$1/' },
    },
    {
      name: 'plugins-use-the-public-api',
      severity: 'error',
      comment:
        "Built-in plugins import only 'nmfinit' (src/index.ts) and 'nmfinit/testing', as a user's plugin would.",
      from: { path: '^plugins/' },
      to: { path: '^src/', pathNot: ['^src/index\\.ts$', '^src/testing/index\\.ts$'] },
    },
    {
      name: 'plugins-are-ui-free',
      severity: 'error',
      comment: 'Plugins know no terminal.',
      from: { path: '^plugins/' },
      to: { path: layer('cli') },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^node_modules', '^dist/'] },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs'],
    },
    // The package imports itself by name ('nmfinit', 'nmfinit/plugins'), as a user's code would.
    combinedDependencies: false,
  },
};
