// `nmfinit plugins` and `nmfinit backends`: what is registered, with each plugin's parameters.
import type { CommandModule } from 'yargs';
import { z } from 'zod';
import type { AutoChoice, BackendListing } from '../../backend/index.ts';
import { backends } from '../../backend/registry.ts';
import { datasets } from '../../data/registry.ts';
import { studies } from '../../experiment/kinds.ts';
import { loadPluginModules } from '../../experiment/plugins.ts';
import { initializers } from '../../initializers/registry.ts';
import type { PluginBase, Registry } from '../../registry/registry.ts';
import { PLUGIN_OPTION } from '../plugin-option.ts';

/** A JSON schema, as zod's toJSONSchema writes one, as far as a type description needs it. */
interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema | boolean;
  prefixItems?: JsonSchema[];
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
}

/**
 * A parameter's type in TypeScript-like words: `integer`, `"cd"|"mu"`, `integer|"run"`,
 * `number[]`, `object[]`, `[number, number]`; `any` only where the schema says nothing.
 */
export function describeType(p: JsonSchema): string {
  if (p.enum) return p.enum.map((v) => JSON.stringify(v)).join('|');
  if ('const' in p) return JSON.stringify(p.const);
  const alternatives = p.anyOf ?? p.oneOf;
  if (alternatives) return [...new Set(alternatives.map(describeType))].join('|');
  if (Array.isArray(p.type)) return p.type.join('|');
  if (p.type === 'array') {
    if (p.prefixItems) return `[${p.prefixItems.map(describeType).join(', ')}]`;
    if (typeof p.items !== 'object') return 'array';
    const item = describeType(p.items);
    return item.includes('|') ? `(${item})[]` : `${item}[]`;
  }
  return p.type ?? 'any';
}

/** Describes a plugin's parameters from its zod schema: name, type and default. */
export function describeParams(schema: z.ZodType): string {
  let json: JsonSchema;
  try {
    json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  } catch {
    return '(parameters not describable)';
  }
  const props = Object.entries(json.properties ?? {});
  if (props.length === 0) return '(no parameters)';
  return props
    .map(([name, p]) => {
      const def =
        p.default !== undefined
          ? ` = ${JSON.stringify(p.default)}`
          : json.required?.includes(name)
            ? ' (required)'
            : '';
      return `${name}: ${describeType(p)}${def}`;
    })
    .join(', ');
}

export function listPlugins(kind: string, registry: Registry<PluginBase>): string {
  const lines = [`${kind}s:`];
  for (const p of registry.list())
    lines.push(`  ${p.name}  ${p.description}`, `      ${describeParams(p.params)}`);
  return lines.join('\n');
}

/** `nmfinit plugins`: every registered plugin with its description and parameters. */
export const pluginsCommand: CommandModule<object, { plugin?: string[] }> = {
  command: 'plugins',
  describe: 'list the study kinds, initializers, datasets and backends with their parameters',
  builder: (y) => y.option('plugin', PLUGIN_OPTION),
  handler: async (args) => {
    await loadPluginModules(args.plugin ?? []);
    const sections: [string, Registry<PluginBase>][] = [
      ['study kind', studies as unknown as Registry<PluginBase>],
      ['initializer', initializers as unknown as Registry<PluginBase>],
      ['dataset', datasets as unknown as Registry<PluginBase>],
      ['backend', backends as unknown as Registry<PluginBase>],
    ];
    console.log(sections.map(([kind, registry]) => listPlugins(kind, registry)).join('\n\n'));
  },
};

/**
 * `nmfinit backends`'s text: each backend, whether it runs here (what it runs on, or why not),
 * its measured rate where `auto` measured it, and for the device-resident backends which
 * workloads `auto` times them on.
 */
export function backendsText(
  list: readonly BackendListing[],
  choice: AutoChoice,
  deviceResident: readonly string[],
): string {
  const lines: string[] = [];
  const indent = ''.padEnd(19);
  for (const b of list) {
    const rate = choice.gflops[b.name];
    const measured = rate === undefined ? '' : ` (${rate.toFixed(2)} GFLOP/s)`;
    const auto = b.name === choice.chosen ? '   ← auto' : '';
    lines.push(`${b.available ? '✓' : '✗'} ${b.name.padEnd(16)} ${b.description}${measured}${auto}`);
    const note = b.available ? b.detail : `not available: ${b.reason}`;
    if (note) lines.push(`${indent}${note}`);
    if (b.available && deviceResident.includes(b.name))
      lines.push(
        `${indent}auto considers it only for a dense model's training step (timed through its device trainer) and chained NMF mu (timed on its resident storage)` +
          (b.autoEligible === false ? ', and only through Vulkan (a GPU): not on this machine' : ''),
      );
  }
  lines.push(
    '',
    `auto: the available backend fastest at a ${choice.workload} (every product of it), measured once per machine and cached.`,
  );
  return lines.join('\n');
}

/** `nmfinit backends`: the matmul backends, whether each runs here, and what `auto` picks. */
export const backendsCommand: CommandModule = {
  command: 'backends',
  describe: 'list the matmul backends and which are available here',
  handler: async () => {
    const { autoChoice, DEVICE_RESIDENT_BACKENDS, listBackends } = await import('../../backend/index.ts');
    console.log(backendsText(listBackends(), autoChoice(), DEVICE_RESIDENT_BACKENDS));
  },
};
