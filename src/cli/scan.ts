import { statSync } from 'node:fs';
import { Command, Option } from 'commander';
import { readSbomTarget } from '../artifact/sbom/index.ts';
import type { FilterOptions } from '../detect/filters/apply.ts';
import { loadIgnoreFile } from '../detect/filters/ignorefile/index.ts';
import { parseSeverities } from '../detect/filters/severity.ts';
import { loadVex } from '../detect/filters/vex/index.ts';
import { checkImageConfig } from '../misconfig/image-config/index.ts';
import { findReportWriter, reportFormatNames } from '../report/api.ts';
import { prepareExtraScans } from '../scan/extras.ts';
import { inventoryTarget } from '../scan/service.ts';
import type { InventoryResult } from '../scan/types.ts';
import { countFailing, vulnerabilityReport } from '../scan/vuln.ts';
import { BollardError } from '../util/errors.ts';
import { resolveDbPath } from '../vulndb/paths.ts';
import { openVulnDb } from '../vulndb/query.ts';
import { requestExitCode } from './exit.ts';
import { addTargetOptions, commandContext, type TargetFlags } from './options.ts';
import { writeOutput } from './output.ts';

/** Flags of every vulnerability scan (Trivy's names). */
export interface ScanFlags extends TargetFlags {
  db?: string;
  format: string;
  output?: string;
  severity?: string;
  ignoreUnfixed?: boolean;
  ignorefile: string;
  vex: string[];
  exitCode: string;
  scanners: string;
  secretConfig?: string;
  licensePolicy?: string;
}

/** Scanners of `--scanners` (Trivy's names). */
export const SCANNERS = ['vuln', 'config', 'secret', 'license'] as const;

export function addScanOptions(cmd: Command): Command {
  return addTargetOptions(
    cmd
      .addOption(
        new Option('--db <file>', 'vulnerability database (default: <cache dir>/db/bollard.db)').env('BOLLARD_DB'),
      )
      .addOption(
        new Option('-f, --format <format>', `report format: ${reportFormatNames().join(', ')}`).default('table'),
      )
      .option('-o, --output <file>', 'write to a file instead of stdout')
      .option('-s, --severity <list>', 'severities to report, comma-separated (default: all)')
      .option('--ignore-unfixed', 'drop findings that have no fixed version yet')
      .option('--ignorefile <file>', 'ignore file (YAML .bollardignore or .trivyignore lines)', '.bollardignore')
      .option(
        '--vex <file>',
        'OpenVEX or CycloneDX VEX document (repeatable)',
        (v: string, p: string[]) => [...p, v],
        [],
      )
      .option('--exit-code <n>', 'exit with this status when findings remain after filtering', '0')
      .option(
        '--scanners <list>',
        'what to check: vuln, config (the image configuration: user, HEALTHCHECK...), secret (files of every layer, ENV, LABEL, history), license',
        'vuln,config,secret',
      )
      .option('--secret-config <file>', 'custom secret rules, allow-lists and disabled rules (YAML, docs/secrets.md)')
      .option('--license-policy <file>', 'licence policy: forbidden, restricted, allowed (YAML, docs/licenses.md)'),
  );
}

/** `bollard image TARGET`: vulnerabilities of an image's OS and language packages. */
export function imageCommand(): Command {
  const cmd = new Command('image')
    .description('scan an image for vulnerable packages (any target of docs/targets.md)')
    .argument('<target>', 'image reference, archive, OCI layout or daemon image');
  return addScanOptions(cmd).action(async (target: string, flags: ScanFlags) => {
    await runScan(flags, (opts) => inventoryTarget(target, opts));
  });
}

/** `bollard rootfs DIR`: vulnerabilities of an unpacked root filesystem. */
export function rootfsCommand(): Command {
  const cmd = new Command('rootfs')
    .description('scan a root filesystem directory for vulnerable packages')
    .argument('<dir>', 'root filesystem directory');
  return addScanOptions(cmd).action(async (dir: string, flags: ScanFlags) => {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      throw new BollardError('TARGET_NOT_FOUND', `${dir}: no such directory`);
    }
    if (!isDir) throw new BollardError('USAGE', `${dir} is not a directory (use "bollard image" for archives)`);
    await runScan(flags, (opts) => inventoryTarget(`dir:${dir}`, opts));
  });
}

