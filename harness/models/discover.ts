import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { ConfigError } from '../config/errors.ts';
import { GenaiConfig } from '../core/model-config.ts';
import type { DiscoveredVariant, ModelFolder, ModelFolderLayout } from '../core/model-folder.ts';
import type { Precision } from '../core/suite.ts';
import { foreignOperators } from '../onnx/foreign-operators.ts';
import { inspectModel, ModelFileError } from '../onnx/model-file.ts';
import { PRECISION_RANK, promisedPrecision, SUFFIX_ORDER, variantNameOfSuffix } from './variant-names.ts';

/** transformers.js and Optimum: model.onnx and its suffixed siblings (model_q4f16.onnx). */
const TRANSFORMERS_JS = /^model(?:_([a-z0-9]+))?\.onnx$/i;
/** Legacy Optimum decoders: one graph for both steps is preferred to the prefill-only and decode-only pair. */
const OPTIMUM_FORMS = ['decoder_model_merged', 'decoder_model', 'decoder_with_past_model'] as const;
const OPTIMUM = /^(decoder_model_merged|decoder_model|decoder_with_past_model)(?:_([a-z0-9]+))?\.onnx$/i;
/** How deep onnxruntime-genai build folders may sit (cpu_and_mobile/cpu-int4-rtn-block-32/genai_config.json). */
const GENAI_DEPTH = 2;

interface Candidate {
  name: string;
  /** Relative to the model folder. */
  file: string;
  /** Where the name came from, for the warning when the graph disagrees. */
  namedBy: 'file name' | 'folder name';
  order: number;
}

/** The name a model folder goes by: its own, or its parent's for a transformers.js onnx/ folder. */
export function modelFolderName(folder: string): string {
  return basename(folder) === 'onnx' ? basename(dirname(folder)) : basename(folder);
}

/**
 * Finds the variants of the model family a folder holds, in the layout its
 * exporter wrote (onnxruntime-genai, transformers.js / Optimum, legacy
 * Optimum), names them as that ecosystem does, and reads each one's
 * precision from its graph. A name the graph contradicts is a warning; a
 * file that cannot be read keeps its variant (its cells report the problem).
 */
export async function discoverModelFolder(folder: string): Promise<ModelFolder> {
  const shown = relative(process.cwd(), folder) || '.';
  const info = await stat(folder).catch(() => undefined);
  if (!info) throw new ConfigError(shown, undefined, 'model folder not found', 'name the folder an exporter wrote (it holds onnx/ or genai_config.json)');
  if (!info.isDirectory()) {
    throw new ConfigError(shown, undefined, 'not a folder', 'name the folder that holds the model, or list the .onnx file under variants: instead');
  }

  const found = (await genaiCandidates(folder)) ?? (await transformersJsCandidates(folder)) ?? (await optimumCandidates(folder));
  if (!found) {
    throw new ConfigError(
      shown,
      undefined,
      'no model edgebench recognises in this folder; looked for genai_config.json (onnxruntime-genai, here or up to two build folders down), onnx/model*.onnx or model*.onnx (transformers.js, Optimum) and decoder_model_merged*.onnx (legacy Optimum)',
      'name the folder an exporter wrote, or list .onnx files under variants: in the suite',
    );
  }

  const warnings: string[] = [];
  const variants: DiscoveredVariant[] = [];
  for (const candidate of found.candidates) variants.push(await describe(folder, candidate, warnings));
  const order = new Map(found.candidates.map((c) => [c.name, c.order]));
  variants.sort((a, b) => PRECISION_RANK[a.precision.label] - PRECISION_RANK[b.precision.label] || order.get(a.name)! - order.get(b.name)!);

  const tokenizer = [join(folder, 'tokenizer.json'), ...(basename(folder) === 'onnx' ? [join(folder, '..', 'tokenizer.json')] : [])]
    .concat(variants.map((v) => join(folder, dirname(v.file), 'tokenizer.json')))
    .find((file) => existsSync(file));
  return {
    folder,
    layout: found.layout,
    variants,
    reference: variants[0]!.name,
    ...(tokenizer ? { tokenizer: relative(folder, tokenizer) } : {}),
    ...(found.genai ? { genai: found.genai } : {}),
    skipped: found.skipped,
    warnings,
  };
}

