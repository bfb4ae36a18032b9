import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { inspectModel } from '../onnx/model-file.ts';
import { hashModelFiles } from '../plan/model-files.ts';
import { VariantFile } from '../plan/model-variant.ts';
import { manifestPathFor, VariantManifest } from '../quantize/manifest.ts';
import { TOOL_VERSION } from '../version.ts';

/**
 * Signed model bundles: an ed25519 signature (node:crypto) over a manifest of
 * every file a variant needs (the .onnx file and its external data, with
 * sizes and sha256) and, for variants edgebench quantized, how they were made.
 * The signature lives beside the model as <model>.sig.json. A suite that
 * trusts a set of public keys refuses unsigned or tampered variants.
 */

export const BundleManifest = z.strictObject({
  format: z.literal('edgebench-bundle/1'),
  /** The .onnx file's name; the files are relative to its folder. */
  model: z.string(),
  files: z.array(VariantFile).min(1),
  /** The variant's sha256 (over "<sha256>  <path>" lines, sorted by path), as results record it. */
  sha256: z.string(),
  /** The quantization settings, for variants with an edgebench quantize manifest beside them. */
  quantization: VariantManifest.shape.quantization.optional(),
  tool: z.strictObject({ name: z.literal('edgebench'), version: z.string() }),
});
export type BundleManifest = z.infer<typeof BundleManifest>;

export const BundleSignature = z.strictObject({
  manifest: BundleManifest,
  /** ed25519 over the manifest's canonical JSON, base64. */
  signature: z.string(),
  /** sha256 of the signer's public key (SPKI DER), hex: which key to check it with. */
  keyId: z.string().regex(/^[0-9a-f]{64}$/),
});
export type BundleSignature = z.infer<typeof BundleSignature>;

export const signatureFileOf = (modelPath: string) => `${modelPath}.sig.json`;

/** JSON with object keys sorted at every level: the bytes that are signed do not depend on key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** A new ed25519 key pair as PEM files: the private key readable by its owner only. */
export async function generateSigningKeys(privateFile: string, publicFile: string): Promise<{ keyId: string }> {
  for (const file of [privateFile, publicFile]) if (existsSync(file)) throw new Error(`${file} already exists: keys are never overwritten; choose another name or remove it`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  await writeFile(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  await writeFile(publicFile, publicKey.export({ type: 'spki', format: 'pem' }), { flag: 'wx' });
  return { keyId: keyIdOf(publicKey) };
}

/** The manifest of the model's bundle as it is on disk now. */
export async function bundleManifestOf(modelPath: string): Promise<BundleManifest> {
  const files = await hashModelFiles(modelPath, await inspectModel(modelPath));
  // edgebench quantize writes <stem>.manifest.json beside the variant; its settings are signed along.
  const quantizeManifest = manifestPathFor(modelPath);
  const quantization = existsSync(quantizeManifest) ? VariantManifest.safeParse(JSON.parse(await readFile(quantizeManifest, 'utf8'))).data?.quantization : undefined;
  return { format: 'edgebench-bundle/1', model: basename(modelPath), files: files.files, sha256: files.sha256, ...(quantization ? { quantization } : {}), tool: { name: 'edgebench', version: TOOL_VERSION } };
}

/** Signs the model's bundle with a private key file and writes <model>.sig.json (atomically). */
export async function signBundle(modelPath: string, privateKeyFile: string): Promise<{ file: string; signature: BundleSignature }> {
  const privateKey = createPrivateKey(await readFile(privateKeyFile));
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${privateKeyFile} is a ${privateKey.asymmetricKeyType} key: edgebench signs with ed25519 (edgebench keygen makes one)`);
  const manifest = await bundleManifestOf(modelPath);
  const signature: BundleSignature = { manifest, signature: sign(null, Buffer.from(canonicalJson(manifest)), privateKey).toString('base64'), keyId: keyIdOf(createPublicKey(privateKey)) };
  const file = signatureFileOf(modelPath);
  await writeFile(`${file}.tmp`, `${JSON.stringify(signature, null, 1)}\n`);
  await rename(`${file}.tmp`, file);
  return { file, signature };
}

export async function readPublicKeys(files: string[]): Promise<Map<string, KeyObject>> {
  const keys = new Map<string, KeyObject>();
  for (const file of files) {
    const key = createPublicKey(await readFile(file));
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is a ${key.asymmetricKeyType} key: edgebench verifies ed25519 signatures`);
    keys.set(keyIdOf(key), key);
  }
  return keys;
}

export type Verification = { ok: true; keyId: string; manifest: BundleManifest } | { ok: false; reason: string };

/**
 * Checks a model's bundle against its signature and the trusted keys: the
 * signature must be by a trusted key, over exactly these files and hashes.
 */
export async function verifyBundle(modelPath: string, trusted: Map<string, KeyObject>): Promise<Verification> {
  const file = signatureFileOf(modelPath);
  if (!existsSync(file)) return { ok: false, reason: `unsigned: ${file} not found` };
  let signed: BundleSignature;
  try {
    signed = BundleSignature.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch (error) {
    return { ok: false, reason: `${file} is not a signature file (${(error as Error).message.split('\n')[0]})` };
  }
  const key = trusted.get(signed.keyId);
  if (!key) return { ok: false, reason: `signed by key ${signed.keyId.slice(0, 16)}…, which is not among the trusted public keys` };
  if (!verify(null, Buffer.from(canonicalJson(signed.manifest)), key, Buffer.from(signed.signature, 'base64'))) return { ok: false, reason: `the signature in ${file} does not match its manifest: the signature file was altered` };
  const now = await bundleManifestOf(modelPath);
  if (signed.manifest.model !== now.model) return { ok: false, reason: `the signature is for ${signed.manifest.model}, not ${now.model}` };
  const changed = now.files.filter((f) => !signed.manifest.files.some((s) => s.path === f.path && s.sha256 === f.sha256 && s.bytes === f.bytes)).map((f) => f.path);
  const missing = signed.manifest.files.filter((s) => !now.files.some((f) => f.path === s.path)).map((s) => s.path);
  if (changed.length || missing.length || signed.manifest.sha256 !== now.sha256) {
    return { ok: false, reason: `tampered: ${[...changed.map((p) => `${p} differs from the signed file`), ...missing.map((p) => `${p} is signed but no longer part of the model`)].join('; ') || 'the files differ from the signed ones'}` };
  }
  if (JSON.stringify(signed.manifest.quantization ?? null) !== JSON.stringify(now.quantization ?? null)) return { ok: false, reason: 'tampered: the quantization settings beside the model differ from the signed ones' };
  return { ok: true, keyId: signed.keyId, manifest: signed.manifest };
}
