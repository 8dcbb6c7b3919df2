import { closest, distance } from 'fastest-levenshtein';
import type { z } from 'zod';
import { parseOrThrow } from './parse.ts';

/** What every plugin carries: a name, a one-line description and a parameter schema with defaults. */
export interface PluginBase {
  readonly name: string;
  readonly description: string;
  /** A zod schema for the plugin's parameters; defaults live in the schema. */
  readonly params: z.ZodType;
}

export class RegistryError extends Error {
  override name = 'RegistryError';
}

/**
 * One registry per plugin kind. A name registered twice is an error; an unknown name lists the
 * available ones and suggests the nearest.
 */
export class Registry<P extends PluginBase> {
  private readonly plugins = new Map<string, P>();

  constructor(readonly kind: string) {}

  register(plugin: P): P {
    if (typeof plugin?.name !== 'string' || !/^[a-z0-9][a-z0-9._:-]*$/.test(plugin.name)) {
      throw new RegistryError(
        `${this.kind} plugin name must be lower-case letters, digits, '.', '_', ':' or '-', got ${JSON.stringify(plugin?.name)}`,
      );
    }
    if (
      typeof plugin.description !== 'string' ||
      plugin.description.trim() === '' ||
      /[\r\n]/.test(plugin.description)
    ) {
      throw new RegistryError(`${this.kind} plugin '${plugin.name}' needs a one-line description`);
    }
    if (typeof (plugin.params as { safeParse?: unknown })?.safeParse !== 'function') {
      throw new RegistryError(`${this.kind} plugin '${plugin.name}' needs a zod schema as 'params'`);
    }
    if (this.plugins.has(plugin.name)) {
      throw new RegistryError(`${this.kind} '${plugin.name}' is already registered; choose another name`);
    }
    this.plugins.set(plugin.name, plugin);
    return plugin;
  }

  has(name: string): boolean {
    return this.plugins.has(name);
  }

  get(name: string): P {
    if (typeof name !== 'string')
      throw new RegistryError(`${this.kind} name must be a string, got ${JSON.stringify(name)}`);
    const plugin = this.plugins.get(name);
    if (plugin) return plugin;
    throw new RegistryError(this.unknownMessage(name));
  }

  /** All plugins, sorted by name. */
  list(): P[] {
    // Code-point order: the same on every machine, whatever its locale data.
    return [...this.plugins.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  names(): string[] {
    return this.list().map((p) => p.name);
  }

  /** Validates raw parameters against the plugin's schema, filling defaults; errors name the parameter. */
  parseParams<Q extends P>(plugin: Q, raw: unknown = {}): z.output<Q['params']> {
    return parseOrThrow(plugin.params, raw ?? {}, `${this.kind} '${plugin.name}': invalid parameters`, {
      root: 'params',
      error: RegistryError,
    }) as z.output<Q['params']>;
  }

  private unknownMessage(name: string): string {
    const names = this.names();
    if (names.length === 0) return `unknown ${this.kind} '${name}': none are registered`;
    // Compared in lower case, so 'GLOROT-NORMAL' still finds 'glorot-normal'.
    const lowerNames = names.map((n) => n.toLowerCase());
    const lower = name.toLowerCase();
    const nearest = names[lowerNames.indexOf(closest(lower, lowerNames))];
    const close = distance(lower, nearest.toLowerCase()) <= Math.max(2, Math.floor(nearest.length / 2));
    const hint = close ? ` Did you mean '${nearest}'?` : '';
    return `unknown ${this.kind} '${name}'.${hint} Available: ${names.join(', ')}`;
  }
}
