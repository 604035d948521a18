/**
 * The rule engine's throughput on one core with the upstream falco_rules.yaml loaded, against
 * Falco's published ~250,000 syscalls/s per CPU (issue #5 target: at least 200,000 events/s).
 *
 *   node bench/runtime-engine.ts
 *
 * The event mix holds only event types the upstream rules index (execve, openat, connect, socket,
 * ptrace, symlinkat, dup2), i.e. every event reaches at least one compiled rule: the engine's worst
 * case. Events the rules do not index (read, write, close...) cost one map lookup and are not
 * counted. BENCH_EVENTS (default 2,000,000) events are evaluated after a warm-up; the best of
 * BENCH_RUNS (default 5) runs is the figure (one core: the loop is single-threaded).
 */
import type { RuntimeEvent } from '../src/runtime/events/types.ts';
import { createEngine } from '../src/runtime/rules/engine.ts';
import { upstreamRules } from '../src/runtime/rules/upstream.ts';
import { envInt, main, reportFigure } from './lib.ts';

const TARGET = 200_000;
const FALCO_REFERENCE = 250_000;

function mix(): RuntimeEvent[] {
  const ctr = { id: '3f2a9c1b7d4e', name: 'web', imageRepository: 'localhost/app', imageTag: 'latest' };
  const parent = { pid: 100, name: 'nginx', exepath: '/usr/sbin/nginx', args: ['-g', 'daemon off;'] };
  const base = { source: 'syscall' as const, ts: 1_795_860_000_000_000_000, user: { uid: 33, name: 'www-data' } };
  const out: RuntimeEvent[] = [];
  const files = [
    '/var/www/html/index.html',
    '/etc/nginx/nginx.conf',
    '/usr/lib/x86_64-linux-gnu/libc.so.6',
    '/etc/passwd',
    '/tmp/cache/x',
  ];
  const procs = ['nginx', 'php-fpm', 'sh', 'python3', 'node', 'curl', 'ls', 'cat'];
  for (let i = 0; i < 1000; i++) {
    const name = procs[i % procs.length] as string;
    const proc = {
      pid: 1000 + i,
      name,
      exe: name,
      exepath: `/usr/bin/${name}`,
      args: ['-c', `job ${i}`],
      tty: 0,
      cwd: '/',
    };
    const c = i % 3 === 0 ? undefined : ctr;
    const k = i % 10;
    if (k < 5) {
      const f = files[i % files.length] as string;
      out.push({
        ...base,
        type: 'openat',
        res: 5,
        args: { name: f, flags: k % 2 ? 'O_RDONLY' : 'O_WRONLY|O_CREAT|O_APPEND', fd: 5 },
        proc,
        ancestors: [parent],
        fd: { num: 5, name: f, type: 'file' },
        ...(c ? { container: c } : {}),
      });
    } else if (k < 8) {
      out.push({
        ...base,
        type: 'execve',
        res: 0,
        args: { filename: proc.exepath },
        proc,
        ancestors: [parent],
        ...(c ? { container: c } : {}),
      });
    } else if (k === 8) {
      out.push({
        ...base,
        type: 'connect',
        res: 0,
        args: {},
        proc,
        ancestors: [parent],
        fd: {
          type: 'ipv4',
          cip: '10.0.0.2',
          cport: 40000 + i,
          sip: '10.0.0.3',
          sport: 443,
          l4proto: 'tcp',
          localIsClient: true,
        },
        ...(c ? { container: c } : {}),
      });
    } else {
      const t = ['socket', 'ptrace', 'symlinkat', 'dup2'][i % 4] as string;
      out.push({
        ...base,
        type: t,
        res: 0,
        args: { domain: 'AF_INET', request: 'PTRACE_PEEKDATA', target: '/tmp/x', linkpath: '/tmp/y' },
        proc,
        ancestors: [parent],
        ...(c ? { container: c } : {}),
      });
    }
  }
  return out;
}

await main(() => {
  const total = envInt('BENCH_EVENTS', 2_000_000);
  const runs = envInt('BENCH_RUNS', 5);
  const engine = createEngine([upstreamRules('falco_rules.yaml')]);
  const events = mix();
  let alerts = 0;
  const pass = (n: number): void => {
    for (let i = 0; i < n; i++) alerts += engine.evaluate(events[i % events.length] as RuntimeEvent).length;
  };
  pass(200_000);
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    pass(total);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push(total / s);
  }
  const best = Math.max(...rates);
  const median = [...rates].sort((a, b) => a - b)[Math.floor(rates.length / 2)] as number;
  console.log(
    `runs (events/s): ${rates.map((x) => Math.round(x).toLocaleString('en')).join(', ')}; alerts seen: ${alerts}`,
  );
  reportFigure({
    name: 'runtime-engine',
    summary: `${Math.round(median).toLocaleString('en')} events/s on one core (median of ${runs}; best ${Math.round(best).toLocaleString('en')}) with ${engine.activeCount('syscall')} upstream rules vs Falco's ~${FALCO_REFERENCE.toLocaleString('en')}/s: ratio ${(median / FALCO_REFERENCE).toFixed(2)}`,
    ratio: median / FALCO_REFERENCE,
    target: `>= ${TARGET.toLocaleString('en')} events/s`,
    pass: median >= TARGET,
    details: {
      median,
      best,
      rates,
      runs,
      eventsPerRun: total,
      activeRules: engine.activeCount('syscall'),
      falcoReference: FALCO_REFERENCE,
    },
  });
});
