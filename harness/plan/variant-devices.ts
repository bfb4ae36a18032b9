/**
 * Whether a variant has a cell on a device: on every device of the run,
 * unless its suite entry names the devices it runs on (`variants[].devices`,
 * e.g. a GGUF variant on the one machine whose llama.cpp is worth timing).
 */
export function runsOn(variant: { devices?: readonly string[] | undefined }, deviceId: string): boolean {
  return variant.devices === undefined || variant.devices.includes(deviceId);
}
