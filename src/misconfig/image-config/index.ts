/**
 * Checks over an image's own configuration (config JSON and history) and, when the caller has it,
 * the squashed file list with modes: root user, HEALTHCHECK, secrets in ENV/LABEL/history,
 * setuid/setgid files, world-writable files, package caches, SSH daemon, sudo, `apt-get upgrade`
 * and `curl | sh` in history, sensitive exposed ports. CIS Docker 4.x ids where they apply.
 */
import { accessTool, PACKAGE_CACHES, packageCache, WRITABLE_OK } from '../../analyzers/file-modes/index.ts';
import type { ImageFile } from '../../analyzers/types.ts';
import type { ImageConfig } from '../../oci/types.ts';
import type { MisconfigFinding, ReportResult } from '../../report/types.ts';
import type { InventoryResult } from '../../scan/types.ts';
import { SECRET_VALUE, secretKind } from '../dockerfile/rules-cis.ts';
import { commandName, isSubcommand, parseShell } from '../dockerfile/shell.ts';
import { toFindings } from '../findings.ts';
import { type Check, type CheckOutcome, outcome, type RulePack, skipped, type Violation } from '../types.ts';

export const id = 'image-config';

/** One entry of the squashed image with its mode and layer (the file-modes analyzer's output). */
export type { ImageFile } from '../../analyzers/types.ts';

export interface ImageConfigInput {
  config: ImageConfig;
  inventory: InventoryResult | undefined;
  /** Undefined: the file list was not collected (file checks are skipped with that reason). */
  files: readonly ImageFile[] | undefined;
}

type ImageCheck = Check<ImageConfigInput>;
const CIS = 'https://www.cisecurity.org/benchmark/docker';

function imgCheck(
  meta: {
    id: string;
    aliases?: string[];
    severity: ImageCheck['severity'];
    title: string;
    remediation: string;
    controls?: string[];
  },
  fn: (i: ImageConfigInput) => Violation[] | CheckOutcome,
): ImageCheck {
  return {
    id: meta.id,
    aliases: meta.aliases ?? [],
    severity: meta.severity,
    title: meta.title,
    remediation: meta.remediation,
    controls: meta.controls ?? [],
    references: [CIS],
    appliesTo: 'image-config',
    run(input) {
      const r = fn(input);
      return Array.isArray(r) ? outcome(r) : r;
    },
  };
}

const NO_FILES = 'the image file list with modes was not available to this check';
const v = (message: string): Violation => ({ message });

/** `mode 4755, owner 0:0, layer 2`: the evidence of a file check (no layer for a root filesystem). */
function evidence(f: ImageFile): string {
  const layer = f.layer === undefined ? '' : `, layer ${f.layer}`;
  return `mode ${(f.mode & 0o7777).toString(8)}, owner ${f.uid}:${f.gid}${layer}`;
}

/** A violation about one file of the image: its path is the finding's file. */
const fileViolation = (f: ImageFile, message: string): Violation => ({ message, file: f.path });

function layerList(files: readonly ImageFile[]): string {
  const layers = [...new Set(files.map((f) => f.layer).filter((l) => l !== undefined))].sort((a, b) => a - b);
  if (layers.length === 0) return '';
  return ` (${layers.length === 1 ? 'layer' : 'layers'} ${layers.join(', ')})`;
}

function envPairs(c: ImageConfig): [string, string][] {
  return (c.config?.Env ?? []).map((e) => {
    const eq = e.indexOf('=');
    return eq < 0 ? [e, ''] : [e.slice(0, eq), e.slice(eq + 1)];
  });
}

