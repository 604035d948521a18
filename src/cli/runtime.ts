import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import type { EngineApi } from '../runtime/enrich/engine-api.ts';
import { fieldsFor } from '../runtime/events/fields.ts';
import type { EventSourceName } from '../runtime/events/types.ts';
import {
  type AlertSink,
  createGate,
  fileSink,
  type OutputFormat,
  streamSink,
  webhookSink,
} from '../runtime/outputs/index.ts';
import { createResponder, type Responder, type ResponderAction } from '../runtime/responders/index.ts';
import { createEngine, type Engine } from '../runtime/rules/engine.ts';
import { parsePriority, type RulesFileInput } from '../runtime/rules/loader.ts';
import { upstreamRules } from '../runtime/rules/upstream.ts';
import { lostEventsAlert, type RuntimeMetrics, type RuntimeRun, startRuntime } from '../runtime/service.ts';
import { auditLogSource, auditWebhookSource } from '../runtime/sources/k8s-audit/index.ts';
import { replaySource } from '../runtime/sources/replay/index.ts';
import type { EventSource } from '../runtime/sources/types.ts';
import { BollardError } from '../util/errors.ts';
import { createLogger, type Logger } from '../util/logger.ts';
import { formatTable, writeOutput } from './output.ts';

/**
 * `bollard runtime`: the sensor (eBPF through bpftrace, or the Kubernetes audit source), plus
 * `runtime replay FILE` and `runtime rules`. Flags shared with replay follow Falco's: `--rules`
 * (repeatable, in order like `-r`), `--source`, `--format`, `--output`, `--min-priority`.
 */
interface SharedFlags {
  rules: string[];
  source: string;
  format: string;
  output?: string;
  minPriority?: string;
  ruleMatching: string;
  webhook?: string;
  rate?: string;
  burst?: string;
  dedupWindow?: string;
  quiet?: boolean;
  debug?: boolean;
  logFormat: string;
}

interface SensorFlags extends SharedFlags {
  dockerHost?: string;
  k8sAuditFile?: string;
  k8sAuditListen?: string;
  respond: string[];
  dryRun?: boolean;
  duration?: string;
  metricsFile?: string;
  record?: string;
  sensitivePath: string[];
  bpftrace: string;
  perfPages: string;
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function addShared(cmd: Command): Command {
  return cmd
    .option(
      '-r, --rules <file>',
      'a Falco rules file (repeatable, applied in order; default: the upstream rules of --source)',
      collect,
      [],
    )
    .addOption(new Option('--source <source>', 'event source').choices(['syscall', 'k8s_audit']).default('syscall'))
    .addOption(
      new Option('-f, --format <format>', 'alert format (json: Falco JSON lines)')
        .choices(['json', 'text'])
        .default('json'),
    )
    .option('-o, --output <file>', 'append alerts to a file instead of stdout')
    .option('--min-priority <priority>', 'ignore rules below this priority (emergency ... debug)')
    .addOption(
      new Option(
        '--rule-matching <mode>',
        'first: only the first matching rule fires per event (Falco default); all: every one',
      )
        .choices(['first', 'all'])
        .default('first'),
    )
    .option('--webhook <url>', 'also POST each alert as Falco JSON to this URL (falcosidekick: http://HOST:2801/)')
    .option('--rate <n>', 'at most N alerts per second on average (token bucket; default unlimited)')
    .option('--burst <n>', 'token bucket size for --rate (default: the rate)')
    .option('--dedup-window <ms>', 'suppress identical alerts (same rule and output) within this many milliseconds')
    .option('-q, --quiet', 'no summary on stderr')
    .option('--debug', 'debug logging on stderr')
    .addOption(new Option('--log-format <format>', 'log format on stderr').choices(['text', 'json']).default('text'));
}

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-9]+$/.test(v) || Number(v) <= 0)
    throw new BollardError('USAGE', `${flag} must be a positive integer, got "${v}"`);
  return Number(v);
}

