import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ConfigError } from '../config/errors.ts';
import { readBoundedFileSync } from '../config/read-bounded-file.ts';
import { TaskKind } from '../core/suite.ts';
import { atomicWrite } from '../files/atomic-write.ts';
import { datasetTemplate } from '../models/dataset-template.ts';
import { discoverModelFolder, modelFolderName } from '../models/discover.ts';
import { inferTask } from '../models/infer-task.ts';
import { suiteText } from '../models/suite-text.ts';
import { inspectModel } from '../onnx/model-file.ts';
import { print } from '../report/terminal-text.ts';
import type { ModelFolder } from '../core/model-folder.ts';
import { readModelConfig, type ModelConfig } from '../tasks/model-config.ts';
import { loadTokenizer } from '../tasks/tokenizer.ts';
import { log } from './common.ts';

interface InitFlags {
  task?: TaskKind;
  output?: string;
  force?: boolean;
}

export function initCommand(program: Command): void {
  program
    .command('init')
    .description('Write a commented suite and a dataset template for a model folder (transformers.js, Optimum or onnxruntime-genai layout).')
    .argument('<model-folder>', 'the folder an exporter wrote: onnx/model*.onnx, decoder_model_merged.onnx, or genai_config.json beside model.onnx')
    .addOption(new Option('--task <task>', 'the task (default: inferred from the inputs and outputs of the model)').choices(TaskKind.options))
    .addOption(new Option('-o, --output <file>', 'suite file to write (default: suite.yaml in the model folder)'))
    .addOption(new Option('--force', 'overwrite the suite and dataset files if they exist'))
    .action(async (folderArg: string, flags: InitFlags) => {
      const folder = resolve(folderArg);
      const found = await discoverModelFolder(folder);
      const suiteFile = resolve(flags.output ?? join(folder, 'suite.yaml'));
      const suiteDir = dirname(suiteFile);
      const reference = found.variants.find((v) => v.name === found.reference)!;
      const model = await inspectModel(join(folder, reference.file));
      const config = readModelConfig(join(folder, reference.file));
      const inferred = inferTask(model);
      const task = flags.task ?? inferred.task;
      const because = flags.task && flags.task !== inferred.task ? `${inferred.task} (${inferred.because}); ${flags.task} was asked for` : inferred.because;
      const datasetFile = join(suiteDir, task === 'generate' ? 'prompts.jsonl' : 'examples.jsonl');
      for (const file of [suiteFile, datasetFile]) {
        if (existsSync(file) && !flags.force) {
          throw new ConfigError(
            'command line',
            flags.output ? '--output' : '<model-folder>',
            `${relative(process.cwd(), file)} exists`,
            'pass --force to overwrite it, or -o another suite file',
          );
        }
      }
      const tokenizer = found.tokenizer ? loadTokenizer(join(folder, found.tokenizer), 'edgebench init') : undefined;
      const labels = task === 'classify' ? classLabels(folder) : undefined;
      await atomicWrite(datasetFile, datasetTemplate(task, model.inputs, tokenizer, config.cache));
      await atomicWrite(
        suiteFile,
        suiteText({
          name: modelFolderName(folder),
          found,
          suiteDir,
          task,
          because,
          dataset: relative(suiteDir, datasetFile),
          ...(labels ? { labels } : {}),
          eos: eosIds(found, config),
        }),
      );
      for (const warning of found.warnings) log(`warning: ${warning}`);
      print(`${relative(process.cwd(), suiteFile)}: ${task} suite for ${found.variants.length} variant(s) of ${found.layout} model ${modelFolderName(folder)}`);
      for (const v of found.variants) print(`  ${v.name.padEnd(12)} ${v.precision.label.padEnd(6)} ${v.file}`);
      print(`${relative(process.cwd(), datasetFile)}: ${task === 'generate' ? 'prompt' : 'example'} template`);
      print(`next: edgebench validate --suite ${relative(process.cwd(), suiteFile)}`);
    });
}

/** The eos ids generation stops at, and the file they come from: genai_config.json governs an onnxruntime-genai folder. */
function eosIds(found: ModelFolder, config: ModelConfig): { source: string; ids: number[] } {
  const genai = found.genai?.model.eos_token_id;
  if (genai !== undefined) return { source: 'genai_config.json', ids: Array.isArray(genai) ? genai : [genai] };
  const source = config.generation?.eos_token_id != null ? 'generation_config.json' : 'config.json';
  return { source, ids: config.eosTokenIds };
}

/** config.json's id2label in index order, when it has one. */
function classLabels(folder: string): string[] | undefined {
  const file = [join(folder, 'config.json'), join(folder, '..', 'config.json')].find((f) => existsSync(f));
  if (!file) return undefined;
  try {
    const config = JSON.parse(readBoundedFileSync(file, { what: 'config.json', maxBytes: 16 * 1024 * 1024 }).toString('utf8')) as {
      id2label?: Record<string, string>;
    };
    const entries = Object.entries(config.id2label ?? {}).sort((a, b) => Number(a[0]) - Number(b[0]));
    return entries.length >= 2 ? entries.map(([, label]) => String(label)) : undefined;
  } catch {
    return undefined;
  }
}
