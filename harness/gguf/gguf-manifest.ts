import { basename, dirname, relative } from 'node:path';
import type { GgufQuant } from '../core/gguf.ts';
import { hashModelFiles } from '../onnx/model-files.ts';
import { inspectModel } from '../onnx/model-file.ts';
import { manifestPathFor, writeManifest, type VariantManifest } from '../quantize/manifest.ts';
import { TOOL_VERSION } from '../version.ts';
import { inspectGguf } from './gguf-inspection.ts';
import { readGgufInfo } from './read-gguf.ts';

const FOUR_BIT = /^(Q4_|IQ4_)/;
const EIGHT_BIT = /^Q8_/;
const FLOAT = /^(F32|F16|BF16)$/;

/**
 * The manifest beside a converted GGUF file, as `edgebench quantize` writes
 * one beside an ONNX variant: its hash and size, the fp32 ONNX source's, the
 * precision its tensor types give, and every tensor's ggml type. A suite that
 * names the variant by its manifest is checked against these hashes, and
 * `edgebench sign` signs it like any other.
 */
export async function writeGgufManifest(ggufFile: string, sourceModel: string, quant: GgufQuant): Promise<string> {
  const [written, source, info] = await Promise.all([
    hashModelFiles(ggufFile, await inspectGguf(ggufFile)),
    hashModelFiles(sourceModel, await inspectModel(sourceModel)),
    readGgufInfo(ggufFile),
  ]);
  const precision = (await inspectGguf(ggufFile)).precision!.label;
  const tensorTypes = Object.fromEntries(info.tensors.map((t) => [t.name, t.type]));
  const matrices = info.tensors.filter((t) => !t.name.endsWith('norm.weight'));
  const manifest: VariantManifest = {
    schemaVersion: 1,
    tool: { name: 'edgebench', version: TOOL_VERSION },
    createdAt: new Date().toISOString(),
    model: basename(ggufFile),
    precision,
    files: written.files,
    diskBytes: written.diskBytes,
    sha256: written.sha256,
    source: { model: relative(dirname(ggufFile), sourceModel), sha256: source.sha256, diskBytes: source.diskBytes },
    quantization: { to: 'gguf', quant, tensorTypes },
    exclude: [],
    layers: {
      int8: matrices.filter((t) => EIGHT_BIT.test(t.type)).map((t) => t.name),
      int4: matrices.filter((t) => FOUR_BIT.test(t.type)).map((t) => t.name),
      keptFloat: matrices.filter((t) => FLOAT.test(t.type)).map((t) => t.name),
    },
  };
  const file = manifestPathFor(ggufFile);
  await writeManifest(file, manifest);
  return file;
}
