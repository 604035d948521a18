import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../util/logger.ts';
import { imageRepository } from '../events/fields.ts';
import type { AnyEvent, ContainerInfo, RuntimeEvent } from '../events/types.ts';
import type { EngineApi } from './engine-api.ts';

/**
 * Enrichment for sensor events: container id from the cgroup, container metadata from the engine
 * API (and its event stream, so short-lived containers resolve), user and group names from the
 * container's own /etc/passwd and /etc/group, capabilities, and drift: whether the executed file
 * is on the container's writable layer (`proc.is_exe_upper_layer`) and whether it exists, as
 * shipped, in the image layers (`bollard.exe_in_image`).
 */

const ID = '([0-9a-f]{64})';
const CGROUP_FORMS = [
  new RegExp(`libpod-${ID}(?:\\.scope)?(?:/|$)`),
  new RegExp(`docker-${ID}\\.scope`),
  new RegExp(`/docker/${ID}(?:/|$)`),
  new RegExp(`cri-containerd-${ID}\\.scope`),
  new RegExp(`crio-${ID}(?:\\.scope)?(?:/|$)`),
  new RegExp(`/kubepods[^ ]*/(?:pod[^/]+/)?${ID}(?:/|$)`),
];

/** The full container id in a cgroup path (podman, docker, containerd, CRI-O, kubelet forms), if any. */
export function containerIdFromCgroupPath(path: string): string | undefined {
  for (const re of CGROUP_FORMS) {
    const m = re.exec(path);
    if (m) return m[1];
  }
  return undefined;
}

/** cgroup v2 inode → path under the unified hierarchy, rescanned (rate-limited) on a miss. */
export class CgroupIndex {
  readonly #root: string;
  #byIno = new Map<number, string>();
  #lastScan = 0;
  constructor(root = defaultCgroupRoot()) {
    this.#root = root;
  }

  #scan(): void {
    const m = new Map<number, string>();
    const stack: [string, number][] = [['', 0]];
    let dirs = 0;
    while (stack.length > 0 && dirs < 50_000) {
      const [rel, depth] = stack.pop() as [string, number];
      const abs = rel ? join(this.#root, rel) : this.#root;
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(abs);
      } catch {
        continue;
      }
      dirs++;
      m.set(Number(st.ino), `/${rel}`);
      if (depth >= 8) continue;
      let entries: string[];
      try {
        entries = readdirSync(abs, { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => d.name);
      } catch {
        continue;
      }
      for (const n of entries) stack.push([rel ? `${rel}/${n}` : n, depth + 1]);
    }
    this.#byIno = m;
    this.#lastScan = Date.now();
  }

  /** Ids that were not found by the last scan (a cgroup already gone): not rescanned for again. */
  readonly #missed = new Set<number>();

