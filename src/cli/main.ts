#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { BollardError, exitCodeFor, toBollardError } from '../util/errors.ts';
import { VERSION } from '../version.ts';
import { cacheCommand } from './cache.ts';
import { configCommand } from './config.ts';
import { dbCommand } from './db.ts';
import { takeRequestedExitCode } from './exit.ts';
import { fsCommand } from './fs.ts';
import { inventoryCommand } from './inventory.ts';
import { netpolCommand } from './netpol.ts';
import { rbacCommand } from './rbac.ts';
import { runtimeCommand } from './runtime.ts';
import { sbomCommand } from './sbom.ts';
import { imageCommand, rootfsCommand, sbomScanCommand } from './scan.ts';
import {
  attestCommand,
  keygenCommand,
  signBlobCommand,
  signCommand,
  verifyAttestationCommand,
  verifyBlobCommand,
  verifyCommand,
} from './sign.ts';

/** The command tree. One file per verb; each parses flags, calls a service and picks a writer. */
export function buildProgram(): Command {
  const program = new Command('bollard')
    .description('Bollard: container security from build to run')
    .version(VERSION, '-v, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    // Options after a subcommand belong to it (runtime and runtime replay share flag names).
    .enablePositionalOptions()
    .configureOutput({ outputError: (s, write) => write(s) })
    .exitOverride();
  program.addCommand(imageCommand());
  program.addCommand(rootfsCommand());
  program.addCommand(fsCommand());
  program.addCommand(sbomScanCommand());
  program.addCommand(dbCommand());
  program.addCommand(sbomCommand());
  program.addCommand(inventoryCommand());
  program.addCommand(keygenCommand());
  program.addCommand(signCommand());
  program.addCommand(verifyCommand());
  program.addCommand(attestCommand());
  program.addCommand(verifyAttestationCommand());
  program.addCommand(signBlobCommand());
  program.addCommand(verifyBlobCommand());
  program.addCommand(configCommand());
  program.addCommand(rbacCommand());
  program.addCommand(netpolCommand());
  program.addCommand(runtimeCommand());
  program.addCommand(cacheCommand());
  program
    .command('version')
    .description('print version information')
    .option('-f, --format <format>', 'text or json', 'text')
    .action((flags: { format: string }) => {
      const info = { version: VERSION, node: process.versions.node, platform: `${process.platform}/${process.arch}` };
      process.stdout.write(
        flags.format === 'json'
          ? `${JSON.stringify(info)}\n`
          : `Bollard ${VERSION} (node ${info.node}, ${info.platform})\n`,
      );
    });
  applyToAll(program, (c) => {
    c.exitOverride();
    c.showHelpAfterError('(run with --help for usage)');
  });
  return program;
}

/** Commander settings are per command: subcommands do not inherit exitOverride. */
function applyToAll(cmd: Command, f: (c: Command) => void): void {
  f(cmd);
  for (const c of cmd.commands) applyToAll(c as Command, f);
}

/** Run the CLI; resolves with the exit code. Errors become one line on stderr, never a stack trace. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    takeRequestedExitCode();
    await program.parseAsync(argv as string[], { from: 'user' });
    return takeRequestedExitCode();
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit through here with code 0; usage errors were already printed.
      return e.exitCode === 0 ? 0 : 2;
    }
    const err = toBollardError(e);
    const debug = argv.includes('--debug');
    process.stderr.write(`bollard: ${err.message}\n`);
    if (debug || err.code === 'INTERNAL') {
      if (err.code === 'INTERNAL')
        process.stderr.write('This is a bug in Bollard; please report it with the output of --debug.\n');
      if (debug) process.stderr.write(`${(err.cause as Error | undefined)?.stack ?? err.stack ?? ''}\n`);
    }
    return exitCodeFor(err.code);
  }
}

export { BollardError };

if (import.meta.main) {
  process.exitCode = await runCli(process.argv.slice(2));
}
