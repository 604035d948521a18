import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { BollardError } from '../../../util/errors.ts';
import type { TempRoot } from '../../../util/tempdir.ts';
import type { AnyEvent, FdInfo, ProcessInfo, RuntimeEvent } from '../../events/types.ts';
import { boundedLines } from '../lines.ts';
import { createQueue } from '../queue.ts';
import type { EventSource, SourceHooks, SourceStats } from '../types.ts';
import { generateProgram, genericArg, SENSITIVE_DEFAULTS } from './program.ts';

export const id = 'bpftrace';

/**
 * The eBPF backend through Debian's bpftrace: runs the generated program with `-f json`, parses
 * its printf records into RuntimeEvents with Falco's event types and argument renderings, keeps
 * a process table (exec/fork/exit) for ancestry, and counts `lost_events` records.
 */
export interface BpftraceOptions extends SourceHooks {
  /** Event types the rules need (undefined: every supported type). */
  types: ReadonlySet<string> | undefined;
  sensitivePaths?: readonly string[];
  bpftrace?: string;
  /** Perf ring buffer pages per CPU (BPFTRACE_PERF_RB_PAGES). */
  perfPages?: number;
  tempRoot: TempRoot;
  /** Most events waiting for the engine before they count as lost. */
  queueCapacity?: number;
  /** Attach timeout, ms (bpftrace takes ~3 s to start here). */
  startTimeoutMs?: number;
  /** Processes remembered for ancestry. */
  maxProcesses?: number;
  /** Extra pids whose events are dropped in the kernel (the sensor is always excluded). */
  excludePids?: number[];
}

export interface BpftraceSource extends EventSource {
  /** Resolves once every probe is attached (rejects with bpftrace's error). */
  ready(): Promise<{ probes: number }>;
  /** The generated program (for `--debug` and tests). */
  readonly program: string;
  /** Pid of the bpftrace process. */
  readonly pid: number | undefined;
}

const OPEN_FLAGS: [number, string][] = [
  [0o100, 'O_CREAT'],
  [0o200, 'O_EXCL'],
  [0o400, 'O_NOCTTY'],
  [0o1000, 'O_TRUNC'],
  [0o2000, 'O_APPEND'],
  [0o4000, 'O_NONBLOCK'],
  [0o10000, 'O_DSYNC'],
  [0o200000, 'O_DIRECTORY'],
  [0o400000, 'O_NOFOLLOW'],
  [0o2000000, 'O_CLOEXEC'],
  [0o20000000, 'O_PATH'],
  [0o20200000, 'O_TMPFILE'],
];

/** Falco's rendering of open flags: `O_WRONLY|O_CREAT|O_TRUNC`. */
export function renderOpenFlags(f: number): string {
  const acc = f & 3;
  const parts = [acc === 0 ? 'O_RDONLY' : acc === 1 ? 'O_WRONLY' : 'O_RDWR'];
  for (const [bit, name] of OPEN_FLAGS) if ((f & bit) === bit) parts.push(name);
  return parts.join('|');
}

const PTRACE: Record<number, string> = {
  0: 'PTRACE_TRACEME',
  1: 'PTRACE_PEEKTEXT',
  2: 'PTRACE_PEEKDATA',
  3: 'PTRACE_PEEKUSR',
  4: 'PTRACE_POKETEXT',
  5: 'PTRACE_POKEDATA',
  6: 'PTRACE_POKEUSR',
  7: 'PTRACE_CONT',
  8: 'PTRACE_KILL',
  9: 'PTRACE_SINGLESTEP',
  12: 'PTRACE_GETREGS',
  13: 'PTRACE_SETREGS',
  16: 'PTRACE_ATTACH',
  17: 'PTRACE_DETACH',
  24: 'PTRACE_SYSCALL',
  16896: 'PTRACE_SETOPTIONS',
  16902: 'PTRACE_SEIZE',
  16903: 'PTRACE_INTERRUPT',
};

const AF: Record<number, string> = { 1: 'AF_UNIX', 2: 'AF_INET', 10: 'AF_INET6', 16: 'AF_NETLINK', 17: 'AF_PACKET' };
const SOCK: Record<number, string> = { 1: 'SOCK_STREAM', 2: 'SOCK_DGRAM', 3: 'SOCK_RAW', 5: 'SOCK_SEQPACKET' };

interface ProcEntry extends ProcessInfo {
  ppid: number;
  cgroup?: number;
  exitedAt?: number;
}

