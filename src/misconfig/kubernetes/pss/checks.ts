/**
 * The Pod Security Standards as upstream Kubernetes defines them in
 * `staging/src/k8s.io/pod-security-admission/policy/check_*.go`: one entry per upstream check id,
 * with one implementation per policy version where its behaviour changed. Written from the
 * upstream definitions (not copied): the same fields, the same allowed values, the same version
 * boundaries and the same Restricted-overrides-Baseline rules.
 */
import type { FieldPath } from '../../../k8s/manifests.ts';

export type PssLevel = 'baseline' | 'restricted';

/** The pod a check looks at: spec and metadata of a pod template, with their paths in the object. */
export interface PodInput {
  spec: Record<string, unknown>;
  annotations: Record<string, string>;
  specPath: FieldPath;
  metadataPath: FieldPath;
}

export interface PssViolation {
  message: string;
  /** Absolute field path of the offending (or missing) field. */
  path: FieldPath;
}

export interface VersionedPssCheck {
  /** Minor version of policy v1.x from which this implementation applies. */
  minMinor: number;
  check(pod: PodInput): PssViolation[];
  /** Baseline checks this Restricted check replaces (from this version on). */
  overrides?: string[];
}

export interface PssCheckDef {
  id: string;
  level: PssLevel;
  title: string;
  remediation: string;
  versions: VersionedPssCheck[];
}

/** The newest policy version any check defines: `latest` resolves to it, as upstream clamps. */
export const PSS_LATEST_MINOR = 37;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj | undefined => (isObj(v) ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

interface ContainerRef {
  c: Obj;
  name: string;
  path: FieldPath;
}

/** initContainers, containers, ephemeralContainers: upstream's visitContainers order. */
function containers(pod: PodInput): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const key of ['initContainers', 'containers', 'ephemeralContainers']) {
    arr(pod.spec[key]).forEach((c, i) => {
      if (isObj(c)) out.push({ c, name: str(c.name), path: [...pod.specPath, key, i] });
    });
  }
  return out;
}

const podSC = (pod: PodInput): Obj | undefined => obj(pod.spec.securityContext);
const sc = (c: ContainerRef): Obj | undefined => obj(c.c.securityContext);
const podSCPath = (pod: PodInput, ...rest: (string | number)[]): FieldPath => [
  ...pod.specPath,
  'securityContext',
  ...rest,
];
const cPath = (c: ContainerRef, ...rest: (string | number)[]): FieldPath => [...c.path, 'securityContext', ...rest];

const isWindows = (pod: PodInput): boolean => str(obj(pod.spec.os)?.name) === 'windows';
/** KEP-127: a pod with `hostUsers: false` runs in a user namespace. */
const userNamespaced = (pod: PodInput): boolean => pod.spec.hostUsers === false;

// ---- baseline ---------------------------------------------------------------------------------

function hostNamespaces(pod: PodInput): PssViolation[] {
  const out: PssViolation[] = [];
  for (const f of ['hostNetwork', 'hostPID', 'hostIPC'])
    if (pod.spec[f] === true) out.push({ message: `${f}=true`, path: [...pod.specPath, f] });
  return out;
}

function privileged(pod: PodInput): PssViolation[] {
  return containers(pod)
    .filter((c) => sc(c)?.privileged === true)
    .map((c) => ({
      message: `container "${c.name}" must not set securityContext.privileged=true`,
      path: cPath(c, 'privileged'),
    }));
}

const CAPS_BASELINE = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

function capabilitiesBaseline(pod: PodInput): PssViolation[] {
  const out: PssViolation[] = [];
  for (const c of containers(pod)) {
    arr(obj(sc(c)?.capabilities)?.add).forEach((cap, i) => {
      if (!CAPS_BASELINE.has(str(cap)))
        out.push({
          message: `container "${c.name}" must not include "${str(cap)}" in securityContext.capabilities.add`,
          path: cPath(c, 'capabilities', 'add', i),
        });
    });
  }
  return out;
}

function hostPathVolumes(pod: PodInput): PssViolation[] {
  const out: PssViolation[] = [];
  arr(pod.spec.volumes).forEach((v, i) => {
    if (isObj(v) && v.hostPath !== undefined && v.hostPath !== null)
      out.push({ message: `hostPath volume "${str(v.name)}"`, path: [...pod.specPath, 'volumes', i, 'hostPath'] });
  });
  return out;
}

