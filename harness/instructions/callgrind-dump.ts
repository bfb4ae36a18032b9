/**
 * Reads one callgrind dump (the callgrind format, version 1): the label it was
 * dumped with, and the instructions executed inside the objects a test picks.
 * Only self costs are summed: the line after `calls=` is a call's inclusive
 * cost, already counted where the callee's own lines are.
 */
export interface CallgrindDump {
  /** The client request's label (CALLGRIND_DUMP_STATS_AT), or undefined for a dump at exit. */
  label: string | undefined;
  /** Instructions (Ir) executed inside objects whose path the filter accepts. */
  instructions: number;
}

const COST_LINE = /^[0-9+*-]/;
const TRIGGER = 'desc: Trigger: Client Request: ';

export function readCallgrindDump(text: string, inObject: (path: string) => boolean): CallgrindDump {
  const objects = new Map<string, string>();
  let label: string | undefined;
  let counted = false;
  let afterCalls = false;
  let instructions = 0;
  for (const line of text.split('\n')) {
    if (COST_LINE.test(line)) {
      if (afterCalls) afterCalls = false;
      else if (counted) instructions += Number(line.split(' ')[1] ?? 0);
      continue;
    }
    if (line.startsWith('ob=')) counted = inObject(objectName(line.slice(3), objects));
    else if (line.startsWith('cob=')) objectName(line.slice(4), objects);
    else if (line.startsWith('calls=')) afterCalls = true;
    else if (line.startsWith(TRIGGER)) label = line.slice(TRIGGER.length).trim();
  }
  return { label, instructions };
}

/** An object's path: "(id) path" defines a compressed name, "(id)" refers to one. */
function objectName(spec: string, objects: Map<string, string>): string {
  const compressed = /^\((\d+)\)\s*(.*)$/.exec(spec.trim());
  if (!compressed) return spec.trim();
  const [, id, name] = compressed;
  if (name) objects.set(id!, name);
  return objects.get(id!) ?? '';
}
