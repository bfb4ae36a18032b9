import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { scriptSource } from './escape.ts';

/** The chart libraries' sources (vega, vega-lite, vega-embed), read from node_modules: pages embed or ship them and need no network. */
export function chartLibrarySources(): string[] {
  const file = (pkg: string, path: string) => readFileSync(join(packageDir(pkg), path), 'utf8');
  return [file('vega', 'build/vega.min.js'), file('vega-lite', 'build/vega-lite.min.js'), file('vega-embed', 'build/vega-embed.min.js')];
}

/** The libraries the page renders charts with, read from node_modules and inlined: the page needs no network. */
export function chartLibraries(): string {
  return chartLibrarySources()
    .map((source) => `<script>${scriptSource(source)}</script>`)
    .join('\n');
}

/** A package's folder: its exports hide package.json, so walk up from its entry point. */
function packageDir(name: string): string {
  let dir = dirname(createRequire(import.meta.url).resolve(name));
  while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== name) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the folder of the ${name} package`);
    dir = parent;
  }
  return dir;
}
