import { Command, Option } from 'commander';
import { SEVERITIES, type Severity } from '../detect/types.ts';
import { summarise } from '../misconfig/findings.ts';
import { parsePssSpec } from '../misconfig/kubernetes/pss/index.ts';
import { checkConfigPaths } from '../misconfig/service.ts';
import { findReportWriter, reportFormatNames } from '../report/api.ts';
import type { Report } from '../report/types.ts';
import { BollardError } from '../util/errors.ts';
import { VERSION } from '../version.ts';
import { requestExitCode } from './exit.ts';
import { writeOutput } from './output.ts';

/** `bollard config PATH...`: Dockerfiles and Kubernetes manifests checked before they ship. */
interface ConfigFlags {
  format: string;
  output?: string;
  severity?: string;
  exitCode: string;
  pss: string;
  policy: string[];
  untrusted: string[];
  hadolintConfig?: string;
  enable: string[];
  quiet?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function configCommand(): Command {
  return new Command('config')
    .description(
      'check Dockerfiles and Kubernetes manifests (YAML/JSON, Helm/kustomize output, cluster dumps) for misconfigurations',
    )
    .argument(
      '<paths...>',
      'files or directories (Dockerfile*, Containerfile*, *.yaml, *.yml, *.json); - reads manifests from stdin',
    )
    .addOption(new Option('-f, --format <format>', `report format: ${reportFormatNames().join(', ')}`).default('table'))
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('-s, --severity <list>', 'severities to report, comma-separated (default: all)')
    .option('--exit-code <n>', 'exit with this code when a failed check is reported', '0')
    .option(
      '--pss <level[@version]>',
      'Pod Security Standards level and policy version (baseline|restricted, @v1.N or @latest)',
      'restricted@latest',
    )
    .option('--policy <file>', 'custom CEL policy file (repeatable)', collect, [])
    .option(
      '--untrusted <selector>',
      'mark workloads untrusted: ns/name, ns/* or label=value (repeatable)',
      collect,
      [],
    )
    .option(
      '--hadolint-config <file>',
      '.hadolint.yaml to use (default: next to each Dockerfile, else in the working directory)',
    )
    .option('--enable <id>', 'run an opt-in check (repeatable; Bollard id or DL code)', collect, [])
    .option('-q, --quiet', 'no warnings on stderr')
    .action(async (paths: string[], flags: ConfigFlags) => {
      const writer = findReportWriter(flags.format);
      if (!writer)
        throw new BollardError('USAGE', `unknown format "${flags.format}" (use ${reportFormatNames().join(', ')})`);
      const exitCode = Number(flags.exitCode);
      if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255)
        throw new BollardError('USAGE', `--exit-code: "${flags.exitCode}" is not a number from 0 to 255`);
      const severities = flags.severity ? parseSeverityList(flags.severity) : [...SEVERITIES];
      const pss = parsePssSpec(flags.pss);
      const scan = await checkConfigPaths(paths, {
        pss,
        policies: flags.policy,
        untrusted: flags.untrusted,
        enable: flags.enable,
        ...(flags.hadolintConfig ? { hadolintConfig: flags.hadolintConfig } : {}),
      });
      // Failed findings of unreported severities are dropped; passed/skipped stay as coverage.
      for (const r of scan.results)
        r.misconfigurations = (r.misconfigurations ?? []).filter(
          (f) => f.status !== 'failed' || severities.includes(f.severity),
        );
      const all = scan.results.flatMap((r) => r.misconfigurations ?? []);
      const report: Report = {
        schemaVersion: '1.0',
        tool: { name: 'bollard', version: VERSION },
        createdAt: new Date().toISOString(),
        // There is no image: the target is the set of paths checked.
        target: { kind: 'filesystem', input: paths.join(' '), name: paths.join(' '), path: paths[0] ?? '.' },
        results: scan.results,
        unmatched: [],
        expiredIgnores: [],
        coverage: scan.coverage,
        warnings: scan.warnings,
        summary: summarise(all),
        filters: { severities, ignoreUnfixed: false, vex: [] },
      };
      if (!flags.quiet)
        for (const w of scan.warnings)
          process.stderr.write(`bollard: warning: ${w.message} (${w.count}; e.g. ${w.sample ?? '-'})\n`);
      const toTerminal = !flags.output && process.stdout.isTTY === true;
      const color = toTerminal && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
      const width = toTerminal ? process.stdout.columns : undefined;
      await writeOutput(writer.write(report, { color, ...(width ? { width } : {}) }), flags.output);
      const threshold = scan.failureThreshold;
      const counted = all.filter(
        (f) =>
          f.status === 'failed' &&
          !f.suppressed &&
          (threshold === undefined ||
            (threshold !== 'none' && SEVERITIES.indexOf(f.severity) <= SEVERITIES.indexOf(threshold))),
      );
      if (exitCode !== 0 && counted.length > 0) requestExitCode(exitCode);
    });
}

function parseSeverityList(s: string): Severity[] {
  const out: Severity[] = [];
  for (const part of s.split(',')) {
    const p = part.trim().toUpperCase();
    if (!SEVERITIES.includes(p as Severity))
      throw new BollardError('USAGE', `--severity: unknown severity "${part}" (use ${SEVERITIES.join(', ')})`);
    out.push(p as Severity);
  }
  return out;
}
