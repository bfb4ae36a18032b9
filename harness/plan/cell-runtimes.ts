import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../config/errors.ts';
import type { DeviceKind, DeviceSpec } from '../core/device-spec.ts';
import type { RuntimeName, RuntimeOptions } from '../core/runtime.ts';
import type { Suite } from '../core/suite.ts';
import { isGgufFile } from '../gguf/gguf-inspection.ts';
import { chooseRuntime, type RuntimeRequest } from '../runtimes/choose-runtime.ts';
import { ggufRuntimes, runtimes } from '../runtimes/registry.ts';
import { runsOn } from './variant-devices.ts';

/**
 * The runtime of every cell, by variant name and device id: the variant's
 * runtime, else the suite's runtime.name, else the device kind's default;
 * only on the devices the variant runs on.
 * A named runtime that one of the devices cannot host is a config error (one
 * per field and device, however many variants inherit it).
 */
export function cellRuntimes(suite: Suite, suiteFile: string, devices: readonly DeviceSpec[], errors: ConfigError[]): Map<string, Record<string, RuntimeName>> {
  const reported = new Set<string>();
  const byVariant = new Map<string, Record<string, RuntimeName>>();
  suite.variants.forEach((variant, index) => {
    const gguf = namesGgufFile(variant, dirname(suiteFile));
    // A GGUF file runs on the device's GGUF runtime whatever the suite's runtime is; only a variant's own runtime field can contradict it.
    const request: RuntimeRequest | undefined = variant.runtime
      ? { name: variant.runtime, file: suiteFile, field: `variants[${index}].runtime` }
      : suite.runtime.name && !gguf
        ? { name: suite.runtime.name, file: suiteFile, field: 'runtime.name' }
        : undefined;
    const mismatch = request && formatMismatch(variant.name, gguf, request);
    if (mismatch) {
      errors.push(mismatch);
      return;
    }
    const ggufRequest = (kind: DeviceKind): RuntimeRequest => ({ name: ggufRuntimes[kind], file: suiteFile, field: `variants[${index}].file` });
    const byDevice: Record<string, RuntimeName> = {};
    for (const device of devices.filter((d) => runsOn(variant, d.id))) {
      try {
        byDevice[device.id] = chooseRuntime(device, request ?? (gguf ? ggufRequest(device.kind) : undefined));
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        const key = `${error.field}\n${device.id}`;
        if (!reported.has(key)) errors.push(error);
        reported.add(key);
      }
    }
    byVariant.set(variant.name, byDevice);
  });
  return byVariant;
}

/** Whether a variant's model is a GGUF file: its file, or the model its manifest names (an unreadable manifest is reported where variants are resolved). */
function namesGgufFile(variant: { file?: string | undefined; manifest?: string | undefined }, suiteDir: string): boolean {
  if (variant.file !== undefined) return isGgufFile(variant.file);
  if (variant.manifest === undefined) return false;
  try {
    const manifest = JSON.parse(readFileSync(resolve(suiteDir, variant.manifest), 'utf8')) as { model?: unknown };
    return typeof manifest.model === 'string' && isGgufFile(manifest.model);
  } catch {
    return false;
  }
}

/** A runtime that cannot read the variant's format: llama.cpp and wllama read GGUF files only, the onnxruntimes ONNX only. */
function formatMismatch(variant: string, gguf: boolean, request: RuntimeRequest): ConfigError | undefined {
  if (gguf === (runtimes[request.name].format === 'gguf')) return undefined;
  return new ConfigError(
    request.file,
    request.field,
    gguf
      ? `variant "${variant}" is a GGUF file: ${request.name} reads ONNX models, only llama.cpp (wllama in browsers) runs GGUF`
      : `variant "${variant}" is an ONNX model: ${request.name} runs GGUF files only`,
    gguf
      ? 'leave the runtime out (GGUF variants run on llama.cpp, or wllama in browsers), or name the ONNX file'
      : 'name a .gguf file (edgebench convert --to gguf writes one), or an onnxruntime',
  );
}

/**
 * The runtime settings of one cell's runner job: the suite's options, naming
 * the runtime chosen for this variant on this device (a variant's own runtime
 * reaches the runner only this way).
 */
export function cellRuntimeOptions(options: RuntimeOptions, runtimes: Record<string, RuntimeName>, deviceId: string): RuntimeOptions {
  const name = runtimes[deviceId] ?? options.name;
  return name ? { ...options, name } : options;
}
