import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Warning } from '../analyzers/types.ts';
import type { Severity } from '../detect/types.ts';
import {
  formatManifestError,
  type K8sObject,
  loadManifests,
  type ManifestError,
  type ManifestLimits,
} from '../k8s/manifests.ts';
import type { MisconfigFinding, ReportResult } from '../report/types.ts';
import type { AnalyzerCoverage } from '../scan/types.ts';
import { BollardError } from '../util/errors.ts';
import { kubernetesPacks } from './api.ts';
import { checkDockerfile, type HadolintConfig, isDockerfileName, parseHadolintConfig } from './dockerfile/index.ts';
import { type CelPolicy, celChecks, loadCelPolicies } from './engines/cel/index.ts';
import { toFindings } from './findings.ts';
import type { KubeCheck, KubeInput, UntrustedSelector } from './kubernetes/input.ts';
import { parseUntrusted } from './kubernetes/input.ts';
import { PSS_LATEST_MINOR, type PssLevel } from './kubernetes/pss/index.ts';
import type { CheckOutcome } from './types.ts';

export interface ConfigScanOptions {
  /** Pod Security level and policy minor version (default restricted@latest). */
  pss?: { level: PssLevel; minor: number };
  /** Files of custom CEL policies. */
  policies?: string[];
  /** `ns/name`, `ns/*` or `label=value`: workloads that need a sandboxed RuntimeClass. */
  untrusted?: string[];
  /** A `.hadolint.yaml`; default: the one next to each Dockerfile, else in the working directory. */
  hadolintConfig?: string;
  /** Opt-in checks to run. */
  enable?: string[];
  limits?: ManifestLimits;
  /** Most Dockerfiles collected from directories (default 10,000). */
  maxDockerfiles?: number;
}

export interface ConfigScanResult {
  results: ReportResult[];
  warnings: Warning[];
  coverage: AnalyzerCoverage[];
  /** The strictest `failure-threshold` of the .hadolint.yaml files used, if any. */
  failureThreshold?: Severity | 'none';
}

/** `bollard config PATH...`: Dockerfiles and Kubernetes manifests under the given paths. */
export async function checkConfigPaths(
  paths: readonly string[],
  options: ConfigScanOptions = {},
): Promise<ConfigScanResult> {
  if (paths.length === 0) throw new BollardError('USAGE', 'give at least one file or directory');
  const dockerfiles: string[] = [];
  const manifestPaths: string[] = [];
  const explicit = new Set<string>();
  for (const p of paths) {
    if (p === '-') {
      manifestPaths.push(p);
      explicit.add(p);
      continue;
    }
    if (!existsSync(p)) throw new BollardError('TARGET_NOT_FOUND', `${p}: no such file or directory`);
    const st = statSync(p);
    if (st.isDirectory()) {
      collectDockerfiles(p, dockerfiles, options.maxDockerfiles ?? 10_000);
      manifestPaths.push(p);
    } else if (isDockerfileName(p)) {
      dockerfiles.push(p);
    } else {
      manifestPaths.push(p);
      explicit.add(p);
    }
  }

  const warnings = new Map<string, Warning>();
  const warn = (code: string, message: string, sample?: string): void => {
    const w = warnings.get(code);
    if (w) w.count++;
    else warnings.set(code, { code, message, count: 1, ...(sample !== undefined ? { sample } : {}) });
  };

  const results: ReportResult[] = [];
  let failureThreshold: Severity | 'none' | undefined;
  const configs = new Map<string, HadolintConfig | undefined>();
  for (const file of dockerfiles) {
    const cfgPath = options.hadolintConfig ?? findHadolintConfig(dirname(file));
    let cfg: HadolintConfig | undefined;
    if (cfgPath) {
      if (!configs.has(cfgPath)) configs.set(cfgPath, parseHadolintConfig(readFileSync(cfgPath), cfgPath));
      cfg = configs.get(cfgPath);
      if (cfg?.failureThreshold) failureThreshold = stricter(failureThreshold, cfg.failureThreshold);
    }
    try {
      results.push(
        checkDockerfile(readFileSync(file), file, {
          ...(cfg ? { config: cfg } : {}),
          ...(options.enable ? { enable: options.enable } : {}),
        }),
      );
    } catch (e) {
      if (
        e instanceof BollardError &&
        (e.code === 'INPUT_INVALID' || e.code === 'LIMIT_EXCEEDED') &&
        !paths.includes(file)
      ) {
        warn('DOCKERFILE_INVALID', 'Dockerfiles that could not be parsed were skipped', `${file}: ${e.message}`);
        continue;
      }
      throw e;
    }
  }

  let objects: K8sObject[] = [];
  if (manifestPaths.length > 0) {
    const fatal: ManifestError[] = [];
    objects = await loadManifests(manifestPaths, {
      ...(options.limits ? { limits: options.limits } : {}),
      onError(e) {
        const name = basename(e.file);
        // Hadolint configuration and other tools' YAML under a directory are not manifests.
        if (name === '.hadolint.yaml' || name === '.hadolint.yml') return;
        if (explicit.has(e.file) && (e.code === 'LIMIT_EXCEEDED' || e.code === 'INPUT_INVALID')) fatal.push(e);
        else
          warn(
            `MANIFEST_${e.code}`,
            'manifest files or documents that could not be read were skipped',
            formatManifestError(e),
          );
      },
    });
    const first = fatal[0];
    // A file the user named that is hostile or malformed is refused with its reason, not half-read.
    if (first) throw new BollardError(first.code, formatManifestError(first));
  }

  const policies: CelPolicy[] = [];
  for (const f of options.policies ?? []) {
    if (!existsSync(f)) throw new BollardError('TARGET_NOT_FOUND', `policy file ${f} does not exist`);
    policies.push(...loadCelPolicies(readFileSync(f), f));
  }
  const untrusted = (options.untrusted ?? []).map(parseUntrusted);
  const kube = checkKubernetesObjects(objects, {
    pss: options.pss ?? { level: 'restricted', minor: PSS_LATEST_MINOR },
    untrusted,
    policies,
  });
  results.push(...kube);

  const coverage: AnalyzerCoverage[] = [
    coverageOf(
      'misconfig:dockerfile',
      results.filter((r) => r.type === 'dockerfile'),
    ),
    coverageOf('misconfig:kubernetes', kube),
  ];
  return {
    results,
    warnings: [...warnings.values()],
    coverage,
    ...(failureThreshold !== undefined ? { failureThreshold } : {}),
  };
}

