import { Command } from 'commander';
import { defaultAnalyzers, languageAnalyzers } from '../analyzers/api.ts';
import { inventoryProject } from '../analyzers/lang/project.ts';
import { addScanOptions, runScan, type ScanFlags } from './scan.ts';

interface FsFlags extends ScanFlags {
  skipDirs: string[];
  skipFiles: string[];
  gitignore: boolean;
}

const collect = (v: string, prior: string[]): string[] => [
  ...prior,
  ...v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
];

/**
 * `bollard fs DIR`: vulnerabilities of a project or source directory's application packages
 * (lockfiles, manifests, installed package trees, Go and Rust binaries, Java archives).
 */
export function fsCommand(): Command {
  const cmd = new Command('fs')
    .description('scan a project or source directory: lockfiles, manifests, installed packages, binaries')
    .argument('<dir>', 'project directory')
    .option(
      '--skip-dirs <patterns>',
      'directories to leave out, gitignore-style (comma-separated, repeatable)',
      collect,
      [],
    )
    .option('--skip-files <patterns>', 'files to leave out, gitignore-style (comma-separated, repeatable)', collect, [])
    .option('--no-gitignore', "do not honour the directory's .gitignore");
  return addScanOptions(cmd).action(async (dir: string, flags: FsFlags) => {
    await runScan(flags, (opts) =>
      inventoryProject(dir, {
        ...(opts.limits ? { limits: opts.limits } : {}),
        // The project's analyzers, plus the extra ones the scanners asked for (secrets).
        analyzers: [...languageAnalyzers, ...(opts.analyzers ?? []).filter((a) => !defaultAnalyzers().includes(a))],
        skipDirs: flags.skipDirs,
        skipFiles: flags.skipFiles,
        gitignore: flags.gitignore,
      }),
    );
  });
}
