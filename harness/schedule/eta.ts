/** What is left on one device: processes not yet finished, and how long its finished ones took. */
export interface DeviceLoad {
  deviceId: string;
  remaining: number;
  /** Mean wall time of its finished processes; undefined before the first. */
  meanMs?: number;
}

/**
 * Expected time until the run ends. Devices that take turns on a resource add
 * up their work on it (divided by how many it runs at once); the run ends when
 * its busiest resource is done, so the estimate is that resource's work. A
 * device without a finished process yet is assumed as slow as the mean of all
 * finished processes; with none finished there is no estimate.
 */
export function etaMs(
  loads: readonly DeviceLoad[],
  resourcesOf: (deviceId: string) => readonly string[],
  capacity: (resource: string) => number,
): number | undefined {
  const known = loads.filter((load) => load.meanMs !== undefined);
  if (known.length === 0) return loads.every((load) => load.remaining === 0) ? 0 : undefined;
  const fallbackMs = known.reduce((sum, load) => sum + load.meanMs!, 0) / known.length;
  const work = new Map<string, number>();
  for (const load of loads) {
    const ms = load.remaining * (load.meanMs ?? fallbackMs);
    for (const resource of resourcesOf(load.deviceId)) work.set(resource, (work.get(resource) ?? 0) + ms / capacity(resource));
  }
  return Math.max(0, ...work.values());
}

/** "45 s", "3 min 05 s", "1 h 12 min". */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
