import { hostname as osHostname } from 'node:os';
import type { AnyEvent, EventSourceName, K8sAuditEvent, ProcessInfo, RuntimeEvent } from './types.ts';

/**
 * The field registry: every Falco field Bollard provides, by source, with its type and an accessor
 * factory. A rule that names a field missing here is disabled at load time and listed with that
 * name; it is never evaluated as false in silence.
 */

/** A value as rules see it; `undefined` is "not available" (Falco: the comparison is false, output `<NA>`). */
export type FieldValue = string | number | boolean | readonly string[] | undefined;

/**
 * `string`, `number`, `bool`: scalars. `ip`: an address compared as an address or against a CIDR.
 * `list`: several values (ka.* lists): `in` means every value is in the set, `intersects` any.
 * `anyof`: a field standing for several candidates (proc.aname without index): true if any matches.
 */
export type FieldType = 'string' | 'number' | 'bool' | 'ip' | 'list' | 'anyof';

export type Getter<E> = (e: E) => FieldValue;

export interface FieldDef {
  name: string;
  source: EventSourceName;
  type: FieldType;
  desc: string;
  /** `none`: no argument; `index`/`key`/`pointer`: `[N]`, `[name]`, `[/json/pointer]`; optional with `argOptional`. */
  arg: 'none' | 'index' | 'key' | 'pointer';
  argOptional?: boolean;
  /** With `dotted`, `name.X` is the same as `name[X]` (evt.arg.flags). */
  dotted?: boolean;
  /** Build the accessor for one use (the argument is parsed once, here). */
  make(arg: string | undefined): Getter<AnyEvent>;
}

/** A field reference resolved against the registry. */
export interface FieldRef {
  def: FieldDef;
  arg: string | undefined;
  /** The text as written (`proc.aname[2]`), for messages and output_fields keys. */
  text: string;
  get: Getter<AnyEvent>;
  /** The type of this use (proc.aname is `anyof` without an index, `string` with one). */
  type: FieldType;
}

const NA_UID = 4294967295;

// --- helpers ----------------------------------------------------------------------------------------

function sys(f: (e: RuntimeEvent) => FieldValue): Getter<AnyEvent> {
  return (e) => (e.source === 'syscall' ? f(e) : undefined);
}

function ka(f: (e: K8sAuditEvent) => FieldValue): Getter<AnyEvent> {
  return (e) => (e.source === 'k8s_audit' ? f(e) : undefined);
}

function basename(p: string): string {
  const s = p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
  const i = s.lastIndexOf('/');
  return i < 0 ? s : s.slice(i + 1);
}

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  if (i < 0) return '.';
  return i === 0 ? '/' : p.slice(0, i);
}

function cmdline(p: ProcessInfo | undefined): string | undefined {
  if (!p) return undefined;
  return p.args && p.args.length > 0 ? `${p.name} ${p.args.join(' ')}` : p.name;
}

/** Ancestor N: 0 is the process itself, 1 its parent... */
function ancestor(e: RuntimeEvent, n: number): ProcessInfo | undefined {
  return n === 0 ? e.proc : e.ancestors?.[n - 1];
}

/** Seconds and the nanosecond fraction of an epoch-ns time (`%` is exact in IEEE doubles). */
function splitNs(ns: number): { ms: number; frac: string } {
  const rem = ((ns % 1e9) + 1e9) % 1e9;
  const sec = Math.round((ns - rem) / 1e9);
  return { ms: sec * 1000, frac: String(Math.round(rem)).padStart(9, '0').slice(0, 9) };
}

/** Falco's `HH:MM:SS.nnnnnnnnn` (UTC, so replays are deterministic). */
export function formatEvtTime(ns: number): string {
  const { ms, frac } = splitNs(ns);
  return `${new Date(ms).toISOString().slice(11, 19)}.${frac}`;
}

/** ISO 8601 with nanoseconds, the shape of Falco's JSON `time`. */
export function formatIsoNs(ns: number): string {
  const { ms, frac } = splitNs(ns);
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}

const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  3: 'ESRCH',
  4: 'EINTR',
  5: 'EIO',
  9: 'EBADF',
  11: 'EAGAIN',
  12: 'ENOMEM',
  13: 'EACCES',
  14: 'EFAULT',
  16: 'EBUSY',
  17: 'EEXIST',
  20: 'ENOTDIR',
  21: 'EISDIR',
  22: 'EINVAL',
  24: 'EMFILE',
  28: 'ENOSPC',
  30: 'EROFS',
  36: 'ENAMETOOLONG',
  38: 'ENOSYS',
  40: 'ELOOP',
  95: 'EOPNOTSUPP',
  97: 'EAFNOSUPPORT',
  98: 'EADDRINUSE',
  99: 'EADDRNOTAVAIL',
  101: 'ENETUNREACH',
  104: 'ECONNRESET',
  110: 'ETIMEDOUT',
  111: 'ECONNREFUSED',
  113: 'EHOSTUNREACH',
  115: 'EINPROGRESS',
};

