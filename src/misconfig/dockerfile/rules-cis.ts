/**
 * CIS Docker Benchmark section 4 checks that hadolint has no code for: a non-root USER at all,
 * secrets in the Dockerfile, update-only RUN, piping downloads into a shell, exposed SSH, remote
 * ADD without a checksum.
 */
import type { Violation } from '../types.ts';
import { at, commandsOf, type DockerfileCheck, dfCheck, finalStage, stageChain } from './context.ts';
import { parseArgs, parseKeyValues, splitWords } from './parser.ts';
import { commandName, isSubcommand } from './shell.ts';

const CIS = 'https://www.cisecurity.org/benchmark/docker';

/** Names that hold secrets; a value that is itself a variable reference is not a secret. */
export const SECRET_NAME =
  /(^|_|-|\b)(pass(word|wd|phrase)?|secret|token|api[_-]?key|apikey|private[_-]?key|access[_-]?key|client[_-]?secret|credentials?|auth)($|_|-|\b)/i;
/** Values that are secrets whatever their name. */
export const SECRET_VALUE: { name: string; re: RegExp }[] = [
  { name: 'AWS access key id', re: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: 'private key', re: /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/ },
  { name: 'GitHub token', re: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/ },
  { name: 'Slack token', re: /\bxox[baprs]-[A-Za-z0-9-]{10,}\b/ },
  { name: 'GitLab token', re: /\bglpat-[A-Za-z0-9_-]{20,}\b/ },
  { name: 'Google API key', re: /\bAIza[0-9A-Za-z_-]{35}\b/ },
];
const NOT_SECRET_VALUE = /^(\$\{?[A-Za-z_]|\/|true$|false$|yes$|no$|none$|null$|0$|1$|changeme$|<)/i;

/** Is this NAME=value pair a secret? Returns what kind, or undefined. */
export function secretKind(name: string, value: string): string | undefined {
  for (const s of SECRET_VALUE) if (s.re.test(value)) return s.name;
  if (value.trim() === '' || NOT_SECRET_VALUE.test(value.trim())) return undefined;
  // `*_FILE`, `*_PATH`, `*_URL` name where a secret lives, not the secret
  if (/(_FILE|_PATH|_DIR|_URL|_URI|_HOST|_PORT|_USER(NAME)?|_NAME|_TYPE|_LENGTH)$/i.test(name)) return undefined;
  return SECRET_NAME.test(name) ? 'secret-named variable' : undefined;
}

const SHELLS = new Set(['sh', 'bash', 'zsh', 'ash', 'dash', 'ksh', 'python', 'python3', 'perl', 'ruby', 'node', 'php']);

export const cisRules: DockerfileCheck[] = [
  dfCheck(
    {
      id: 'BD-DF-001',
      aliases: ['CIS-DI-4.1'],
      severity: 'HIGH',
      title: 'Image runs as root: no USER instruction',
      remediation: 'Create a user and switch to it with USER before CMD/ENTRYPOINT',
      controls: ['CIS-Docker-4.1'],
      references: [CIS],
    },
    (input) => {
      const last = finalStage(input.df);
      if (!last) return [];
      if (last.imageExpanded.toLowerCase() === 'scratch' && last.instructions.every((i) => i.keyword !== 'RUN'))
        return [];
      const chain = stageChain(input.df, last);
      if (chain.some((s) => s.instructions.some((i) => i.keyword === 'USER'))) return [];
      return [at(last.from, 'the final stage never sets USER: containers run as root unless the base image sets one')];
    },
  ),
  dfCheck(
    {
      id: 'BD-DF-002',
      aliases: ['CIS-DI-4.10'],
      severity: 'CRITICAL',
      title: 'Secrets stored in the Dockerfile (ENV, ARG, LABEL or RUN)',
      remediation: 'Pass secrets at build time with `RUN --mount=type=secret` and at run time from a secret store',
      controls: ['CIS-Docker-4.10'],
      references: [CIS, 'https://docs.docker.com/build/building/secrets/'],
    },
    (input) => {
      const out: Violation[] = [];
      for (const i of input.df.instructions) {
        let pairs: [string, string | undefined][] = [];
        if (i.keyword === 'ENV') pairs = parseKeyValues(i.args, input.df.directives.escape, true);
        else if (i.keyword === 'ARG') pairs = parseArgs(i.args, input.df.directives.escape);
        else if (i.keyword === 'LABEL') pairs = parseKeyValues(i.args, input.df.directives.escape);
        else if (i.keyword === 'RUN') {
          for (const c of commandsOf(i)) {
            for (const a of [...c.assignments, ...c.argv]) {
              for (const s of SECRET_VALUE) if (s.re.test(a)) out.push(at(i, `RUN contains a ${s.name}`));
            }
          }
          continue;
        }
        for (const [k, v] of pairs) {
          if (v === undefined) continue;
          const kind = secretKind(k, v);
          if (kind) out.push(at(i, `${i.keyword} ${k} holds a ${kind}; it stays in the image history`));
        }
      }
      return out;
    },
  ),
  dfCheck(
    {
      id: 'BD-DF-003',
      aliases: ['CIS-DI-4.7'],
      severity: 'MEDIUM',
      title: 'Update instruction used alone',
      remediation: 'Run the package index update and the install in the same RUN',
      controls: ['CIS-Docker-4.7'],
      references: [CIS],
    },
    (input) => {
      const out: Violation[] = [];
      for (const i of input.df.instructions) {
        if (i.keyword !== 'RUN') continue;
        const cmds = commandsOf(i);
        const update = cmds.some(
          (c) =>
            isSubcommand(c, ['apt-get', 'apt', 'apk'], ['update']) ||
            isSubcommand(c, ['yum', 'dnf', 'microdnf'], ['makecache']) ||
            isSubcommand(c, ['zypper'], ['refresh', 'ref']),
        );
        if (!update) continue;
        const installs = cmds.some(
          (c) =>
            isSubcommand(c, ['apt-get', 'apt'], ['install', 'upgrade', 'dist-upgrade', 'full-upgrade', 'build-dep']) ||
            isSubcommand(c, ['apk'], ['add', 'upgrade']) ||
            isSubcommand(c, ['yum', 'dnf', 'microdnf'], ['install', 'update', 'upgrade']) ||
            isSubcommand(c, ['zypper'], ['install', 'in', 'update', 'up', 'dist-upgrade', 'dup']) ||
            // a script or tool run in the same RUN may install (e.g. `./install-deps.sh`)
            (!['apt-get', 'apt', 'apk', 'yum', 'dnf', 'microdnf', 'zypper', 'rm', 'echo', 'set', 'true'].includes(
              commandName(c),
            ) &&
              commandName(c) !== ''),
        );
        if (!installs) out.push(at(i, 'RUN updates the package index without installing in the same layer'));
      }
      return out;
    },
  ),
  dfCheck(
    {
      id: 'BD-DF-004',
      aliases: ['CIS-DI-4.11'],
      severity: 'HIGH',
      title: 'Downloaded script piped into a shell (curl | sh)',
      remediation: 'Download to a file, verify its checksum or signature, then run it',
      controls: ['CIS-Docker-4.11'],
      references: [CIS],
    },
    (input) => {
      const out: Violation[] = [];
      for (const i of input.df.instructions) {
        if (i.keyword !== 'RUN') continue;
        const cmds = commandsOf(i);
        let hit = false;
        for (let k = 0; k < cmds.length - 1 && !hit; k++) {
          const c = cmds[k]!;
          if (!c.pipesTo || !['curl', 'wget', 'fetch'].includes(commandName(c))) continue;
          // the pipeline may pass through tee, etc.: any shell later in the same pipeline counts
          for (let j = k + 1; j < cmds.length && cmds[j]!.pipedFrom; j++) {
            const n = commandName(cmds[j]!);
            const target = n === 'sudo' || n === 'env' ? (cmds[j]!.argv[1] ?? '').split('/').pop()! : n;
            if (SHELLS.has(target)) {
              hit = true;
              break;
            }
          }
        }
        if (!hit) {
          // sh -c "$(curl ...)", bash <(curl ...)
          for (const c of cmds) {
            if (!SHELLS.has(commandName(c))) continue;
            if (c.argv.some((a) => /\$\(\s*(curl|wget)\b|<\(\s*(curl|wget)\b|`\s*(curl|wget)\b/.test(a))) hit = true;
          }
          if (/<\(\s*(curl|wget)\b/.test(i.args) && /\b(ba|z|da|k)?sh\b/.test(i.args)) hit = true;
        }
        if (hit) out.push(at(i, 'RUN pipes a download straight into an interpreter'));
      }
      return out;
    },
  ),
  dfCheck(
    {
      id: 'BD-DF-005',
      aliases: [],
      severity: 'MEDIUM',
      title: 'SSH port exposed',
      remediation: 'Do not run an SSH server in a container; use `docker exec`/`kubectl exec`',
      controls: ['CIS-Docker-4.3'],
      references: [CIS],
    },
    (input) => {
      const out: Violation[] = [];
      for (const i of input.df.instructions) {
        if (i.keyword !== 'EXPOSE') continue;
        for (const w of splitWords(i.expanded ?? i.args)) {
          const m = /^(\d+)(?:-(\d+))?(?:\/tcp)?$/i.exec(w);
          if (!m) continue;
          const lo = Number(m[1]);
          const hi = m[2] !== undefined ? Number(m[2]) : lo;
          if (lo <= 22 && 22 <= hi) out.push(at(i, 'EXPOSE 22: an SSH server in the image'));
        }
      }
      return out;
    },
  ),
  dfCheck(
    {
      id: 'BD-DF-006',
      aliases: ['CIS-DI-4.9'],
      severity: 'MEDIUM',
      title: 'ADD fetches a remote URL without --checksum',
      remediation: 'Use `ADD --checksum=sha256:...` or download and verify in a RUN',
      controls: ['CIS-Docker-4.9', 'CIS-Docker-4.11'],
      references: [CIS, 'https://docs.docker.com/reference/dockerfile/#add---checksum'],
    },
    (input) =>
      input.df.instructions
        .filter(
          (i) =>
            i.keyword === 'ADD' &&
            !i.flags.some((f) => f.name === 'checksum') &&
            (i.json ?? splitWords(i.args)).slice(0, -1).some((s) => /^https?:\/\//i.test(s)),
        )
        .map((i) => at(i, 'ADD downloads a URL without verifying it')),
  ),
];
