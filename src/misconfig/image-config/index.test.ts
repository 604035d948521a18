import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ImageConfig } from '../../oci/types.ts';
import { checkImageConfig, historyShellCommand, type ImageFile, imageConfigChecks } from './index.ts';

const base: ImageConfig = {
  architecture: 'amd64',
  os: 'linux',
  config: {},
  rootfs: { type: 'layers', diff_ids: [] },
  history: [],
};
const file = (path: string, mode: number, type: ImageFile['type'] = 'file'): ImageFile => ({
  path,
  type,
  mode,
  uid: 0,
  gid: 0,
  size: 1,
});
const status = (r: ReturnType<typeof checkImageConfig>, id: string) =>
  (r.misconfigurations ?? [])
    .filter((f) => f.checkId === id)
    .map((f) => (f.status === 'failed' ? f.message : f.status));

describe('image configuration checks', () => {
  test('a careless image fails root, healthcheck, secrets, history, ports', () => {
    const cfg: ImageConfig = {
      ...base,
      config: {
        Env: ['PATH=/usr/bin', 'DB_PASSWORD=hunter2hunter2', 'KEY_FILE=/run/secrets/k'],
        Labels: { 'org.example.api-token': 'abcd1234efgh' },
        ExposedPorts: { '22/tcp': {}, '8080/tcp': {} },
      },
      history: [
        { created_by: '/bin/sh -c apt-get update && apt-get -y upgrade' },
        { created_by: '/bin/sh -c curl -fsSL https://get.example.com | sh' },
        { created_by: '|1 NPM_TOKEN=npm_abcdefabcdef /bin/sh -c npm ci' },
      ],
    };
    const r = checkImageConfig(undefined, cfg, []);
    assert.deepEqual(status(r, 'BD-IMG-001'), ['no User in the image config: runs as root']);
    assert.deepEqual(status(r, 'BD-IMG-002'), ['the image defines no health check']);
    assert.deepEqual(status(r, 'BD-IMG-003'), ['ENV DB_PASSWORD holds a secret-named variable']);
    assert.equal(status(r, 'BD-IMG-004').length, 1);
    assert.deepEqual(status(r, 'BD-IMG-005'), ['history entry 2 contains a secret-named variable (NPM_TOKEN)']);
    assert.deepEqual(status(r, 'BD-IMG-011'), ['history entry 0 upgrades packages']);
    assert.deepEqual(status(r, 'BD-IMG-012'), ['history entry 1 pipes a download into a shell']);
    assert.deepEqual(status(r, 'BD-IMG-013'), ['port 22/tcp (SSH) is exposed']);
    assert.equal(r.class, 'image-config');
  });

  test('a careful image passes; file checks read modes and name the file, mode, owner and layer', () => {
    const cfg: ImageConfig = {
      ...base,
      config: { User: 'app', Healthcheck: { Test: ['CMD', '/ok'] }, ExposedPorts: { '8080/tcp': {} } },
    };
    const files = [
      { ...file('usr/bin/passwd', 0o104755), layer: 0 },
      { ...file('usr/bin/wall', 0o102755), gid: 5, layer: 0 },
      { ...file('usr/local/bin/both', 0o6755), layer: 2 },
      { ...file('etc/app.conf', 0o100666), layer: 1 },
      file('tmp/x', 0o100666),
      { ...file('var/www', 0o40777, 'dir'), layer: 1 },
      file('srv/drop', 0o41777, 'dir'),
      file('tmp', 0o41777, 'dir'),
      { ...file('var/cache/apt/archives/curl_7.88_amd64.deb', 0o100644), layer: 3 },
      { ...file('var/cache/apt/archives/bash_5.2_amd64.deb', 0o100644), layer: 0 },
      {
        ...file('var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4', 0o100644),
        layer: 0,
      },
      { ...file('usr/sbin/sshd', 0o100755), layer: 4 },
      // A directory of a setuid-looking mode and a device are not files: never reported.
      file('var/mail', 0o42775, 'dir'),
      file('dev/null', 0o20666, 'other'),
    ];
    const r = checkImageConfig(undefined, cfg, files);
    assert.deepEqual(status(r, 'BD-IMG-001'), ['passed']);
    assert.deepEqual(status(r, 'BD-IMG-006'), [
      '/usr/bin/passwd is setuid (mode 4755, owner 0:0, layer 0)',
      '/usr/bin/wall is setgid (mode 2755, owner 0:5, layer 0)',
      '/usr/local/bin/both is setuid and setgid (mode 6755, owner 0:0, layer 2)',
    ]);
    assert.deepEqual(status(r, 'BD-IMG-007'), [
      '/etc/app.conf is world-writable (mode 666, owner 0:0, layer 1)',
      '/var/www is a world-writable directory (mode 777, owner 0:0, layer 1)',
    ]);
    assert.deepEqual(status(r, 'BD-IMG-008'), [
      '2 files of apt archives (layers 0, 3), e.g. /var/cache/apt/archives/bash_5.2_amd64.deb',
      '1 files of apt lists (layer 0), e.g. /var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4',
    ]);
    assert.deepEqual(status(r, 'BD-IMG-009'), ['/usr/sbin/sshd is present (mode 755, owner 0:0, layer 4)']);
    assert.deepEqual(status(r, 'BD-IMG-010'), ['passed']);
    // Each violation names its file, so reports (SARIF) tell them apart.
    assert.deepEqual(
      (r.misconfigurations ?? []).filter((f) => f.checkId === 'BD-IMG-006').map((f) => f.file),
      ['usr/bin/passwd', 'usr/bin/wall', 'usr/local/bin/both'],
    );
  });

  test('sudo and doas are found where packages and installers put them, without a package database', () => {
    const r = checkImageConfig(undefined, base, [
      { ...file('usr/bin/sudo', 0o104755), layer: 1 },
      { ...file('bin/doas', 0o100755), layer: 2 },
    ]);
    assert.deepEqual(status(r, 'BD-IMG-010'), [
      '/usr/bin/sudo is present (mode 4755, owner 0:0, layer 1)',
      '/bin/doas is present (mode 755, owner 0:0, layer 2)',
    ]);
    assert.deepEqual(status(r, 'BD-IMG-009'), ['passed']);
  });

  test('without the file list the file checks are skipped with the reason', () => {
    const r = checkImageConfig(undefined, base);
    for (const id of ['BD-IMG-006', 'BD-IMG-007', 'BD-IMG-008', 'BD-IMG-009', 'BD-IMG-010'])
      assert.deepEqual(status(r, id), ['skipped'], id);
    assert.equal(new Set((r.misconfigurations ?? []).map((f) => f.checkId)).size, imageConfigChecks.length);
  });

  test('root in every spelling fails, any other user passes; HEALTHCHECK NONE is no health check', () => {
    const user = (User: string) => status(checkImageConfig(undefined, { ...base, config: { User } }), 'BD-IMG-001');
    for (const u of ['root', '0', '0:0', 'root:root', ' root ', '0:1000'])
      assert.deepEqual(user(u), [`User is ${u.trim()}`], u);
    for (const u of ['1000', 'app', '1000:0', 'nobody:nogroup']) assert.deepEqual(user(u), ['passed'], u);
    const health = (Test: string[]) =>
      status(checkImageConfig(undefined, { ...base, config: { Healthcheck: { Test } } }), 'BD-IMG-002');
    assert.deepEqual(health(['NONE']), ['the image defines no health check']);
    assert.deepEqual(health(['CMD', 'curl', '-f', 'http://localhost/']), ['passed']);
    assert.deepEqual(health(['CMD-SHELL', 'pg_isready']), ['passed']);
  });

  test('history: upgrades and piped downloads are named; installs without them pass', () => {
    const h = (created_by: string) => checkImageConfig(undefined, { ...base, history: [{ created_by }] });
    assert.deepEqual(status(h('/bin/sh -c apk upgrade --no-cache'), 'BD-IMG-011'), [
      'history entry 0 upgrades packages',
    ]);
    assert.deepEqual(status(h('RUN /bin/sh -c yum -y update && yum clean all'), 'BD-IMG-011'), [
      'history entry 0 upgrades packages',
    ]);
    assert.deepEqual(status(h('/bin/sh -c wget -qO- https://x.example/i.sh | bash'), 'BD-IMG-012'), [
      'history entry 0 pipes a download into a shell',
    ]);
    // BuildKit writes `RUN ... # buildkit`, the classic builder `|N ARG=v /bin/sh -c ...`.
    assert.deepEqual(status(h('RUN |1 V=2 /bin/sh -c apt-get dist-upgrade -y # buildkit'), 'BD-IMG-011'), [
      'history entry 0 upgrades packages',
    ]);
    assert.deepEqual(status(h('|2 A=1 B=x /bin/sh -c curl -sL https://x.example/s | sh'), 'BD-IMG-012'), [
      'history entry 0 pipes a download into a shell',
    ]);
    const clean = h('/bin/sh -c apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u5');
    assert.deepEqual(status(clean, 'BD-IMG-011'), ['passed']);
    assert.deepEqual(status(clean, 'BD-IMG-012'), ['passed']);
  });

  test('history entries of every builder reduce to their shell command', () => {
    assert.equal(historyShellCommand('/bin/sh -c #(nop)  CMD ["bash"]'), 'CMD ["bash"]');
    assert.equal(historyShellCommand('/bin/sh -c apt-get update'), 'apt-get update');
    assert.equal(historyShellCommand('|2 A=1 B=2 /bin/sh -c make'), 'make');
    assert.equal(historyShellCommand('RUN /bin/sh -c make install # buildkit'), 'make install');
    assert.equal(historyShellCommand('RUN |1 TOKEN=x /bin/sh -c npm ci # buildkit'), 'npm ci');
    assert.equal(historyShellCommand('RUN apk upgrade # buildkit'), 'apk upgrade');
    assert.equal(historyShellCommand('COPY . /app # buildkit'), 'COPY . /app');
  });
});
