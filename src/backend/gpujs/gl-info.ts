import { createRequire } from 'node:module';

/** What a headless-gl context runs on: "llvmpipe" on Mesa's software renderer, the GPU's name on a real one. */
export interface GlInfo {
  renderer: string;
  version: string;
  maxTextureSize: number;
}

/** The few WebGL calls the probe makes (the project's TypeScript has no DOM types). */
interface GlContext {
  readonly RENDERER: number;
  readonly VERSION: number;
  readonly MAX_TEXTURE_SIZE: number;
  getParameter(name: number): unknown;
  getExtension(name: string): { destroy?: () => void } | null;
}

type GlFactory = (w: number, h: number, o?: object) => GlContext | null;

/** How to build headless-gl from the sources `npm ci` installed (its install script does not run). */
export const GL_BUILD_COMMAND = 'cd node_modules/gl && npx node-gyp rebuild --jobs max --nodedir=/usr';

let probed: { info: GlInfo | null; reason: string } | undefined;

/**
 * Opens a 1×1 headless-gl context once per process and reads its renderer, version and maximum
 * texture size. `info` is null when
 * there is no context, with `reason` saying why (the `gl` module not built, no X display, ...).
 */
export function headlessGlInfo(): { info: GlInfo | null; reason: string } {
  if (probed) return probed;
  probed = probe();
  return probed;
}

function probe(): { info: GlInfo | null; reason: string } {
  let create: GlFactory;
  try {
    create = createRequire(import.meta.url)('gl') as GlFactory;
  } catch (e) {
    return {
      info: null,
      reason: `the optional 'gl' module did not load (${firstLine(e)}); build it: ${GL_BUILD_COMMAND}`,
    };
  }
  let gl: GlContext | null = null;
  try {
    gl = create(1, 1);
  } catch (e) {
    return { info: null, reason: `headless-gl could not open a context (${firstLine(e)})` };
  }
  if (!gl) {
    const display = process.env.DISPLAY;
    return {
      info: null,
      reason: display
        ? `headless-gl could not open a GL context on DISPLAY=${display}`
        : 'headless-gl could not open a GL context: no X display (start one, e.g. `Xvfb :99 &`, and set DISPLAY=:99)',
    };
  }
  // headless-gl's JavaScript layer answers RENDERER with 'ANGLE' and VERSION with its own; the
  // native class it extends answers with the driver's strings ("ANGLE (Mesa/X.org llvmpipe ...)").
  const native = nativeGetParameter(gl);
  const renderer = String(native(gl.RENDERER));
  const version = String(native(gl.VERSION));
  const maxTextureSize = Number(gl.getParameter(gl.MAX_TEXTURE_SIZE));
  gl.getExtension('STACKGL_destroy_context')?.destroy?.();
  return { info: { renderer, version, maxTextureSize }, reason: '' };
}

/** The deepest getParameter on the context's prototype chain: the native binding's, unmasked. */
function nativeGetParameter(gl: GlContext): (name: number) => unknown {
  let found = gl.getParameter;
  for (let p = Object.getPrototypeOf(gl); p; p = Object.getPrototypeOf(p)) {
    const own = Object.getOwnPropertyDescriptor(p, 'getParameter')?.value;
    if (typeof own === 'function') found = own;
  }
  return (name) => found.call(gl, name);
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0];
}
