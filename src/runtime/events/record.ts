import { jsonDepth } from '../../util/json.ts';
import type { AnyEvent, ContainerInfo, FdInfo, K8sAuditEvent, ProcessInfo, RuntimeEvent, UserInfo } from './types.ts';

/**
 * The JSON-lines recording format read by `bollard runtime replay` and written by
 * `bollard runtime --record FILE`: one object per line, either
 *   - a sensor event: `{"source":"syscall","type":"execve","ts":<ns>,"proc":{...},"args":{...},...}`
 *     (the RuntimeEvent shape of events/types.ts), or
 *   - a Kubernetes audit `Event` (`apiVersion: audit.k8s.io/v1`), or an `EventList` of them.
 * Every line is untrusted: it is bounded, validated field by field and copied into a fresh object;
 * a malformed line is skipped and reported with its line number, never fatal.
 */

export interface RecordLimits {
  /** Longest line accepted, bytes. */
  maxLineBytes: number;
  maxDepth: number;
  /** Longest string kept in any field (longer strings are cut). */
  maxStringChars: number;
  /** Most argv entries, args keys, ancestors, labels kept. */
  maxItems: number;
}

export const defaultRecordLimits: Readonly<RecordLimits> = Object.freeze({
  maxLineBytes: 4 * 1024 * 1024,
  maxDepth: 64,
  maxStringChars: 64 * 1024,
  maxItems: 1024,
});

export type DecodeResult = { ok: true; events: AnyEvent[] } | { ok: false; error: string };

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Invalid extends Error {}

function bad(msg: string): never {
  throw new Invalid(msg);
}

interface Ctx {
  lim: RecordLimits;
}

function str(c: Ctx, v: unknown, what: string, required = false): string | undefined {
  if (v === undefined || v === null) {
    if (required) bad(`${what} is missing`);
    return undefined;
  }
  if (typeof v !== 'string') bad(`${what} must be a string`);
  return v.length > c.lim.maxStringChars ? v.slice(0, c.lim.maxStringChars) : v;
}

function num(v: unknown, what: string, required = false): number | undefined {
  if (v === undefined || v === null) {
    if (required) bad(`${what} is missing`);
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) bad(`${what} must be a number`);
  return v;
}

function bool(v: unknown, what: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') bad(`${what} must be true or false`);
  return v;
}

function strList(c: Ctx, v: unknown, what: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) bad(`${what} must be a list of strings`);
  return v.slice(0, c.lim.maxItems).map((x, i) => str(c, x, `${what}[${i}]`, true) as string);
}

function strMap(c: Ctx, v: unknown, what: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) bad(`${what} must be an object`);
  const out: Record<string, string> = Object.create(null);
  for (const [k, x] of Object.entries(v).slice(0, c.lim.maxItems)) out[k] = str(c, x, `${what}.${k}`, true) as string;
  return out;
}

/** Copy defined keys only (exactOptionalPropertyTypes-friendly and keeps records small). */
function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function proc(c: Ctx, v: unknown, what: string): ProcessInfo {
  if (!isObj(v)) bad(`${what} must be an object`);
  return compact({
    pid: num(v.pid, `${what}.pid`, true) as number,
    tid: num(v.tid, `${what}.tid`),
    ppid: num(v.ppid, `${what}.ppid`),
    name: str(c, v.name, `${what}.name`, true) as string,
    exe: str(c, v.exe, `${what}.exe`),
    exepath: str(c, v.exepath, `${what}.exepath`),
    args: strList(c, v.args, `${what}.args`),
    cwd: str(c, v.cwd, `${what}.cwd`),
    tty: num(v.tty, `${what}.tty`),
    sid: num(v.sid, `${what}.sid`),
    vpgid: num(v.vpgid, `${what}.vpgid`),
    sname: str(c, v.sname, `${what}.sname`),
    startNs: num(v.startNs, `${what}.startNs`),
    isExeUpperLayer: bool(v.isExeUpperLayer, `${what}.isExeUpperLayer`),
    isExeFromMemfd: bool(v.isExeFromMemfd, `${what}.isExeFromMemfd`),
    exeInImage: bool(v.exeInImage, `${what}.exeInImage`),
    capEffective: str(c, v.capEffective, `${what}.capEffective`),
    exeCtimeNs: num(v.exeCtimeNs, `${what}.exeCtimeNs`),
    exeMtimeNs: num(v.exeMtimeNs, `${what}.exeMtimeNs`),
  });
}