/** Per-entry caches, kept off the entry so they never leak into events. */
interface EntryCache {
  info: ProcessInfo;
  ancestors?: ProcessInfo[];
  gen: number;
}

/** Bounded process table: exec updates, fork copies, exit forgets (after a grace period). */
export class ProcessTable {
  readonly #max: number;
  readonly #m = new Map<number, ProcEntry>();
  readonly #cache = new WeakMap<ProcEntry, EntryCache>();
  /** Bumped on every change, so cached ancestor chains are rebuilt only after one. */
  #gen = 0;
  readonly #procRoot: string;
  constructor(max: number, procRoot = '/proc') {
    this.#max = max;
    this.#procRoot = procRoot;
  }

  get size(): number {
    return this.#m.size;
  }

  /** The public view of an entry (cached; events share it and must not mutate it). */
  info(e: ProcEntry): ProcessInfo {
    let c = this.#cache.get(e);
    if (!c) {
      c = { info: publicInfo(e), gen: -1 };
      this.#cache.set(e, c);
    }
    return c.info;
  }

  set(e: ProcEntry): void {
    this.#gen++;
    this.#m.delete(e.pid);
    this.#m.set(e.pid, e);
    if (this.#m.size > this.#max) {
      const first = this.#m.keys().next().value;
      if (first !== undefined) this.#m.delete(first);
    }
  }