function readRules(flags: SharedFlags, source: EventSourceName | 'both'): RulesFileInput[] {
  if (flags.rules.length === 0) {
    if (source === 'both') return [upstreamRules('falco_rules.yaml'), upstreamRules('k8s_audit_rules.yaml')];
    return [upstreamRules(source === 'syscall' ? 'falco_rules.yaml' : 'k8s_audit_rules.yaml')];
  }
  return flags.rules.map((path) => {
    try {
      return { path, text: readFileSync(path) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'TARGET_NOT_FOUND' : 'IO';
      throw new BollardError(code, `cannot read rules file ${path}: ${(e as Error).message}`);
    }
  });
}

function buildEngine(flags: SharedFlags, source: EventSourceName | 'both'): Engine {
  let minPriority: ReturnType<typeof parsePriority>;
  if (flags.minPriority !== undefined) {
    minPriority = parsePriority(flags.minPriority);
    if (!minPriority) throw new BollardError('USAGE', `unknown priority "${flags.minPriority}" for --min-priority`);
  }
  return createEngine(readRules(flags, source), {
    ...(minPriority ? { minPriority } : {}),
    ruleMatching: flags.ruleMatching === 'all' ? 'all' : 'first',
  });
}

function buildSinks(flags: SharedFlags): AlertSink[] {
  const host = hostname();
  const format = flags.format as OutputFormat;
  const sinks: AlertSink[] = [
    flags.output && flags.output !== '-'
      ? fileSink(flags.output, format, host)
      : streamSink('stdout', process.stdout, format, host),
  ];
  if (flags.webhook) sinks.push(webhookSink(flags.webhook, host));
  return sinks;
}

function buildGate(flags: SharedFlags, clock?: () => number) {
  const rate = positiveInt(flags.rate, '--rate');
  const burst = positiveInt(flags.burst, '--burst');
  const dedup = positiveInt(flags.dedupWindow, '--dedup-window');
  return createGate({
    ...(rate ? { rate } : {}),
    ...(burst ? { burst } : {}),
    ...(dedup ? { dedupWindowMs: dedup } : {}),
    ...(clock ? { now: clock } : {}),
  });
}

function logger(flags: SharedFlags): Logger {
  return createLogger({
    level: flags.debug ? 'debug' : flags.quiet ? 'error' : 'warn',
    format: flags.logFormat === 'json' ? 'json' : 'text',
  });
}

function summary(m: RuntimeMetrics): string {
  const rules = Object.entries(m.alertsByRule)
    .map(([r, n]) => `${r}=${n}`)
    .join(', ');
  return `events=${m.events} alerts=${m.alerts} lost=${m.lost} malformed=${m.malformed} suppressed_rate=${m.suppressedRate} suppressed_duplicate=${m.suppressedDuplicate} eval_errors=${m.evalErrors} sink_failures=${m.sinkFailures}${rules ? ` by_rule: ${rules}` : ''}`;
}

function parseResponders(specs: string[], dryRun: boolean, log: Logger, api: EngineApi | undefined): Responder[] {
  return specs.map((spec) => {
    // ACTION:priority=WARNING  or  ACTION:rule=Rule Name
    const m = /^(kill|stop|pause):(priority|rule)=(.+)$/.exec(spec);
    if (!m)
      throw new BollardError(
        'USAGE',
        `--respond takes ACTION:priority=P or ACTION:rule=NAME (ACTION: kill, stop, pause), got "${spec}"`,
      );
    const action = m[1] as ResponderAction;
    if (m[2] === 'priority') {
      const p = parsePriority(m[3]);
      if (!p) throw new BollardError('USAGE', `unknown priority in --respond ${spec}`);
      return createResponder({ action, minPriority: p, dryRun }, { log, ...(api ? { api } : {}) });
    }
    return createResponder({ action, rules: [m[3] as string], dryRun }, { log, ...(api ? { api } : {}) });
  });
}

function durationMs(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^([0-9]+)(ms|s|m|h)?$/.exec(v);
  if (!m) throw new BollardError('USAGE', `--duration takes e.g. 30s, 5m, 1h, got "${v}"`);
  const n = Number(m[1]);
  return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000);
}

function replayCommand(): Command {
  const cmd = new Command('replay')
    .description('evaluate recorded events (the sensor JSON lines, or Kubernetes audit events) deterministically')
    .argument('<file>', 'recording: sensor JSON lines, or audit Event / EventList JSON lines; - for stdin');
  return addShared(cmd).action(async (file: string, flags: SharedFlags) => {
    const source = flags.source as EventSourceName;
    const engine = buildEngine(flags, source);
    const log = logger(flags);
    const src = replaySource(file === '-' ? process.stdin : file, {
      source,
      what: file === '-' ? 'stdin' : file,
      onMalformed: (where, message) => log.warn('skipped a malformed record', { where, message }),
    });
    let eventTime = 0;
    const run = startRuntime({
      engine,
      source: src,
      sinks: buildSinks(flags),
      gate: buildGate(flags, () => eventTime / 1e6),
      onAlert: (a) => {
        eventTime = a.ts;
      },
    });
    const m = await run.done;
    if (!flags.quiet) process.stderr.write(`bollard runtime replay: ${summary(m)}\n`);
  });
}

