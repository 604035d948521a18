import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { capNames, containerIdFromCgroupPath, containerMetaFromInspect, parseIdFile, resolveInRoot } from './index.ts';

const ID = 'c18ae6cdae5d45a8cb1355dcc176869fbd54d9cd3ecc5313775317d469577187';

describe('enrichment helpers', () => {
  test('container ids from every cgroup path form', () => {
    for (const p of [
      `/libpod_parent/libpod-${ID}`,
      `/machine.slice/libpod-${ID}.scope/container`,
      `/system.slice/docker-${ID}.scope`,
      `/docker/${ID}`,
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/cri-containerd-${ID}.scope`,
      `/kubepods.slice/kubepods-pod1.slice/crio-${ID}.scope`,
      `/kubepods/besteffort/pod0b1c2d/${ID}`,
    ])
      assert.equal(containerIdFromCgroupPath(p), ID, p);
    assert.equal(containerIdFromCgroupPath('/user.slice/user-0.slice/session-1.scope'), undefined);
    assert.equal(containerIdFromCgroupPath('/libpod_parent/conmon'), undefined);
  });

  test('engine inspect → container fields (podman answers the Docker shape)', () => {
    const m = containerMetaFromInspect({
      Id: ID,
      Name: '/web',
      Image: 'sha256:59fb',
      Config: {
        Image: '127.0.0.1:5000/team/app:1.2@sha256:abcd',
        Labels: { 'io.kubernetes.pod.name': 'web-0', 'io.kubernetes.pod.namespace': 'prod' },
      },
      HostConfig: { Privileged: true },
      State: { Pid: 42, StartedAt: '2026-11-22T16:20:48.649051751Z' },
      GraphDriver: { Data: { UpperDir: '/u', LowerDir: '/l1:/l2', MergedDir: '/m' } },
    });
    assert.deepEqual(
      [
        m?.id,
        m?.name,
        m?.imageRepository,
        m?.imageTag,
        m?.imageDigest,
        m?.privileged,
        m?.k8sNs,
        m?.k8sPod,
        m?.lowerDirs,
      ],
      [ID.slice(0, 12), 'web', '127.0.0.1:5000/team/app', '1.2', 'sha256:abcd', true, 'prod', 'web-0', ['/l1', '/l2']],
    );
    assert.equal(containerMetaFromInspect({ Id: 5 }), undefined);
  });

  test('user names from a passwd file; capabilities rendered like Falco', () => {
    const u = parseIdFile(
      'root:x:0:0:root:/root:/bin/bash\n# comment\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\nbad line\n',
    );
    assert.deepEqual(
      [...u],
      [
        [0, 'root'],
        [33, 'www-data'],
      ],
    );
    assert.equal(
      capNames('00000000a80425fb'),
      'CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_NET_BIND_SERVICE CAP_NET_RAW CAP_SYS_CHROOT CAP_MKNOD CAP_AUDIT_WRITE CAP_SETFCAP',
    );
  });

  test('paths resolve through the layers like the container sees them, never out of the root', () => {
    const d = mkdtempSync(join(tmpdir(), 'bollard-layers-'));
    try {
      const lower = join(d, 'lower');
      const upper = join(d, 'upper');
      mkdirSync(join(lower, 'usr', 'bin'), { recursive: true });
      mkdirSync(join(upper, 'tmp'), { recursive: true });
      writeFileSync(join(lower, 'usr', 'bin', 'bash'), '');
      symlinkSync('usr/bin', join(lower, 'bin'));
      symlinkSync('/etc/passwd', join(upper, 'tmp', 'escape'));
      symlinkSync('../../../../../../usr/bin/bash', join(upper, 'tmp', 'climb'));
      writeFileSync(join(upper, 'tmp', 'dropped'), '');
      const roots = [upper, lower];
      assert.equal(resolveInRoot(roots, '/bin/bash'), '/usr/bin/bash');
      assert.equal(resolveInRoot(roots, '/tmp/dropped'), '/tmp/dropped');
      assert.equal(resolveInRoot(roots, '/tmp/climb'), '/usr/bin/bash', '.. stops at the root');
      assert.equal(
        resolveInRoot(roots, '/tmp/escape'),
        undefined,
        'an absolute link is re-rooted, the host file is not used',
      );
      assert.equal(resolveInRoot(roots, '/nope'), undefined);
      symlinkSync('loop', join(upper, 'tmp', 'loop'));
      assert.equal(resolveInRoot(roots, '/tmp/loop'), undefined, 'link loops end');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
