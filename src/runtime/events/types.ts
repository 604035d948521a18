/**
 * The runtime event model. One shape for every syscall-source backend (bpftrace today, a CO-RE
 * helper later, replay always); rules read it only through the Falco-named field table in
 * `fields.ts`, so a backend fills what it knows and leaves the rest undefined (rendered `<NA>`,
 * and a comparison on a missing value is false, as in Falco).
 */

/** Which rule source an event belongs to (Falco's `source:` key). */
export type EventSourceName = 'syscall' | 'k8s_audit';

/** One process as the sensor saw it (the event's own process or an ancestor). */
export interface ProcessInfo {
  pid: number;
  /** Thread id when it differs from pid. */
  tid?: number;
  ppid?: number;
  /** `comm` (at most 15 characters in the kernel). */
  name: string;
  /** argv[0] as the process was started (Falco `proc.exe`). */
  exe?: string;
  /** Full path of the executable (Falco `proc.exepath`). */
  exepath?: string;
  /** argv[1..] (Falco `proc.args` joins them with spaces). */
  args?: string[];
  cwd?: string;
  /** Controlling terminal device number, 0 when none. */
  tty?: number;
  /** Session id and process-group id, when known. */
  sid?: number;
  vpgid?: number;
  /** Name of the session leader (Falco `proc.sname`). */
  sname?: string;
  /** Start time, ns since the epoch. */
  startNs?: number;
  /** The executable is on the container's writable (upper) layer. */
  isExeUpperLayer?: boolean;
  /** The executable is a memfd (fileless). */
  isExeFromMemfd?: boolean;
  /** Bollard drift: the executable exists, as shipped, in the image's layers (undefined: unknown). */
  exeInImage?: boolean;
  /** Effective capabilities, Falco format (`CAP_CHOWN CAP_DAC_OVERRIDE ...`). */
  capEffective?: string;
  /** Executable inode times, ns since the epoch. */
  exeCtimeNs?: number;
  exeMtimeNs?: number;
}

export interface UserInfo {
  uid: number;
  name?: string;
  /** Audit login uid; -1 (unset) is reported as 4294967295 like Falco does for unsigned -1. */
  loginuid?: number;
  loginname?: string;
  gid?: number;
  group?: string;
}

/** The file descriptor an event acted on. */
export interface FdInfo {
  num?: number;
  /** File path, or `cip:cport->sip:sport` for sockets (Falco's `fd.name`). */
  name?: string;
  /** `file`, `directory`, `ipv4`, `ipv6`, `unix`, `pipe`, `event`, `signalfd`, `inotify`, `memfd`... */
  type?: string;
  /** Client/server addresses and ports for sockets. */
  cip?: string;
  cport?: number;
  sip?: string;
  sport?: number;
  /** `tcp`, `udp`, `raw`, `icmp`... */
  l4proto?: string;
  /** Whether the local side is the client (decides fd.lport / fd.rport). */
  localIsClient?: boolean;
  connected?: boolean;
}

export interface ContainerInfo {
  /** 12-character id like Falco, or `host`. */
  id: string;
  fullId?: string;
  name?: string;
  /** `repository:tag` as the engine reports it. */
  image?: string;
  imageRepository?: string;
  imageTag?: string;
  imageDigest?: string;
  imageId?: string;
  privileged?: boolean;
  labels?: Record<string, string>;
  /** Container start, ns since the epoch. */
  startNs?: number;
  k8sNs?: string;
  k8sPod?: string;
}

/** A syscall-source event (what the sensor records and `runtime replay` reads back). */
export interface RuntimeEvent {
  source: 'syscall';
  /** Falco event type (`execve`, `openat`, `connect`, `ptrace`, ...). */
  type: string;
  /** ns since the epoch. */
  ts: number;
  /** Monotonic event number within a sensor run. */
  num?: number;
  /** Return value (negative errno on failure). */
  res?: number;
  /** Event arguments with Falco's names and renderings (`flags`: `O_WRONLY|O_CREAT|O_TRUNC`). */
  args: Record<string, string | number>;
  proc: ProcessInfo;
  /** Parent first, then grandparent, ... (bounded by the sensor's ancestry cache). */
  ancestors?: ProcessInfo[];
  user?: UserInfo;
  fd?: FdInfo;
  container?: ContainerInfo;
  hostname?: string;
  /** cgroup v2 id (inode of the cgroup directory) from the sensor, resolved to a container by enrich. */
  cgroupId?: number;
}

/** A Kubernetes audit event (one `audit.k8s.io/v1` Event), read through `ka.*` and `jevt.*`. */
export interface K8sAuditEvent {
  source: 'k8s_audit';
  /** ns since the epoch (from stageTimestamp, else requestReceivedTimestamp, else receipt). */
  ts: number;
  num?: number;
  /** The parsed audit event object (untrusted JSON, bounded when parsed). */
  event: Record<string, unknown>;
  hostname?: string;
}

export type AnyEvent = RuntimeEvent | K8sAuditEvent;
