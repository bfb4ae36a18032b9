import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { assertNoPlanSide } from '../plan-side-inputs.ts';

const WEB_ENTRY = fileURLToPath(new URL('./web-runner.ts', import.meta.url));

let cached: Promise<string> | undefined;

/** The page's runner as one ES module, built in memory once per process and served by the browser driver. */
export function webRunnerBundle(): Promise<string> {
  cached ??= build({
    entryPoints: [WEB_ENTRY],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'chrome120',
    write: false,
    metafile: true,
    logLevel: 'silent',
  }).then((result) => {
    assertNoPlanSide('web runner', result.metafile);
    return result.outputFiles[0]!.text;
  });
  return cached;
}
