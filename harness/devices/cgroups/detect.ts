import { constants, existsSync, readFileSync } from 'node:fs';
import { canAccess } from '../file-access.ts';
import { join } from 'node:path';

/** Which cgroup interface can constrain a runner here, and where it lives. */
export type CgroupSupport =
  | { version: 1; root: string; controllers: { cpu: string; cpuset: string; memory: string } }
  | { version: 2; root: string }
  | { version: 'none'; reason: string };

/**
 * Finds a writable cgroup hierarchy with the cpu, cpuset and memory controllers:
 * cgroup v2 when the unified hierarchy holds them (cgroup.controllers), else
 * cgroup v1 with one mount per controller. `root` is /sys/fs/cgroup unless a
 * test points it at a copy of that layout.
 */
export function detectCgroups(root = process.env.EDGEBENCH_CGROUP_ROOT ?? '/sys/fs/cgroup'): CgroupSupport {
  const needed = ['cpu', 'cpuset', 'memory'];
  const v2Controllers = join(root, 'cgroup.controllers');
  if (existsSync(v2Controllers)) {
    const available = readFileSync(v2Controllers, 'utf8').trim().split(/\s+/);
    const missing = needed.filter((c) => !available.includes(c));
    if (missing.length) return { version: 'none', reason: `cgroup v2 at ${root} lacks the ${missing.join(', ')} controller(s)` };
    if (!canAccess(join(root, 'cgroup.subtree_control'), constants.W_OK))
      return { version: 'none', reason: `cgroup v2 at ${root} is not writable (run as root, or delegate a subtree to this user)` };
    return { version: 2, root };
  }
  const controllers = { cpu: join(root, 'cpu'), cpuset: join(root, 'cpuset'), memory: join(root, 'memory') };
  const missing = needed.filter((c) => !existsSync(join(root, c, 'cgroup.procs')));
  if (missing.length) return { version: 'none', reason: `no cgroup v1 mount for ${missing.join(', ')} under ${root}, and no cgroup v2 hierarchy there` };
  const readOnly = Object.values(controllers).filter((dir) => !canAccess(join(dir, 'cgroup.procs'), constants.W_OK));
  if (readOnly.length) return { version: 'none', reason: `cgroup v1 at ${readOnly.join(', ')} is not writable (run as root)` };
  return { version: 1, root, controllers };
}
