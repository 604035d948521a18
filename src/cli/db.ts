import { Command, Option } from 'commander';
import { BollardError } from '../util/errors.ts';
import { resolveLimits } from '../util/limits.ts';
import { createLogger, type Logger } from '../util/logger.ts';
import { type Progress, silentProgress } from '../util/progress.ts';
import { buildVulnDb, type ImportResult, importFeeds } from '../vulndb/import.ts';
import { feedLimits } from '../vulndb/ingest/common.ts';
import { resolveDbPath } from '../vulndb/paths.ts';
import { DEFAULT_STALE_HOURS, dbStatus, formatStatus } from '../vulndb/status.ts';
import {
  DEFAULT_ECOSYSTEMS,
  DEFAULT_EPSS_URL,
  DEFAULT_KEV_URL,
  DEFAULT_OSV_URL,
  updateVulnDb,
} from '../vulndb/update.ts';
import { parseDuration, parseLimitOverrides } from './options.ts';
import { createTerminalProgress } from './progress.ts';

/** `bollard db update|import|status|build`: the vulnerability database (docs/db.md). */
interface CommonFlags {
  db?: string;
  cacheDir?: string;
  limit: string[];
  quiet?: boolean;
  debug?: boolean;
}

interface UpdateFlags extends CommonFlags {
  osvUrl: string;
  ecosystems?: string;
  kevUrl: string;
  epssUrl: string;
  kev: boolean;
  epss: boolean;
  insecure?: boolean;
  timeout: string;
}

interface ImportFlags extends CommonFlags {
  debianRelease: string;
}

function common(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--db <file>', 'vulnerability database (default: <cache dir>/db/bollard.db)').env('BOLLARD_DB'),
    )
    .addOption(new Option('--cache-dir <dir>', 'cache directory (default: ~/.cache/bollard)').env('BOLLARD_CACHE_DIR'))
    .option(
      '--limit <name=value>',
      'override a safety limit, e.g. maxJsonBytes=32MiB (repeatable; see docs/limits.md)',
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .option('-q, --quiet', 'no progress and no summary on stderr')
    .option('--debug', 'debug logging on stderr (every skipped record)');
}

function tools(flags: CommonFlags): { logger: Logger; progress: Progress; stop(): void } {
  const logger = createLogger({ level: flags.debug ? 'debug' : flags.quiet ? 'error' : 'warn' });
  const terminal =
    !flags.quiet && process.stderr.isTTY === true && !process.env.CI ? createTerminalProgress() : undefined;
  return { logger, progress: terminal ?? silentProgress, stop: () => terminal?.stop() };
}

function summary(r: ImportResult, quiet: boolean | undefined, target: string): void {
  if (quiet) return;
  for (const s of r.sources) {
    const skipped = Object.entries(s.skipped)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    process.stderr.write(`${s.id}: ${s.records} records${skipped ? ` (skipped: ${skipped})` : ''}\n`);
  }
  if (r.ignored.length > 0) process.stderr.write(`ignored ${r.ignored.length} files of no known feed format\n`);
  process.stderr.write(`wrote ${target}\n`);
}

function debianRelease(v: string): string {
  if (!/^\d{1,3}$/.test(v))
    throw new BollardError('USAGE', `--debian-release expects a release number such as 12, got "${v}"`);
  return v;
}

