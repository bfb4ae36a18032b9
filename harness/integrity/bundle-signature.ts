import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../config/errors.ts';
import { FILE_LIMITS, readBoundedFile } from '../config/read-bounded-file.ts';
import { inspectModelFile } from '../gguf/inspect-model-file.ts';
import { hashModelFiles } from '../onnx/model-files.ts';
import { VariantFile } from '../core/model-variant.ts';
import { manifestPathFor, readManifest, VariantManifest } from '../quantize/manifest.ts';
import { TOOL_VERSION } from '../version.ts';
import { checkPrivateKeyMode } from './key-permissions.ts';
import { atomicWrite } from '../files/atomic-write.ts';

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
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** A new ed25519 key pair as PEM files: the private key readable by its owner only. */
export async function generateSigningKeys(privateFile: string, publicFile: string): Promise<{ keyId: string }> {
  for (const file of [privateFile, publicFile])
    if (existsSync(file)) throw new Error(`${file} already exists: keys are never overwritten; choose another name or remove it`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  await writeFile(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  await writeFile(publicFile, publicKey.export({ type: 'spki', format: 'pem' }), { flag: 'wx' });
  return { keyId: keyIdOf(publicKey) };
}

/** The manifest of the model's bundle as it is on disk now. */
export async function bundleManifestOf(modelPath: string): Promise<BundleManifest> {
  const files = await hashModelFiles(modelPath, await inspectModelFile(modelPath));
  // edgebench quantize writes <stem>.manifest.json beside the variant; its settings are signed along.
  const quantizeManifest = manifestPathFor(modelPath);
  // A damaged manifest is an error naming it, not settings silently left out of the signature.
  const quantization = existsSync(quantizeManifest) ? (await readManifest(quantizeManifest)).quantization : undefined;
  return {
    format: 'edgebench-bundle/1',
    model: basename(modelPath),
    files: files.files,
    sha256: files.sha256,
    ...(quantization ? { quantization } : {}),
    tool: { name: 'edgebench', version: TOOL_VERSION },
  };
}

/** Signs the model's bundle with a private key file and writes <model>.sig.json (atomically). */
export async function signBundle(modelPath: string, privateKeyFile: string): Promise<{ file: string; signature: BundleSignature }> {
  const privateKey = await readPrivateKey(privateKeyFile);
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error(`${privateKeyFile} is a ${privateKey.asymmetricKeyType} key: edgebench signs with ed25519 (edgebench keygen makes one)`);
  const manifest = await bundleManifestOf(modelPath);
  const signature: BundleSignature = {
    manifest,
    signature: sign(null, Buffer.from(canonicalJson(manifest)), privateKey).toString('base64'),
    keyId: keyIdOf(createPublicKey(privateKey)),
  };
  const file = signatureFileOf(modelPath);
  await atomicWrite(file, `${JSON.stringify(signature, null, 1)}\n`);
  return { file, signature };
}

/** A private key file, refused (as ssh refuses one) when others than its owner may read it. */
async function readPrivateKey(file: string): Promise<KeyObject> {
  await checkPrivateKeyMode(file);
  const bytes = await readBoundedFile(file, { what: 'private key', maxBytes: FILE_LIMITS.key });
  try {
    return isPem(bytes) ? createPrivateKey(bytes) : createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' });
  } catch (error) {
    const why = isPem(bytes) ? keyError(error) : 'it has no "-----BEGIN" line, and is not DER either';
    throw new ConfigError(
      file,
      undefined,
      `not a private key: edgebench expects an ed25519 private key, PEM ("-----BEGIN PRIVATE KEY-----") or DER (PKCS#8) (${why})`,
      'give the <name>.key.pem file made by edgebench keygen',
    );
  }
}

/** A public key file: PEM ("-----BEGIN PUBLIC KEY-----") or DER (SPKI). A private key is refused, though one could be derived from it: it must not be shared. */
async function readPublicKey(file: string): Promise<KeyObject> {
  const bytes = await readBoundedFile(file, { what: 'public key', maxBytes: FILE_LIMITS.key });
  const expected = 'edgebench expects an ed25519 public key, PEM ("-----BEGIN PUBLIC KEY-----") or DER (SPKI)';
  if (isPem(bytes) && bytes.includes('PRIVATE KEY-----')) {
    throw new ConfigError(
      file,
      undefined,
      `this is a private key, not a public key: ${expected}`,
      'list the <name>.pub.pem file made by edgebench keygen, and keep the private key out of suites and repositories',
    );
  }
  try {
    return isPem(bytes) ? createPublicKey(bytes) : createPublicKey({ key: bytes, format: 'der', type: 'spki' });
  } catch (error) {
    const why = isPem(bytes) ? keyError(error) : 'it has no "-----BEGIN" line, and is not DER either';
    throw new ConfigError(file, undefined, `not a public key: ${expected} (${why})`, 'list the <name>.pub.pem file made by edgebench keygen');
  }
}

const isPem = (bytes: Buffer) => bytes.subarray(0, 1024).includes('-----BEGIN ');
// OpenSSL's "error:1E08010C:DECODER routines::unsupported" says nothing to a reader; its reason is the useful part.
const keyError = (error: unknown) => (error as Error).message.replace(/^error:[0-9A-F]+:[^:]*:[^:]*:/, '').trim() || 'unreadable';

export async function readPublicKeys(files: string[]): Promise<Map<string, KeyObject>> {
  const keys = new Map<string, KeyObject>();
  for (const file of files) {
    const key = await readPublicKey(file);
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
    signed = BundleSignature.parse(JSON.parse((await readBoundedFile(file, { what: 'signature file', maxBytes: FILE_LIMITS.manifest })).toString('utf8')));
  } catch (error) {
    return { ok: false, reason: `${file} is not a signature file (${(error as Error).message.split('\n')[0]})` };
  }
  const key = trusted.get(signed.keyId);
  if (!key) return { ok: false, reason: `signed by key ${signed.keyId.slice(0, 16)}…, which is not among the trusted public keys` };
  if (!verify(null, Buffer.from(canonicalJson(signed.manifest)), key, Buffer.from(signed.signature, 'base64')))
    return { ok: false, reason: `the signature in ${file} does not match its manifest: the signature file was altered` };
  let now: BundleManifest;
  try {
    now = await bundleManifestOf(modelPath);
  } catch (error) {
    // The quantize manifest beside the model is damaged: the bundle is not what was signed.
    if (error instanceof ConfigError) return { ok: false, reason: `tampered: ${error.file}${error.field ? `: ${error.field}` : ''}: ${error.problem}` };
    throw error;
  }
  if (signed.manifest.model !== now.model) return { ok: false, reason: `the signature is for ${signed.manifest.model}, not ${now.model}` };
  const changed = now.files
    .filter((f) => !signed.manifest.files.some((s) => s.path === f.path && s.sha256 === f.sha256 && s.bytes === f.bytes))
    .map((f) => f.path);
  const missing = signed.manifest.files.filter((s) => !now.files.some((f) => f.path === s.path)).map((s) => s.path);
  if (changed.length || missing.length || signed.manifest.sha256 !== now.sha256) {
    return {
      ok: false,
      reason: `tampered: ${[...changed.map((p) => `${p} differs from the signed file`), ...missing.map((p) => `${p} is signed but no longer part of the model`)].join('; ') || 'the files differ from the signed ones'}`,
    };
  }
  if (JSON.stringify(signed.manifest.quantization ?? null) !== JSON.stringify(now.quantization ?? null))
    return { ok: false, reason: 'tampered: the quantization settings beside the model differ from the signed ones' };
  return { ok: true, keyId: signed.keyId, manifest: signed.manifest };
}
