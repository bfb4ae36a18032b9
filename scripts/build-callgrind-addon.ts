/**
 * Builds the N-API addon whose callgrind client requests the instructions metric needs
 * (harness/instructions/callgrind-addon.c) into node_modules/.cache/edgebench/. edgebench
 * builds it on first use as well; setup builds it ahead, so a missing compiler shows at once.
 */
import { callgrindTools } from '../harness/instructions/callgrind-tools.ts';

const tools = await callgrindTools();
if ('unavailable' in tools) {
  console.error(`instructions metric unavailable on this machine: ${tools.unavailable}`);
  process.exit(1);
}
console.log(`callgrind addon: ${tools.addon} (valgrind: ${tools.valgrind})`);