  /** The cgroup path of an id (rescanning at most every 200 ms, once per unknown id). */
  path(cgroupId: number): string | undefined {
    let p = this.#byIno.get(cgroupId);
    if (p === undefined && !this.#missed.has(cgroupId) && Date.now() - this.#lastScan > 200) {
      this.#scan();
      p = this.#byIno.get(cgroupId);
      if (p === undefined) {
        this.#missed.add(cgroupId);
        if (this.#missed.size > 10_000) this.#missed.clear();
      }
    }
    return p;
  }
}

function defaultCgroupRoot(): string {
  try {
    statSync('/sys/fs/cgroup/unified/cgroup.procs');
    return '/sys/fs/cgroup/unified';
  } catch {
    return '/sys/fs/cgroup';
  }
}

/** What enrichment knows about a container beyond ContainerInfo. */
export interface ContainerMeta extends ContainerInfo {
  pid?: number;
  upperDir?: string;
  lowerDirs?: string[];
  mergedDir?: string;
}

function delay(ms: number): Promise<undefined> {
  return new Promise((r) => setTimeout(() => r(undefined), ms).unref());
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Docker Engine API inspect → ContainerMeta (podman answers the same shape). */
export function containerMetaFromInspect(v: unknown): ContainerMeta | undefined {
  if (!isObj(v) || typeof v.Id !== 'string') return undefined;
  const cfg = isObj(v.Config) ? v.Config : {};
  const host = isObj(v.HostConfig) ? v.HostConfig : {};
  const state = isObj(v.State) ? v.State : {};
  const gd = isObj(v.GraphDriver) && isObj(v.GraphDriver.Data) ? v.GraphDriver.Data : {};
  const labels: Record<string, string> = {};
  if (isObj(cfg.Labels)) for (const [k, x] of Object.entries(cfg.Labels)) if (typeof x === 'string') labels[k] = x;
  const image = typeof cfg.Image === 'string' ? cfg.Image : undefined;
  const repo = image ? imageRepository(image) : undefined;
  const noDigest = image?.split('@')[0];
  const tag = image && noDigest && repo && noDigest.length > repo.length ? noDigest.slice(repo.length + 1) : undefined;
  const digest = image?.includes('@') ? image.slice(image.indexOf('@') + 1) : undefined;
  const started = typeof state.StartedAt === 'string' ? Date.parse(state.StartedAt) : Number.NaN;
  const name = typeof v.Name === 'string' ? v.Name.replace(/^\//, '') : undefined;
  const meta: ContainerMeta = {
    id: v.Id.slice(0, 12),
    fullId: v.Id,
    ...(name ? { name } : {}),
    ...(image ? { image } : {}),
    ...(repo ? { imageRepository: repo } : {}),
    ...(tag ? { imageTag: tag } : {}),
    ...(digest ? { imageDigest: digest } : {}),
    ...(typeof v.Image === 'string' ? { imageId: v.Image } : {}),
    privileged: host.Privileged === true,
    labels,
    ...(Number.isNaN(started) ? {} : { startNs: started * 1e6 }),
    ...(labels['io.kubernetes.pod.namespace'] ? { k8sNs: labels['io.kubernetes.pod.namespace'] } : {}),
    ...(labels['io.kubernetes.pod.name'] ? { k8sPod: labels['io.kubernetes.pod.name'] } : {}),
    ...(typeof state.Pid === 'number' && state.Pid > 0 ? { pid: state.Pid } : {}),
    ...(typeof gd.UpperDir === 'string' ? { upperDir: gd.UpperDir } : {}),
    ...(typeof gd.LowerDir === 'string' ? { lowerDirs: gd.LowerDir.split(':').filter(Boolean) } : {}),
    ...(typeof gd.MergedDir === 'string' ? { mergedDir: gd.MergedDir } : {}),
  };
  return meta;
}

/** `name:x:uid:gid:...` → uid → name (bounded: 1 MiB, first 100k lines). */
export function parseIdFile(text: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const line of text.split('\n', 100_000)) {
    const c = line.split(':');
    if (c.length < 3 || !c[0] || c[0].startsWith('#')) continue;
    const id = Number(c[2]);
    if (Number.isInteger(id) && !m.has(id)) m.set(id, c[0]);
  }
  return m;
}

function readBounded(path: string, max: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    if (!fstatSync(fd).isFile()) return undefined;
    const buf = Buffer.alloc(max);
    const n = readSync(fd, buf, 0, max, 0);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Resolve `path` inside `root` following symlinks as the container would (absolute targets are
 * re-rooted, `..` never climbs above root, bounded hops). Returns the path relative to the
 * container root, or undefined when it does not resolve.
 */
export function resolveInRoot(roots: readonly string[], path: string, maxHops = 40): string | undefined {
  const parts = path.split('/').filter((p) => p && p !== '.');
  const done: string[] = [];
  let hops = 0;
  while (parts.length > 0) {
    const p = parts.shift() as string;
    if (p === '..') {
      done.pop();
      continue;
    }
    const rel = [...done, p].join('/');
    let link: string | undefined;
    let found = false;
    for (const r of roots) {
      try {
        const st = lstatSync(join(r, rel));
        found = true;
        if (st.isSymbolicLink()) link = readlinkSync(join(r, rel));
        break;
      } catch {
        // not in this layer
      }
    }
    if (!found) return undefined;
    if (link !== undefined) {
      if (++hops > maxHops) return undefined;
      const target = link.split('/').filter((x) => x && x !== '.');
      if (link.startsWith('/')) done.length = 0;
      parts.unshift(...target);
      continue;
    }
    done.push(p);
  }
  return `/${done.join('/')}`;
}

function existsIn(dir: string, rel: string): boolean {
  try {
    lstatSync(join(dir, rel));
    return true;
  } catch {
    return false;
  }
}

const CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** `CapEff: 00000000a80425fb` → `CAP_CHOWN CAP_DAC_OVERRIDE ...` (Falco's rendering). */
export function capNames(hex: string): string {
  const v = BigInt(`0x${hex}`);
  return CAPS.filter((_, i) => (v >> BigInt(i)) & 1n).join(' ');
}

function procStatus(pid: number): { capEff?: string; loginuid?: number } {
  const out: { capEff?: string; loginuid?: number } = {};
  const st = readBounded(`/proc/${pid}/status`, 8192);
  const m = st ? /^CapEff:\s*([0-9a-f]+)$/m.exec(st) : null;
  if (m?.[1]) out.capEff = capNames(m[1]);
  const l = readBounded(`/proc/${pid}/loginuid`, 32);
  if (l && /^\d+$/.test(l.trim())) out.loginuid = Number(l.trim());
  return out;
}

export interface EnricherOptions {
  api?: EngineApi;
  /** How long an event may wait for a container's first inspect (default 750 ms). */
  inspectWaitMs?: number;
  log?: Logger;
  cgroups?: CgroupIndex;
}

export interface Enricher {
  enrich(e: AnyEvent): Promise<AnyEvent>;
  /** Follow the engine's container events so containers are inspected as they start. */
  watch(): void;
  /** Known containers (for tests). */
  containers(): ContainerMeta[];
  close(): Promise<void>;
}

export function createEnricher(o: EnricherOptions = {}): Enricher {
  const cg = o.cgroups ?? new CgroupIndex();
  const meta = new Map<string, Promise<ContainerMeta | undefined>>();
  const resolved = new Map<string, ContainerMeta>();
  const ids = new Map<string, { users: Map<number, string>; groups: Map<number, string> }>();
  const abort = new AbortController();
  const hostIds = {
    users: parseIdFile(readBounded('/etc/passwd', 1 << 20) ?? ''),
    groups: parseIdFile(readBounded('/etc/group', 1 << 20) ?? ''),
  };

  const inspect = (fullId: string): Promise<ContainerMeta | undefined> => {
    let p = meta.get(fullId);
    if (!p) {
      const api = o.api;
      p = api
        ? api
            .getJson(`/containers/${fullId}/json`, `container ${fullId.slice(0, 12)}`)
            .then((v) => {
              const m = containerMetaFromInspect(v);
              if (m) resolved.set(fullId, m);
              return m;
            })
            .catch((e: Error) => {
              o.log?.debug('container inspect failed', { id: fullId.slice(0, 12), error: e.message });
              // Retry after a pause, not on every event (a container being created can block the API).
              setTimeout(() => meta.delete(fullId), 1000).unref();
              return undefined;
            })
        : Promise.resolve(undefined);
      meta.set(fullId, p);
      if (meta.size > 10_000) meta.delete(meta.keys().next().value as string);
    }
    return p;
  };

  const idsFor = (m: ContainerMeta | undefined, pid: number) => {
    if (!m) return hostIds;
    const fullId = m.fullId ?? m.id;
    let v = ids.get(fullId);
    if (!v) {
      const roots = [
        `/proc/${pid}/root`,
        ...(m.pid ? [`/proc/${m.pid}/root`] : []),
        ...(m.mergedDir ? [m.mergedDir] : []),
      ];
      let passwd: string | undefined;
      let group: string | undefined;
      for (const r of roots) {
        passwd ??= readBounded(`${r}/etc/passwd`, 1 << 20);
        group ??= readBounded(`${r}/etc/group`, 1 << 20);
      }
      if (passwd === undefined) return { users: new Map<number, string>(), groups: new Map<number, string>() };
      v = { users: parseIdFile(passwd), groups: parseIdFile(group ?? '') };
      ids.set(fullId, v);
    }
    return v;
  };

  return {
    containers: () => [...resolved.values()],
    watch() {
      const api = o.api;
      if (!api) return;
      void (async () => {
        const filters = encodeURIComponent(JSON.stringify({ type: ['container'] }));
        try {
          const body = await api.stream(`/events?filters=${filters}`, abort.signal);
          let buf = '';
          for await (const chunk of body) {
            buf += chunk.toString('utf8');
            if (buf.length > 1 << 20) buf = '';
            let nl = buf.indexOf('\n');
            while (nl >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              nl = buf.indexOf('\n');
              try {
                const ev = JSON.parse(line) as {
                  Action?: string;
                  status?: string;
                  id?: string;
                  Actor?: { ID?: string };
                };
                const action = ev.Action ?? ev.status;
                const id = ev.Actor?.ID ?? ev.id;
                if (
                  id &&
                  /^[0-9a-f]{64}$/.test(id) &&
                  (action === 'start' || action === 'init' || action === 'create')
                ) {
                  meta.delete(id);
                  void inspect(id);
                }
              } catch {
                // a malformed event line is ignored
              }
            }
          }
        } catch (e) {
          if (!abort.signal.aborted) o.log?.warn('container event stream ended', { error: (e as Error).message });
        }
      })();
    },
    async close() {
      abort.abort();
    },
    async enrich(e) {
      if (e.source !== 'syscall') return e;
      const ev: RuntimeEvent = e;
      let fullId: string | undefined;
      let known = false;
      if (ev.cgroupId !== undefined) {
        const path = cg.path(ev.cgroupId);
        if (path !== undefined) {
          known = true;
          fullId = containerIdFromCgroupPath(path);
        }
      }
      if (!fullId && !known) {
        // No cgroup id, or one gone already: ask /proc (the process may still be there).
        const c = readBounded(`/proc/${ev.proc.pid}/cgroup`, 8192);
        if (c) fullId = containerIdFromCgroupPath(c);
      }
      let m: ContainerMeta | undefined;
      if (fullId) {
        // Never hold the pipeline long for metadata: a container being created can keep the engine
        // API busy; its first events then carry the id only, later ones the full metadata.
        m = resolved.get(fullId) ?? (await Promise.race([inspect(fullId), delay(o.inspectWaitMs ?? 750)]));
        const {
          pid: _p,
          upperDir: _u,
          lowerDirs: _l,
          mergedDir: _m,
          ...info
        } = m ?? { id: fullId.slice(0, 12), fullId };
        ev.container = info;
      }
      // Users and groups from the container's own files.
      const table = idsFor(m, ev.proc.pid);
      if (ev.user) {
        const name = table.users.get(ev.user.uid);
        if (name !== undefined) ev.user.name = name;
        if (ev.user.gid !== undefined) {
          const g = table.groups.get(ev.user.gid);
          if (g !== undefined) ev.user.group = g;
        }
      }
      if (ev.type === 'execve' || ev.type === 'execveat') {
        const st = procStatus(ev.proc.pid);
        if (st.capEff !== undefined) ev.proc.capEffective = st.capEff;
        if (ev.user && st.loginuid !== undefined) ev.user.loginuid = st.loginuid;
        let exe = ev.proc.exepath;
        if (exe && (exe.startsWith('/dev/fd/') || exe.startsWith('/proc/'))) {
          // Executing a file descriptor: a memfd (fileless) or the runtime re-executing itself.
          try {
            const real = readlinkSync(`/proc/${ev.proc.pid}/exe`);
            if (real.startsWith('/memfd:')) {
              exe = real.slice(1).replace(/ \(deleted\)$/, '');
              ev.proc.exepath = exe;
            }
          } catch {
            // the process is gone
          }
        }
        if (exe?.startsWith('memfd:')) ev.proc.isExeFromMemfd = true;
        else if (exe) ev.proc.isExeFromMemfd = false;
        // `/proc/self/exe` and the like: the runtime re-executing itself during container setup,
        // a host binary seen through procfs; drift is unknown there, not "dropped".
        if (
          m?.upperDir &&
          m.lowerDirs &&
          exe?.startsWith('/') &&
          !exe.startsWith('/proc/') &&
          !exe.startsWith('/dev/fd/')
        ) {
          const rel = resolveInRoot([m.upperDir, ...m.lowerDirs], exe);
          if (!rel) {
            // Not in any layer: a volume, a tmpfs (/dev/shm) or a bind mount. Not shipped in the image,
            // and not on the upper layer either (where Falco's field stays false).
            ev.proc.isExeUpperLayer = false;
            ev.proc.exeInImage = false;
          } else {
            ev.proc.exepath = rel;
            const upper = existsIn(m.upperDir, rel);
            ev.proc.isExeUpperLayer = upper;
            ev.proc.exeInImage = !upper && m.lowerDirs.some((d) => existsIn(d, rel));
            try {
              const s = statSync(
                join(upper ? m.upperDir : (m.lowerDirs.find((d) => existsIn(d, rel)) ?? m.upperDir), rel),
                {
                  bigint: true,
                },
              );
              ev.proc.exeCtimeNs = Number(s.ctimeNs);
              ev.proc.exeMtimeNs = Number(s.mtimeNs);
            } catch {
              // gone already
            }
          }
        }
      }
      return ev;
    },
  };
}
