import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { atomicWrite } from '../files/atomic-write.ts';
import { assertNoPlanSide } from './plan-side-inputs.ts';

const CHILD_ENTRY = fileURLToPath(new URL('./child.ts', import.meta.url));
// Inside node_modules, so the bundle's external imports (onnxruntime-node, node-llama-cpp) resolve.
const CACHE_DIR = fileURLToPath(new URL('../../node_modules/.cache/edgebench/', import.meta.url));

let cached: Promise<string> | undefined;

/**
 * The runner as one plain JavaScript file: it starts without a TypeScript loader
 * (faster, and nothing but the runner in the measured process), and it is the
 * unit that gets copied to other machines. Content-addressed, built once.
 */
export function runnerBundle(): Promise<string> {
  cached ??= buildBundle();
  return cached;
}

async function buildBundle(): Promise<string> {
  const result = await build({
    entryPoints: [CHILD_ENTRY],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    external: ['onnxruntime-node', 'node-llama-cpp'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  assertNoPlanSide('Node.js runner', result.metafile);
  const code = result.outputFiles[0]!.contents;
  const file = `${CACHE_DIR}runner-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`;
  if (!existsSync(file)) {
    await atomicWrite(file, code);
  }
  return file;
}
