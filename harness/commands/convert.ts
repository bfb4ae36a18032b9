import { relative } from 'node:path';
import { Option, type Command } from 'commander';
import type { GgufQuant } from '../core/gguf.ts';
import { convertToGguf } from '../gguf/convert-to-gguf.ts';
import { writeGgufManifest } from '../gguf/gguf-manifest.ts';
import { print } from '../report/terminal-text.ts';

interface ConvertFlags {
  to: 'gguf';
  quant: GgufQuant;
  output?: string;
}

const MiB = 1024 * 1024;

export function convertCommand(program: Command): void {
  program
    .command('convert')
    .description('Write a GGUF file (llama.cpp) of a Llama-architecture fp32 ONNX model, with a manifest of its hashes and tensor types.')
    .argument('<model>', 'fp32 .onnx file, or a model folder holding onnx/model.onnx or model.onnx (config.json and tokenizer.json beside it)')
    .addOption(new Option('--to <format>', 'target format').choices(['gguf']).makeOptionMandatory())
    .addOption(
      new Option('--quant <type>', "weight type, as llama.cpp's file types (q4_k_m: Q4_K with Q6_K for the output head and some attn_v/ffn_down)")
        .choices(['f16', 'q8_0', 'q4_0', 'q4_k_m'])
        .default('q8_0'),
    )
    .addOption(new Option('-o, --output <file>', 'output .gguf file (default: model_<quant>.gguf beside the input)'))
    .action(async (model: string, flags: ConvertFlags) => {
      const converted = await convertToGguf({ input: model, quant: flags.quant, ...(flags.output ? { output: flags.output } : {}) });
      const manifest = await writeGgufManifest(converted.file, converted.sourceModel, flags.quant);
      const types = Object.entries(converted.tensorTypes)
        .map(([type, count]) => `${count} ${type}`)
        .join(', ');
      print(`${relative(process.cwd(), converted.file)}: GGUF ${flags.quant}, ${(converted.bytes / MiB).toFixed(2)} MiB, tensors ${types}`);
      print(`${relative(process.cwd(), manifest)}: manifest`);
    });
}