  /** The entry for a pid, read once from /proc when the process predates the sensor. */
  get(pid: number): ProcEntry | undefined {
    const e = this.#m.get(pid);
    if (e) return e;
    const p = readProc(this.#procRoot, pid);
    if (p) this.set(p);
    return p;
  }

  /** A live process's argv from /proc: used when the kernel could not read it at exec. */
  cmdline(pid: number): string[] | undefined {
    try {
      const argv = readFileSync(`${this.#procRoot}/${pid}/cmdline`)
        .subarray(0, 64 * 1024)
        .toString('utf8')
        .split('\0');
      if (argv.at(-1) === '') argv.pop();
      return argv.length > 0 ? argv : undefined;
    } catch {
      return undefined;
    }
  }

  fork(ppid: number, pid: number, comm: string, ns: number): void {
    const parent = this.get(ppid);
    const base: ProcEntry = parent ? { ...parent } : { pid, ppid, name: comm };
    delete base.exitedAt;
    this.set({ ...base, pid, ppid, name: parent?.name ?? comm, startNs: ns });
  }

  exit(pid: number, ns: number): void {
    const e = this.#m.get(pid);
    if (e) e.exitedAt = ns;
  }

  /** Ancestors of a pid, cached until the table changes. */
  cachedAncestors(pid: number): ProcessInfo[] {
    const e = this.get(pid);
    if (!e) return [];
    const c = this.#cache.get(e) ?? { info: publicInfo(e), gen: -1 };
    this.#cache.set(e, c);
    if (c.ancestors && c.gen === this.#gen) return c.ancestors;
    c.ancestors = this.ancestors(pid);
    c.gen = this.#gen;
    return c.ancestors;
  }

  /** Drop processes that exited more than `graceNs` ago. */
  sweep(nowNs: number, graceNs: number): void {
    for (const [pid, e] of this.#m) if (e.exitedAt !== undefined && nowNs - e.exitedAt > graceNs) this.#m.delete(pid);
  }

  /** Parent first, at most `depth` levels, stopping at pid 0/1 loops. */
  ancestors(pid: number, depth = 16): ProcessInfo[] {
    const out: ProcessInfo[] = [];
    const seen = new Set<number>([pid]);
    let cur = this.get(pid)?.ppid;
    while (cur !== undefined && cur > 0 && out.length < depth && !seen.has(cur)) {
      seen.add(cur);
      const p = this.get(cur);
      if (!p) break;
      out.push(this.info(p));
      cur = p.ppid;
    }
    return out;
  }
}

function publicInfo(p: ProcEntry): ProcessInfo {
  const { cgroup: _c, exitedAt: _x, ...rest } = p;
  return rest;
}

/** A process that predates the sensor, from /proc (comm, ppid, argv, exe). */
function readProc(root: string, pid: number): ProcEntry | undefined {
  try {
    const stat = readFileSync(`${root}/${pid}/stat`, 'utf8');
    const l = stat.indexOf('(');
    const r = stat.lastIndexOf(')');
    const name = stat.slice(l + 1, r);
    const rest = stat.slice(r + 2).split(' ');
    const ppid = Number(rest[1]);
    const tty = Number(rest[4]);
    const argv = readFileSync(`${root}/${pid}/cmdline`)
      .subarray(0, 64 * 1024)
      .toString('utf8')
      .split('\0');
    if (argv.at(-1) === '') argv.pop();
    let exepath: string | undefined;
    try {
      exepath = readlinkSync(`${root}/${pid}/exe`);
    } catch {
      exepath = undefined;
    }
    return {
      pid,
      ppid,
      name,
      ...(argv[0] !== undefined ? { exe: argv[0] } : {}),
      ...(exepath ? { exepath } : {}),
      args: argv.slice(1),
      tty,
    };
  } catch {
    return undefined;
  }
}

interface Pending {
  ev: RuntimeEvent;
  ts: number;
}

/** Turn bpftrace printf records into events; pure apart from the process table's /proc reads. */
export class RecordParser {
  readonly procs: ProcessTable;
  readonly #argv = new Map<number, string[]>();
  readonly #pending = new Map<number, Pending>();
  readonly #offsetNs: number;
  #num = 0;
  malformed = 0;

  constructor(procs: ProcessTable, offsetNs: number) {
    this.procs = procs;
    this.#offsetNs = offsetNs;
  }

  /** Epoch ns from bpftrace's monotonic `nsecs`. */
  time(mono: number): number {
    return mono + this.#offsetNs;
  }

  #base(f: string[], type: string): RuntimeEvent {
    const pid = Number(f[1]);
    const tid = Number(f[2]);
    const uid = Number(f[3]);
    const ts = this.time(Number(f[5]));
    const p = this.procs.get(pid);
    let proc: ProcessInfo = p ? this.procs.info(p) : { pid, name: '<NA>' };
    if (tid !== pid) proc = { ...proc, tid };
    return {
      source: 'syscall',
      type,
      ts,
      num: ++this.#num,
      args: Object.create(null) as Record<string, string | number>,
      proc,
      ancestors: this.procs.cachedAncestors(pid),
      user: { uid },
      cgroupId: Number(f[4]),
    };
  }

  /** Feed one printf record; returns the events completed by it. */
  feed(line: string): RuntimeEvent[] {
    const s = line.endsWith('\n') ? line.slice(0, -1) : line;
    const kind = s[0];
    const split = (n: number): string[] => {
      // n fields; the last one takes the rest (strings come last in every record).
      const out: string[] = [];
      let i = 0;
      for (let k = 0; k < n - 1; k++) {
        const j = s.indexOf('\t', i);
        if (j < 0) return [];
        out.push(s.slice(i, j));
        i = j + 1;
      }
      out.push(s.slice(i));
      return out;
    };
    switch (kind) {
      case 'A': {
        const f = split(4);
        if (f.length !== 4) break;
        const pid = Number(f[1]);
        const idx = Number(f[2]);
        let a = this.#argv.get(pid);
        if (!a || idx === 0) {
          a = [];
          this.#argv.set(pid, a);
          if (this.#argv.size > 4096) this.#argv.delete(this.#argv.keys().next().value as number);
        }
        a[idx] = f[3] as string;
        return [];
      }
      case 'E': {
        const f = split(10);
        if (f.length !== 10) break;
        const pid = Number(f[1]);
        const ppid = Number(f[2]);
        const ts = this.time(Number(f[7]));
        let argv = this.#argv.get(pid) ?? [];
        this.#argv.delete(pid);
        // bpf_probe_read_user cannot fault pages in: under memory pressure argv at sys_enter_execve
        // can come back missing or with holes. The process has just exec'd, so /proc has it.
        if (argv.length === 0 || argv.length !== Object.keys(argv).length) {
          const fromProc = this.procs.cmdline(pid);
          if (fromProc) argv = fromProc;
        }
        const filename = f[9] as string;
        const prev = this.procs.get(pid);
        const entry: ProcEntry = {
          pid,
          ppid,
          name: f[8] as string,
          exe: argv[0] ?? filename,
          exepath: filename,
          args: argv.slice(1).map((x) => x ?? ''),
          tty: Number(f[5]),
          startNs: prev?.startNs ?? ts,
          cgroup: Number(f[6]),
        };
        this.procs.set(entry);
        const ev: RuntimeEvent = {
          source: 'syscall',
          type: 'execve',
          ts,
          num: ++this.#num,
          res: 0,
          args: Object.assign(Object.create(null) as Record<string, string | number>, { filename }),
          proc: publicInfo(entry),
          ancestors: this.procs.ancestors(pid),
          user: { uid: Number(f[3]), gid: Number(f[4]) },
          cgroupId: Number(f[6]),
        };
        return [ev];
      }
      case 'F': {
        const f = split(6);
        if (f.length !== 6) break;
        this.procs.fork(Number(f[1]), Number(f[2]), f[5] as string, this.time(Number(f[4])));
        return [];
      }
      case 'X': {
        const f = split(3);
        if (f.length !== 3) break;
        this.procs.exit(Number(f[1]), this.time(Number(f[2])));
        return [];
      }
      case 'O': {
        const f = split(11);
        if (f.length !== 11) break;
        const ev = this.#base(f, f[6] as string);
        const flags = Number(f[7]);
        const res = Number(f[9]);
        const name = f[10] as string;
        ev.args.name = name;
        ev.args.flags = renderOpenFlags(flags);
        ev.args.mode = `0${(Number(f[8]) & 0o7777).toString(8)}`;
        ev.res = res;
        ev.args.fd = res;
        ev.fd = {
          num: res >= 0 ? res : -1,
          name: absolute(name, ev.proc.cwd),
          type: (flags & 0o200000) !== 0 ? 'directory' : 'file',
        };
        return [ev];
      }
      case 'S': {
        const f = split(9);
        if (f.length !== 9) break;
        const type = f[6] as string;
        const ev = this.#base(f, type);
        const isSym = type.startsWith('symlink');
        const isLink = type === 'link' || type === 'linkat';
        ev.args[isSym ? 'target' : 'oldpath'] = f[7] as string;
        ev.args[isSym ? 'linkpath' : 'newpath'] = f[8] as string;
        void isLink;
        ev.res = 0;
        return [ev];
      }
      case 'P': {
        const f = split(8);
        if (f.length !== 8) break;
        const ev = this.#base(f, 'ptrace');
        const req = Number(f[6]);
        ev.args.request = PTRACE[req] ?? String(req);
        ev.args.pid = Number(f[7]);
        ev.res = 0;
        return [ev];
      }
      case 'K': {
        const f = split(9);
        if (f.length !== 9) break;
        const ev = this.#base(f, 'socket');
        const dom = Number(f[6]);
        const t = Number(f[7]);
        ev.args.domain = AF[dom] ?? String(dom);
        ev.args.type = SOCK[t & 0xf] ?? String(t);
        ev.args.proto = Number(f[8]);
        return this.#wait(Number(f[2]), ev);
      }
      case 'D': {
        const f = split(9);
        if (f.length !== 9) break;
        const ev = this.#base(f, f[6] as string);
        ev.args.oldfd = Number(f[7]);
        ev.res = Number(f[8]);
        ev.fd = socketFd(ev.proc.pid, ev.res);
        return [ev];
      }
      case 'C': {
        const f = split(11);
        if (f.length !== 11) break;
        const type = f[6] as string;
        const ev = this.#base(f, type);
        const fam = Number(f[8]);
        const portBe = Number(f[9]);
        const port = ((portBe & 0xff) << 8) | ((portBe >> 8) & 0xff);
        const addr = f[10] as string;
        ev.args.fd = Number(f[7]);
        ev.args.addr = fam === 10 ? `[${addr}]:${port}` : `${addr}:${port}`;
        const fd: FdInfo = { num: Number(f[7]), type: fam === 10 ? 'ipv6' : 'ipv4', l4proto: 'tcp' };
        if (type === 'connect')
          Object.assign(fd, { sip: addr, sport: port, localIsClient: true, name: `->${addr}:${port}` });
        else if (type === 'accept' || type === 'accept4')
          // The new socket's peer is the client; the local side is the server.
          Object.assign(fd, {
            cip: addr,
            cport: port,
            localIsClient: false,
            connected: true,
            name: `${addr}:${port}->`,
          });
        else Object.assign(fd, { sip: addr, sport: port, localIsClient: false, name: `${addr}:${port}` });
        ev.fd = fd;
        return this.#wait(Number(f[2]), ev);
      }
      case 'G': {
        const f = split(11);
        if (f.length !== 11) break;
        const type = f[6] as string;
        const ev = this.#base(f, type);
        const g = genericArg(type);
        if (g) {
          g.nums.forEach((n, i) => {
            ev.args[n] = Number(f[7 + i]);
          });
          if (g.str) ev.args[g.str] = f[10] as string;
        }
        return this.#wait(Number(f[2]), ev);
      }
      case 'R': {
        const f = split(3);
        if (f.length !== 3) break;
        const tid = Number(f[1]);
        const p = this.#pending.get(tid);
        if (!p) return [];
        this.#pending.delete(tid);
        const res = Number(f[2]);
        p.ev.res = res;
        if (p.ev.fd && (p.ev.type.startsWith('open') || p.ev.type === 'creat' || p.ev.type === 'socket'))
          p.ev.fd.num = res >= 0 ? res : -1;
        if (p.ev.type === 'socket' && p.ev.fd === undefined) p.ev.fd = { num: res, type: 'socket' };
        return [p.ev];
      }
      default:
        break;
    }
    this.malformed++;
    return [];
  }

  /** Hold an event until its exit record; a previous one still waiting on this tid is released as is. */
  #wait(tid: number, ev: RuntimeEvent): RuntimeEvent[] {
    const prev = this.#pending.get(tid);
    this.#pending.set(tid, { ev, ts: ev.ts });
    if (this.#pending.size > 65_536) {
      const first = this.#pending.keys().next().value as number;
      const p = this.#pending.get(first);
      this.#pending.delete(first);
      return prev ? [prev.ev, ...(p ? [p.ev] : [])] : p ? [p.ev] : [];
    }
    return prev ? [prev.ev] : [];
  }

  /** Events whose exit never came within `ageNs` (the thread died): released without a result. */
  flush(nowNs: number, ageNs: number): RuntimeEvent[] {
    const out: RuntimeEvent[] = [];
    for (const [tid, p] of this.#pending) {
      if (nowNs - p.ts < ageNs) continue;
      this.#pending.delete(tid);
      out.push(p.ev);
    }
    return out;
  }
}

function absolute(name: string, cwd: string | undefined): string {
  if (name.startsWith('/')) return name;
  return cwd ? `${cwd.replace(/\/$/, '')}/${name}` : name;
}

/** What fd N of a process is, when it is a TCP socket (for the dup rules): from /proc. */
function socketFd(pid: number, fdNum: number): FdInfo {
  try {
    const link = readlinkSync(`/proc/${pid}/fd/${fdNum}`);
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (!m) return { num: fdNum, type: link.startsWith('pipe:') ? 'pipe' : 'file', name: link };
    for (const [file, type] of [
      ['tcp', 'ipv4'],
      ['tcp6', 'ipv6'],
    ] as const) {
      const text = readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
      for (const line of text.split('\n').slice(1)) {
        const c = line.trim().split(/\s+/);
        if (c[9] !== m[1]) continue;
        const [la, lp] = (c[1] ?? ':').split(':');
        const [ra, rp] = (c[2] ?? ':').split(':');
        const ip = (hex: string | undefined): string =>
          type === 'ipv4' && hex && hex.length === 8
            ? [3, 2, 1, 0].map((i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.')
            : (hex ?? '');
        const cip = ip(la);
        const sip = ip(ra);
        const cport = Number.parseInt(lp ?? '0', 16);
        const sport = Number.parseInt(rp ?? '0', 16);
        return {
          num: fdNum,
          type,
          l4proto: 'tcp',
          cip,
          cport,
          sip,
          sport,
          localIsClient: true,
          name: `${cip}:${cport}->${sip}:${sport}`,
        };
      }
    }
    return { num: fdNum, type: 'unix' };
  } catch {
    return { num: fdNum };
  }
}

/** The offset from CLOCK_MONOTONIC (bpftrace nsecs) to the epoch, in ns. */
export function monotonicOffsetNs(): number {
  return Date.now() * 1e6 - Number(process.hrtime.bigint());
}

export function bpftraceSource(opts: BpftraceOptions): BpftraceSource {
  const available = (sys: string): boolean => existsSync(`/sys/kernel/tracing/events/syscalls/sys_enter_${sys}`);
  if (!existsSync('/sys/kernel/tracing/events/syscalls'))
    throw new BollardError(
      'IO',
      'syscall tracepoints are not visible: mount tracefs on /sys/kernel/tracing (scripts/ebpf-env.sh)',
    );
  const program = generateProgram({
    types: opts.types,
    sensitivePaths: [...SENSITIVE_DEFAULTS, ...(opts.sensitivePaths ?? [])],
    excludePids: [process.pid, ...(opts.excludePids ?? [])],
    available,
  });
  const file = opts.tempRoot.file('sensor.bt');
  writeFileSync(file, program, { mode: 0o600 });
  const st: SourceStats = { events: 0, lost: 0, malformed: 0 };
  const queue = createQueue<AnyEvent>(opts.queueCapacity ?? 200_000);
  const procs = new ProcessTable(opts.maxProcesses ?? 32_768);
  const parser = new RecordParser(procs, monotonicOffsetNs());
  let child: ChildProcess | undefined;
  let stderr = '';
  let closed = false;
  let resolveReady: (v: { probes: number }) => void = () => undefined;
  let rejectReady: (e: Error) => void = () => undefined;
  const ready = new Promise<{ probes: number }>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  ready.catch(() => undefined);
  const push = (e: RuntimeEvent): void => {
    if (queue.push(e)) st.events++;
    else {
      st.lost++;
      opts.onLost?.(1, e.ts);
    }
  };
  child = spawn(opts.bpftrace ?? 'bpftrace', ['-f', 'json', file], {
    env: {
      ...process.env,
      BPFTRACE_STRLEN: '128',
      BPFTRACE_PERF_RB_PAGES: String(opts.perfPages ?? 1024),
      BPFTRACE_MAP_KEYS_MAX: '65536',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.on('error', (e) =>
    rejectReady(new BollardError('IO', `cannot run ${opts.bpftrace ?? 'bpftrace'}: ${e.message}`)),
  );
  child.stderr?.on('data', (c: Buffer) => {
    if (stderr.length < 16_384) stderr += c.toString('utf8');
  });
  const timer = setTimeout(
    () =>
      rejectReady(new BollardError('TIMEOUT', `bpftrace did not attach within ${opts.startTimeoutMs ?? 60_000} ms`)),
    opts.startTimeoutMs ?? 60_000,
  );
  const sweeper = setInterval(() => {
    const now = Date.now() * 1e6;
    for (const e of parser.flush(now, 1e9)) push(e);
    procs.sweep(now, 30e9);
  }, 500);
  sweeper.unref();
  (async () => {
    for await (const line of boundedLines(child.stdout as Readable, 1024 * 1024)) {
      if (line.tooLong) {
        st.malformed++;
        continue;
      }
      const text = line.text;
      let rec: { type?: unknown; data?: unknown };
      try {
        rec = JSON.parse(text) as { type?: unknown; data?: unknown };
      } catch {
        st.malformed++;
        opts.onMalformed?.(`bpftrace:${line.no}`, 'not JSON');
        continue;
      }
      if (rec.type === 'printf' && typeof rec.data === 'string') {
        for (const e of parser.feed(rec.data)) push(e);
        st.malformed = parser.malformed;
      } else if (rec.type === 'lost_events') {
        const n = Number((rec.data as { events?: unknown } | undefined)?.events ?? 0);
        if (n > 0) {
          st.lost += n;
          opts.onLost?.(n, Date.now() * 1e6);
        }
      } else if (rec.type === 'attached_probes') {
        clearTimeout(timer);
        resolveReady({ probes: Number((rec.data as { probes?: unknown } | undefined)?.probes ?? 0) });
      }
    }
  })()
    .catch(() => undefined)
    .finally(() => {
      clearTimeout(timer);
      clearInterval(sweeper);
      for (const e of parser.flush(Number.POSITIVE_INFINITY, 0)) push(e);
      queue.end();
    });
  child.on('exit', (code) => {
    const msg = stderr
      .split('\n')
      .filter((l) => l.trim() && !/RLIMIT_MEMLOCK|Addrspace mismatch|^\s*~+\s*$|^tracepoint:/.test(l))
      .slice(0, 3)
      .join(' | ');
    rejectReady(
      new BollardError('IO', `bpftrace exited (${code ?? 'signal'}) before attaching: ${msg || 'no message'}`),
    );
    if (!closed && code !== 0 && code !== null) opts.onMalformed?.('bpftrace', `bpftrace exited with ${code}: ${msg}`);
  });
  return {
    name: id,
    source: 'syscall',
    program,
    get pid() {
      return child?.pid;
    },
    ready: () => ready,
    stats: () => ({ ...st }),
    events: () => queue,
    async close() {
      if (closed) return;
      closed = true;
      const c = child;
      child = undefined;
      if (c && c.exitCode === null) {
        const exited = new Promise<void>((r) => c.once('exit', () => r()));
        c.kill('SIGINT');
        const t = setTimeout(() => c.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}