/** Falco's `evt.res`: `SUCCESS`, an errno name, or the number. */
export function renderRes(res: number | undefined): string | undefined {
  if (res === undefined) return undefined;
  if (res >= 0) return 'SUCCESS';
  return ERRNO_NAMES[-res] ?? String(res);
}

const TYPECHAR: Record<string, string> = {
  file: 'f',
  directory: 'd',
  ipv4: '4',
  ipv6: '6',
  unix: 'u',
  pipe: 'p',
  event: 'e',
  signalfd: 's',
  eventpoll: 'l',
  inotify: 'i',
  timerfd: 't',
  netlink: 'n',
  memfd: 'm',
  bpf: 'b',
  userfaultfd: 'u',
};

function isSocket(e: RuntimeEvent): boolean {
  const t = e.fd?.type;
  return t === 'ipv4' || t === 'ipv6';
}

function localPort(e: RuntimeEvent): number | undefined {
  const fd = e.fd;
  if (!fd || !isSocket(e)) return undefined;
  return fd.localIsClient === false ? fd.sport : fd.cport;
}

function remotePort(e: RuntimeEvent): number | undefined {
  const fd = e.fd;
  if (!fd || !isSocket(e)) return undefined;
  return fd.localIsClient === false ? fd.cport : fd.sport;
}

// --- JSON helpers for k8s audit -------------------------------------------------------------------

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 6901 JSON pointer (`/a/b~1c/0`). */
export function jsonPointer(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  if (!pointer.startsWith('/')) return undefined;
  let cur: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(key)) return undefined;
      cur = cur[Number(key)];
    } else if (isObj(cur)) {
      cur = Object.hasOwn(cur, key) ? cur[key] : undefined;
    } else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** A JSON value as a field string: strings as they are, the rest as compact JSON. */
