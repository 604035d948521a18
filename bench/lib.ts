/**
 * Shared pieces of the benches: running commands with wall-clock and peak-RSS measurement,
 * hyperfine-style repeated runs, CycloneDX package sets, and the figure each bench reports.
 * Benches are programs, not tests: they print figures and exit non-zero when they cannot measure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_ENV_FILE, type TestEnv, testEnv } from '../test/helpers/env.ts';

export const repoRoot = dirname(dirname(fileURLToPath(import.meta.url)));
export const bollardBin = join(repoRoot, 'bin', 'bollard');
export const outDir = join(repoRoot, 'bench', 'out');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the command after this long (default 30 minutes). */
  timeoutMs?: number;
}

/** Run a command to completion, timing it from spawn to exit (process start included). */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): RunResult {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? repoRoot,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    timeout: opts.timeoutMs ?? 30 * 60_000,
  });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`, { cause: r.error });
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr, ms: elapsed };
}

/** Run a command and fail with its stderr when it does not exit 0. */
export function runOk(cmd: string, args: readonly string[], opts: RunOptions = {}): RunResult {
  const r = run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${firstLines(r.stderr, 5)}`);
  return r;
}

/** `bin/bollard ARGS` under this Node (the version that runs the bench). */
export function bollard(args: readonly string[], opts: RunOptions = {}): RunResult {
  return run(process.execPath, [bollardBin, ...args], opts);
}

/**
 * Fail clearly when the CLI or the command a bench needs is not there yet, instead of timing an
 * error message.
 */
export function requireBollard(command: string): void {
  if (!existsSync(bollardBin)) throw new Error(`bench needs ${bollardBin}, which does not exist yet`);
  // `bollard X --help` shows the top-level help for an unknown X; `help X` refuses it.
  const r = bollard(['help', command]);
  if (r.code !== 0 || !r.stdout.startsWith(`Usage: bollard ${command} `)) {
    const why =
      `${r.stderr}\n${r.stdout}`.split('\n').find((l) => /error/i.test(l)) ??
      `"bollard help ${command}" exited ${r.code}`;
    throw new Error(`bench needs "bollard ${command}", which is not available yet: ${why.trim()}`);
  }
}

export interface Timing {
  samples: number[];
  median: number;
  min: number;
  max: number;
}

/**
 * hyperfine-style: `warmup` untimed runs, then `runs` timed runs of a fresh process each; every run
 * must exit 0. `before` runs untimed before each run (e.g. to empty a cache).
 */
export function timeRuns(
  cmd: string,
  args: readonly string[],
  opts: RunOptions & { runs: number; warmup?: number; before?: () => void },
): Timing {
  for (let i = 0; i < (opts.warmup ?? 0); i++) {
    opts.before?.();
    runOk(cmd, args, opts);
  }
  const samples: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    opts.before?.();
    samples.push(runOk(cmd, args, opts).ms);
  }
  return summarise(samples);
}

