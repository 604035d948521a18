import { readFileSync, statSync } from 'node:fs';
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { formatManifestError, type ManifestError } from '../k8s/manifests.ts';
import {
  computeMatrix,
  diffAgainstExisting,
  explainPair,
  type Focus,
  findEndpoint,
  generatePolicies,
  lintModel,
  loadModel,
  MATRIX_FORMATS,
  type MatrixFormat,
  parseFlows,
  writeExplanation,
  writeLint,
  writeMatrix,
} from '../netpol/index.ts';
import type { LintFinding } from '../netpol/lint.ts';
import { formatPorts, isProtocol } from '../netpol/ports.ts';
import { BollardError } from '../util/errors.ts';
import { writeOutput } from './output.ts';

/** `bollard netpol matrix|explain|lint|generate`: what Kubernetes NetworkPolicies really allow. */
interface CommonFlags {
  namespace: string;
  output?: string;
  quiet?: boolean;
}

function common(cmd: Command): Command {
  return cmd
    .option('-n, --namespace <ns>', 'namespace of objects that name none', 'default')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('-q, --quiet', 'do not print input problems on stderr');
}

function focusOf(flags: { port?: string; protocol?: string }): Focus | undefined {
  const f: Focus = {};
  if (flags.port !== undefined) {
    if (!/^\d+$/.test(flags.port) || Number(flags.port) < 1 || Number(flags.port) > 65535)
      throw new BollardError('USAGE', `--port: "${flags.port}" is not a port number`);
    f.port = Number(flags.port);
  }
  if (flags.protocol !== undefined) {
    const p = flags.protocol.toUpperCase();
    if (!isProtocol(p)) throw new BollardError('USAGE', `--protocol: "${flags.protocol}" is not TCP, UDP or SCTP`);
    f.protocol = p;
  }
  return f.port === undefined && f.protocol === undefined ? undefined : f;
}

function report(errors: readonly ManifestError[], quiet: boolean | undefined): void {
  if (quiet) return;
  for (const e of errors) process.stderr.write(`bollard: warning: ${formatManifestError(e)}\n`);
}

const SEVERITIES = ['info', 'low', 'medium', 'high'] as const;

