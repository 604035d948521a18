import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectCode } from '../../../../test/helpers/errors.ts';
import { evaluatePod, PSS_CHECKS, PSS_LATEST_MINOR, type PssLevel, parsePssSpec } from './index.ts';

/**
 * Pod Security Standards, built from the upstream definitions (pod-security-admission/policy/check_*.go):
 * for each check and each policy version where its behaviour changed, pods that must pass and pods
 * that must fail, at both levels.
 */
type Pod = { spec: Record<string, unknown>; annotations?: Record<string, string> };
type Mut = (p: Pod) => void;

/** A pod that passes every restricted check at every version. */
function pod(...muts: Mut[]): Pod {
  const p: Pod = {
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'app',
          image: 'registry.example/app:1',
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
    annotations: {},
  };
  for (const m of muts) m(p);
  return p;
}
const c0 = (p: Pod): Record<string, unknown> => (p.spec.containers as Record<string, unknown>[])[0]!;
const csc = (p: Pod): Record<string, unknown> => c0(p).securityContext as Record<string, unknown>;
const psc = (p: Pod): Record<string, unknown> => p.spec.securityContext as Record<string, unknown>;
const windows: Mut = (p) => {
  p.spec.os = { name: 'windows' };
  delete psc(p).seccompProfile;
  delete csc(p).allowPrivilegeEscalation;
  delete csc(p).capabilities;
};
const userNs: Mut = (p) => {
  p.spec.hostUsers = false;
};
const sysctl =
  (name: string): Mut =>
  (p) => {
    psc(p).sysctls = [{ name, value: '1' }];
  };

interface Case {
  check: string;
  /** Levels at which the check is evaluated in these cases. */
  levels: PssLevel[];
  minor: number;
  pass: Mut[][];
  fail: Mut[][];
}