interface Found {
  layout: ModelFolderLayout;
  candidates: Candidate[];
  skipped: ModelFolder['skipped'];
  genai?: GenaiConfig;
}

/** genai_config.json beside the model it names, in the folder or in build folders below it: each build is a variant. */
async function genaiCandidates(folder: string): Promise<Found | undefined> {
  const configs = await findGenaiConfigs(folder, 0);
  if (configs.length === 0) return undefined;
  const candidates: Candidate[] = [];
  let genai: GenaiConfig | undefined;
  for (const [index, configFile] of configs.entries()) {
    const config = await readGenaiConfig(configFile);
    genai ??= config;
    const build = relative(folder, dirname(configFile));
    const file = join(build, config.model.decoder.filename);
    if (!existsSync(join(folder, file))) {
      throw new ConfigError(
        relative(process.cwd(), configFile),
        'model.decoder.filename',
        `names ${config.model.decoder.filename}, which is not in ${build || 'the folder'}`,
        'restore the model file beside genai_config.json, or correct the name',
      );
    }
    // A build folder's name is the variant's name; a top-level model is named by its graph's precision (filled in later).
    candidates.push({ name: build ? basename(build) : '', file, namedBy: 'folder name', order: index });
  }
  // Two builds of the same name in different parents (cpu/int4, cuda/int4) are told apart by their whole path.
  const clashing = new Set(candidates.map((c) => c.name).filter((name, i, names) => name && names.indexOf(name) !== i));
  for (const candidate of candidates.filter((c) => clashing.has(c.name))) candidate.name = dirname(candidate.file).split(/[\\/]/).join('-');
  return { layout: 'onnxruntime-genai', candidates, skipped: [], ...(genai ? { genai } : {}) };
}

async function findGenaiConfigs(folder: string, depth: number): Promise<string[]> {
  if (existsSync(join(folder, 'genai_config.json'))) return [join(folder, 'genai_config.json')];
  if (depth >= GENAI_DEPTH) return [];
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    found.push(...(await findGenaiConfigs(join(folder, entry.name), depth + 1)));
  }
  return found;
}

async function readGenaiConfig(file: string): Promise<GenaiConfig> {
  const shown = relative(process.cwd(), file);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(shown, undefined, `not valid JSON (${(error as Error).message})`, 'restore the file from the model repository or the model builder');
  }
  const parsed = GenaiConfig.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(shown, issue.path.join('.') || undefined, issue.message, 'restore the file from the model repository or the model builder');
  }
  return parsed.data;
}

/** onnx/model.onnx and siblings (or the same at the top of the folder). */
async function transformersJsCandidates(folder: string): Promise<Found | undefined> {
  for (const dir of [join(folder, 'onnx'), folder]) {
    const files = await onnxFiles(dir);
    const matches = files.filter((f) => TRANSFORMERS_JS.test(f));
    if (matches.length === 0) continue;
    const candidates = matches.map((f) => {
      const suffix = (TRANSFORMERS_JS.exec(f)![1] ?? '').toLowerCase();
      return { name: variantNameOfSuffix(suffix), file: relative(folder, join(dir, f)), namedBy: 'file name' as const, order: suffixOrder(suffix) };
    });
    const skipped = files.filter((f) => !TRANSFORMERS_JS.test(f)).map((f) => ({ file: relative(folder, join(dir, f)), reason: 'not a variant of model.onnx' }));
    return { layout: 'transformers.js', candidates, skipped };
  }
  return undefined;
}