function user(c: Ctx, v: unknown): UserInfo | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) bad('user must be an object');
  return compact({
    uid: num(v.uid, 'user.uid', true) as number,
    name: str(c, v.name, 'user.name'),
    loginuid: num(v.loginuid, 'user.loginuid'),
    loginname: str(c, v.loginname, 'user.loginname'),
    gid: num(v.gid, 'user.gid'),
    group: str(c, v.group, 'user.group'),
  });
}

function fd(c: Ctx, v: unknown): FdInfo | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) bad('fd must be an object');
  return compact({
    num: num(v.num, 'fd.num'),
    name: str(c, v.name, 'fd.name'),
    type: str(c, v.type, 'fd.type'),
    cip: str(c, v.cip, 'fd.cip'),
    cport: num(v.cport, 'fd.cport'),
    sip: str(c, v.sip, 'fd.sip'),
    sport: num(v.sport, 'fd.sport'),
    l4proto: str(c, v.l4proto, 'fd.l4proto'),
    localIsClient: bool(v.localIsClient, 'fd.localIsClient'),
    connected: bool(v.connected, 'fd.connected'),
  });
}

function container(c: Ctx, v: unknown): ContainerInfo | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) bad('container must be an object');
  return compact({
    id: str(c, v.id, 'container.id', true) as string,
    fullId: str(c, v.fullId, 'container.fullId'),
    name: str(c, v.name, 'container.name'),
    image: str(c, v.image, 'container.image'),
    imageRepository: str(c, v.imageRepository, 'container.imageRepository'),
    imageTag: str(c, v.imageTag, 'container.imageTag'),
    imageDigest: str(c, v.imageDigest, 'container.imageDigest'),
    imageId: str(c, v.imageId, 'container.imageId'),
    privileged: bool(v.privileged, 'container.privileged'),
    labels: strMap(c, v.labels, 'container.labels'),
    startNs: num(v.startNs, 'container.startNs'),
    k8sNs: str(c, v.k8sNs, 'container.k8sNs'),
    k8sPod: str(c, v.k8sPod, 'container.k8sPod'),
  });
}

/** Validate a parsed sensor event and copy it into a fresh RuntimeEvent. */
export function decodeRuntimeEvent(v: unknown, lim: RecordLimits = defaultRecordLimits): RuntimeEvent | string {
  const c: Ctx = { lim };
  try {
    if (!isObj(v)) bad('an event must be an object');
    const type = str(c, v.type, 'type', true) as string;
    if (!/^[a-z_][a-z0-9_]{0,63}$/.test(type)) bad(`type "${type.slice(0, 40)}" is not an event type`);
    const argsIn = v.args ?? {};
    if (!isObj(argsIn)) bad('args must be an object');
    const args: Record<string, string | number> = Object.create(null);
    for (const [k, x] of Object.entries(argsIn).slice(0, lim.maxItems)) {
      if (typeof x === 'number' && Number.isFinite(x)) args[k] = x;
      else args[k] = str(c, x, `args.${k}`, true) as string;
    }
    let ancestors: ProcessInfo[] | undefined;
    if (v.ancestors !== undefined && v.ancestors !== null) {
      if (!Array.isArray(v.ancestors)) bad('ancestors must be a list');
      ancestors = v.ancestors.slice(0, lim.maxItems).map((a, i) => proc(c, a, `ancestors[${i}]`));
    }
    return compact({
      source: 'syscall' as const,
      type,
      ts: num(v.ts, 'ts', true) as number,
      num: num(v.num, 'num'),
      res: num(v.res, 'res'),
      args,
      proc: proc(c, v.proc, 'proc'),
      ancestors,
      user: user(c, v.user),
      fd: fd(c, v.fd),
      container: container(c, v.container),
      hostname: str(c, v.hostname, 'hostname'),
      cgroupId: num(v.cgroupId, 'cgroupId'),
    });
  } catch (e) {
    if (e instanceof Invalid) return e.message;
    throw e;
  }
}

