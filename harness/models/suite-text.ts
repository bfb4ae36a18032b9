import { join, relative } from 'node:path';
import type { ModelFolder } from '../core/model-folder.ts';
import type { TaskKind } from '../core/suite.ts';

export interface SuiteTextInput {
  name: string;
  found: ModelFolder;
  /** The folder the suite file is written to: every path in it is relative to this. */
  suiteDir: string;
  task: TaskKind;
  /** Why the task was chosen, as a sentence fragment. */
  because: string;
  /** The dataset file, relative to suiteDir. */
  dataset: string;
  labels?: string[];
  /** End-of-sequence ids the model's configs declare, and the file that declared them. */
  eos?: { source: string; ids: number[] };
}

/** Strings are written as JSON strings, which YAML reads as they are: no path or label can break the document. */
const q = (text: string) => JSON.stringify(text);

/**
 * The suite `edgebench init` writes: every discovered variant listed with the
 * precision its graph showed (and what showed it), the task and why, and the
 * settings a first run needs, each with a comment saying what to change.
 */
export function suiteText(input: SuiteTextInput): string {
  const { found, suiteDir, task } = input;
  const folder = relative(suiteDir, found.folder) || '.';
  const lines = [
    `# edgebench suite for the model folder ${folder} (${found.layout} layout), written by edgebench init.`,
    `# Inferred from the model: ${input.because}.`,
    '# Check it with `edgebench validate --suite <this file>`, then `edgebench run --suite <this file>`.',
    `name: ${q(input.name)}`,
    `task: ${task}`,
    `# Replace the template with your own ${task === 'generate' ? 'prompts ({"id", "text"} or {"id", "messages"} per line)' : 'examples'}.`,
    `dataset: ${q(input.dataset)}`,
    'warmup: 2',
    'iterations: 20',
    '# Fresh runner processes per device x variant: compare needs at least 3 per side.',
    'repeats: 3',
  ];
  if (task === 'generate') {
    lines.push('generation:');
    if (found.tokenizer) lines.push(`  tokenizer: ${q(relative(suiteDir, join(found.folder, found.tokenizer)))}`);
    else lines.push('  # No tokenizer.json was found beside the model: name one here (generation.tokenizer).');
    lines.push('  maxNewTokens: 32');
    if (input.eos && input.eos.ids.length > 0) {
      lines.push(`  # Generation stops at any end-of-sequence id the model's configs declare (${input.eos.source}: ${input.eos.ids.join(', ')}).`);
    }
  }
  if (task === 'classify') {
    lines.push('classification:');
    if (input.labels) lines.push(`  labels: [${input.labels.map(q).join(', ')}]`);
    else lines.push('  # config.json has no id2label: name the classes in logit order.', '  labels: ["class-0", "class-1"]');
  }
  lines.push('# The variants found in the folder, most precise first; each precision was read from its graph.', 'variants:');
  for (const variant of found.variants) {
    lines.push(
      `  - name: ${q(variant.name)}`,
      `    file: ${q(relative(suiteDir, join(found.folder, variant.file)))}`,
      `    precision: ${variant.precision.label} # ${oneLine(variant.precision.evidence)}`,
    );
  }
  for (const skipped of found.skipped) lines.push(`# Not benchmarked: ${skipped.file} (${oneLine(skipped.reason)}).`);
  lines.push('scoring:', '  # Quality of every other variant is measured against this one.', `  fidelityReference: ${q(found.reference)}`);
  return lines.join('\n') + '\n';
}

/** Evidence goes into a YAML comment: one line, whatever the graph's names hold. */
const oneLine = (text: string) => text.replace(/[\r\n]+/g, ' ');
