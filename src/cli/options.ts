import { type Command, Option } from 'commander';
import type { InventoryOptions } from '../scan/service.ts';
import { BollardError } from '../util/errors.ts';
import { defaultLimits, type Limits } from '../util/limits.ts';
import { createLogger, type LogFormat, type Logger, type LogLevel } from '../util/logger.ts';
import { type Progress, silentProgress } from '../util/progress.ts';
import { createTerminalProgress } from './progress.ts';

/** Flags shared by every command that reads a target (Trivy's names where Trivy has one). */
export interface TargetFlags {
  platform?: string;
  insecure?: boolean;
  username?: string;
  password?: string;
  registryToken?: string;
  dockerHost?: string;
  cacheDir?: string;
  cache: boolean;
  limit: string[];
  timeout: string;
  quiet?: boolean;
  debug?: boolean;
  logFormat: string;
}

export function addTargetOptions(cmd: Command): Command {
  return cmd
    .option('--platform <os/arch[/variant]>', 'platform to pick from a multi-platform image (default: this machine)')
    .option('--insecure', 'allow plain HTTP and unverified TLS for registries that are not on loopback')
    .addOption(new Option('--username <name>', 'registry user name').env('BOLLARD_USERNAME'))
    .addOption(new Option('--password <secret>', 'registry password').env('BOLLARD_REGISTRY_PASSWORD'))
    .addOption(new Option('--registry-token <token>', 'registry bearer token').env('BOLLARD_REGISTRY_TOKEN'))
    .addOption(
      new Option('--docker-host <url>', 'container engine API (unix:///path.sock or tcp://host:port)').env(
        'DOCKER_HOST',
      ),
    )
    .addOption(new Option('--cache-dir <dir>', 'cache directory (default: ~/.cache/bollard)').env('BOLLARD_CACHE_DIR'))
    .option('--no-cache', 'do not read or write the layer cache')
    .option(
      '--limit <name=value>',
      'override a safety limit, e.g. maxFileBytes=512MiB (repeatable; see docs/limits.md)',
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .option('--timeout <duration>', 'give up after this long (e.g. 90s, 5m, 1h)', '10m')
    .option('-q, --quiet', 'no progress and no warnings on stderr')
    .option('--debug', 'debug logging on stderr')
    .addOption(new Option('--log-format <format>', 'log format on stderr').choices(['text', 'json']).default('text'));
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gib: 1024 ** 3,
  t: 1e12,
  tb: 1e12,
  tib: 1024 ** 4,
};
const TIME_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `--limit maxFileBytes=512MiB` or `--limit max-file-bytes=536870912`; timeouts accept `30s`. */
export function parseLimitOverrides(specs: readonly string[]): Partial<Limits> {
  const out: Partial<Limits> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new BollardError('USAGE', `--limit expects name=value, got "${spec}"`);
    const rawName = spec.slice(0, eq).trim();
    const name = rawName.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof Limits;
    if (!(name in defaultLimits)) {
      throw new BollardError('USAGE', `unknown limit "${rawName}" (known: ${Object.keys(defaultLimits).join(', ')})`);
    }
    const value = spec.slice(eq + 1).trim();
    const n = name.endsWith('Ms') ? parseDuration(value) : parseSize(value);
    if (n === undefined || n < 0) throw new BollardError('USAGE', `limit ${rawName}: "${value}" is not a valid amount`);
    out[name] = n;
  }
  return out;
}

export function parseSize(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(s.trim());
  if (!m) return undefined;
  const unit = SIZE_UNITS[(m[2] ?? '').toLowerCase()];
  return unit === undefined ? undefined : Math.round(Number(m[1]) * unit);
}

export function parseDuration(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(s.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (TIME_UNITS[m[2] ?? 's'] ?? 1000));
}

export interface CommandContext {
  logger: Logger;
  progress: Progress;
  signal: AbortSignal;
  inventoryOptions: InventoryOptions;
  /** Stop drawing progress (before writing the final output). */
  dispose(): void;
}

/** Turn parsed flags into service options, a logger and (on a TTY) a progress display. */
export function commandContext(flags: TargetFlags): CommandContext {
  const level: LogLevel = flags.debug ? 'debug' : flags.quiet ? 'error' : 'warn';
  const logger = createLogger({ level, format: flags.logFormat === 'json' ? 'json' : ('text' satisfies LogFormat) });
  const interactive = !flags.quiet && process.stderr.isTTY === true && flags.logFormat !== 'json' && !process.env.CI;
  const terminal = interactive ? createTerminalProgress() : undefined;
  const timeoutMs = parseDuration(flags.timeout);
  if (timeoutMs === undefined || timeoutMs <= 0)
    throw new BollardError('USAGE', `--timeout: "${flags.timeout}" is not a duration`);
  const signal = AbortSignal.timeout(timeoutMs);
  const registry: NonNullable<InventoryOptions['registry']> = {};
  if (flags.insecure) registry.insecure = true;
  if (flags.username !== undefined) registry.username = flags.username;
  if (flags.password !== undefined) registry.password = flags.password;
  if (flags.registryToken !== undefined) registry.registryToken = flags.registryToken;
  const inventoryOptions: InventoryOptions = {
    limits: parseLimitOverrides(flags.limit),
    cacheDir: flags.cache === false ? false : (flags.cacheDir ?? undefined),
    logger,
    progress: terminal ?? silentProgress,
    registry,
    signal,
    ...(flags.platform ? { platform: flags.platform } : {}),
    ...(flags.dockerHost ? { daemon: { host: flags.dockerHost } } : {}),
  };
  if (inventoryOptions.cacheDir === undefined) delete inventoryOptions.cacheDir;
  return { logger, progress: terminal ?? silentProgress, signal, inventoryOptions, dispose: () => terminal?.stop() };
}