function historyCommands(c: ImageConfig): { index: number; text: string }[] {
  return (c.history ?? [])
    .map((h, index) => ({ index, text: (h.created_by ?? '').replace(/^\/bin\/sh -c (#\(nop\) )?/, '') }))
    .filter((h) => h.text !== '');
}

/**
 * The shell command of a history entry, as builders write them: the classic builder's
 * `/bin/sh -c CMD` with `|N K=V...` build-argument prefixes, BuildKit's `RUN /bin/sh -c CMD # buildkit`
 * and exec-form `RUN CMD`.
 */
export function historyShellCommand(text: string): string {
  let t = text.trim();
  if (t.endsWith('# buildkit')) t = t.slice(0, -'# buildkit'.length).trimEnd();
  if (t.startsWith('RUN ')) t = t.slice(4).trimStart();
  const args = /^\|(\d{1,3})\s/.exec(t);
  if (args) {
    // `|2 A=1 B=2 /bin/sh -c ...`: the count, then that many arguments.
    let rest = t.slice(args[0].length);
    for (let n = Number(args[1]); n > 0; n--) {
      const sp = rest.search(/\s/);
      rest = sp < 0 ? '' : rest.slice(sp).trimStart();
    }
    t = rest;
  }
  return t.replace(/^\/bin\/(?:ba)?sh -c\s+(?:#\(nop\)\s*)?/, '');
}

const hasPackage = (i: ImageConfigInput, names: readonly string[]): string | undefined =>
  i.inventory?.inventory.packages.find((p) => names.includes(p.name))?.name;

const SENSITIVE_PORTS: Record<number, string> = {
  21: 'FTP',
  22: 'SSH',
  23: 'Telnet',
  2375: 'Docker API (plain)',
  2376: 'Docker API',
  2379: 'etcd',
  2380: 'etcd peer',
  3389: 'RDP',
  5900: 'VNC',
  10250: 'kubelet',
};

export const imageConfigChecks: readonly ImageCheck[] = [
  imgCheck(
    {
      id: 'BD-IMG-001',
      aliases: ['CIS-DI-4.1'],
      severity: 'HIGH',
      title: 'Image runs as root',
      remediation: 'Set USER to a non-root user in the Dockerfile',
      controls: ['CIS-Docker-4.1'],
    },
    (i) => {
      const u = (i.config.config?.User ?? '').trim();
      const name = u.split(':')[0] ?? '';
      return u === '' || name === 'root' || name === '0'
        ? [v(u === '' ? 'no User in the image config: runs as root' : `User is ${u}`)]
        : [];
    },
  ),
  imgCheck(
    {
      id: 'BD-IMG-002',
      aliases: ['CIS-DI-4.6'],
      severity: 'LOW',
      title: 'No HEALTHCHECK',
      remediation: 'Add a HEALTHCHECK instruction',
      controls: ['CIS-Docker-4.6'],
    },
    (i) => {
      const t = i.config.config?.Healthcheck?.Test;
      return !t || t.length === 0 || t[0] === 'NONE' ? [v('the image defines no health check')] : [];
    },
  ),
  imgCheck(
    {
      id: 'BD-IMG-003',
      aliases: ['CIS-DI-4.10'],
      severity: 'CRITICAL',
      title: 'Secret in ENV',
      remediation: 'Pass secrets at run time from a secret store, never in the image',
      controls: ['CIS-Docker-4.10'],
    },
    (i) =>
      envPairs(i.config)
        .map(([k, val]) => ({ k, kind: secretKind(k, val) }))
        .filter((x) => x.kind)
        .map((x) => v(`ENV ${x.k} holds a ${x.kind}`)),
  ),
  imgCheck(
    {
      id: 'BD-IMG-004',
      aliases: ['CIS-DI-4.10'],
      severity: 'HIGH',
      title: 'Secret in LABEL',
      remediation: 'Remove credentials from labels',
      controls: ['CIS-Docker-4.10'],
    },
    (i) =>
      Object.entries(i.config.config?.Labels ?? {})
        .map(([k, val]) => ({ k, kind: secretKind(k.replace(/[.-]/g, '_'), val) }))
        .filter((x) => x.kind)
        .map((x) => v(`LABEL ${x.k} holds a ${x.kind}`)),
  ),
  imgCheck(
    {
      id: 'BD-IMG-005',
      aliases: ['CIS-DI-4.10'],
      severity: 'HIGH',
      title: 'Secret in the image history',
      remediation: 'Use build secrets (`RUN --mount=type=secret`) instead of ARG/ENV/inline values',
      controls: ['CIS-Docker-4.10'],
    },
    (i) => {
      const out: Violation[] = [];
      for (const h of historyCommands(i.config)) {
        let found: string | undefined;
        for (const s of SECRET_VALUE) if (s.re.test(h.text)) found = s.name;
        if (!found) {
          // `ARG`/`ENV` history entries and `|N KEY=value` build-arg prefixes of RUN entries
          for (const m of h.text.matchAll(/(?:^|\s|\|\d+\s)([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S+)/g)) {
            const kind = secretKind(m[1]!, m[2]!.replace(/^["']|["']$/g, ''));
            if (kind) {
              found = `${kind} (${m[1]})`;
              break;
            }
          }
        }
        if (found) out.push(v(`history entry ${h.index} contains a ${found}`));
      }
      return out;
    },
  ),
  imgCheck(
    {
      id: 'BD-IMG-006',
      aliases: ['CIS-DI-4.8'],
      severity: 'MEDIUM',
      title: 'setuid or setgid files',
      remediation: 'Remove the setuid/setgid bits (`chmod a-s`) from files that do not need them',
      controls: ['CIS-Docker-4.8'],
    },
    (i) => {
      if (!i.files) return skipped(NO_FILES);
      return i.files
        .filter((f) => f.type === 'file' && (f.mode & 0o6000) !== 0)
        .map((f) => {
          const bits =
            (f.mode & 0o6000) === 0o6000 ? 'setuid and setgid' : (f.mode & 0o4000) !== 0 ? 'setuid' : 'setgid';
          return fileViolation(f, `/${f.path} is ${bits} (${evidence(f)})`);
        });
    },
  ),
  imgCheck(
    {
      id: 'BD-IMG-007',
      severity: 'MEDIUM',
      title: 'World-writable files outside /tmp',
      remediation: 'Remove write permission for others (`chmod o-w`)',
    },
    (i) => {
      if (!i.files) return skipped(NO_FILES);
      return i.files
        .filter(
          (f) =>
            (f.type === 'file' || (f.type === 'dir' && (f.mode & 0o1000) === 0)) &&
            (f.mode & 0o002) !== 0 &&
            !WRITABLE_OK.test(f.path),
        )
        .map((f) =>
          fileViolation(
            f,
            `/${f.path} is ${f.type === 'dir' ? 'a world-writable directory' : 'world-writable'} (${evidence(f)})`,
          ),
        );
    },
  ),
  imgCheck(
    {
      id: 'BD-IMG-008',
      aliases: ['CIS-DI-4.3'],
      severity: 'LOW',
      title: 'Package manager caches left in the image',
      remediation: 'Clean the caches in the same RUN that installs (apt lists, apk, yum/dnf, pip, npm)',
      controls: ['CIS-Docker-4.3'],
    },
    (i) => {
      if (!i.files) return skipped(NO_FILES);
      const byCache = new Map<string, ImageFile[]>();
      for (const f of i.files) {
        if (f.type !== 'file') continue;
        const what = packageCache(f.path);
        if (what === undefined) continue;
        const list = byCache.get(what);
        if (list) list.push(f);
        else byCache.set(what, [f]);
      }
      // In the order of PACKAGE_CACHES, one violation per cache with its layers and a sample path.
      const out: Violation[] = [];
      for (const { what } of PACKAGE_CACHES) {
        const list = byCache.get(what);
        if (!list) continue;
        const first = list.reduce((a, b) => (b.path < a.path ? b : a));
        out.push(fileViolation(first, `${list.length} files of ${what}${layerList(list)}, e.g. /${first.path}`));
      }
      return out;
    },
  ),
  imgCheck(
    {
      id: 'BD-IMG-009',
      severity: 'HIGH',
      title: 'SSH daemon installed',
      remediation: 'Remove the SSH server; use `docker exec`/`kubectl exec` for access',
      controls: ['CIS-Docker-4.3'],
    },
    (i) => {
      const pkg = hasPackage(i, ['openssh-server', 'dropbear', 'dropbear-bin', 'openssh']);
      if (pkg) return [v(`package ${pkg} is installed`)];
      const bins = (i.files ?? []).filter((f) => {
        const t = f.type === 'file' ? accessTool(f.path) : undefined;
        return t === 'sshd' || t === 'dropbear';
      });
      if (bins.length > 0) return bins.map((f) => fileViolation(f, `/${f.path} is present (${evidence(f)})`));
      if (!i.inventory && !i.files) return skipped('neither packages nor files were available');
      return [];
    },
  ),
  imgCheck(
    {
      id: 'BD-IMG-010',
      severity: 'MEDIUM',
      title: 'sudo installed',
      remediation: 'Remove sudo; switch users in the Dockerfile instead',
      controls: ['CIS-Docker-4.3'],
    },
    (i) => {
      const pkg = hasPackage(i, ['sudo', 'sudo-rs', 'doas']);
      if (pkg) return [v(`package ${pkg} is installed`)];
      const bins = (i.files ?? []).filter((f) => {
        const t = f.type === 'file' ? accessTool(f.path) : undefined;
        return t === 'sudo' || t === 'doas';
      });
      if (bins.length > 0) return bins.map((f) => fileViolation(f, `/${f.path} is present (${evidence(f)})`));
      if (!i.inventory && !i.files) return skipped('neither packages nor files were available');
      return [];
    },
  ),
  imgCheck(
    {
      id: 'BD-IMG-011',
      aliases: ['CIS-DI-4.7'],
      severity: 'LOW',
      title: 'Packages upgraded in the build (apt-get upgrade, dist-upgrade, apk upgrade, yum update)',
      remediation: 'Rebuild from a newer base image instead of upgrading in a layer',
      controls: ['CIS-Docker-4.7'],
    },
    (i) => {
      const out: Violation[] = [];
      for (const h of historyCommands(i.config)) {
        const cmds = parseShell(historyShellCommand(h.text));
        if (
          cmds.some(
            (c) =>
              isSubcommand(c, ['apt-get', 'apt'], ['upgrade', 'dist-upgrade', 'full-upgrade']) ||
              isSubcommand(c, ['apk'], ['upgrade']) ||
              isSubcommand(c, ['yum', 'dnf'], ['update', 'upgrade']),
          )
        )
          out.push(v(`history entry ${h.index} upgrades packages`));
      }
      return out;
    },
  ),
  imgCheck(
    {
      id: 'BD-IMG-012',
      aliases: ['CIS-DI-4.11'],
      severity: 'HIGH',
      title: 'Downloaded script piped into a shell in the history',
      remediation: 'Download, verify a checksum or signature, then run',
      controls: ['CIS-Docker-4.11'],
    },
    (i) => {
      const out: Violation[] = [];
      for (const h of historyCommands(i.config)) {
        const cmds = parseShell(historyShellCommand(h.text));
        const piped = cmds.some(
          (c, k) =>
            c.pipesTo &&
            ['curl', 'wget'].includes(commandName(c)) &&
            cmds.slice(k + 1).some((n) => n.pipedFrom && /^(ba|z|da|k)?sh$|^python3?$|^perl$/.test(commandName(n))),
        );
        if (piped || /\$\(\s*(curl|wget)\b|<\(\s*(curl|wget)\b/.test(h.text))
          out.push(v(`history entry ${h.index} pipes a download into a shell`));
      }
      return out;
    },
  ),
  imgCheck(
    {
      id: 'BD-IMG-013',
      severity: 'MEDIUM',
      title: 'Sensitive port exposed (SSH, Telnet, FTP, RDP, VNC, Docker API, etcd, kubelet)',
      remediation: 'Do not expose administrative ports from an application image',
    },
    (i) =>
      Object.keys(i.config.config?.ExposedPorts ?? {})
        .map((p) => ({ p, n: Number(p.split('/')[0]) }))
        .filter((x) => SENSITIVE_PORTS[x.n] !== undefined)
        .map((x) => v(`port ${x.p} (${SENSITIVE_PORTS[x.n]}) is exposed`)),
  ),
];

export const imageConfigPack: RulePack<ImageConfigInput> = { id, kind: 'image-config', checks: imageConfigChecks };

/**
 * The image-config result for `bollard image`: every check passed, failed or skipped with a reason.
 * `files` is the squashed file list with modes; without it the file checks are skipped (and say so).
 */
export function checkImageConfig(
  inventoryResult: InventoryResult | undefined,
  imageConfig: ImageConfig,
  files?: readonly ImageFile[],
): ReportResult {
  const input: ImageConfigInput = { config: imageConfig, inventory: inventoryResult, files };
  const findings: MisconfigFinding[] = [];
  for (const c of imageConfigChecks) {
    let out: CheckOutcome;
    try {
      out = c.run(input);
    } catch (e) {
      out = { status: 'error', reason: (e as Error).message };
    }
    findings.push(...toFindings(c, out, {}));
  }
  const name = inventoryResult?.target.name ?? 'image';
  return { target: `${name} (image config)`, class: 'image-config', type: 'image-config', misconfigurations: findings };
}