export function netpolCommand(): Command {
  const cmd = new Command('netpol').description(
    'Kubernetes NetworkPolicy analysis: who can reach whom, why, and the least-privilege policies',
  );

  common(
    cmd
      .command('matrix')
      .description('connectivity between all workloads and external address blocks')
      .argument('<paths...>', 'manifests, directories, kubectl -o yaml/json dumps (- for stdin)')
      .addOption(new Option('-f, --format <format>', 'output format').choices([...MATRIX_FORMATS]).default('table'))
      .option('--port <port>', 'only this port')
      .option('--protocol <protocol>', 'only this protocol (TCP, UDP, SCTP)')
      .option('--no-external', 'leave external address blocks out'),
  ).action(
    async (
      paths: string[],
      flags: CommonFlags & { format: MatrixFormat; port?: string; protocol?: string; external: boolean },
    ) => {
      const { model, errors } = await loadModel(paths, { defaultNamespace: flags.namespace });
      report(errors, flags.quiet);
      const m = computeMatrix(model, focusOf(flags));
      const view = flags.external ? m : { ...m, endpoints: m.endpoints.filter((e) => e.type === 'workload') };
      await writeOutput(writeMatrix(view, flags.format, errors), flags.output);
    },
  );

  common(
    cmd
      .command('explain')
      .description('which policies allow or deny a connection, rule by rule')
      .argument('<paths...>', 'manifests, directories, kubectl dumps')
      .requiredOption('--from <ns/name>', 'source workload (ns/name) or IP address')
      .requiredOption('--to <ns/name>', 'destination workload (ns/name) or IP address')
      .option('--port <port>', 'only this port')
      .option('--protocol <protocol>', 'only this protocol (TCP, UDP, SCTP)')
      .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text')),
  ).action(
    async (
      paths: string[],
      flags: CommonFlags & { from: string; to: string; port?: string; protocol?: string; format: 'text' | 'json' },
    ) => {
      const { model, errors } = await loadModel(paths, { defaultNamespace: flags.namespace });
      report(errors, flags.quiet);
      const from = findEndpoint(model, flags.from);
      const to = findEndpoint(model, flags.to);
      if (!from) throw new BollardError('USAGE', `--from: no workload or address "${flags.from}" in the input`);
      if (!to) throw new BollardError('USAGE', `--to: no workload or address "${flags.to}" in the input`);
      await writeOutput(writeExplanation(explainPair(model, from, to, focusOf(flags)), flags.format), flags.output);
    },
  );

  common(
    cmd
      .command('lint')
      .description('default-deny gaps, dead selectors and ports, allow-all rules, internet exposure')
      .argument('<paths...>', 'manifests, directories, kubectl dumps')
      .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
      .addOption(
        new Option('--fail-on <severity>', 'exit 1 when a finding is at least this severe').choices([...SEVERITIES]),
      ),
  ).action(
    async (
      paths: string[],
      flags: CommonFlags & { format: 'table' | 'json'; failOn?: (typeof SEVERITIES)[number] },
    ) => {
      const { model, errors } = await loadModel(paths, { defaultNamespace: flags.namespace });
      const findings: LintFinding[] = lintModel(model, computeMatrix(model));
      await writeOutput(writeLint(findings, errors, flags.format), flags.output);
      if (flags.failOn) {
        const min = SEVERITIES.indexOf(flags.failOn);
        const worst = findings.filter((f) => SEVERITIES.indexOf(f.severity) >= min);
        if (worst.length > 0)
          throw new BollardError('INPUT_INVALID', `${worst.length} finding(s) at or above ${flags.failOn}`);
      }
    },
  );

  common(
    cmd
      .command('generate')
      .description('least-privilege NetworkPolicies from observed flows, with a diff against existing policies')
      .argument('<paths...>', 'manifests, directories, kubectl dumps')
      .requiredOption('--flows <file>', 'observed connections, JSON lines {src, dst, port, protocol}')
      .addOption(new Option('-f, --format <format>', 'output format').choices(['yaml', 'json']).default('yaml')),
  ).action(async (paths: string[], flags: CommonFlags & { flows: string; format: 'yaml' | 'json' }) => {
    const { model, errors } = await loadModel(paths, { defaultNamespace: flags.namespace });
    report(errors, flags.quiet);
    let text: string;
    try {
      const size = statSync(flags.flows).size;
      if (size > 256 * 1024 * 1024) throw new BollardError('LIMIT_EXCEEDED', `${flags.flows} is over 256 MiB`);
      text = readFileSync(flags.flows, 'utf8');
    } catch (e) {
      if (e instanceof BollardError) throw e;
      throw new BollardError('TARGET_NOT_FOUND', `cannot read --flows ${flags.flows}: ${(e as Error).message}`);
    }
    const flowErrors: string[] = [];
    const flows = parseFlows(text, (e) => flowErrors.push(`${flags.flows}:${e.line}: ${e.message}`));
    if (!flags.quiet) for (const e of flowErrors) process.stderr.write(`bollard: warning: ${e}\n`);
    const gen = generatePolicies(model, flows);
    const diff = diffAgainstExisting(model, gen);
    if (flags.format === 'json') {
      await writeOutput(
        `${JSON.stringify(
          {
            policies: gen.policies,
            diff: diff.map((d) => ({
              from: d.from,
              to: d.to,
              observed: formatPorts(d.observed),
              existing: formatPorts(d.existing),
              unused: formatPorts(d.unused),
              blocked: formatPorts(d.blocked),
            })),
            unresolved: gen.unresolved.map((u) => ({
              line: u.flow.line,
              src: u.flow.src,
              dst: u.flow.dst,
              reason: u.reason,
            })),
            warnings: gen.warnings,
            errors: [...errors.map(formatManifestError), ...flowErrors],
          },
          null,
          2,
        )}\n`,
        flags.output,
      );
      return;
    }
    const head = [
      `# Generated by bollard netpol generate from ${flows.length} flow(s); ${gen.policies.length} polic${gen.policies.length === 1 ? 'y' : 'ies'}.`,
      ...gen.warnings.map((w) => `# warning: ${w}`),
      ...gen.unresolved.map(
        (u) => `# unresolved flow (line ${u.flow.line}): ${u.flow.src} -> ${u.flow.dst}: ${u.reason}`,
      ),
      '# Diff against the policies already present:',
      ...(diff.length === 0 ? ['#   none: they allow exactly the observed flows'] : []),
      ...diff.map(
        (d) =>
          `#   ${d.from} -> ${d.to}: observed ${formatPorts(d.observed)}; existing allows ${formatPorts(d.existing)}${formatPorts(d.unused) !== 'none' ? `; unused ${formatPorts(d.unused)}` : ''}${formatPorts(d.blocked) !== 'none' ? `; BLOCKED ${formatPorts(d.blocked)}` : ''}`,
      ),
    ];
    const docs = gen.policies.map((p) => stringify(p, { lineWidth: 0 }));
    await writeOutput(`${head.join('\n')}\n${docs.map((d) => `---\n${d}`).join('')}`, flags.output);
  });
  return cmd;
}
