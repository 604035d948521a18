/**
 * Checks over what RUN instructions execute: package managers (pinning, caches, prompts),
 * commands that make no sense in a container, pipes without pipefail. DL codes follow hadolint.
 */
import type { Severity } from '../../detect/types.ts';
import type { CheckOutcome, Violation } from '../types.ts';
import {
  at,
  commandsOf,
  type DockerfileCheck,
  type DockerfileInput,
  dfCheck,
  finalStage,
  hasCacheMount,
  runs,
  stageChain,
} from './context.ts';
import type { Instruction } from './parser.ts';
import { argsAfterSubcommand, commandName, hasFlag, isSubcommand, type ShellCommand } from './shell.ts';

export const HADOLINT_WIKI = 'https://github.com/hadolint/hadolint/wiki/';

/** Metadata of a check that has a hadolint code: id `BD-DF-<n>`, alias `DL<n>`. */
export function dlMeta(
  code: string,
  severity: Severity,
  title: string,
  remediation: string,
  extra: { aliases?: string[]; controls?: string[] } = {},
) {
  return {
    id: `BD-DF-${code.slice(2)}`,
    aliases: [code, ...(extra.aliases ?? [])],
    severity,
    title,
    remediation,
    controls: extra.controls ?? [],
    references: [`${HADOLINT_WIKI}${code}`],
  };
}

/** Every simple command of every RUN, with its instruction. */
function eachCommand(
  input: DockerfileInput,
  pred: (c: ShellCommand) => boolean,
  msg: (c: ShellCommand, inst: Instruction) => string | undefined,
): Violation[] {
  const out: Violation[] = [];
  for (const { inst, cmds } of runs(input.df)) {
    for (const c of cmds) {
      if (!pred(c)) continue;
      const m = msg(c, inst);
      if (m !== undefined) out.push(at(inst, m));
    }
  }
  return out;
}

/** RUNs where some command matches `install`, reported unless another command of the same RUN matches `ok`. */
function runsMissing(
  input: DockerfileInput,
  install: (c: ShellCommand) => boolean,
  ok: (c: ShellCommand, inst: Instruction) => boolean,
  message: string,
  onlyFinalStage = false,
): Violation[] {
  const out: Violation[] = [];
  const last = finalStage(input.df);
  for (const { inst, cmds } of runs(input.df)) {
    if (onlyFinalStage && last && inst.stage !== last.index) continue;
    if (!cmds.some(install)) continue;
    if (cmds.some((c) => ok(c, inst))) continue;
    out.push(at(inst, message));
  }
  return out;
}

const APT_GET = ['apt-get'];
const isAptInstall = (c: ShellCommand): boolean => isSubcommand(c, APT_GET, ['install']);
const isAptUpdate = (c: ShellCommand): boolean => isSubcommand(c, APT_GET, ['update']);

/** Package arguments: skip options, and the values of options that take one. */
function packages(args: readonly string[], optsWithValue: readonly string[] = []): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-')) {
      if (optsWithValue.includes(a)) i++;
      continue;
    }
    if (a === '') continue;
    out.push(a);
  }
  return out;
}

const aptPinned = (p: string): boolean => p.includes('=') || p.includes('/') || p.endsWith('.deb') || p.startsWith('$');
const rpmPinned = (p: string): boolean =>
  /-\d/.test(p) || p.endsWith('.rpm') || p.includes('/') || p.startsWith('$') || p.includes('*');