function rulesCommand(): Command {
  return new Command('rules')
    .description('list the rules that load and the ones disabled, with the reason (missing fields by name)')
    .option('-r, --rules <file>', 'a Falco rules file (repeatable; default: both upstream rule files)', collect, [])
    .option('--min-priority <priority>', 'as for the sensor')
    .addOption(new Option('-f, --format <format>', 'text or json').choices(['text', 'json']).default('text'))
    .option('--fields', 'list the fields Bollard provides instead')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(
      async (flags: { rules: string[]; minPriority?: string; format: string; fields?: boolean; output?: string }) => {
        if (flags.fields) {
          const rows = (['syscall', 'k8s_audit'] as const).flatMap((s) =>
            fieldsFor(s).map((f) => [s, f.arg === 'none' ? f.name : `${f.name}[${f.arg}]`, f.type, f.desc]),
          );
          await writeOutput(
            flags.format === 'json'
              ? `${JSON.stringify(
                  rows.map(([source, name, type, desc]) => ({ source, name, type, desc })),
                  null,
                  2,
                )}\n`
              : formatTable(['SOURCE', 'FIELD', 'TYPE', 'DESCRIPTION'], rows as string[][]),
            flags.output,
          );
          return;
        }
        const engine = buildEngine(
          {
            rules: flags.rules,
            ...(flags.minPriority ? { minPriority: flags.minPriority } : {}),
            ruleMatching: 'first',
          } as SharedFlags,
          'both',
        );
        if (flags.format === 'json') {
          const out = engine.rules.map((r) => ({
            rule: r.name,
            source: r.source,
            priority: r.priority,
            status: r.active ? 'loaded' : 'disabled',
            ...(r.reason ? { reason: r.reason } : {}),
            missingFields: r.missingFields,
            missingOutputFields: r.missingOutputFields,
            eventTypes: r.evtTypes ? [...r.evtTypes] : null,
            file: r.where.file,
            line: r.where.line,
          }));
          await writeOutput(`${JSON.stringify({ rules: out, warnings: engine.warnings }, null, 2)}\n`, flags.output);
          return;
        }
        const rows = engine.rules.map((r) => [
          r.active ? 'loaded' : 'disabled',
          r.source,
          r.priority,
          r.name,
          r.reason ??
            (r.missingOutputFields.length > 0
              ? `output fields shown as <NA>: ${r.missingOutputFields.join(', ')}`
              : ''),
        ]);
        const loaded = engine.rules.filter((r) => r.active).length;
        await writeOutput(
          `${formatTable(['STATUS', 'SOURCE', 'PRIORITY', 'RULE', 'WHY'], rows)}\n${loaded} loaded, ${engine.rules.length - loaded} disabled\n`,
          flags.output,
        );
      },
    );
}

