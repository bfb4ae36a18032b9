/**
 * The callgrind addon as the runner uses it: after each timed iteration a dump
 * labelled with its index, so the device can count each inference apart.
 * Loaded only in a runner started under callgrind.
 */
export interface InstructionCounter {
  /** Ends valgrind's uninstrumented start (node, onnxruntime and the model load run near native speed until here). */
  startInstrumentation(): void;
  dump(label: string): void;
}

export const WARMUP_DUMP = 'edgebench warmup';
export const TIMED_DUMP_PREFIX = 'edgebench timed ';

export function loadInstructionCounter(addonPath: string): InstructionCounter {
  const addon = { exports: {} as InstructionCounter };
  process.dlopen(addon, addonPath);
  return { startInstrumentation: () => addon.exports.startInstrumentation(), dump: (label) => addon.exports.dump(label) };
}