function hostPorts(pod: PodInput): PssViolation[] {
  const out: PssViolation[] = [];
  for (const c of containers(pod)) {
    arr(c.c.ports).forEach((p, i) => {
      const hp = obj(p)?.hostPort;
      if (typeof hp === 'number' && hp !== 0)
        out.push({ message: `container "${c.name}" uses hostPort ${hp}`, path: [...c.path, 'ports', i, 'hostPort'] });
    });
  }
  return out;
}

const APPARMOR_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

function appArmorProfile(pod: PodInput): PssViolation[] {
  const out: PssViolation[] = [];
  const validType = (t: string): boolean => t === 'RuntimeDefault' || t === 'Localhost';
  const p = obj(podSC(pod)?.appArmorProfile);
  if (p && !validType(str(p.type)))
    out.push({
      message: `pod must not set appArmorProfile.type to "${str(p.type)}"`,
      path: podSCPath(pod, 'appArmorProfile', 'type'),
    });
  for (const c of containers(pod)) {
    const cp = obj(sc(c)?.appArmorProfile);
    if (cp && !validType(str(cp.type)))
      out.push({
        message: `container "${c.name}" must not set appArmorProfile.type to "${str(cp.type)}"`,
        path: cPath(c, 'appArmorProfile', 'type'),
      });
  }
  for (const [k, v] of Object.entries(pod.annotations)) {
    if (!k.startsWith(APPARMOR_PREFIX)) continue;
    if (v === '' || v === 'runtime/default' || v.startsWith('localhost/')) continue;
    out.push({ message: `forbidden AppArmor profile ${k}="${v}"`, path: [...pod.metadataPath, 'annotations', k] });
  }
  return out;
}

function seLinuxOptions(allowed: ReadonlySet<string>) {
  return (pod: PodInput): PssViolation[] => {
    const out: PssViolation[] = [];
    const inspect = (o: Obj | undefined, who: string, base: FieldPath): void => {
      if (!o) return;
      if (!allowed.has(str(o.type)))
        out.push({ message: `${who} sets forbidden seLinuxOptions.type "${str(o.type)}"`, path: [...base, 'type'] });
      if (str(o.user) !== '') out.push({ message: `${who} must not set seLinuxOptions.user`, path: [...base, 'user'] });
      if (str(o.role) !== '') out.push({ message: `${who} must not set seLinuxOptions.role`, path: [...base, 'role'] });
    };
    inspect(obj(podSC(pod)?.seLinuxOptions), 'pod', podSCPath(pod, 'seLinuxOptions'));
    for (const c of containers(pod))
      inspect(obj(sc(c)?.seLinuxOptions), `container "${c.name}"`, cPath(c, 'seLinuxOptions'));
    return out;
  };
}
const SELINUX_1_0 = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
const SELINUX_1_31 = new Set([...SELINUX_1_0, 'container_engine_t']);

function procMount1_0(pod: PodInput): PssViolation[] {
  const out: PssViolation[] = [];
  for (const c of containers(pod)) {
    const pm = sc(c)?.procMount;
    if (pm === undefined || pm === null) continue;
    if (pm !== 'Default')
      out.push({
        message: `container "${c.name}" must not set securityContext.procMount to "${str(pm)}"`,
        path: cPath(c, 'procMount'),
      });
  }
  return out;
}

function procMount1_35Baseline(pod: PodInput): PssViolation[] {
  return userNamespaced(pod) ? [] : procMount1_0(pod);
}

const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_ANNOTATION = 'container.seccomp.security.alpha.kubernetes.io/';
const validSeccompAnnotation = (v: string): boolean =>
  v === 'runtime/default' || v === 'docker/default' || v.startsWith('localhost/');
const validSeccompType = (t: unknown): boolean => t === 'RuntimeDefault' || t === 'Localhost';