export function runtimeCommand(): Command {
  // Positional options: `runtime replay --source k8s_audit FILE` gives --source to replay, not to
  // the sensor command that shares the flag.
  const cmd = new Command('runtime')
    .enablePositionalOptions()
    .description('runtime security: an eBPF sensor (root) or the Kubernetes audit source, evaluated with Falco rules')
    .addOption(
      new Option('--docker-host <url>', 'container engine API for enrichment and responders').env('DOCKER_HOST'),
    )
    .option('--k8s-audit-file <file>', 'with --source k8s_audit: read this audit log (JSON lines)')
    .option('--k8s-audit-listen <host:port>', 'with --source k8s_audit: serve the audit webhook (POST /k8s-audit)')
    .option(
      '--respond <action:match>',
      'responder, e.g. kill:priority=CRITICAL or stop:rule=Terminal shell in container (repeatable; off by default)',
      collect,
      [],
    )
    .option('--dry-run', 'responders only report what they would do')
    .option('--duration <time>', 'stop after this long (e.g. 30s, 10m); default: until SIGINT/SIGTERM')
    .option(
      '--metrics-file <file>',
      'write the counters (events, alerts, lost, ...) as JSON here at exit and every 10 s',
    )
    .option('--record <file>', 'also write every enriched event as JSON lines (for runtime replay)')
    .option(
      '--sensitive-path <path>',
      'a path prefix whose reads are traced in the kernel (repeatable; adds to the defaults)',
      collect,
      [],
    )
    .option('--bpftrace <path>', 'bpftrace binary', 'bpftrace')
    .option('--perf-pages <n>', 'perf ring buffer pages per CPU (BPFTRACE_PERF_RB_PAGES)', '1024');
  addShared(cmd).action(async (flags: SensorFlags) => {
    const source = flags.source as EventSourceName;
    const engine = buildEngine(flags, source);
    const log = logger(flags);
    const { engineApi } = await import('../runtime/enrich/engine-api.ts');
    const api = flags.dockerHost ? engineApi(flags.dockerHost) : undefined;
    const responders = parseResponders(flags.respond, flags.dryRun === true, log, api);
    let src: EventSource;
    let enrich: Parameters<typeof startRuntime>[0]['enrich'];
    let stopSensor: (() => Promise<void>) | undefined;
    let run: RuntimeRun | undefined;
    let lostTotal = 0;
    const onLost = (count: number, ts: number): void => {
      lostTotal += count;
      run?.emit(lostEventsAlert(source, count, ts, lostTotal, src.name));
    };
    if (source === 'k8s_audit') {
      const hooks = {
        onMalformed: (where: string, message: string) =>
          log.warn('skipped a malformed audit record', { where, message }),
      };
      if (flags.k8sAuditFile) src = auditLogSource(flags.k8sAuditFile, hooks);
      else if (flags.k8sAuditListen) {
        const m = /^(.*):([0-9]+)$/.exec(flags.k8sAuditListen);
        if (!m) throw new BollardError('USAGE', `--k8s-audit-listen takes HOST:PORT, got "${flags.k8sAuditListen}"`);
        const w = auditWebhookSource({ host: m[1] || '127.0.0.1', port: Number(m[2]), ...hooks });
        const addr = await w.listening();
        log.warn('audit webhook listening', { address: `http://${addr.address}:${addr.port}/k8s-audit` });
        src = w;
      } else
        throw new BollardError(
          'USAGE',
          '--source k8s_audit needs --k8s-audit-file FILE or --k8s-audit-listen HOST:PORT',
        );
    } else {
      const { startSensor } = await import('../runtime/sensor.ts');
      const s = await startSensor({
        engine,
        log,
        bpftrace: flags.bpftrace,
        perfPages: positiveInt(flags.perfPages, '--perf-pages') ?? 1024,
        sensitivePaths: flags.sensitivePath,
        onLost,
        ...(api ? { api } : {}),
        ...(flags.record ? { record: flags.record } : {}),
      });
      src = s.source;
      enrich = s.enrich;
      stopSensor = s.close;
    }
    run = startRuntime({
      engine,
      source: src,
      sinks: buildSinks(flags),
      gate: buildGate(flags),
      responders,
      ...(enrich ? { enrich } : {}),
    });
    const current = run;
    const writeMetrics = (): void => {
      if (flags.metricsFile) writeFileSync(flags.metricsFile, `${JSON.stringify(current.metrics(), null, 2)}\n`);
    };
    const timer = flags.metricsFile ? setInterval(writeMetrics, 10_000) : undefined;
    timer?.unref();
    let stopping = false;
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      void (stopSensor ? stopSensor() : src.close());
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const limit = durationMs(flags.duration);
    const deadline = limit ? setTimeout(stop, limit) : undefined;
    const m = await current.done;
    if (deadline) clearTimeout(deadline);
    if (timer) clearInterval(timer);
    await Promise.all(responders.map((r) => r.settle()));
    await api?.close();
    writeMetrics();
    if (!flags.quiet) process.stderr.write(`bollard runtime: ${summary(m)}\n`);
  });
  // `runtime` and its subcommands share flag names: the sensor's flags are only read before a
  // subcommand, so `runtime replay FILE --rules X` gives X to replay.
  cmd.enablePositionalOptions();
  cmd.addCommand(replayCommand());
  cmd.addCommand(rulesCommand());
  return cmd;
}