function auditTime(ev: Record<string, unknown>): number | undefined {
  for (const k of ['stageTimestamp', 'requestReceivedTimestamp']) {
    const t = ev[k];
    if (typeof t !== 'string') continue;
    const ms = Date.parse(t);
    if (Number.isNaN(ms)) continue;
    // Keep the microseconds the API server writes (2024-01-01T00:00:00.123456Z).
    const frac = /\.(\d+)Z$/.exec(t)?.[1] ?? '';
    const extraNs = Number((frac.slice(3, 9) || '0').padEnd(6, '0'));
    return ms * 1e6 + extraNs;
  }
  return undefined;
}

/** One audit `Event` object → a K8sAuditEvent (or why it is not one). */
export function decodeAuditEvent(v: unknown, receivedNs: number): K8sAuditEvent | string {
  if (!isObj(v)) return 'an audit event must be an object';
  if (v.kind !== 'Event') return `kind is ${JSON.stringify(v.kind)}, expected Event`;
  if (typeof v.apiVersion !== 'string' || !v.apiVersion.startsWith('audit.k8s.io/'))
    return 'apiVersion must be audit.k8s.io/v1';
  if (typeof v.verb !== 'string') return 'verb is missing';
  return { source: 'k8s_audit', ts: auditTime(v) ?? receivedNs, event: v };
}

/** Decode one parsed JSON value (sensor event, audit Event or EventList). */
export function decodeRecord(
  v: unknown,
  lim: RecordLimits = defaultRecordLimits,
  nowNs = Date.now() * 1e6,
): DecodeResult {
  if (isObj(v) && v.source === 'syscall') {
    const e = decodeRuntimeEvent(v, lim);
    return typeof e === 'string' ? { ok: false, error: e } : { ok: true, events: [e] };
  }
  if (isObj(v) && v.kind === 'EventList') {
    if (!Array.isArray(v.items)) return { ok: false, error: 'EventList without items' };
    const events: AnyEvent[] = [];
    for (const [i, it] of v.items.entries()) {
      const e = decodeAuditEvent(it, nowNs);
      if (typeof e === 'string') return { ok: false, error: `items[${i}]: ${e}` };
      events.push(e);
    }
    return { ok: true, events };
  }
  if (isObj(v) && v.kind === 'Event') {
    const e = decodeAuditEvent(v, nowNs);
    return typeof e === 'string' ? { ok: false, error: e } : { ok: true, events: [e] };
  }
  return { ok: false, error: 'not a sensor event (source: syscall) nor a Kubernetes audit Event/EventList' };
}

/** Decode one line of a recording. */
export function decodeLine(line: string, lim: RecordLimits = defaultRecordLimits, nowNs?: number): DecodeResult {
  if (Buffer.byteLength(line) > lim.maxLineBytes)
    return { ok: false, error: `line is longer than ${lim.maxLineBytes} bytes` };
  if (jsonDepth(line) > lim.maxDepth) return { ok: false, error: `JSON nests deeper than ${lim.maxDepth} levels` };
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  return decodeRecord(v, lim, nowNs);
}

/** One line of the recording format for a sensor event. */
export function encodeEvent(e: RuntimeEvent): string {
  return JSON.stringify(e);
}