/** `bollard sbom-scan FILE`: vulnerabilities of the packages a CycloneDX or SPDX SBOM lists. */
export function sbomScanCommand(): Command {
  const cmd = new Command('sbom-scan')
    .description('scan the packages listed in a CycloneDX or SPDX SBOM (Bollard, Syft, Trivy...)')
    .argument('<file>', 'SBOM file (CycloneDX JSON, SPDX JSON or tag-value)');
  return addScanOptions(cmd).action(async (file: string, flags: ScanFlags) => {
    await runScan(flags, (opts) => readSbomTarget(file, opts.limits));
  });
}

export type Inventorize = (opts: ReturnType<typeof commandContext>['inventoryOptions']) => Promise<InventoryResult>;

export async function runScan(flags: ScanFlags, inventorize: Inventorize): Promise<void> {
  const writer = findReportWriter(flags.format);
  if (!writer) {
    throw new BollardError('USAGE', `unknown format "${flags.format}" (use ${reportFormatNames().join(', ')})`);
  }
  const exitCode = Number(flags.exitCode);
  if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) {
    throw new BollardError('USAGE', `--exit-code: "${flags.exitCode}" is not a number from 0 to 255`);
  }
  const scanners = new Set(
    flags.scanners
      .split(',')
      .map((x) => x.trim().toLowerCase())
      .filter(Boolean),
  );
  for (const sc of scanners) {
    if (!(SCANNERS as readonly string[]).includes(sc))
      throw new BollardError('USAGE', `--scanners: unknown scanner "${sc}" (use ${SCANNERS.join(', ')})`);
  }
  const filters: FilterOptions = {};
  if (flags.severity) filters.severities = parseSeverities(flags.severity);
  if (flags.ignoreUnfixed) filters.ignoreUnfixed = true;
  // The default ignore file is optional; one named explicitly must exist.
  const ignorePath = flags.ignorefile;
  const ignoreExplicit = ignorePath !== '.bollardignore';
  const ignore = loadIgnoreFile(ignorePath, { required: ignoreExplicit });
  if (ignore) filters.ignore = ignore;
  if (flags.vex.length > 0) filters.vex = flags.vex.map((p) => loadVex(p));
  // Open the database first: a scan without data must say so before doing any work.
  const db = scanners.has('vuln') ? openVulnDb(resolveDbPath(flags.db, flags.cacheDir)) : undefined;
  const extras = prepareExtraScans({
    secret: scanners.has('secret'),
    license: scanners.has('license'),
    ...(flags.secretConfig ? { secretConfig: flags.secretConfig } : {}),
    ...(flags.licensePolicy ? { licensePolicy: flags.licensePolicy } : {}),
  });
  const ctx = commandContext(flags);
  try {
    const inv = await inventorize({ ...ctx.inventoryOptions, analyzers: extras.analyzers });
    const report = vulnerabilityReport(inv, db, {
      filters,
      ...(ignore ? { ignoreFilePath: ignorePath } : {}),
      vexPaths: flags.vex,
    });
    if (!scanners.has('vuln'))
      report.results = report.results.filter((r) => r.class !== 'os-pkgs' && r.class !== 'lang-pkgs');
    // The image's own configuration (CIS Docker 4.x): runs as root, no HEALTHCHECK, secrets in ENV...
    // and its files' modes (setuid, world-writable, caches, sshd/sudo) from the file-modes analyzer.
    if (scanners.has('config') && inv.target.image) {
      const checked = checkImageConfig(inv, inv.target.image.config, inv.inventory.files);
      const wanted = new Set(report.filters.severities);
      checked.misconfigurations = checked.misconfigurations?.filter(
        (m) => m.status !== 'failed' || wanted.has(m.severity),
      );
      report.results.push(checked);
    }
    // Secrets of every layer and of the image config; licences of every package (#7).
    const extraFailing = extras.finish(inv, report);
    ctx.dispose();
    if (report.db?.stale) {
      ctx.logger.warn('the vulnerability database is stale: run "bollard db update"', { ageHours: report.db.ageHours });
    }
    const toTerminal = !flags.output && process.stdout.isTTY === true;
    const color = toTerminal && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
    const width = toTerminal ? process.stdout.columns : undefined;
    await writeOutput(writer.write(report, { inventory: inv, color, ...(width ? { width } : {}) }), flags.output);
    if (exitCode !== 0 && countFailing(report) + extraFailing > 0) requestExitCode(exitCode);
  } finally {
    ctx.dispose();
    db?.close();
  }
}