function seccompBaseline1_0(pod: PodInput): PssViolation[] {
  const out: PssViolation[] = [];
  const podVal = pod.annotations[SECCOMP_POD_ANNOTATION];
  if (podVal !== undefined && !validSeccompAnnotation(podVal))
    out.push({
      message: `forbidden annotation ${SECCOMP_POD_ANNOTATION}="${podVal}"`,
      path: [...pod.metadataPath, 'annotations', SECCOMP_POD_ANNOTATION],
    });
  for (const c of containers(pod)) {
    const key = SECCOMP_CONTAINER_ANNOTATION + c.name;
    const v = pod.annotations[key];
    if (v !== undefined && !validSeccompAnnotation(v))
      out.push({ message: `forbidden annotation ${key}="${v}"`, path: [...pod.metadataPath, 'annotations', key] });
  }
  return out;
}

function seccompBaseline1_19(pod: PodInput): PssViolation[] {
  const out: PssViolation[] = [];
  const p = obj(podSC(pod)?.seccompProfile);
  if (p && !validSeccompType(p.type))
    out.push({
      message: `pod must not set securityContext.seccompProfile.type to "${str(p.type)}"`,
      path: podSCPath(pod, 'seccompProfile', 'type'),
    });
  for (const c of containers(pod)) {
    const cp = obj(sc(c)?.seccompProfile);
    if (cp && !validSeccompType(cp.type))
      out.push({
        message: `container "${c.name}" must not set securityContext.seccompProfile.type to "${str(cp.type)}"`,
        path: cPath(c, 'seccompProfile', 'type'),
      });
  }
  return out;
}

const SYSCTLS_1_0 = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
];
const SYSCTLS_1_27 = [...SYSCTLS_1_0, 'net.ipv4.ip_local_reserved_ports'];
const SYSCTLS_1_29 = [
  ...SYSCTLS_1_27,
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
];
const SYSCTLS_1_32 = [...SYSCTLS_1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];
const SYSCTLS_1_37 = [...SYSCTLS_1_32, 'net.ipv4.tcp_slow_start_after_idle', 'net.ipv4.tcp_notsent_lowat'];

function sysctls(allowed: readonly string[]) {
  const set = new Set(allowed);
  return (pod: PodInput): PssViolation[] => {
    const out: PssViolation[] = [];
    arr(podSC(pod)?.sysctls).forEach((s, i) => {
      const name = str(obj(s)?.name);
      if (!set.has(name)) out.push({ message: `forbidden sysctl ${name}`, path: podSCPath(pod, 'sysctls', i, 'name') });
    });
    return out;
  };
}

function windowsHostProcess(pod: PodInput): PssViolation[] {
  const out: PssViolation[] = [];
  if (obj(podSC(pod)?.windowsOptions)?.hostProcess === true)
    out.push({
      message: 'pod must not set securityContext.windowsOptions.hostProcess=true',
      path: podSCPath(pod, 'windowsOptions', 'hostProcess'),
    });
  for (const c of containers(pod))
    if (obj(sc(c)?.windowsOptions)?.hostProcess === true)
      out.push({
        message: `container "${c.name}" must not set securityContext.windowsOptions.hostProcess=true`,
        path: cPath(c, 'windowsOptions', 'hostProcess'),
      });
  return out;
}

function hostProbesAndHostLifecycle(pod: PodInput): PssViolation[] {
  const out: PssViolation[] = [];
  for (const c of containers(pod)) {
    const handlers: [Obj | undefined, FieldPath][] = [];
    for (const p of ['livenessProbe', 'readinessProbe', 'startupProbe']) handlers.push([obj(c.c[p]), [...c.path, p]]);
    const lc = obj(c.c.lifecycle);
    for (const h of ['postStart', 'preStop']) handlers.push([obj(lc?.[h]), [...c.path, 'lifecycle', h]]);
    for (const [h, base] of handlers) {
      if (!h) continue;
      for (const kind of ['httpGet', 'tcpSocket']) {
        const host = str(obj(h[kind])?.host);
        if (host !== '')
          out.push({
            message: `container "${c.name}" uses probe or lifecycle host "${host}"`,
            path: [...base, kind, 'host'],
          });
      }
    }
  }
  return out;
}

// ---- restricted -------------------------------------------------------------------------------

const RESTRICTED_VOLUMES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
];