export interface KubeRunOptions {
  pss: { level: PssLevel; minor: number };
  untrusted?: UntrustedSelector[];
  policies?: readonly CelPolicy[];
}

/** Run every Kubernetes check over loaded objects: one `config` result per file. */
export function checkKubernetesObjects(objects: readonly K8sObject[], options: KubeRunOptions): ReportResult[] {
  const byFile = new Map<string, K8sObject[]>();
  for (const o of objects) {
    const list = byFile.get(o.file);
    if (list) list.push(o);
    else byFile.set(o.file, [o]);
  }
  const checks: KubeCheck[] = [...kubernetesPacks.flatMap((p) => p.checks), ...celChecks(options.policies ?? [])];
  const out: ReportResult[] = [];
  for (const [file, list] of byFile) {
    const input: KubeInput = {
      objects: list,
      allObjects: objects,
      pss: options.pss,
      untrusted: options.untrusted ?? [],
    };
    const findings: MisconfigFinding[] = [];
    const first = list[0]!;
    for (const c of checks) {
      let r: CheckOutcome;
      try {
        r = c.run(input);
      } catch (e) {
        r = { status: 'error', reason: (e as Error).message };
      }
      findings.push(...toFindings(c, r, { file, startLine: first.startLine, endLine: list[list.length - 1]!.endLine }));
    }
    out.push({ target: file, class: 'config', type: 'kubernetes', misconfigurations: findings });
  }
  return out;
}

function coverageOf(idName: string, results: ReportResult[]): AnalyzerCoverage {
  const findings = results.flatMap((r) => r.misconfigurations ?? []);
  const errors = findings.filter((f) => f.status === 'error').length;
  return {
    id: idName,
    version: 1,
    files: results.length,
    items: findings.filter((f) => f.status === 'failed').length,
    status: results.length === 0 ? 'no-files' : errors > 0 ? 'partial' : 'ok',
    note: `${findings.filter((f) => f.status === 'passed').length} passed, ${findings.filter((f) => f.status === 'failed').length} failed, ${findings.filter((f) => f.status === 'skipped').length} skipped, ${errors} errors`,
  };
}

function findHadolintConfig(dir: string): string | undefined {
  for (const d of [dir, process.cwd()])
    for (const n of ['.hadolint.yaml', '.hadolint.yml']) {
      const p = join(d, n);
      if (existsSync(p)) return p;
    }
  return undefined;
}

const ORDER: Record<string, number> = { CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3, UNKNOWN: 4, none: 5 };
function stricter(a: Severity | 'none' | undefined, b: Severity | 'none'): Severity | 'none' {
  if (a === undefined) return b;
  return (ORDER[a] ?? 5) >= (ORDER[b] ?? 5) ? a : b;
}

/** Dockerfiles under a directory: no dot-directories, no symlinks followed, bounded depth and count. */
function collectDockerfiles(root: string, out: string[], max: number): void {
  const stack: [string, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [dir, depth] = stack.pop()!;
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const name of entries) {
      const p = join(dir, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) continue;
      if (st.isDirectory()) {
        if (!name.startsWith('.') && name !== 'node_modules' && depth < 32) stack.push([p, depth + 1]);
      } else if (st.isFile() && isDockerfileName(name)) {
        out.push(p);
        if (out.length > max) throw new BollardError('LIMIT_EXCEEDED', `more than ${max} Dockerfiles under ${root}`);
      }
    }
  }
  out.sort();
}
