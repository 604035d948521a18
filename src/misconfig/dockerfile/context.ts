import type { Check, CheckMeta, CheckOutcome, Violation } from '../types.ts';
import { outcome } from '../types.ts';
import type { Dockerfile, Instruction, Stage } from './parser.ts';
import { runScript } from './parser.ts';
import { parseShell, type ShellCommand } from './shell.ts';

/** hadolint's label types for `label-schema`. */
export type LabelType = 'text' | 'url' | 'email' | 'rfc3339' | 'semver' | 'hash' | 'spdx';

/** The parts of `.hadolint.yaml` Bollard honours. */
export interface DockerfileConfig {
  /** Check ids or DL codes to ignore. */
  ignored: string[];
  /** Registries a FROM image may come from (DL3026); empty: the check is skipped. */
  trustedRegistries: string[];
  /** Labels that must be present, with their types (DL3049-DL3058). */
  labelSchema: Record<string, LabelType>;
  /** Labels outside the schema are reported (DL3050). */
  strictLabels: boolean;
  /** Opt-in checks to run (ids or DL codes). */
  enabled: string[];
  /** The file the configuration came from, for suppressions. */
  file?: string;
}

export function emptyDockerfileConfig(): DockerfileConfig {
  return { ignored: [], trustedRegistries: [], labelSchema: {}, strictLabels: false, enabled: [] };
}

export interface DockerfileInput {
  df: Dockerfile;
  file: string;
  config: DockerfileConfig;
}

export type DockerfileCheck = Check<DockerfileInput>;

const scriptCache = new WeakMap<Instruction, ShellCommand[]>();

/** The simple commands a RUN instruction executes (cached per instruction). */
export function commandsOf(inst: Instruction): ShellCommand[] {
  let c = scriptCache.get(inst);
  if (!c) {
    c = parseShell(runScript(inst));
    scriptCache.set(inst, c);
  }
  return c;
}

/** Every RUN of the file (ONBUILD RUN included), with its commands. */
export function runs(df: Dockerfile): { inst: Instruction; cmds: ShellCommand[] }[] {
  const out: { inst: Instruction; cmds: ShellCommand[] }[] = [];
  for (const inst of df.instructions) {
    const r = inst.keyword === 'RUN' ? inst : inst.onbuild?.keyword === 'RUN' ? inst.onbuild : undefined;
    if (r) out.push({ inst: r, cmds: commandsOf(r) });
  }
  return out;
}

export function at(inst: Instruction, message: string): Violation {
  return { message, startLine: inst.startLine, endLine: inst.endLine };
}

export function finalStage(df: Dockerfile): Stage | undefined {
  return df.stages[df.stages.length - 1];
}

/** A stage and the stages it is built on, nearest first. */
export function stageChain(df: Dockerfile, stage: Stage): Stage[] {
  const out: Stage[] = [];
  const seen = new Set<number>();
  let s: Stage | undefined = stage;
  while (s && !seen.has(s.index)) {
    out.push(s);
    seen.add(s.index);
    s = s.parentStage !== undefined ? df.stages[s.parentStage] : undefined;
  }
  return out;
}

/** A RUN with `--mount=type=cache,target=<dir>` keeps that directory out of the image. */
export function hasCacheMount(inst: Instruction, dir: string): boolean {
  for (const f of inst.flags) {
    if (f.name !== 'mount' || !f.value) continue;
    const parts = new Map(
      f.value.split(',').map((p) => {
        const eq = p.indexOf('=');
        return eq < 0 ? [p, ''] : [p.slice(0, eq), p.slice(eq + 1)];
      }),
    );
    const target = parts.get('target') ?? parts.get('dst') ?? parts.get('destination') ?? '';
    if (parts.get('type') === 'cache' && target.replace(/\/+$/, '') === dir.replace(/\/+$/, '')) return true;
  }
  return false;
}

/** Build a Dockerfile check from its metadata and a function returning violations (or an outcome). */
export function dfCheck(
  meta: CheckMeta & { optIn?: boolean },
  fn: (input: DockerfileInput) => Violation[] | CheckOutcome,
): DockerfileCheck {
  return {
    ...meta,
    appliesTo: 'dockerfile',
    run(input) {
      const r = fn(input);
      return Array.isArray(r) ? outcome(r) : r;
    },
  };
}

/** Is the user root (`root`, `0`, `root:x`, `0:0`)? */
export function isRootUser(user: string): boolean {
  const name = user.split(':')[0]?.trim() ?? '';
  return name === 'root' || name === '0';
}

/** Split an image reference into registry, repository, tag and digest (docker.io when no registry). */
export function splitImage(image: string): { registry: string; repo: string; tag?: string; digest?: string } {
  let rest = image;
  let digest: string | undefined;
  const atSign = rest.indexOf('@');
  if (atSign >= 0) {
    digest = rest.slice(atSign + 1);
    rest = rest.slice(0, atSign);
  }
  let registry = 'docker.io';
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return {
    registry,
    repo: rest,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}