export function summarise(samples: readonly number[]): Timing {
  if (samples.length === 0) throw new Error('no samples');
  return { samples: [...samples], median: median(samples), min: Math.min(...samples), max: Math.max(...samples) };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export interface PeakResult extends RunResult {
  /** Peak resident set size of the command (its largest process), in bytes. */
  maxRssBytes: number;
  /** User + system CPU time of the command and the children it waited for, in ms. */
  cpuMs: number;
}

/** Run under `/usr/bin/time -v` (Debian package `time`) and read "Maximum resident set size". */
export function runWithPeakRss(cmd: string, args: readonly string[], opts: RunOptions = {}): PeakResult {
  if (!existsSync('/usr/bin/time')) throw new Error('/usr/bin/time is missing (apt-get install time)');
  const r = run('/usr/bin/time', ['-v', cmd, ...args], opts);
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no peak RSS in the output of /usr/bin/time: ${firstLines(r.stderr, 3)}`);
  const user = /User time \(seconds\): ([\d.]+)/.exec(r.stderr);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(r.stderr);
  return { ...r, maxRssBytes: Number(m[1]) * 1024, cpuMs: (Number(user?.[1] ?? 0) + Number(sys?.[1] ?? 0)) * 1000 };
}

/**
 * The OS packages of a CycloneDX document as `type/name@[epoch:]version` (from each component's
 * purl, so both tools are read the same way: the epoch is a qualifier in deb and rpm purls).
 */
export function cdxOsPackages(bom: unknown): Set<string> {
  const out = new Set<string>();
  const components = (bom as { components?: unknown } | null)?.components;
  if (!Array.isArray(components)) return out;
  for (const c of components as { purl?: unknown }[]) {
    if (typeof c?.purl !== 'string') continue;
    const key = osPackageKey(c.purl);
    if (key) out.add(key);
  }
  return out;
}

/** `pkg:deb/debian/bsdutils@2.38.1-5%2Bdeb12u3?arch=amd64&epoch=1` → `deb/bsdutils@1:2.38.1-5+deb12u3`. */
export function osPackageKey(purl: string): string | undefined {
  const m = /^pkg:(deb|rpm|apk)\/(?:[^/@?#]+\/)?([^/@?#]+)@([^?#]+)(?:\?([^#]*))?/.exec(purl);
  if (!m) return undefined;
  const [, type, name, version, query] = m;
  if (!type || !name || !version) return undefined;
  const epoch = new URLSearchParams(query ?? '').get('epoch');
  const v = decodeURIComponent(version);
  return `${type}/${decodeURIComponent(name)}@${epoch && epoch !== '0' && !v.includes(':') ? `${epoch}:` : ''}${v}`;
}

export interface SetComparison {
  common: number;
  onlyA: string[];
  onlyB: string[];
}

export function compareSets(a: ReadonlySet<string>, b: ReadonlySet<string>): SetComparison {
  const onlyA = [...a].filter((x) => !b.has(x)).sort();
  const onlyB = [...b].filter((x) => !a.has(x)).sort();
  return { common: a.size - onlyA.length, onlyA, onlyB };
}

/** One measured figure, printed as a line and saved to bench/out/<name>.json for bench/run.ts. */
export interface Figure {
  name: string;
  /** One line a person reads. */
  summary: string;
  /** The ratio against the peer or the physical limit measured in the same run. */
  ratio: number;
  /** What the ratio is compared with, e.g. "<= 0.25", when there is a target. */
  target?: string;
  /** Whether the target was met (absent when there is none). */
  pass?: boolean;
  details: Record<string, unknown>;
}

export function reportFigure(f: Figure): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, `${f.name}.json`),
    `${JSON.stringify({ ...f, measuredAt: new Date().toISOString(), node: process.version }, null, 2)}\n`,
  );
  const verdict = f.pass === undefined ? '' : f.pass ? `  [meets ${f.target}]` : `  [MISSES ${f.target}]`;
  console.log(`FIGURE ${f.name}: ${f.summary}${verdict}`);
}

export function ms(x: number): string {
  return x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`;
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function firstLines(s: string, n: number): string {
  return s.trim().split('\n').slice(0, n).join(' | ');
}

/** A positive integer from the environment, or the default. */
export function envInt(name: string, dflt: number): number {
  const v = process.env[name];
  return v && /^[1-9][0-9]*$/.test(v) ? Number(v) : dflt;
}

/** Run a bench's main function: print the error on one line and exit 1 instead of a stack trace. */
export async function main(f: () => Promise<void> | void): Promise<void> {
  try {
    await f();
  } catch (e) {
    console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}

/** The test environment of `scripts/test-env.sh up`, or a clear error naming the command to run. */
export function requireTestEnv(): TestEnv {
  try {
    return testEnv();
  } catch (e) {
    throw new Error(e instanceof Error ? e.message : String(e), { cause: e });
  }
}

/** The debootstrap root: from env.json when there is one, else the default state directory. */
export function debootstrapRoot(): string {
  if (existsSync(TEST_ENV_FILE)) return testEnv().rootfs;
  return '/var/lib/bollard-test/rootfs-bookworm';
}
