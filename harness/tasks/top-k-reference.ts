import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { atomicWrite } from '../files/atomic-write.ts';
import type { StoredDistribution } from '../stats/token-divergence.ts';

/**
 * The reference variant's next-token distributions over a corpus, stored
 * compactly so a device needs only this file, not the reference model: per
 * scored position, the top-k token ids (int32) and log-probabilities
 * (float32), the remaining mass summed directly (float32), the reference's
 * log-probability of the actual next token (float32) and that token (int32).
 *
 * Layout: "EBTOPK01", a little-endian uint32 header length, the JSON header,
 * then the positions in window order, each 8k + 12 bytes. With the tail lumped
 * into one bucket, KL divergence computed from this file is a lower bound of
 * the full-vocabulary KL (stats/token-divergence.ts says why).
 */
const MAGIC = 'EBTOPK01';
export const TOP_K_FORMAT = 'edgebench-top-k/1';

export interface TopKHeader {
  format: typeof TOP_K_FORMAT;
  /** Hash of what the distributions depend on besides the model: the tokens, the windows and k (topKKey). */
  key: string;
  topK: number;
  vocabulary: number;
  positions: number;
  reference: { variant: string; sha256: string };
}

export interface TopKReference {
  header: TopKHeader;
  /** One entry per scored position, in window order, with the target token. */
  rows: (StoredDistribution & { target: number })[];
}

/** What the stored distributions depend on, besides the reference model: the windows' tokens and scored spans, and k. */
export function topKKey(windows: readonly { tokens: readonly number[]; scoredFrom: number }[], topK: number): string {
  const hash = createHash('sha256');
  hash.update(`${TOP_K_FORMAT}\n${topK}\n`);
  for (const w of windows) hash.update(`${w.scoredFrom}:${w.tokens.join(',')}\n`);
  return hash.digest('hex');
}

export function encodeTopK(reference: TopKReference): Uint8Array {
  const k = reference.header.topK;
  const header = Buffer.from(JSON.stringify(reference.header), 'utf8');
  const rowBytes = 8 * k + 12;
  const out = Buffer.alloc(8 + 4 + header.length + rowBytes * reference.rows.length);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(header.length, 8);
  header.copy(out, 12);
  let at = 12 + header.length;
  for (const row of reference.rows) {
    for (let j = 0; j < k; j++) out.writeInt32LE(row.ids[j]!, at + 4 * j);
    for (let j = 0; j < k; j++) out.writeFloatLE(row.logProbs[j]!, at + 4 * k + 4 * j);
    out.writeFloatLE(row.tailMass, at + 8 * k);
    out.writeFloatLE(row.targetLogProb, at + 8 * k + 4);
    out.writeInt32LE(row.target, at + 8 * k + 8);
    at += rowBytes;
  }
  return out;
}

export class TopKFileError extends Error {}

export function decodeTopK(bytes: Buffer, file: string): TopKReference {
  const bad = (why: string) => new TopKFileError(`${file} is not a stored reference (${why}): delete it, and edgebench computes it again`);
  if (bytes.length < 12 || bytes.toString('latin1', 0, 8) !== MAGIC) throw bad(`it does not start with ${MAGIC}`);
  const headerLength = bytes.readUInt32LE(8);
  let header: TopKHeader;
  try {
    header = JSON.parse(bytes.toString('utf8', 12, 12 + headerLength)) as TopKHeader;
  } catch {
    throw bad('its header is not JSON');
  }
  if (header.format !== TOP_K_FORMAT) throw bad(`format ${String(header.format)}, expected ${TOP_K_FORMAT}`);
  const k = header.topK;
  const rowBytes = 8 * k + 12;
  const start = 12 + headerLength;
  if (bytes.length !== start + rowBytes * header.positions) throw bad(`${bytes.length} bytes, expected ${start + rowBytes * header.positions}`);
  const rows: TopKReference['rows'] = [];
  for (let i = 0, at = start; i < header.positions; i++, at += rowBytes) {
    const ids: number[] = [];
    const logProbs: number[] = [];
    for (let j = 0; j < k; j++) ids.push(bytes.readInt32LE(at + 4 * j));
    for (let j = 0; j < k; j++) logProbs.push(bytes.readFloatLE(at + 4 * k + 4 * j));
    rows.push({
      ids,
      logProbs,
      tailMass: bytes.readFloatLE(at + 8 * k),
      targetLogProb: bytes.readFloatLE(at + 8 * k + 4),
      target: bytes.readInt32LE(at + 8 * k + 8),
    });
  }
  return { header, rows };
}

/** Writes the file atomically and returns its sha256. */
export async function writeTopK(file: string, reference: TopKReference): Promise<string> {
  const bytes = encodeTopK(reference);
  await atomicWrite(file, bytes);
  return createHash('sha256').update(bytes).digest('hex');
}

/** The stored reference and its sha256, or undefined when the file does not exist. */
export async function readTopK(file: string): Promise<{ reference: TopKReference; sha256: string } | undefined> {
  const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!bytes) return undefined;
  return { reference: decodeTopK(bytes, file), sha256: createHash('sha256').update(bytes).digest('hex') };
}