const both: PssLevel[] = ['baseline', 'restricted'];
const cases: Case[] = [];
for (const minor of [0, 22, PSS_LATEST_MINOR]) {
  cases.push(
    {
      check: 'hostNamespaces',
      levels: both,
      minor,
      pass: [
        [],
        [
          (p) => {
            p.spec.hostNetwork = false;
          },
        ],
      ],
      fail: [
        [
          (p) => {
            p.spec.hostNetwork = true;
          },
        ],
        [
          (p) => {
            p.spec.hostPID = true;
          },
        ],
        [
          (p) => {
            p.spec.hostIPC = true;
          },
        ],
      ],
    },
    {
      check: 'privileged',
      levels: both,
      minor,
      pass: [
        [],
        [
          (p) => {
            csc(p).privileged = false;
          },
        ],
      ],
      fail: [
        [
          (p) => {
            csc(p).privileged = true;
          },
        ],
        [
          (p) => {
            p.spec.initContainers = [{ name: 'init', securityContext: { privileged: true } }];
          },
        ],
        [
          (p) => {
            p.spec.ephemeralContainers = [{ name: 'dbg', securityContext: { privileged: true } }];
          },
        ],
      ],
    },
    {
      check: 'hostPorts',
      levels: both,
      minor,
      pass: [
        [],
        [
          (p) => {
            c0(p).ports = [{ containerPort: 80, hostPort: 0 }];
          },
        ],
      ],
      fail: [
        [
          (p) => {
            c0(p).ports = [{ containerPort: 80, hostPort: 8080 }];
          },
        ],
      ],
    },
    {
      check: 'appArmorProfile',
      levels: both,
      minor,
      pass: [
        [],
        [
          (p) => {
            p.annotations!['container.apparmor.security.beta.kubernetes.io/app'] = 'localhost/my';
          },
        ],
        [
          (p) => {
            p.annotations!['container.apparmor.security.beta.kubernetes.io/app'] = 'runtime/default';
          },
        ],
        [
          (p) => {
            psc(p).appArmorProfile = { type: 'RuntimeDefault' };
          },
        ],
        [
          (p) => {
            csc(p).appArmorProfile = { type: 'Localhost', localhostProfile: 'x' };
          },
        ],
      ],
      fail: [
        [
          (p) => {
            p.annotations!['container.apparmor.security.beta.kubernetes.io/app'] = 'unconfined';
          },
        ],
        [
          (p) => {
            psc(p).appArmorProfile = { type: 'Unconfined' };
          },
        ],
        [
          (p) => {
            csc(p).appArmorProfile = { type: 'Unconfined' };
          },
        ],
      ],
    },
    {
      check: 'windowsHostProcess',
      levels: both,
      minor,
      pass: [[]],
      fail: [
        [
          (p) => {
            psc(p).windowsOptions = { hostProcess: true };
          },
        ],
        [
          (p) => {
            csc(p).windowsOptions = { hostProcess: true };
          },
        ],
      ],
    },
  );
}
cases.push(
  // capabilities_baseline: replaced by capabilities_restricted at the restricted level from v1.22
  {
    check: 'capabilities_baseline',
    levels: ['baseline'],
    minor: PSS_LATEST_MINOR,
    pass: [
      [
        (p) => {
          csc(p).capabilities = { add: ['CHOWN', 'NET_BIND_SERVICE', 'SYS_CHROOT'] };
        },
      ],
    ],
    fail: [
      [
        (p) => {
          csc(p).capabilities = { add: ['NET_ADMIN'] };
        },
      ],
      [
        (p) => {
          csc(p).capabilities = { add: ['NET_RAW'] };
        },
      ],
    ],
  },
  {
    check: 'capabilities_baseline',
    levels: ['restricted'],
    minor: 21,
    pass: [
      [
        (p) => {
          csc(p).capabilities = { add: ['CHOWN'] };
        },
      ],
    ],
    fail: [
      [
        (p) => {
          csc(p).capabilities = { add: ['SYS_ADMIN'] };
        },
      ],
    ],
  },
  {
    check: 'hostPathVolumes',
    levels: ['baseline'],
    minor: PSS_LATEST_MINOR,
    pass: [
      [],
      [
        (p) => {
          p.spec.volumes = [{ name: 'v', emptyDir: {} }];
        },
      ],
    ],
    fail: [
      [
        (p) => {
          p.spec.volumes = [{ name: 'v', hostPath: { path: '/' } }];
        },
      ],
    ],
  },
  // seLinuxOptions: container_engine_t allowed from v1.31
  {
    check: 'seLinuxOptions',
    levels: both,
    minor: 30,
    pass: [
      [],
      [
        (p) => {
          csc(p).seLinuxOptions = { type: 'container_t' };
        },
      ],
      [
        (p) => {
          psc(p).seLinuxOptions = { level: 's0:c1' };
        },
      ],
    ],
    fail: [
      [
        (p) => {
          csc(p).seLinuxOptions = { type: 'container_engine_t' };
        },
      ],
      [
        (p) => {
          psc(p).seLinuxOptions = { type: 'spc_t' };
        },
      ],
      [
        (p) => {
          csc(p).seLinuxOptions = { user: 'system_u' };
        },
      ],
      [
        (p) => {
          psc(p).seLinuxOptions = { role: 'sysadm_r' };
        },
      ],
    ],
  },
  {
    check: 'seLinuxOptions',
    levels: both,
    minor: 31,
    pass: [
      [
        (p) => {
          csc(p).seLinuxOptions = { type: 'container_engine_t' };
        },
      ],
    ],
    fail: [
      [
        (p) => {
          psc(p).seLinuxOptions = { type: 'spc_t' };
        },
      ],
    ],
  },
  // procMount: relaxed for user-namespaced pods at baseline from v1.35; restricted re-tightens via procMount_restricted
  {
    check: 'procMount',
    levels: both,
    minor: 34,
    pass: [
      [],
      [
        (p) => {
          csc(p).procMount = 'Default';
        },
      ],
    ],
    fail: [
      [
        (p) => {
          csc(p).procMount = 'Unmasked';
        },
      ],
      [
        userNs,
        (p) => {
          csc(p).procMount = 'Unmasked';
        },
      ],
    ],
  },
  {
    check: 'procMount',
    levels: ['baseline'],
    minor: 35,
    pass: [
      [
        userNs,
        (p) => {
          csc(p).procMount = 'Unmasked';
        },
      ],
    ],
    fail: [
      [
        (p) => {
          csc(p).procMount = 'Unmasked';
        },
      ],
    ],
  },
  {
    check: 'procMount_restricted',
    levels: ['restricted'],
    minor: 35,
    pass: [[], [userNs]],
    fail: [
      [
        userNs,
        (p) => {
          csc(p).procMount = 'Unmasked';
        },
      ],
    ],
  },
  // seccompProfile_baseline: annotations before v1.19, fields from v1.19
  {
    check: 'seccompProfile_baseline',
    levels: both,
    minor: 18,
    pass: [
      [
        (p) => {
          psc(p).seccompProfile = { type: 'Unconfined' };
        },
      ],
      [
        (p) => {
          p.annotations!['seccomp.security.alpha.kubernetes.io/pod'] = 'docker/default';
        },
      ],
      [
        (p) => {
          p.annotations!['container.seccomp.security.alpha.kubernetes.io/app'] = 'localhost/prof';
        },
      ],
    ],
    fail: [
      [
        (p) => {
          p.annotations!['seccomp.security.alpha.kubernetes.io/pod'] = 'unconfined';
        },
      ],
      [
        (p) => {
          p.annotations!['container.seccomp.security.alpha.kubernetes.io/app'] = 'unconfined';
        },
      ],
    ],
  },
  {
    check: 'seccompProfile_baseline',
    levels: ['baseline'],
    minor: 19,
    pass: [
      [],
      [
        (p) => {
          p.annotations!['seccomp.security.alpha.kubernetes.io/pod'] = 'unconfined';
        },
      ],
      [
        (p) => {
          delete psc(p).seccompProfile;
        },
      ],
    ],
    fail: [
      [
        (p) => {
          psc(p).seccompProfile = { type: 'Unconfined' };
        },
      ],
      [
        (p) => {
          csc(p).seccompProfile = { type: 'Unconfined' };
        },
      ],
    ],
  },
  // sysctls: the safe set grows at v1.27, v1.29, v1.32 and v1.37
  ...[
    ['net.ipv4.ip_local_reserved_ports', 27],
    ['net.ipv4.tcp_keepalive_time', 29],
    ['net.ipv4.tcp_fin_timeout', 29],
    ['net.ipv4.tcp_keepalive_intvl', 29],
    ['net.ipv4.tcp_keepalive_probes', 29],
    ['net.ipv4.tcp_rmem', 32],
    ['net.ipv4.tcp_wmem', 32],
    ['net.ipv4.tcp_slow_start_after_idle', 37],
    ['net.ipv4.tcp_notsent_lowat', 37],
  ].flatMap(([name, since]): Case[] => [
    {
      check: 'sysctls',
      levels: both,
      minor: (since as number) - 1,
      pass: [[sysctl('kernel.shm_rmid_forced')]],
      fail: [[sysctl(name as string)]],
    },
    {
      check: 'sysctls',
      levels: both,
      minor: since as number,
      pass: [[sysctl(name as string)]],
      fail: [[sysctl('kernel.msgmax')]],
    },
  ]),
  {
    check: 'hostProbesAndHostLifecycle',
    levels: both,
    minor: 34,
    pass: [
      [],
      [
        (p) => {
          c0(p).livenessProbe = { httpGet: { path: '/', port: 80 } };
        },
      ],
    ],
    fail: [
      [
        (p) => {
          c0(p).livenessProbe = { httpGet: { host: '10.0.0.1', port: 80 } };
        },
      ],
      [
        (p) => {
          c0(p).readinessProbe = { tcpSocket: { host: 'db', port: 5432 } };
        },
      ],
      [
        (p) => {
          c0(p).lifecycle = { preStop: { httpGet: { host: 'x', port: 1 } } };
        },
      ],
    ],
  },
  // restricted checks
  ...[0, PSS_LATEST_MINOR].map(
    (minor): Case => ({
      check: 'restrictedVolumes',
      levels: ['restricted'],
      minor,
      pass: [
        [
          (p) => {
            p.spec.volumes = [
              { name: 'a', emptyDir: {} },
              { name: 'b', configMap: { name: 'c' } },
              { name: 'c', image: { reference: 'x:1' } },
              { name: 'd', projected: { sources: [] } },
            ];
          },
        ],
      ],
      fail: [
        [
          (p) => {
            p.spec.volumes = [{ name: 'h', hostPath: { path: '/var/run/docker.sock' } }];
          },
        ],
        [
          (p) => {
            p.spec.volumes = [{ name: 'n', nfs: { server: 's', path: '/' } }];
          },
        ],
        [
          (p) => {
            p.spec.volumes = [{ name: 'g', gitRepo: { repository: 'x' } }];
          },
        ],
      ],
    }),
  ),
  {
    check: 'allowPrivilegeEscalation',
    levels: ['restricted'],
    minor: 8,
    pass: [[]],
    fail: [
      [
        (p) => {
          delete csc(p).allowPrivilegeEscalation;
        },
      ],
      [
        (p) => {
          csc(p).allowPrivilegeEscalation = true;
        },
      ],
      [windows],
    ],
  },
  { check: 'allowPrivilegeEscalation', levels: ['restricted'], minor: 24, pass: [[]], fail: [[windows]] },
  {
    check: 'allowPrivilegeEscalation',
    levels: ['restricted'],
    minor: 25,
    pass: [[windows]],
    fail: [
      [
        (p) => {
          delete csc(p).allowPrivilegeEscalation;
        },
      ],
    ],
  },
  {
    check: 'runAsNonRoot',
    levels: ['restricted'],
    minor: 0,
    pass: [
      [],
      [
        (p) => {
          delete psc(p).runAsNonRoot;
        },
        (p) => {
          csc(p).runAsNonRoot = true;
        },
      ],
    ],
    fail: [
      [
        (p) => {
          delete psc(p).runAsNonRoot;
        },
      ],
      [
        (p) => {
          csc(p).runAsNonRoot = false;
        },
      ],
      [
        (p) => {
          psc(p).runAsNonRoot = false;
        },
      ],
    ],
  },
  {
    check: 'runAsNonRoot',
    levels: ['restricted'],
    minor: 34,
    pass: [[]],
    fail: [
      [
        userNs,
        (p) => {
          delete psc(p).runAsNonRoot;
        },
      ],
    ],
  },
  {
    check: 'runAsNonRoot',
    levels: ['restricted'],
    minor: 35,
    pass: [
      [
        userNs,
        (p) => {
          delete psc(p).runAsNonRoot;
        },
      ],
    ],
    fail: [
      [
        (p) => {
          delete psc(p).runAsNonRoot;
        },
      ],
    ],
  },
  {
    check: 'runAsUser',
    levels: ['restricted'],
    minor: 23,
    pass: [
      [],
      [
        (p) => {
          psc(p).runAsUser = 1000;
        },
      ],
    ],
    fail: [
      [
        (p) => {
          psc(p).runAsUser = 0;
        },
      ],
      [
        (p) => {
          csc(p).runAsUser = 0;
        },
      ],
    ],
  },
  {
    check: 'runAsUser',
    levels: ['restricted'],
    minor: 34,
    pass: [[]],
    fail: [
      [
        userNs,
        (p) => {
          csc(p).runAsUser = 0;
        },
      ],
    ],
  },
  {
    check: 'runAsUser',
    levels: ['restricted'],
    minor: 35,
    pass: [
      [
        userNs,
        (p) => {
          csc(p).runAsUser = 0;
        },
      ],
    ],
    fail: [
      [
        (p) => {
          csc(p).runAsUser = 0;
        },
      ],
    ],
  },
  {
    check: 'seccompProfile_restricted',
    levels: ['restricted'],
    minor: 19,
    pass: [
      [],
      [
        (p) => {
          delete psc(p).seccompProfile;
        },
        (p) => {
          csc(p).seccompProfile = { type: 'Localhost', localhostProfile: 'p' };
        },
      ],
    ],
    fail: [
      [
        (p) => {
          delete psc(p).seccompProfile;
        },
      ],
      [
        (p) => {
          csc(p).seccompProfile = { type: 'Unconfined' };
        },
      ],
      [
        (p) => {
          psc(p).seccompProfile = { type: 'Unconfined' };
        },
      ],
      [windows],
    ],
  },
  {
    check: 'seccompProfile_restricted',
    levels: ['restricted'],
    minor: 25,
    pass: [[windows]],
    fail: [
      [
        (p) => {
          delete psc(p).seccompProfile;
        },
      ],
    ],
  },
  {
    check: 'capabilities_restricted',
    levels: ['restricted'],
    minor: 22,
    pass: [
      [],
      [
        (p) => {
          csc(p).capabilities = { drop: ['ALL'], add: ['NET_BIND_SERVICE'] };
        },
      ],
    ],
    fail: [
      [
        (p) => {
          delete csc(p).capabilities;
        },
      ],
      [
        (p) => {
          csc(p).capabilities = { drop: ['NET_RAW'] };
        },
      ],
      [
        (p) => {
          csc(p).capabilities = { drop: ['ALL'], add: ['CHOWN'] };
        },
      ],
      [windows],
    ],
  },
  {
    check: 'capabilities_restricted',
    levels: ['restricted'],
    minor: 25,
    pass: [[windows]],
    fail: [
      [
        (p) => {
          delete csc(p).capabilities;
        },
      ],
    ],
  },
);

