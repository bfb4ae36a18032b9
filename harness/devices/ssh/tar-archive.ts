/** One regular file of an archive: its '/'-separated path inside the archive, and its bytes. */
export interface TarEntry {
  path: string;
  data: Uint8Array;
}

const BLOCK = 512;

/** A POSIX ustar header block (pax for a path ustar cannot hold), as GNU and BusyBox tar read them. */
function header(name: string, size: number, type: '0' | 'x', prefix = ''): Uint8Array {
  const block = new Uint8Array(BLOCK);
  const put = (offset: number, length: number, text: string) => block.set(Buffer.from(text, 'utf8').subarray(0, length), offset);
  const octal = (offset: number, length: number, value: number) => put(offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
  put(0, 100, name);
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, Math.floor(Date.now() / 1000));
  put(148, 8, ' '.repeat(8));
  put(156, 1, type);
  put(257, 6, 'ustar\0');
  put(263, 2, '00');
  put(345, 155, prefix);
  const sum = block.reduce((total, byte) => total + byte, 0);
  put(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

/** ustar's split of a path into prefix (up to 155 bytes) and name (up to 100), at a '/'; undefined when none fits. */
function ustarSplit(path: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let cut = path.indexOf('/'); cut !== -1; cut = path.indexOf('/', cut + 1)) {
    const [prefix, name] = [path.slice(0, cut), path.slice(cut + 1)];
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name) return { name, prefix };
  }
  return undefined;
}

/** A pax record "<length> path=<path>\n", whose length counts itself. */
function paxPath(path: string): Uint8Array {
  const body = ` path=${path}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length++;
  return Buffer.from(`${length}${body}`, 'utf8');
}

const padding = (size: number) => new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);

/**
 * Regular files as one tar stream (mode 0644, this machine's time), so that
 * many small files cross an SSH connection in one command instead of one each.
 */
export function tarArchive(entries: readonly TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const { path, data } of entries) {
    const split = ustarSplit(path);
    if (!split) {
      const pax = paxPath(path);
      parts.push(header('PaxHeader', pax.length, 'x'), pax, padding(pax.length));
    }
    const { name, prefix } = split ?? { name: path.slice(-100), prefix: '' };
    parts.push(header(name, data.length, '0', prefix), data, padding(data.length));
  }
  parts.push(new Uint8Array(2 * BLOCK));
  return Buffer.concat(parts);
}