/** decoder_model_merged.onnx (else decoder_model.onnx, else decoder_with_past_model.onnx), per suffix. */
async function optimumCandidates(folder: string): Promise<Found | undefined> {
  for (const dir of [folder, join(folder, 'onnx')]) {
    const files = await onnxFiles(dir);
    const bySuffix = new Map<string, { form: string; file: string }[]>();
    for (const f of files) {
      const match = OPTIMUM.exec(f);
      if (!match) continue;
      const suffix = (match[2] ?? '').toLowerCase();
      bySuffix.set(suffix, [...(bySuffix.get(suffix) ?? []), { form: match[1]!.toLowerCase(), file: f }]);
    }
    if (bySuffix.size === 0) continue;
    const candidates: Candidate[] = [];
    const skipped: ModelFolder['skipped'] = [];
    for (const [suffix, forms] of bySuffix) {
      forms.sort((a, b) => OPTIMUM_FORMS.indexOf(a.form as never) - OPTIMUM_FORMS.indexOf(b.form as never));
      const [chosen, ...others] = forms;
      candidates.push({ name: variantNameOfSuffix(suffix), file: relative(folder, join(dir, chosen!.file)), namedBy: 'file name', order: suffixOrder(suffix) });
      for (const other of others) skipped.push({ file: relative(folder, join(dir, other.file)), reason: `${chosen!.file} runs both prefill and decode` });
    }
    for (const f of files.filter((f) => !OPTIMUM.test(f))) skipped.push({ file: relative(folder, join(dir, f)), reason: 'not a decoder of this family' });
    return { layout: 'optimum-legacy', candidates, skipped };
  }
  return undefined;
}

async function onnxFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && e.name.toLowerCase().endsWith('.onnx'))
    .map((e) => e.name)
    .sort();
}

const suffixOrder = (suffix: string) => {
  const index = SUFFIX_ORDER.indexOf(suffix);
  return index >= 0 ? index : SUFFIX_ORDER.length;
};

/** Reads one candidate's graph: precision, inputs and outputs, external data and bytes on disk. */
async function describe(folder: string, candidate: Candidate, warnings: string[]): Promise<DiscoveredVariant> {
  const path = join(folder, candidate.file);
  const shown = relative(process.cwd(), path);
  const promised = candidate.name ? promisedPrecision(candidate.name) : undefined;
  try {
    const model = await inspectModel(path);
    const precision = model.precision!;
    const name = candidate.name || precision.label;
    if (promised && !promised.precisions.includes(precision.label)) {
      warnings.push(
        `${shown}: the ${candidate.namedBy} says ${promised.word} (${promised.precisions.filter((p) => p !== 'mixed').join(' or ')}), the graph is ${precision.label} (${precision.evidence})`,
      );
    }
    const foreign = foreignOperators(model.opsets);
    if (foreign) warnings.push(`${shown}: ${foreign}; its cells will fail`);
    const externalData = model.externalData.map((ref) => ref.location);
    const sizes = await Promise.all([path, ...externalData.map((location) => join(dirname(path), location))].map((file) => stat(file).then((s) => s.size)));
    return {
      name,
      file: candidate.file,
      externalData,
      precision,
      diskBytes: sizes.reduce((a, b) => a + b, 0),
      inputs: model.inputs.map((v) => v.name),
      outputs: model.outputs.map((v) => v.name),
    };
  } catch (error) {
    if (!(error instanceof ModelFileError)) throw error;
    // The variant stays: planning reports the same problem on its cells and the other variants run.
    warnings.push(`${shown}: ${error.message}; its cells will fail`);
    const label: Precision = promised?.precisions[0] ?? 'fp32';
    const size = await stat(path).then((s) => s.size, () => 0);
    return {
      name: candidate.name || label,
      file: candidate.file,
      externalData: [],
      precision: { label, evidence: `not read from the graph (${error.message}); taken from the ${candidate.namedBy}` },
      diskBytes: size,
      inputs: [],
      outputs: [],
    };
  }
}
