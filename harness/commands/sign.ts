import { relative, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ConfigError } from '../config/errors.ts';
import { generateSigningKeys, readPublicKeys, signBundle, verifyBundle } from '../integrity/bundle-signature.ts';
import { ModelFileError } from '../onnx/model-file.ts';
import { EXIT, log } from './common.ts';
import { print } from '../report/terminal-text.ts';

/** keygen, sign and verify: ed25519-signed model bundles. */
export function signCommands(program: Command): void {
  program
    .command('keygen')
    .description(
      "Make an ed25519 signing key pair: <name>.key.pem (private, mode 600; keep it out of the repository) and <name>.pub.pem (list it in a suite's signatures.publicKeys).",
    )
    .argument('<name>', 'path and base name of the two files')
    .action(async (name: string) => {
      const { keyId } = await generateSigningKeys(`${name}.key.pem`, `${name}.pub.pem`).catch((error: unknown) => {
        throw new ConfigError('command line', '<name>', (error as Error).message, 'choose another name');
      });
      print(`wrote ${name}.key.pem (private) and ${name}.pub.pem (public); key id ${keyId}`);
    });

  program
    .command('sign')
    .description('Sign model bundles: writes <model>.sig.json over the model, its external data files and its quantization settings.')
    .argument('<model...>', '.onnx files')
    .addOption(new Option('--key <file>', 'private key (edgebench keygen)').makeOptionMandatory())
    .action(async (models: string[], opts: { key: string }) => {
      for (const model of models) {
        const { file, signature } = await signBundle(resolve(model), opts.key).catch(asConfigError(model));
        print(
          `${relative(process.cwd(), file)}: ${signature.manifest.files.length} file(s), sha256 ${signature.manifest.sha256}, key ${signature.keyId.slice(0, 16)}…`,
        );
      }
    });

  program
    .command('verify')
    .description('Check model bundles against their signatures and the trusted public keys; exit 1 if any is unsigned or tampered.')
    .argument('<model...>', '.onnx files')
    .addOption(new Option('--public-key <file...>', 'trusted public keys').makeOptionMandatory())
    .action(async (models: string[], opts: { publicKey: string[] }) => {
      const trusted = await readPublicKeys(opts.publicKey).catch(asConfigError('--public-key'));
      for (const model of models) {
        const verified = await verifyBundle(resolve(model), trusted).catch(asConfigError(model));
        print(verified.ok ? `${model}: ok, signed by ${verified.keyId.slice(0, 16)}…` : `${model}: REFUSED: ${verified.reason}`);
        if (!verified.ok) process.exitCode = EXIT.failed;
      }
      if (process.exitCode === EXIT.failed) log('one or more bundles are unsigned or tampered');
    });
}

function asConfigError(what: string) {
  return (error: unknown): never => {
    // Already names its file, the problem and the fix (a key, a manifest beside the model).
    if (error instanceof ConfigError) throw error;
    if (error instanceof ModelFileError) throw new ConfigError('command line', what, error.message, 'name an existing, complete .onnx file');
    throw new ConfigError('command line', what, (error as Error).message, 'check the file');
  };
}