function restrictedVolumes(pod: PodInput): PssViolation[] {
  const out: PssViolation[] = [];
  arr(pod.spec.volumes).forEach((v, i) => {
    if (!isObj(v)) return;
    if (RESTRICTED_VOLUMES.some((k) => v[k] !== undefined && v[k] !== null)) return;
    const kind = Object.keys(v).find((k) => k !== 'name' && v[k] !== null && v[k] !== undefined) ?? 'unknown';
    out.push({
      message: `volume "${str(v.name)}" uses restricted volume type "${kind}"`,
      path: [...pod.specPath, 'volumes', i, ...(kind !== 'unknown' ? [kind] : [])],
    });
  });
  return out;
}

function allowPrivilegeEscalation1_8(pod: PodInput): PssViolation[] {
  return containers(pod)
    .filter((c) => sc(c)?.allowPrivilegeEscalation !== false)
    .map((c) => ({
      message: `container "${c.name}" must set securityContext.allowPrivilegeEscalation=false`,
      path: cPath(c, 'allowPrivilegeEscalation'),
    }));
}

function windowsExempt(fn: (pod: PodInput) => PssViolation[]) {
  return (pod: PodInput): PssViolation[] => (isWindows(pod) ? [] : fn(pod));
}

function runAsNonRoot1_0(pod: PodInput): PssViolation[] {
  const out: PssViolation[] = [];
  const podVal = podSC(pod)?.runAsNonRoot;
  if (podVal === false)
    out.push({ message: 'pod must not set securityContext.runAsNonRoot=false', path: podSCPath(pod, 'runAsNonRoot') });
  const podTrue = podVal === true;
  const implicit: ContainerRef[] = [];
  for (const c of containers(pod)) {
    const v = sc(c)?.runAsNonRoot;
    if (v === false)
      out.push({
        message: `container "${c.name}" must not set securityContext.runAsNonRoot=false`,
        path: cPath(c, 'runAsNonRoot'),
      });
    else if (v !== true && !podTrue) implicit.push(c);
  }
  // Upstream reports explicit `false` first; containers left unset only when nothing is explicitly wrong.
  if (out.length > 0) return out;
  return implicit.map((c) => ({
    message: `pod or container "${c.name}" must set securityContext.runAsNonRoot=true`,
    path: cPath(c, 'runAsNonRoot'),
  }));
}

function runAsNonRoot1_35(pod: PodInput): PssViolation[] {
  return userNamespaced(pod) ? [] : runAsNonRoot1_0(pod);
}

function runAsUser1_23(pod: PodInput): PssViolation[] {
  const out: PssViolation[] = [];
  if (podSC(pod)?.runAsUser === 0)
    out.push({ message: 'pod must not set runAsUser=0', path: podSCPath(pod, 'runAsUser') });
  for (const c of containers(pod))
    if (sc(c)?.runAsUser === 0)
      out.push({ message: `container "${c.name}" must not set runAsUser=0`, path: cPath(c, 'runAsUser') });
  return out;
}

function runAsUser1_35(pod: PodInput): PssViolation[] {
  return userNamespaced(pod) ? [] : runAsUser1_23(pod);
}