function jsonScalar(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function ptr(path: string): Getter<AnyEvent> {
  return ka((e) => jsonScalar(jsonPointer(e.event, path)));
}

function arrayAt(e: K8sAuditEvent, path: string): unknown[] {
  const v = jsonPointer(e.event, path);
  return Array.isArray(v) ? v : [];
}

function listOf(values: (string | undefined)[]): readonly string[] | undefined {
  const out = values.filter((v): v is string => v !== undefined);
  return out.length > 0 ? out : undefined;
}

/** `registry/repo:tag@digest` → `registry/repo` (a port in the registry host is not a tag). */
export function imageRepository(image: string): string {
  let s = image;
  const at = s.indexOf('@');
  if (at >= 0) s = s.slice(0, at);
  const slash = s.lastIndexOf('/');
  const colon = s.lastIndexOf(':');
  if (colon > slash) s = s.slice(0, colon);
  return s;
}

function containersOf(kind: 'containers' | 'initContainers' | 'ephemeralContainers'): (e: K8sAuditEvent) => unknown[] {
  return (e) => arrayAt(e, `/requestObject/spec/${kind}`);
}

function containerImages(kind: 'containers' | 'initContainers' | 'ephemeralContainers'): Getter<AnyEvent> {
  const list = containersOf(kind);
  return ka((e) => listOf(list(e).map((c) => (isObj(c) && typeof c.image === 'string' ? c.image : undefined))));
}

function containerRepos(kind: 'containers' | 'initContainers' | 'ephemeralContainers'): Getter<AnyEvent> {
  const list = containersOf(kind);
  return ka((e) =>
    listOf(list(e).map((c) => (isObj(c) && typeof c.image === 'string' ? imageRepository(c.image) : undefined))),
  );
}

function containerPrivileged(kind: 'containers' | 'initContainers' | 'ephemeralContainers'): Getter<AnyEvent> {
  const list = containersOf(kind);
  // A container without securityContext.privileged is unprivileged (the k8saudit plugin says "false").
  return ka((e) =>
    listOf(
      list(e).map((c) => {
        if (!isObj(c)) return undefined;
        const sc = c.securityContext;
        return isObj(sc) && sc.privileged === true ? 'true' : 'false';
      }),
    ),
  );
}

function roleRulesField(key: string): Getter<AnyEvent> {
  return ka((e) => {
    const out: string[] = [];
    for (const r of arrayAt(e, '/requestObject/rules')) {
      if (!isObj(r)) continue;
      const v = r[key];
      if (Array.isArray(v)) for (const x of v) if (typeof x === 'string') out.push(x);
    }
    return out.length > 0 ? out : undefined;
  });
}

function uriParam(e: K8sAuditEvent, name: string): string | undefined {
  const uri = jsonPointer(e.event, '/requestURI');
  if (typeof uri !== 'string') return undefined;
  const q = uri.indexOf('?');
  if (q < 0) return undefined;
  // Falco's k8saudit returns the first value; `command` repeats for each argv element.
  return new URLSearchParams(uri.slice(q + 1)).get(name) ?? undefined;
}

// --- the table ---------------------------------------------------------------------------------------

type Def = Omit<FieldDef, 'source' | 'arg' | 'make'> & {
  arg?: FieldDef['arg'];
  make?: FieldDef['make'];
  get?: Getter<AnyEvent>;
};

function defs(source: EventSourceName, list: Def[]): FieldDef[] {
  return list.map((d) => {
    const { get, make, ...rest } = d;
    return {
      ...rest,
      source,
      arg: d.arg ?? 'none',
      make: make ?? ((): Getter<AnyEvent> => get ?? (() => undefined)),
    };
  });
}

function indexArg(arg: string | undefined): number {
  return arg !== undefined && /^[0-9]{1,3}$/.test(arg) ? Number(arg) : -1;
}

const SYSCALL_FIELDS: FieldDef[] = defs('syscall', [
  { name: 'evt.type', type: 'string', desc: 'event type (execve, openat, connect...)', get: sys((e) => e.type) },
  { name: 'evt.time', type: 'string', desc: 'event time, HH:MM:SS.nnnnnnnnn (UTC)', get: (e) => formatEvtTime(e.ts) },
  { name: 'evt.rawtime', type: 'number', desc: 'event time, ns since the epoch', get: (e) => e.ts },
  { name: 'evt.time.iso8601', type: 'string', desc: 'event time, ISO 8601', get: (e) => formatIsoNs(e.ts) },
  {
    name: 'evt.datetime',
    type: 'string',
    desc: 'event date and time',
    get: (e) => new Date(Math.floor(e.ts / 1e6)).toISOString(),
  },
  { name: 'evt.num', type: 'number', desc: 'event number', get: (e) => e.num },
  { name: 'evt.dir', type: 'string', desc: 'direction (always < : exit events)', get: () => '<' },
  { name: 'evt.res', type: 'string', desc: 'SUCCESS or the errno name', get: sys((e) => renderRes(e.res)) },
  { name: 'evt.rawres', type: 'number', desc: 'return value', get: sys((e) => e.res) },
  {
    name: 'evt.failed',
    type: 'bool',
    desc: 'the call failed',
    get: sys((e) => (e.res === undefined ? undefined : e.res < 0)),
  },
  {
    name: 'evt.args',
    type: 'string',
    desc: 'all arguments as name=value',
    get: sys((e) =>
      Object.entries(e.args)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
    ),
  },
  {
    name: 'evt.arg',
    type: 'string',
    desc: 'one argument by name (evt.arg.flags or evt.arg[flags])',
    arg: 'key',
    dotted: true,
    make: (arg) => sys((e) => (arg !== undefined && Object.hasOwn(e.args, arg) ? e.args[arg] : undefined)),
  },
  {
    name: 'evt.is_open_read',
    type: 'bool',
    desc: 'an open for reading',
    get: sys((e) => (isOpen(e) ? /O_RDONLY|O_RDWR/.test(String(e.args.flags ?? '')) : undefined)),
  },
  {
    name: 'evt.is_open_write',
    type: 'bool',
    desc: 'an open for writing',
    get: sys((e) => (isOpen(e) ? /O_WRONLY|O_RDWR/.test(String(e.args.flags ?? '')) : undefined)),
  },
  {
    name: 'evt.is_open_exec',
    type: 'bool',
    desc: 'an open that creates an executable file',
    get: sys((e) =>
      isOpen(e) ? /O_CREAT/.test(String(e.args.flags ?? '')) && /S_IX/.test(String(e.args.mode ?? '')) : undefined,
    ),
  },
  { name: 'evt.hostname', type: 'string', desc: 'host name', get: (e) => e.hostname ?? defaultHostname() },
  { name: 'evt.source', type: 'string', desc: 'event source', get: (e) => e.source },

  { name: 'proc.pid', type: 'number', desc: 'process id', get: sys((e) => e.proc.pid) },
  {
    name: 'proc.ppid',
    type: 'number',
    desc: 'parent process id',
    get: sys((e) => e.proc.ppid ?? e.ancestors?.[0]?.pid),
  },
  { name: 'proc.name', type: 'string', desc: 'process name (comm)', get: sys((e) => e.proc.name) },
  { name: 'proc.exe', type: 'string', desc: 'argv[0]', get: sys((e) => e.proc.exe) },
  { name: 'proc.exepath', type: 'string', desc: 'full executable path', get: sys((e) => e.proc.exepath) },
  { name: 'proc.args', type: 'string', desc: 'arguments (argv[1..])', get: sys((e) => e.proc.args?.join(' ') ?? '') },
  { name: 'proc.cmdline', type: 'string', desc: 'name and arguments', get: sys((e) => cmdline(e.proc)) },
  { name: 'proc.cwd', type: 'string', desc: 'working directory', get: sys((e) => e.proc.cwd) },
  { name: 'proc.tty', type: 'number', desc: 'controlling terminal (0: none)', get: sys((e) => e.proc.tty) },
  { name: 'proc.sid', type: 'number', desc: 'session id', get: sys((e) => e.proc.sid) },
  { name: 'proc.sname', type: 'string', desc: 'session leader name', get: sys((e) => e.proc.sname) },
  { name: 'proc.vpgid', type: 'number', desc: 'process group id', get: sys((e) => e.proc.vpgid) },
  {
    name: 'proc.is_vpgid_leader',
    type: 'bool',
    desc: 'the process leads its process group',
    get: sys((e) => (e.proc.vpgid === undefined ? undefined : e.proc.vpgid === e.proc.pid)),
  },
  { name: 'proc.pname', type: 'string', desc: 'parent name', get: sys((e) => e.ancestors?.[0]?.name) },
  { name: 'proc.pcmdline', type: 'string', desc: 'parent command line', get: sys((e) => cmdline(e.ancestors?.[0])) },
  { name: 'proc.pexe', type: 'string', desc: 'parent argv[0]', get: sys((e) => e.ancestors?.[0]?.exe) },
  { name: 'proc.pexepath', type: 'string', desc: 'parent executable path', get: sys((e) => e.ancestors?.[0]?.exepath) },
  ...(['name', 'exe', 'exepath', 'pid', 'cmdline'] as const).map(
    (k): Def => ({
      name: `proc.a${k}`,
      type: 'string',
      desc: `ancestor ${k}: [N] is the Nth ancestor (0 the process), no index means any ancestor`,
      arg: 'index',
      argOptional: true,
      make: (arg): Getter<AnyEvent> => {
        const pick = (p: ProcessInfo | undefined): string | undefined => {
          if (!p) return undefined;
          if (k === 'cmdline') return cmdline(p);
          const v = p[k];
          return v === undefined ? undefined : String(v);
        };
        if (arg === undefined) return sys((e) => listOf((e.ancestors ?? []).map(pick)));
        const n = indexArg(arg);
        return sys((e) => pick(ancestor(e, n)));
      },
    }),
  ),
  {
    name: 'proc.is_exe_upper_layer',
    type: 'bool',
    desc: 'the executable is on the container writable (upper) layer',
    get: sys((e) => e.proc.isExeUpperLayer),
  },
  {
    name: 'proc.is_exe_from_memfd',
    type: 'bool',
    desc: 'the executable is a memfd',
    get: sys((e) => e.proc.isExeFromMemfd),
  },
  {
    name: 'proc.exe_ino.ctime',
    type: 'number',
    desc: 'executable inode ctime (ns)',
    get: sys((e) => e.proc.exeCtimeNs),
  },
  {
    name: 'proc.exe_ino.mtime',
    type: 'number',
    desc: 'executable inode mtime (ns)',
    get: sys((e) => e.proc.exeMtimeNs),
  },
  {
    name: 'proc.exe_ino.ctime_duration_proc_start',
    type: 'number',
    desc: 'ns between the executable ctime and the process start',
    get: sys((e) =>
      e.proc.exeCtimeNs !== undefined && e.proc.startNs !== undefined ? e.proc.startNs - e.proc.exeCtimeNs : undefined,
    ),
  },
  {
    name: 'proc.duration',
    type: 'number',
    desc: 'ns since the process started',
    get: sys((e) => (e.proc.startNs === undefined ? undefined : e.ts - e.proc.startNs)),
  },
  {
    name: 'proc.ppid.duration',
    type: 'number',
    desc: 'ns since the parent started',
    get: sys((e) => {
      const s = e.ancestors?.[0]?.startNs;
      return s === undefined ? undefined : e.ts - s;
    }),
  },
  {
    name: 'bollard.exe_in_image',
    type: 'bool',
    desc: 'Bollard drift: the executed file exists, as shipped, in the image layers (false: dropped or changed)',
    get: sys((e) => e.proc.exeInImage),
  },
  { name: 'thread.tid', type: 'number', desc: 'thread id', get: sys((e) => e.proc.tid ?? e.proc.pid) },
  {
    name: 'thread.cap_effective',
    type: 'string',
    desc: 'effective capabilities',
    get: sys((e) => e.proc.capEffective),
  },

  { name: 'user.uid', type: 'number', desc: 'user id', get: sys((e) => e.user?.uid) },
  {
    name: 'user.name',
    type: 'string',
    desc: 'user name (from the container /etc/passwd)',
    get: sys((e) => e.user?.name),
  },
  {
    name: 'user.loginuid',
    type: 'number',
    desc: 'audit login uid (-1 when unset)',
    get: sys((e) => {
      const v = e.user?.loginuid;
      return v === undefined ? undefined : v === NA_UID ? -1 : v;
    }),
  },
  { name: 'user.loginname', type: 'string', desc: 'audit login user name', get: sys((e) => e.user?.loginname) },
  { name: 'group.gid', type: 'number', desc: 'group id', get: sys((e) => e.user?.gid) },
  { name: 'group.name', type: 'string', desc: 'group name', get: sys((e) => e.user?.group) },

  { name: 'fd.num', type: 'number', desc: 'file descriptor number', get: sys((e) => e.fd?.num) },
  { name: 'fd.name', type: 'string', desc: 'file path or connection tuple', get: sys((e) => e.fd?.name) },
  { name: 'fd.nameraw', type: 'string', desc: 'file name as passed', get: sys((e) => e.fd?.name) },
  {
    name: 'fd.directory',
    type: 'string',
    desc: 'directory of the file',
    get: sys((e) => {
      const fd = e.fd;
      if (!fd?.name) return undefined;
      if (fd.type === 'directory') return fd.name;
      return fd.type === 'file' ? dirname(fd.name) : undefined;
    }),
  },
  {
    name: 'fd.filename',
    type: 'string',
    desc: 'file name without directory',
    get: sys((e) => (e.fd?.name && e.fd.type === 'file' ? basename(e.fd.name) : undefined)),
  },
  {
    name: 'fd.type',
    type: 'string',
    desc: 'fd type (file, directory, ipv4, ipv6, unix...)',
    get: sys((e) => e.fd?.type),
  },
  {
    name: 'fd.typechar',
    type: 'string',
    desc: 'fd type as one character (f, d, 4, 6, u...)',
    get: sys((e) => (e.fd?.type ? (TYPECHAR[e.fd.type] ?? 'o') : undefined)),
  },
  { name: 'fd.cip', type: 'ip', desc: 'client address', get: sys((e) => e.fd?.cip) },
  { name: 'fd.sip', type: 'ip', desc: 'server address', get: sys((e) => e.fd?.sip) },
  { name: 'fd.cport', type: 'number', desc: 'client port', get: sys((e) => e.fd?.cport) },
  { name: 'fd.sport', type: 'number', desc: 'server port', get: sys((e) => e.fd?.sport) },
  { name: 'fd.lport', type: 'number', desc: 'local port', get: sys(localPort) },
  { name: 'fd.rport', type: 'number', desc: 'remote port', get: sys(remotePort) },
  {
    name: 'fd.lip',
    type: 'ip',
    desc: 'local address',
    get: sys((e) => (e.fd?.localIsClient === false ? e.fd.sip : e.fd?.cip)),
  },
  {
    name: 'fd.rip',
    type: 'ip',
    desc: 'remote address',
    get: sys((e) => (e.fd?.localIsClient === false ? e.fd.cip : e.fd?.sip)),
  },
  { name: 'fd.l4proto', type: 'string', desc: 'tcp, udp, raw, icmp', get: sys((e) => e.fd?.l4proto) },
  {
    name: 'fd.ip',
    type: 'anyof',
    desc: 'client or server address (matches either)',
    get: sys((e) => listOf([e.fd?.cip, e.fd?.sip])),
  },
  {
    name: 'fd.port',
    type: 'anyof',
    desc: 'client or server port (matches either)',
    get: sys((e) => listOf([e.fd?.cport?.toString(), e.fd?.sport?.toString()])),
  },
  {
    name: 'fd.net',
    type: 'anyof',
    desc: 'client or server address, compared against a CIDR',
    get: sys((e) => listOf([e.fd?.cip, e.fd?.sip])),
  },
  { name: 'fd.snet', type: 'ip', desc: 'server address, compared against a CIDR', get: sys((e) => e.fd?.sip) },
  { name: 'fd.cnet', type: 'ip', desc: 'client address, compared against a CIDR', get: sys((e) => e.fd?.cip) },
  { name: 'fd.connected', type: 'bool', desc: 'the socket is connected', get: sys((e) => e.fd?.connected) },

  {
    name: 'container.id',
    type: 'string',
    desc: 'container id (12 characters) or "host"',
    get: sys((e) => e.container?.id ?? 'host'),
  },
  {
    name: 'container.full_id',
    type: 'string',
    desc: 'full container id',
    get: sys((e) => e.container?.fullId ?? 'host'),
  },
  {
    name: 'container.name',
    type: 'string',
    desc: 'container name',
    get: sys((e) => (e.container ? e.container.name : 'host')),
  },
  { name: 'container.image', type: 'string', desc: 'image (repository:tag)', get: sys((e) => e.container?.image) },
  {
    name: 'container.image.repository',
    type: 'string',
    desc: 'image repository',
    get: sys((e) => e.container?.imageRepository),
  },
  { name: 'container.image.tag', type: 'string', desc: 'image tag', get: sys((e) => e.container?.imageTag) },
  { name: 'container.image.digest', type: 'string', desc: 'image digest', get: sys((e) => e.container?.imageDigest) },
  { name: 'container.image.id', type: 'string', desc: 'image id', get: sys((e) => e.container?.imageId) },
  {
    name: 'container.privileged',
    type: 'bool',
    desc: 'the container runs privileged',
    get: sys((e) => e.container?.privileged),
  },
  { name: 'container.start_ts', type: 'number', desc: 'container start (ns)', get: sys((e) => e.container?.startNs) },
  {
    name: 'container.label',
    type: 'string',
    desc: 'a container label by key',
    arg: 'key',
    make: (arg) =>
      sys((e) => {
        const l = e.container?.labels;
        return arg !== undefined && l && Object.hasOwn(l, arg) ? l[arg] : undefined;
      }),
  },
  { name: 'k8s.ns.name', type: 'string', desc: 'Kubernetes namespace', get: sys((e) => e.container?.k8sNs) },
  { name: 'k8s.pod.name', type: 'string', desc: 'Kubernetes pod name', get: sys((e) => e.container?.k8sPod) },
]);

function isOpen(e: RuntimeEvent): boolean {
  return e.type === 'open' || e.type === 'openat' || e.type === 'openat2' || e.type === 'creat';
}

let cachedHostname: string | undefined;
function defaultHostname(): string {
  cachedHostname ??= osHostname();
  return cachedHostname;
}

const K8S_FIELDS: FieldDef[] = defs('k8s_audit', [
  { name: 'jevt.time', type: 'string', desc: 'event time', get: (e) => formatEvtTime(e.ts) },
  { name: 'jevt.time.iso8601', type: 'string', desc: 'event time, ISO 8601', get: (e) => formatIsoNs(e.ts) },
  { name: 'jevt.rawtime', type: 'number', desc: 'event time (ns)', get: (e) => e.ts },
  {
    name: 'jevt.value',
    type: 'string',
    desc: 'a value by JSON pointer',
    arg: 'pointer',
    make: (arg) => ptr(arg ?? '\u0000'),
  },
  { name: 'jevt.obj', type: 'string', desc: 'the whole event as JSON', get: ka((e) => JSON.stringify(e.event)) },
  { name: 'ka.auditid', type: 'string', desc: 'audit id', get: ptr('/auditID') },
  { name: 'ka.stage', type: 'string', desc: 'stage', get: ptr('/stage') },
  {
    name: 'ka.auth.decision',
    type: 'string',
    desc: 'authorization decision',
    get: ptr('/annotations/authorization.k8s.io~1decision'),
  },
  {
    name: 'ka.auth.reason',
    type: 'string',
    desc: 'authorization reason',
    get: ptr('/annotations/authorization.k8s.io~1reason'),
  },
  { name: 'ka.user.name', type: 'string', desc: 'user name', get: ptr('/user/username') },
  {
    name: 'ka.user.groups',
    type: 'list',
    desc: 'user groups',
    get: ka((e) => listOf(arrayAt(e, '/user/groups').map(jsonScalar))),
  },
  { name: 'ka.impuser.name', type: 'string', desc: 'impersonated user', get: ptr('/impersonatedUser/username') },
  { name: 'ka.verb', type: 'string', desc: 'verb', get: ptr('/verb') },
  { name: 'ka.uri', type: 'string', desc: 'request URI', get: ptr('/requestURI') },
  {
    name: 'ka.uri.param',
    type: 'string',
    desc: 'a query parameter of the request URI',
    arg: 'key',
    make: (arg) => ka((e) => (arg === undefined ? undefined : uriParam(e, arg))),
  },
  { name: 'ka.target.name', type: 'string', desc: 'target object name', get: ptr('/objectRef/name') },
  { name: 'ka.target.namespace', type: 'string', desc: 'target namespace', get: ptr('/objectRef/namespace') },
  { name: 'ka.target.resource', type: 'string', desc: 'target resource', get: ptr('/objectRef/resource') },
  { name: 'ka.target.subresource', type: 'string', desc: 'target subresource', get: ptr('/objectRef/subresource') },
  {
    name: 'ka.req.binding.subjects',
    type: 'string',
    desc: 'binding subjects (JSON)',
    get: ptr('/requestObject/subjects'),
  },
  { name: 'ka.req.binding.role', type: 'string', desc: 'binding role name', get: ptr('/requestObject/roleRef/name') },
  {
    name: 'ka.req.binding.subject.has_name',
    type: 'bool',
    desc: 'a binding subject has this name',
    arg: 'key',
    make: (arg) =>
      ka((e) => {
        const subjects = arrayAt(e, '/requestObject/subjects');
        if (subjects.length === 0) return undefined;
        return subjects.some((s) => isObj(s) && s.name === arg);
      }),
  },
  { name: 'ka.req.configmap.name', type: 'string', desc: 'configmap name', get: ptr('/objectRef/name') },
  { name: 'ka.req.configmap.obj', type: 'string', desc: 'configmap data (JSON)', get: ptr('/requestObject/data') },
  { name: 'ka.req.pod.containers.image', type: 'list', desc: 'container images', get: containerImages('containers') },
  {
    name: 'ka.req.container.image',
    type: 'string',
    desc: 'first container image',
    get: ptr('/requestObject/spec/containers/0/image'),
  },
  {
    name: 'ka.req.pod.containers.image.repository',
    type: 'list',
    desc: 'container image repositories',
    get: containerRepos('containers'),
  },
  {
    name: 'ka.req.container.image.repository',
    type: 'string',
    desc: 'first container image repository',
    get: ka((e) => {
      const v = jsonPointer(e.event, '/requestObject/spec/containers/0/image');
      return typeof v === 'string' ? imageRepository(v) : undefined;
    }),
  },
  {
    name: 'ka.req.pod.initContainers.image',
    type: 'list',
    desc: 'init container images',
    get: containerImages('initContainers'),
  },
  {
    name: 'ka.req.pod.initContainers.image.repository',
    type: 'list',
    desc: 'init container image repositories',
    get: containerRepos('initContainers'),
  },
  {
    name: 'ka.req.pod.ephemeralContainers.image',
    type: 'list',
    desc: 'ephemeral container images',
    get: containerImages('ephemeralContainers'),
  },
  {
    name: 'ka.req.pod.ephemeralContainers.image.repository',
    type: 'list',
    desc: 'ephemeral container image repositories',
    get: containerRepos('ephemeralContainers'),
  },
  {
    name: 'ka.req.pod.containers.privileged',
    type: 'list',
    desc: 'privileged flag of each container',
    get: containerPrivileged('containers'),
  },
  {
    name: 'ka.req.pod.initContainers.privileged',
    type: 'list',
    desc: 'privileged flag of each init container',
    get: containerPrivileged('initContainers'),
  },
  {
    name: 'ka.req.pod.ephemeralContainers.privileged',
    type: 'list',
    desc: 'privileged flag of each ephemeral container',
    get: containerPrivileged('ephemeralContainers'),
  },
  { name: 'ka.req.pod.host_ipc', type: 'string', desc: 'hostIPC', get: ptr('/requestObject/spec/hostIPC') },
  { name: 'ka.req.pod.host_network', type: 'string', desc: 'hostNetwork', get: ptr('/requestObject/spec/hostNetwork') },
  { name: 'ka.req.pod.host_pid', type: 'string', desc: 'hostPID', get: ptr('/requestObject/spec/hostPID') },
  {
    name: 'ka.req.pod.containers.host_port',
    type: 'list',
    desc: 'host ports of every container',
    get: ka((e) => {
      const out: string[] = [];
      for (const c of arrayAt(e, '/requestObject/spec/containers')) {
        if (!isObj(c) || !Array.isArray(c.ports)) continue;
        for (const p of c.ports) if (isObj(p) && typeof p.hostPort === 'number') out.push(String(p.hostPort));
      }
      return out.length > 0 ? out : undefined;
    }),
  },
  {
    name: 'ka.req.pod.volumes.hostpath',
    type: 'list',
    desc: 'hostPath volume paths',
    get: ka((e) =>
      listOf(
        arrayAt(e, '/requestObject/spec/volumes').map((v) =>
          isObj(v) && isObj(v.hostPath) && typeof v.hostPath.path === 'string' ? v.hostPath.path : undefined,
        ),
      ),
    ),
  },
  { name: 'ka.req.role.rules', type: 'string', desc: 'role rules (JSON)', get: ptr('/requestObject/rules') },
  { name: 'ka.req.role.rules.verbs', type: 'list', desc: 'verbs of all role rules', get: roleRulesField('verbs') },
  {
    name: 'ka.req.role.rules.resources',
    type: 'list',
    desc: 'resources of all role rules',
    get: roleRulesField('resources'),
  },
  {
    name: 'ka.req.role.rules.apiGroups',
    type: 'list',
    desc: 'apiGroups of all role rules',
    get: roleRulesField('apiGroups'),
  },
  { name: 'ka.req.service.type', type: 'string', desc: 'service type', get: ptr('/requestObject/spec/type') },
  { name: 'ka.req.service.ports', type: 'string', desc: 'service ports (JSON)', get: ptr('/requestObject/spec/ports') },
  { name: 'ka.resp.name', type: 'string', desc: 'response object name', get: ptr('/responseObject/metadata/name') },
  { name: 'ka.response.code', type: 'string', desc: 'response code', get: ptr('/responseStatus/code') },
  { name: 'ka.response.reason', type: 'string', desc: 'response reason', get: ptr('/responseStatus/reason') },
  { name: 'ka.useragent', type: 'string', desc: 'user agent', get: ptr('/userAgent') },
  {
    name: 'ka.sourceips',
    type: 'list',
    desc: 'source addresses',
    get: ka((e) => listOf(arrayAt(e, '/sourceIPs').map(jsonScalar))),
  },
]);

const BY_SOURCE: Record<EventSourceName, Map<string, FieldDef>> = {
  syscall: new Map(SYSCALL_FIELDS.map((d) => [d.name, d])),
  k8s_audit: new Map(K8S_FIELDS.map((d) => [d.name, d])),
};

/** Every field Bollard provides for a source (for `bollard runtime rules --fields` and docs). */
export function fieldsFor(source: EventSourceName): readonly FieldDef[] {
  return source === 'syscall' ? SYSCALL_FIELDS : K8S_FIELDS;
}

export function isKnownSource(s: string): s is EventSourceName {
  return s === 'syscall' || s === 'k8s_audit';
}

/**
 * Resolve `name` with optional `[arg]` for a source. Returns undefined when Bollard does not
 * provide the field (the caller disables the rule and names the field), or a string error when
 * the argument is malformed.
 */
export function resolveField(
  source: EventSourceName,
  name: string,
  arg: string | undefined,
): FieldRef | string | undefined {
  const table = BY_SOURCE[source];
  let def = table.get(name);
  let a = arg;
  if (!def) {
    // evt.arg.flags: a dotted argument.
    for (let i = name.lastIndexOf('.'); i > 0; i = name.lastIndexOf('.', i - 1)) {
      const d = table.get(name.slice(0, i));
      if (d?.dotted && a === undefined) {
        def = d;
        a = name.slice(i + 1);
        break;
      }
    }
  }
  if (!def) return undefined;
  const text = arg === undefined ? name : `${name}[${arg}]`;
  if (def.arg === 'none' && a !== undefined) return `field ${name} takes no argument`;
  if (def.arg !== 'none' && a === undefined && !def.argOptional) return `field ${name} needs an argument`;
  if (def.arg === 'index' && a !== undefined && indexArg(a) < 0)
    return `field ${name} needs a numeric index, got "${a}"`;
  if (def.arg === 'pointer' && a !== undefined && a !== '' && !a.startsWith('/'))
    return `field ${name} needs a JSON pointer starting with /, got "${a}"`;
  let type = def.type;
  if (def.name.startsWith('proc.a') && def.arg === 'index') type = a === undefined ? 'anyof' : 'string';
  return { def, arg: a, text, get: def.make(a), type };
}