export function dbCommand(): Command {
  const cmd = new Command('db').description('download, import, build and inspect the vulnerability database');

  common(
    cmd
      .command('update')
      .description(
        "download OSV's per-ecosystem exports (then only what changed), the CISA KEV catalogue and EPSS scores",
      )
      .addOption(
        new Option('--osv-url <url>', "base URL laid out like OSV's bucket")
          .env('BOLLARD_OSV_URL')
          .default(DEFAULT_OSV_URL),
      )
      .option('--ecosystems <list>', `comma-separated OSV ecosystems (default: ${DEFAULT_ECOSYSTEMS.join(',')})`)
      .addOption(
        new Option('--kev-url <url>', 'KEV catalogue (JSON or CSV)').env('BOLLARD_KEV_URL').default(DEFAULT_KEV_URL),
      )
      .addOption(
        new Option('--epss-url <url>', 'EPSS scores (CSV or CSV.gz)').env('BOLLARD_EPSS_URL').default(DEFAULT_EPSS_URL),
      )
      .option('--no-kev', 'do not download the KEV catalogue')
      .option('--no-epss', 'do not download EPSS scores')
      .option('--insecure', 'allow plain HTTP and unverified TLS to hosts that are not on loopback')
      .option('--timeout <duration>', 'give up after this long (e.g. 90s, 5m, 1h)', '30m'),
  ).action(async (flags: UpdateFlags) => {
    const db = resolveDbPath(flags.db, flags.cacheDir);
    const limits = resolveLimits(parseLimitOverrides(flags.limit));
    const timeoutMs = parseDuration(flags.timeout);
    if (timeoutMs === undefined || timeoutMs <= 0)
      throw new BollardError('USAGE', `--timeout: "${flags.timeout}" is not a duration`);
    const ecosystems = flags.ecosystems
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (ecosystems && ecosystems.length === 0) throw new BollardError('USAGE', '--ecosystems names no ecosystem');
    const t = tools(flags);
    try {
      const r = await updateVulnDb(db, {
        osvUrl: flags.osvUrl,
        kevUrl: flags.kev ? flags.kevUrl : false,
        epssUrl: flags.epss ? flags.epssUrl : false,
        limits,
        feedLimits: feedLimits(limits),
        logger: t.logger,
        progress: t.progress,
        signal: AbortSignal.timeout(timeoutMs),
        insecure: flags.insecure === true,
        ...(ecosystems ? { ecosystems } : {}),
      });
      t.stop();
      if (!flags.quiet) {
        for (const s of r.steps) process.stderr.write(`osv:${s.ecosystem}: ${s.mode} (${s.records} records)\n`);
        process.stderr.write(`wrote ${db}\n`);
      }
    } finally {
      t.stop();
    }
  });

  common(
    cmd
      .command('import')
      .description(
        'add feeds from disk (OSV zips/dirs/records, Debian tracker JSON, Alpine secdb, KEV, EPSS, security-support lists)',
      )
      .argument('<path...>', 'feed files or directories')
      .option('--debian-release <n>', 'Debian release that security-support-limited describes', '12'),
  ).action(async (paths: string[], flags: ImportFlags) => {
    const db = resolveDbPath(flags.db, flags.cacheDir);
    const t = tools(flags);
    try {
      const r = await importFeeds(db, paths, {
        limits: feedLimits(resolveLimits(parseLimitOverrides(flags.limit))),
        logger: t.logger,
        progress: t.progress,
        supportRelease: debianRelease(flags.debianRelease),
      });
      t.stop();
      summary(r, flags.quiet, db);
    } finally {
      t.stop();
    }
  });

  common(
    cmd
      .command('build')
      .description('build a new database file from feeds on disk, for use elsewhere with --db FILE')
      .requiredOption('-o, --out <file>', 'database file to write (replaced atomically)')
      .argument('<path...>', 'feed files or directories')
      .option('--debian-release <n>', 'Debian release that security-support-limited describes', '12'),
  ).action(async (paths: string[], flags: ImportFlags & { out: string }) => {
    const t = tools(flags);
    try {
      const r = await buildVulnDb(flags.out, paths, {
        limits: feedLimits(resolveLimits(parseLimitOverrides(flags.limit))),
        logger: t.logger,
        progress: t.progress,
        supportRelease: debianRelease(flags.debianRelease),
      });
      t.stop();
      summary(r, flags.quiet, flags.out);
    } finally {
      t.stop();
    }
  });

  common(
    cmd
      .command('status')
      .description('show the database age, sources and counts; warns when it is stale')
      .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
      .option(
        '--stale-after <duration>',
        `age after which the data is stale (default ${DEFAULT_STALE_HOURS}h)`,
        `${DEFAULT_STALE_HOURS}h`,
      ),
  ).action((flags: CommonFlags & { format: string; staleAfter: string }) => {
    const ms = parseDuration(flags.staleAfter);
    if (ms === undefined || ms <= 0)
      throw new BollardError('USAGE', `--stale-after: "${flags.staleAfter}" is not a duration`);
    const s = dbStatus(resolveDbPath(flags.db, flags.cacheDir), { staleAfterHours: ms / 3_600_000 });
    process.stdout.write(flags.format === 'json' ? `${JSON.stringify(s, null, 2)}\n` : formatStatus(s));
    if (s.stale && !flags.quiet && flags.format !== 'json') {
      process.stderr.write(
        `warning: the vulnerability database is ${Math.round(s.ageHours)} h old: run "bollard db update"\n`,
      );
    }
  });
  return cmd;
}