function status(p: Pod, level: PssLevel, minor: number, check: string) {
  const r = evaluatePod(p, level, minor).find((x) => x.id === check);
  assert.ok(r, `no check ${check}`);
  return r;
}

describe('Pod Security Standards (upstream semantics, every version)', () => {
  for (const c of cases) {
    for (const level of c.levels) {
      test(`${c.check} @ ${level} v1.${c.minor}`, () => {
        c.pass.forEach((m, i) => {
          const r = status(pod(...m), level, c.minor, c.check);
          assert.equal(r.status, 'passed', `pass case ${i}: ${r.messages.join('; ')}`);
        });
        c.fail.forEach((m, i) => {
          const r = status(pod(...m), level, c.minor, c.check);
          assert.equal(r.status, 'failed', `fail case ${i} was ${r.status} (${r.messages.join('; ')})`);
        });
      });
    }
  }

  test('every upstream check has cases', () => {
    const covered = new Set(cases.map((c) => c.check));
    for (const def of PSS_CHECKS) assert.ok(covered.has(def.id), def.id);
  });

  test('checks are skipped before their first version and where Restricted overrides Baseline', () => {
    const at = (level: PssLevel, minor: number, id: string) => status(pod(), level, minor, id);
    assert.equal(at('restricted', 7, 'allowPrivilegeEscalation').status, 'skipped');
    assert.equal(at('restricted', 22, 'runAsUser').status, 'skipped');
    assert.equal(at('restricted', 18, 'seccompProfile_restricted').status, 'skipped');
    assert.equal(at('restricted', 21, 'capabilities_restricted').status, 'skipped');
    assert.equal(at('restricted', 34, 'procMount_restricted').status, 'skipped');
    assert.equal(at('baseline', 33, 'hostProbesAndHostLifecycle').status, 'skipped');
    assert.match(at('restricted', 0, 'hostPathVolumes').messages[0] ?? '', /replaced by restrictedVolumes/);
    assert.match(
      at('restricted', 22, 'capabilities_baseline').messages[0] ?? '',
      /replaced by capabilities_restricted/,
    );
    assert.match(
      at('restricted', 19, 'seccompProfile_baseline').messages[0] ?? '',
      /replaced by seccompProfile_restricted/,
    );
    assert.match(at('restricted', 35, 'procMount').messages[0] ?? '', /replaced by procMount_restricted/);
    assert.equal(at('restricted', 34, 'procMount').status, 'passed');
    assert.match(at('baseline', PSS_LATEST_MINOR, 'runAsNonRoot').messages[0] ?? '', /restricted level/);
    // restricted at v1.18 still runs the baseline seccomp annotation check
    const annotated = pod((p) => {
      p.annotations!['seccomp.security.alpha.kubernetes.io/pod'] = 'unconfined';
    });
    assert.equal(status(annotated, 'restricted', 18, 'seccompProfile_baseline').status, 'failed');
  });

  test('field paths name the offending field', () => {
    const r = status(
      pod((p) => {
        csc(p).privileged = true;
      }),
      'baseline',
      PSS_LATEST_MINOR,
      'privileged',
    );
    assert.deepEqual(r.paths, ['spec.containers.0.securityContext.privileged']);
  });

  test('--pss LEVEL[@VERSION] parsing clamps to the newest version, as upstream does', () => {
    assert.deepEqual(parsePssSpec('restricted'), { level: 'restricted', minor: PSS_LATEST_MINOR });
    assert.deepEqual(parsePssSpec('baseline@v1.25'), { level: 'baseline', minor: 25 });
    assert.deepEqual(parsePssSpec('baseline@1.0'), { level: 'baseline', minor: 0 });
    assert.deepEqual(parsePssSpec('restricted@latest'), { level: 'restricted', minor: PSS_LATEST_MINOR });
    assert.deepEqual(parsePssSpec('restricted@v1.99'), { level: 'restricted', minor: PSS_LATEST_MINOR });
    assert.throws(() => parsePssSpec('privileged'), expectCode('USAGE'));
    assert.throws(() => parsePssSpec('baseline@v2.0'), expectCode('USAGE'));
  });
});