export const runRules: DockerfileCheck[] = [
  dfCheck(
    dlMeta(
      'DL3001',
      'LOW',
      'Commands that make no sense in a container (ssh, vim, shutdown, service, ps, free, top, kill, mount, ifconfig)',
      'Remove interactive or system-management commands from RUN',
    ),
    (input) =>
      eachCommand(
        input,
        (c) =>
          ['free', 'kill', 'mount', 'ps', 'service', 'shutdown', 'ssh', 'top', 'vim', 'ifconfig'].includes(
            commandName(c),
          ),
        (c) => `"${commandName(c)}" makes no sense inside a container build`,
      ),
  ),
  dfCheck(
    dlMeta('DL3003', 'MEDIUM', 'Use WORKDIR to switch to a directory', 'Replace `cd dir` in RUN with `WORKDIR dir`'),
    (input) =>
      eachCommand(
        input,
        (c) => commandName(c) === 'cd',
        () => 'RUN changes directory with cd; use WORKDIR',
      ),
  ),
  dfCheck(
    dlMeta('DL3004', 'HIGH', 'Do not use sudo', 'Run the build step as root with USER root, then switch back', {
      controls: ['CIS-Docker-4.1'],
    }),
    (input) =>
      eachCommand(
        input,
        (c) => commandName(c) === 'sudo',
        () => 'RUN uses sudo, which has unpredictable TTY and signal behaviour and grants root',
      ),
  ),
  dfCheck(
    dlMeta(
      'DL3005',
      'MEDIUM',
      'Do not use apt-get upgrade or dist-upgrade',
      'Use a newer base image instead of upgrading every package in the build',
    ),
    (input) =>
      eachCommand(
        input,
        (c) => isSubcommand(c, ['apt-get', 'apt'], ['upgrade', 'dist-upgrade', 'full-upgrade']),
        (c) => `RUN ${commandName(c)} ${c.argv.slice(1).find((a) => !a.startsWith('-'))} upgrades every package`,
      ),
  ),
  dfCheck(
    dlMeta(
      'DL3008',
      'MEDIUM',
      'Pin versions in apt-get install',
      'Install `package=version` so rebuilds are reproducible',
    ),
    (input) =>
      eachCommand(input, isAptInstall, (c) => {
        const unpinned = packages(argsAfterSubcommand(c, ['install']), ['-o', '-t', '--target-release']).filter(
          (p) => !aptPinned(p),
        );
        return unpinned.length > 0 ? `apt-get install without pinned versions: ${unpinned.join(', ')}` : undefined;
      }),
  ),
  dfCheck(
    dlMeta(
      'DL3009',
      'LOW',
      'Delete the apt-get lists after installing something',
      'End the RUN with `rm -rf /var/lib/apt/lists/*`, or use a cache mount',
      { aliases: ['CIS-DI-4.3'], controls: ['CIS-Docker-4.3'] },
    ),
    (input) =>
      runsMissing(
        input,
        isAptUpdate,
        (c, inst) =>
          hasCacheMount(inst, '/var/lib/apt/lists') ||
          (commandName(c) === 'rm' && c.argv.some((a) => /^\/?var\/lib\/apt\/lists(\/\*?)?$/.test(a))),
        'apt-get update without removing /var/lib/apt/lists/* in the same RUN leaves the package lists in the image',
        true,
      ),
  ),
  dfCheck(
    dlMeta(
      'DL3013',
      'MEDIUM',
      'Pin versions in pip',
      'Install `package==version` (or use a constraints or requirements file)',
    ),
    (input) =>
      eachCommand(
        input,
        (c) => isPip(c) && pipSub(c) === 'install',
        (c) => {
          const args = pipInstallArgs(c);
          const valued = [
            '-r',
            '--requirement',
            '-c',
            '--constraint',
            '-e',
            '--editable',
            '-i',
            '--index-url',
            '--extra-index-url',
            '-f',
            '--find-links',
            '-t',
            '--target',
            '--prefix',
            '--root',
            '--trusted-host',
            '--platform',
            '--python-version',
            '--implementation',
            '--abi',
          ];
          const unpinned = packages(args, valued).filter(
            (p) =>
              !/[=<>~!@]/.test(p) &&
              !p.includes('/') &&
              !/\.(whl|tar\.gz|zip|tgz)$/.test(p) &&
              !p.startsWith('.') &&
              !p.startsWith('$'),
          );
          return unpinned.length > 0 ? `pip install without pinned versions: ${unpinned.join(', ')}` : undefined;
        },
      ),
  ),
  dfCheck(
    dlMeta(
      'DL3014',
      'MEDIUM',
      'Use the -y switch with apt-get install',
      'Add `-y` so the build never waits for a prompt',
    ),
    (input) =>
      eachCommand(input, isAptInstall, (c) =>
        hasFlag(c.argv, ['--yes', '--assume-yes'], 'y') || c.argv.includes('-qq') || c.argv.includes('-q=2')
          ? undefined
          : 'apt-get install without -y',
      ),
  ),
  dfCheck(
    dlMeta(
      'DL3015',
      'LOW',
      'Avoid additional packages by specifying --no-install-recommends',
      'Add `--no-install-recommends` to apt-get install',
      { aliases: ['CIS-DI-4.3'], controls: ['CIS-Docker-4.3'] },
    ),
    (input) =>
      eachCommand(input, isAptInstall, (c) =>
        c.argv.includes('--no-install-recommends') ||
        c.argv.some((a) => /APT::Install-Recommends=(false|0|no)/i.test(a))
          ? undefined
          : 'apt-get install without --no-install-recommends installs recommended packages too',
      ),
  ),
  dfCheck(dlMeta('DL3016', 'MEDIUM', 'Pin versions in npm', 'Install `package@version`'), (input) =>
    eachCommand(
      input,
      (c) => commandName(c) === 'npm' && ['install', 'i', 'add'].includes(positionalSub(c) ?? ''),
      (c) => {
        const args = argsAfterSubcommand(c, ['install', 'i', 'add']);
        const unpinned = packages(args, ['--registry', '--prefix', '--cache']).filter((p) => {
          if (/^(git\+|git:|https?:|file:|\.|\/|\$|github:)/.test(p) || p.endsWith('.tgz')) return false;
          const name = p.startsWith('@') ? p.slice(1) : p;
          return !name.includes('@') && !name.includes('#');
        });
        return unpinned.length > 0 ? `npm install without pinned versions: ${unpinned.join(', ')}` : undefined;
      },
    ),
  ),
  dfCheck(dlMeta('DL3018', 'MEDIUM', 'Pin versions in apk add', 'Install `package=version`'), (input) =>
    eachCommand(
      input,
      (c) => isSubcommand(c, ['apk'], ['add']),
      (c) => {
        const unpinned = packages(argsAfterSubcommand(c, ['add']), [
          '-t',
          '--virtual',
          '-X',
          '--repository',
          '-p',
          '--root',
          '--arch',
        ]).filter((p) => !p.includes('=') && !p.endsWith('.apk') && !p.startsWith('$') && !/[<>~]/.test(p));
        return unpinned.length > 0 ? `apk add without pinned versions: ${unpinned.join(', ')}` : undefined;
      },
    ),
  ),
  dfCheck(
    dlMeta('DL3019', 'LOW', 'Use the --no-cache switch with apk add', 'Use `apk add --no-cache`', {
      aliases: ['CIS-DI-4.3'],
      controls: ['CIS-Docker-4.3'],
    }),
    (input) =>
      eachCommand(
        input,
        (c) => isSubcommand(c, ['apk'], ['add']),
        (c) => (c.argv.includes('--no-cache') ? undefined : 'apk add without --no-cache keeps the index'),
      ).filter((v) => {
        const inst = input.df.instructions.find((i) => i.startLine === v.startLine);
        return !(inst && hasCacheMount(inst, '/var/cache/apk'));
      }),
  ),
  dfCheck(
    dlMeta('DL3027', 'MEDIUM', 'Do not use apt; use apt-get or apt-cache', 'Replace `apt` with `apt-get`'),
    (input) =>
      eachCommand(
        input,
        (c) => commandName(c) === 'apt',
        () => 'apt is meant for interactive use and has no stable CLI; use apt-get',
      ),
  ),
  dfCheck(
    dlMeta('DL3028', 'MEDIUM', 'Pin versions in gem install', 'Install `gem:version` or pass `-v version`'),
    (input) =>
      eachCommand(
        input,
        (c) => isSubcommand(c, ['gem'], ['install', 'i']),
        (c) => {
          if (hasFlag(c.argv, ['--version'], 'v')) return undefined;
          const unpinned = packages(argsAfterSubcommand(c, ['install', 'i']), [
            '-i',
            '--install-dir',
            '-n',
            '--bindir',
            '--source',
            '-s',
          ]).filter((p) => !p.includes(':') && !p.endsWith('.gem') && !p.startsWith('$'));
          return unpinned.length > 0 ? `gem install without pinned versions: ${unpinned.join(', ')}` : undefined;
        },
      ),
  ),
  dfCheck(dlMeta('DL3030', 'MEDIUM', 'Use the -y switch with yum install', 'Add `-y`'), (input) =>
    eachCommand(
      input,
      (c) => isSubcommand(c, ['yum'], ['install', 'groupinstall', 'localinstall']),
      (c) => (hasFlag(c.argv, ['--assumeyes'], 'y') ? undefined : 'yum install without -y'),
    ),
  ),
  dfCheck(
    dlMeta('DL3032', 'MEDIUM', '`yum clean all` missing after yum', 'End the RUN with `yum clean all`', {
      aliases: ['CIS-DI-4.3'],
      controls: ['CIS-Docker-4.3'],
    }),
    (input) =>
      runsMissing(
        input,
        (c) => isSubcommand(c, ['yum'], ['install', 'groupinstall', 'localinstall']),
        (c, inst) =>
          hasCacheMount(inst, '/var/cache/yum') ||
          (isSubcommand(c, ['yum'], ['clean']) && c.argv.includes('all')) ||
          (commandName(c) === 'rm' && c.argv.some((a) => a.startsWith('/var/cache/yum'))),
        'yum install without `yum clean all` in the same RUN leaves the package cache in the image',
      ),
  ),
  dfCheck(dlMeta('DL3033', 'MEDIUM', 'Specify versions with yum install', 'Install `package-version`'), (input) =>
    eachCommand(
      input,
      (c) => isSubcommand(c, ['yum'], ['install']),
      (c) => {
        const unpinned = packages(argsAfterSubcommand(c, ['install'])).filter((p) => !rpmPinned(p));
        return unpinned.length > 0 ? `yum install without pinned versions: ${unpinned.join(', ')}` : undefined;
      },
    ),
  ),
  dfCheck(
    dlMeta('DL3034', 'MEDIUM', 'Non-interactive switch missing from zypper', 'Add `-y` (or `-n`) to zypper install'),
    (input) =>
      eachCommand(
        input,
        (c) => isSubcommand(c, ['zypper'], ['install', 'in', 'remove', 'rm', 'source-install', 'si', 'patch']),
        (c) =>
          hasFlag(c.argv, ['--non-interactive', '--no-confirm'], 'yn')
            ? undefined
            : 'zypper without a non-interactive switch',
      ),
  ),
  dfCheck(dlMeta('DL3035', 'MEDIUM', 'Do not use zypper dist-upgrade', 'Use a newer base image instead'), (input) =>
    eachCommand(
      input,
      (c) => isSubcommand(c, ['zypper'], ['dist-upgrade', 'dup']),
      () => 'zypper dist-upgrade upgrades the whole distribution in the build',
    ),
  ),
  dfCheck(
    dlMeta('DL3036', 'MEDIUM', '`zypper clean` missing after zypper use', 'End the RUN with `zypper clean`', {
      aliases: ['CIS-DI-4.3'],
      controls: ['CIS-Docker-4.3'],
    }),
    (input) =>
      runsMissing(
        input,
        (c) => isSubcommand(c, ['zypper'], ['install', 'in']),
        (c, inst) => hasCacheMount(inst, '/var/cache/zypp') || isSubcommand(c, ['zypper'], ['clean', 'cc']),
        'zypper install without `zypper clean` in the same RUN leaves the package cache in the image',
      ),
  ),
  dfCheck(dlMeta('DL3037', 'MEDIUM', 'Specify versions with zypper install', 'Install `package=version`'), (input) =>
    eachCommand(
      input,
      (c) => isSubcommand(c, ['zypper'], ['install', 'in']),
      (c) => {
        const unpinned = packages(argsAfterSubcommand(c, ['install', 'in'])).filter(
          (p) => !/[=<>]/.test(p) && !p.endsWith('.rpm') && !p.startsWith('$'),
        );
        return unpinned.length > 0 ? `zypper install without pinned versions: ${unpinned.join(', ')}` : undefined;
      },
    ),
  ),
  dfCheck(dlMeta('DL3038', 'MEDIUM', 'Use the -y switch with dnf install', 'Add `-y`'), (input) =>
    eachCommand(
      input,
      (c) => isSubcommand(c, ['dnf', 'microdnf'], ['install', 'groupinstall', 'localinstall']),
      (c) => (hasFlag(c.argv, ['--assumeyes'], 'y') ? undefined : `${commandName(c)} install without -y`),
    ),
  ),
  dfCheck(
    dlMeta('DL3040', 'MEDIUM', '`dnf clean all` missing after dnf', 'End the RUN with `dnf clean all`', {
      aliases: ['CIS-DI-4.3'],
      controls: ['CIS-Docker-4.3'],
    }),
    (input) =>
      runsMissing(
        input,
        (c) => isSubcommand(c, ['dnf', 'microdnf'], ['install', 'groupinstall', 'localinstall']),
        (c, inst) =>
          hasCacheMount(inst, '/var/cache/dnf') ||
          (isSubcommand(c, ['dnf', 'microdnf'], ['clean']) && c.argv.includes('all')) ||
          (commandName(c) === 'rm' && c.argv.some((a) => a.startsWith('/var/cache/dnf'))),
        'dnf install without `dnf clean all` in the same RUN leaves the package cache in the image',
      ),
  ),
  dfCheck(dlMeta('DL3041', 'MEDIUM', 'Specify versions with dnf install', 'Install `package-version`'), (input) =>
    eachCommand(
      input,
      (c) => isSubcommand(c, ['dnf', 'microdnf'], ['install']),
      (c) => {
        const unpinned = packages(argsAfterSubcommand(c, ['install'])).filter(
          (p) => !rpmPinned(p) && !p.startsWith('@'),
        );
        return unpinned.length > 0 ? `dnf install without pinned versions: ${unpinned.join(', ')}` : undefined;
      },
    ),
  ),
  dfCheck(
    dlMeta('DL3042', 'MEDIUM', 'Avoid the pip cache with pip install --no-cache-dir', 'Add `--no-cache-dir`', {
      aliases: ['CIS-DI-4.3'],
      controls: ['CIS-Docker-4.3'],
    }),
    (input) => {
      const out: Violation[] = [];
      for (const { inst, cmds } of runs(input.df)) {
        if (hasCacheMount(inst, '/root/.cache/pip')) continue;
        const stage = input.df.stages[inst.stage];
        const envOff =
          stage !== undefined &&
          stageChain(input.df, stage).some((s) =>
            s.instructions.some(
              (i) =>
                i.keyword === 'ENV' &&
                i.startLine < inst.startLine + (s === stage ? 0 : Number.POSITIVE_INFINITY) &&
                /\bPIP_NO_CACHE_DIR=(1|true|on|yes|off|0|false)\b/i.test(i.args),
            ),
          );
        if (envOff) continue;
        for (const c of cmds) {
          if (!isPip(c) || pipSub(c) !== 'install') continue;
          if (c.assignments.some((a) => a.startsWith('PIP_NO_CACHE_DIR='))) continue;
          if (c.argv.includes('--no-cache-dir')) continue;
          out.push(at(inst, 'pip install without --no-cache-dir keeps the wheel cache in the image'));
        }
      }
      return out;
    },
  ),
  dfCheck(
    dlMeta(
      'DL3046',
      'MEDIUM',
      'useradd without -l and a high UID makes an excessively large image',
      'Add `-l` (--no-log-init)',
    ),
    (input) =>
      eachCommand(
        input,
        (c) => commandName(c) === 'useradd',
        (c) => {
          if (hasFlag(c.argv, ['--no-log-init'], 'l')) return undefined;
          let uid: string | undefined;
          for (let i = 1; i < c.argv.length; i++) {
            const a = c.argv[i]!;
            if (a === '-u' || a === '--uid') uid = c.argv[i + 1];
            else if (a.startsWith('--uid=')) uid = a.slice(6);
            else if (/^-u\d+$/.test(a)) uid = a.slice(2);
          }
          return uid !== undefined && uid.length > 5
            ? `useradd with UID ${uid} and without -l grows /var/log/lastlog and faillog to gigabytes`
            : undefined;
        },
      ),
  ),
  dfCheck(
    dlMeta('DL3047', 'LOW', 'wget without --progress bloats build logs', 'Add `--progress=dot:giga` or `-q`'),
    (input) =>
      eachCommand(
        input,
        (c) => commandName(c) === 'wget',
        (c) =>
          hasFlag(c.argv, ['--progress', '--quiet', '--no-verbose', '--output-file', '--append-output'], 'qoa') ||
          c.argv.includes('-nv')
            ? undefined
            : 'wget without --progress or -q',
      ),
  ),
  dfCheck(
    dlMeta('DL3060', 'LOW', '`yarn cache clean` missing after yarn install', 'End the RUN with `yarn cache clean`', {
      aliases: ['CIS-DI-4.3'],
      controls: ['CIS-Docker-4.3'],
    }),
    (input) =>
      runsMissing(
        input,
        (c) =>
          commandName(c) === 'yarn' && (c.argv.length === 1 || ['install', 'add'].includes(positionalSub(c) ?? '')),
        (c, inst) =>
          hasCacheMount(inst, '/usr/local/share/.cache/yarn') ||
          (isSubcommand(c, ['yarn'], ['cache']) && c.argv.includes('clean')),
        'yarn install without `yarn cache clean` in the same RUN leaves the yarn cache in the image',
      ),
  ),
  dfCheck(dlMeta('DL3062', 'MEDIUM', 'Pin versions in go install', 'Install `module@version`'), (input) =>
    eachCommand(
      input,
      (c) => isSubcommand(c, ['go'], ['install']),
      (c) => {
        const unpinned = packages(argsAfterSubcommand(c, ['install']), ['-ldflags', '-tags', '-gcflags']).filter(
          (p) => !p.includes('@') && !p.startsWith('.') && !p.startsWith('$'),
        );
        return unpinned.length > 0 ? `go install without a version: ${unpinned.join(', ')}` : undefined;
      },
    ),
  ),
  dfCheck(
    dlMeta('DL4001', 'MEDIUM', 'Either use wget or curl, but not both', 'Use one download tool per stage'),
    (input) => {
      const out: Violation[] = [];
      for (const stage of input.df.stages) {
        let first: string | undefined;
        for (const inst of stage.instructions) {
          if (inst.keyword !== 'RUN') continue;
          for (const c of commandsOf(inst)) {
            const n = commandName(c);
            if (n !== 'curl' && n !== 'wget') continue;
            if (first === undefined) first = n;
            else if (first !== n) {
              out.push(at(inst, `stage uses both ${first} and ${n}`));
              first = n;
            }
          }
        }
      }
      return out;
    },
  ),
  dfCheck(
    dlMeta(
      'DL4005',
      'MEDIUM',
      'Use SHELL to change the default shell',
      'Use the SHELL instruction instead of linking /bin/sh',
    ),
    (input) =>
      eachCommand(
        input,
        (c) => commandName(c) === 'ln' && c.argv.some((a) => a === '/bin/sh'),
        () => 'RUN replaces /bin/sh with a link; use SHELL',
      ),
  ),
  dfCheck(
    dlMeta(
      'DL4006',
      'MEDIUM',
      'Set the SHELL option -o pipefail before RUN with a pipe in it',
      'Add `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` before the RUN',
    ),
    (input): Violation[] | CheckOutcome => {
      const out: Violation[] = [];
      for (const stage of input.df.stages) {
        let pipefail = false;
        let nonPosix = false;
        for (const inst of stage.instructions) {
          if (inst.keyword === 'SHELL') {
            const j = inst.json ?? [];
            pipefail = j.some((a, i) => a === 'pipefail' && /^-\w*o$/.test(j[i - 1] ?? ''));
            nonPosix = /(pwsh|powershell|cmd)(\.exe)?$/i.test(j[0] ?? '');
            continue;
          }
          if (inst.keyword !== 'RUN' || pipefail || nonPosix || inst.json) continue;
          const cmds = commandsOf(inst);
          if (!cmds.some((c) => c.pipesTo)) continue;
          const setsPipefail = cmds.some(
            (c) =>
              commandName(c) === 'set' &&
              c.argv.some((a, i) => a === 'pipefail' && /^-\w*o$/.test(c.argv[i - 1] ?? '')),
          );
          if (!setsPipefail) out.push(at(inst, 'RUN pipes without pipefail: a failing command before | is ignored'));
        }
      }
      return out;
    },
  ),
];

function isPip(c: ShellCommand): boolean {
  const n = commandName(c);
  if (/^pip(3(\.\d+)?)?$/.test(n)) return true;
  // python -m pip install
  return /^python(3(\.\d+)?)?$/.test(n) && c.argv[1] === '-m' && /^pip3?$/.test(c.argv[2] ?? '');
}

function pipSub(c: ShellCommand): string | undefined {
  const start = commandName(c).startsWith('python') ? 3 : 1;
  return c.argv.slice(start).find((a) => !a.startsWith('-'));
}

function pipInstallArgs(c: ShellCommand): string[] {
  const start = commandName(c).startsWith('python') ? 3 : 1;
  const rest = c.argv.slice(start);
  const idx = rest.indexOf('install');
  return idx < 0 ? [] : rest.slice(idx + 1);
}

function positionalSub(c: ShellCommand): string | undefined {
  return c.argv.slice(1).find((a) => !a.startsWith('-'));
}