function seccompRestricted1_19(pod: PodInput): PssViolation[] {
  const out: PssViolation[] = [];
  const p = obj(podSC(pod)?.seccompProfile);
  let podSet = false;
  if (p) {
    if (!validSeccompType(p.type))
      out.push({
        message: `pod must not set securityContext.seccompProfile.type to "${str(p.type)}"`,
        path: podSCPath(pod, 'seccompProfile', 'type'),
      });
    else podSet = true;
  }
  const implicit: ContainerRef[] = [];
  for (const c of containers(pod)) {
    const cp = obj(sc(c)?.seccompProfile);
    if (cp) {
      if (!validSeccompType(cp.type))
        out.push({
          message: `container "${c.name}" must not set securityContext.seccompProfile.type to "${str(cp.type)}"`,
          path: cPath(c, 'seccompProfile', 'type'),
        });
    } else if (!podSet) implicit.push(c);
  }
  if (out.length > 0) return out;
  return implicit.map((c) => ({
    message: `pod or container "${c.name}" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
    path: cPath(c, 'seccompProfile'),
  }));
}

function capabilitiesRestricted1_22(pod: PodInput): PssViolation[] {
  const out: PssViolation[] = [];
  for (const c of containers(pod)) {
    const caps = obj(sc(c)?.capabilities);
    if (!arr(caps?.drop).some((d) => d === 'ALL'))
      out.push({
        message: `container "${c.name}" must set securityContext.capabilities.drop=["ALL"]`,
        path: cPath(c, 'capabilities', 'drop'),
      });
    arr(caps?.add).forEach((cap, i) => {
      if (cap !== 'NET_BIND_SERVICE')
        out.push({
          message: `container "${c.name}" must not include "${str(cap)}" in securityContext.capabilities.add`,
          path: cPath(c, 'capabilities', 'add', i),
        });
    });
  }
  return out;
}

export const PSS_CHECKS: readonly PssCheckDef[] = [
  {
    id: 'hostNamespaces',
    level: 'baseline',
    title: 'Host namespaces must not be shared',
    remediation: 'Remove hostNetwork, hostPID and hostIPC (or set them to false)',
    versions: [{ minMinor: 0, check: hostNamespaces }],
  },
  {
    id: 'privileged',
    level: 'baseline',
    title: 'Privileged containers are disallowed',
    remediation: 'Remove securityContext.privileged or set it to false',
    versions: [{ minMinor: 0, check: privileged }],
  },
  {
    id: 'capabilities_baseline',
    level: 'baseline',
    title: 'Adding capabilities beyond the default set is disallowed',
    remediation: 'Add only capabilities from the baseline allow-list (AUDIT_WRITE, CHOWN, ... SYS_CHROOT)',
    versions: [{ minMinor: 0, check: capabilitiesBaseline }],
  },
  {
    id: 'hostPathVolumes',
    level: 'baseline',
    title: 'HostPath volumes are forbidden',
    remediation: 'Use a persistentVolumeClaim, configMap, secret or emptyDir instead of hostPath',
    versions: [{ minMinor: 0, check: hostPathVolumes }],
  },
  {
    id: 'hostPorts',
    level: 'baseline',
    title: 'HostPorts are disallowed',
    remediation: 'Remove hostPort (expose the port with a Service)',
    versions: [{ minMinor: 0, check: hostPorts }],
  },
  {
    id: 'appArmorProfile',
    level: 'baseline',
    title: 'AppArmor must not be disabled or overridden with an unconfined profile',
    remediation: 'Use appArmorProfile.type RuntimeDefault or Localhost (annotation runtime/default or localhost/*)',
    versions: [{ minMinor: 0, check: appArmorProfile }],
  },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    title: 'Setting a custom SELinux user or role, or a forbidden type, is disallowed',
    remediation: 'Remove seLinuxOptions.user/role and use an allowed container type',
    versions: [
      { minMinor: 0, check: seLinuxOptions(SELINUX_1_0) },
      { minMinor: 31, check: seLinuxOptions(SELINUX_1_31) },
    ],
  },
  {
    id: 'procMount',
    level: 'baseline',
    title: 'The default /proc masks must be kept',
    remediation: 'Remove securityContext.procMount or set it to Default',
    versions: [
      { minMinor: 0, check: procMount1_0 },
      { minMinor: 35, check: procMount1_35Baseline },
    ],
  },
  {
    id: 'seccompProfile_baseline',
    level: 'baseline',
    title: 'Seccomp profile must not be explicitly set to Unconfined',
    remediation: 'Use seccompProfile.type RuntimeDefault or Localhost',
    versions: [
      { minMinor: 0, check: seccompBaseline1_0 },
      { minMinor: 19, check: seccompBaseline1_19 },
    ],
  },
  {
    id: 'sysctls',
    level: 'baseline',
    title: 'Only safe sysctls are allowed',
    remediation: 'Remove sysctls outside the safe set',
    versions: [
      { minMinor: 0, check: sysctls(SYSCTLS_1_0) },
      { minMinor: 27, check: sysctls(SYSCTLS_1_27) },
      { minMinor: 29, check: sysctls(SYSCTLS_1_29) },
      { minMinor: 32, check: sysctls(SYSCTLS_1_32) },
      { minMinor: 37, check: sysctls(SYSCTLS_1_37) },
    ],
  },
  {
    id: 'windowsHostProcess',
    level: 'baseline',
    title: 'Windows HostProcess containers are disallowed',
    remediation: 'Remove windowsOptions.hostProcess or set it to false',
    versions: [{ minMinor: 0, check: windowsHostProcess }],
  },
  {
    id: 'hostProbesAndHostLifecycle',
    level: 'baseline',
    title: 'Probes and lifecycle handlers must not set a host',
    remediation: 'Remove the host field from httpGet/tcpSocket probes and lifecycle handlers',
    versions: [{ minMinor: 34, check: hostProbesAndHostLifecycle }],
  },
  {
    id: 'restrictedVolumes',
    level: 'restricted',
    title:
      'Only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes',
    remediation: 'Replace other volume types with one of the allowed ones',
    versions: [{ minMinor: 0, check: restrictedVolumes, overrides: ['hostPathVolumes'] }],
  },
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    title: 'Privilege escalation must be disallowed',
    remediation: 'Set securityContext.allowPrivilegeEscalation=false in every container',
    versions: [
      { minMinor: 8, check: allowPrivilegeEscalation1_8 },
      { minMinor: 25, check: windowsExempt(allowPrivilegeEscalation1_8) },
    ],
  },
  {
    id: 'runAsNonRoot',
    level: 'restricted',
    title: 'Containers must run as non-root',
    remediation: 'Set securityContext.runAsNonRoot=true on the pod or every container',
    versions: [
      { minMinor: 0, check: runAsNonRoot1_0 },
      { minMinor: 35, check: runAsNonRoot1_35 },
    ],
  },
  {
    id: 'runAsUser',
    level: 'restricted',
    title: 'Containers must not run as UID 0',
    remediation: 'Remove runAsUser: 0 (use a non-zero UID)',
    versions: [
      { minMinor: 23, check: runAsUser1_23 },
      { minMinor: 35, check: runAsUser1_35 },
    ],
  },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    title: 'Seccomp profile must be RuntimeDefault or Localhost',
    remediation: 'Set securityContext.seccompProfile.type=RuntimeDefault on the pod',
    versions: [
      { minMinor: 19, check: seccompRestricted1_19, overrides: ['seccompProfile_baseline'] },
      { minMinor: 25, check: windowsExempt(seccompRestricted1_19), overrides: ['seccompProfile_baseline'] },
    ],
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    title: 'Containers must drop ALL capabilities and may only add NET_BIND_SERVICE',
    remediation: 'Set capabilities.drop=["ALL"] and add nothing but NET_BIND_SERVICE',
    versions: [
      { minMinor: 22, check: capabilitiesRestricted1_22, overrides: ['capabilities_baseline'] },
      { minMinor: 25, check: windowsExempt(capabilitiesRestricted1_22), overrides: ['capabilities_baseline'] },
    ],
  },
  {
    id: 'procMount_restricted',
    level: 'restricted',
    title: 'The default /proc masks must be kept, user namespaces or not',
    remediation: 'Remove securityContext.procMount or set it to Default',
    versions: [{ minMinor: 35, check: procMount1_0, overrides: ['procMount'] }],
  },
];

/** The implementation of a check at a policy version, if the check exists at that version. */
export function versionOf(def: PssCheckDef, minor: number): VersionedPssCheck | undefined {
  let found: VersionedPssCheck | undefined;
  for (const v of def.versions) if (v.minMinor <= minor) found = v;
  return found;
}

export interface ResolvedCheck {
  def: PssCheckDef;
  /** Undefined when the check does not apply: reason says why. */
  impl?: VersionedPssCheck;
  reason?: string;
}

/**
 * Every check with what it does at `level` and policy `v1.<minor>`: Restricted = Baseline minus the
 * checks a Restricted check overrides at that version, plus the Restricted checks.
 */
export function resolveChecks(level: PssLevel, minor: number): ResolvedCheck[] {
  const overridden = new Map<string, string>();
  if (level === 'restricted') {
    for (const def of PSS_CHECKS) {
      if (def.level !== 'restricted') continue;
      for (const o of versionOf(def, minor)?.overrides ?? []) overridden.set(o, def.id);
    }
  }
  return PSS_CHECKS.map((def) => {
    if (def.level === 'restricted' && level === 'baseline')
      return { def, reason: 'part of the restricted level, not baseline' };
    const impl = versionOf(def, minor);
    if (!impl) return { def, reason: `not defined before policy v1.${def.versions[0]?.minMinor ?? 0}` };
    const by = overridden.get(def.id);
    if (by) return { def, reason: `replaced by ${by} at the restricted level` };
    return { def, impl };
  });
}
