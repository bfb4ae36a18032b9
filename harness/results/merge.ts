import type { Results } from '../core/results.ts';

/** Why shard results cannot be combined into one run. */
export class MergeError extends Error {}

/**
 * Combines the results of the shards of one run (run --shard i/n) into one
 * run, raw samples and all, as if one job had measured every device: the
 * devices and cells in the plan's order, each from the shard that ran it.
 * Refuses shards of different suites, datasets, model files, settings or
 * edgebench versions, a shard given twice, a missing shard, and shards that
 * overlap (a device or a cell in two shards, or a cell of a device its shard
 * did not run): a cell counted twice would make a run look unlike itself.
 */
export function mergeResults(shards: Results[], runId: string): Results {
  if (shards.length === 0) throw new MergeError('no shard results given');
  const [first] = shards as [Results, ...Results[]];
  const total = first.shard?.total;
  for (const shard of shards) {
    if (!shard.shard) throw new MergeError(`run ${shard.runId} is not a shard (it was not run with --shard)`);
    if (shard.shard.total !== total) throw new MergeError(`run ${shard.runId} is shard ${shard.shard.index}/${shard.shard.total}, the others are of ${total}`);
    const same = (what: string, a: unknown, b: unknown) => {
      if (JSON.stringify(a) !== JSON.stringify(b))
        throw new MergeError(`run ${shard.runId} differs from run ${first.runId} in ${what}: shards of one run must measure the same thing`);
    };
    same('the suite', shard.suite, first.suite);
    same('the edgebench version', shard.tool, first.tool);
    same('the device list', shard.shard.devices, first.shard!.devices);
    same('--ab', shard.ab, first.ab);
  }
  const indices = shards.map((s) => s.shard!.index);
  const twice = indices.filter((index, k) => indices.indexOf(index) !== k);
  if (twice.length) throw new MergeError(`shard ${twice[0]}/${total} is given more than once`);
  const missing = Array.from({ length: total! }, (_, k) => k + 1).filter((index) => !indices.includes(index));
  if (missing.length)
    throw new MergeError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((m) => `${m}/${total}`).join(', ')} missing: merge needs every shard of the run`);

  // The same variant must be the same files in every shard.
  const variantHash = new Map<string, { sha256: string; runId: string }>();
  for (const shard of shards) {
    for (const cell of shard.cells) {
      const seen = variantHash.get(cell.variant.name);
      if (seen && seen.sha256 !== cell.variant.sha256)
        throw new MergeError(
          `variant ${cell.variant.name} has other files in run ${shard.runId} than in run ${seen.runId} (sha256 ${cell.variant.sha256.slice(0, 12)}… vs ${seen.sha256.slice(0, 12)}…)`,
        );
      variantHash.set(cell.variant.name, { sha256: cell.variant.sha256, runId: shard.runId });
    }
  }

  // Each device is run by one shard, and each of its cells measured once.
  const deviceOwner = new Map<string, string>();
  const cellOwner = new Map<string, string>();
  for (const shard of shards) {
    for (const device of shard.devices) {
      const other = deviceOwner.get(device.id);
      if (other !== undefined) throw new MergeError(`device ${device.id} is in run ${other} and in run ${shard.runId}: each device belongs to one shard`);
      deviceOwner.set(device.id, shard.runId);
    }
    for (const cell of shard.cells) {
      const where = `${cell.deviceId} x ${cell.variant.name}`;
      if (!shard.devices.some((d) => d.id === cell.deviceId)) {
        const own = shard.devices.map((d) => d.id).join(', ') || 'none';
        throw new MergeError(`run ${shard.runId} holds cell ${where}, but device ${cell.deviceId} is not one of its devices (${own})`);
      }
      const key = `${cell.deviceId}\u0000${cell.variant.name}`;
      const other = cellOwner.get(key);
      if (other !== undefined) {
        const twice = other === shard.runId ? `twice in run ${other}` : `in run ${other} and in run ${shard.runId}`;
        throw new MergeError(`cell ${where} is ${twice}: each cell is measured by one shard`);
      }
      cellOwner.set(key, shard.runId);
    }
  }

  const order = first.shard!.devices;
  const rank = (id: string) => order.indexOf(id);
  const devices = shards.flatMap((s) => s.devices).sort((a, b) => rank(a.id) - rank(b.id));
  const cells = shards
    .flatMap((s) => s.cells.map((cell, k) => ({ cell, k })))
    .sort((a, b) => rank(a.cell.deviceId) - rank(b.cell.deviceId) || a.k - b.k)
    .map(({ cell }) => cell);
  const status = shards.some((s) => s.status === 'interrupted') ? 'interrupted' : shards.some((s) => s.status === 'running') ? 'running' : 'complete';
  const finished = shards.map((s) => s.finishedAt).filter((t): t is string => t !== undefined);
  // Each shard ran on its own machine: how one of them scheduled its devices says nothing of the merged run (each shard's results keep theirs).
  const { shard: _shard, finishedAt: _finishedAt, scheduling: _scheduling, ...rest } = first;
  return {
    ...rest,
    runId,
    status,
    startedAt: shards.map((s) => s.startedAt).sort()[0]!,
    ...(finished.length === shards.length ? { finishedAt: finished.sort().at(-1)! } : {}),
    mergedFrom: shards.map((s) => s.runId),
    devices,
    cells,
  };
}
