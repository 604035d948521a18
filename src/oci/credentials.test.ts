import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isBollardError } from '../util/errors.ts';
import {
  DOCKER_HUB_CONFIG_KEY,
  defaultDockerConfigPath,
  dockerConfigKey,
  resolveCredentials,
  runCredentialHelper,
} from './credentials.ts';

/**
 * A fake `docker-credential-bollardtest` (Docker's credential-helper protocol: `get`, server URL
 * on stdin, JSON on stdout), put first on PATH. It logs every server URL it is asked about.
 */
const HELPER = `#!/bin/sh
read -r server
printf '%s\\n' "$server" >> "$BOLLARDTEST_LOG"
case "$server" in
  127.0.0.1:*) printf '{"ServerURL":"%s","Username":"helperuser","Secret":"helperpass"}' "$server" ;;
  https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"<token>","Secret":"refresh-xyz"}' "$server" ;;
  notfound.example) echo "credentials not found in native keychain"; exit 1 ;;
  broken.example) echo "helper exploded" >&2; exit 3 ;;
  slow.example) sleep 5 ;;
  big.example) head -c 200000 /dev/zero | tr '\\0' a ;;
  garbage.example) echo 'not json' ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;

interface FakeHelperEnv {
  dir: string;
  env: NodeJS.ProcessEnv;
  log: string;
  /** Server URLs the helper was asked about, in order. */
  asked(): string[];
  writeConfig(config: unknown): void;
  dispose(): void;
}

function fakeHelperEnv(): FakeHelperEnv {
  const dir = mkdtempSync(join(tmpdir(), 'bollard-creds-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const helper = join(bin, 'docker-credential-bollardtest');
  writeFileSync(helper, HELPER);
  chmodSync(helper, 0o755);
  const log = join(dir, 'helper.log');
  writeFileSync(log, '');
  const configDir = join(dir, 'docker');
  mkdirSync(configDir);
  return {
    dir,
    log,
    env: {
      ...process.env,
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      DOCKER_CONFIG: configDir,
      BOLLARDTEST_LOG: log,
    },
    asked: () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l !== ''),
    writeConfig: (config: unknown) => writeFileSync(join(configDir, 'config.json'), JSON.stringify(config)),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('Docker config credentials', () => {
  let h: FakeHelperEnv;
  before(() => {
    h = fakeHelperEnv();
  });
  after(() => h.dispose());

  test('config keys: Docker Hub is https://index.docker.io/v1/, others their host', () => {
    assert.equal(dockerConfigKey('docker.io'), DOCKER_HUB_CONFIG_KEY);
    assert.equal(dockerConfigKey('registry-1.docker.io'), DOCKER_HUB_CONFIG_KEY);
    assert.equal(dockerConfigKey('ghcr.io'), 'ghcr.io');
    assert.equal(defaultDockerConfigPath({ DOCKER_CONFIG: '/x' }), '/x/config.json');
    assert.equal(defaultDockerConfigPath({ HOME: '/home/u' }), '/home/u/.docker/config.json');
  });

  test('auths: base64 auth, username/password, identitytoken, keys with scheme and path', async () => {
    h.writeConfig({
      auths: {
        [DOCKER_HUB_CONFIG_KEY]: { auth: b64('hubuser:hub:pass') },
        'https://ghcr.io/v2/': { username: 'gh', password: 'ghpass' },
        'quay.io': { identitytoken: 'refresh-quay', username: 'q' },
        'bad.example': { auth: '!!!' },
      },
    });
    assert.deepEqual(await resolveCredentials('docker.io', { env: h.env }), {
      kind: 'basic',
      username: 'hubuser',
      password: 'hub:pass',
      source: `docker config ${h.env.DOCKER_CONFIG}/config.json`,
    });
    const gh = await resolveCredentials('ghcr.io', { env: h.env });
    assert.equal(gh?.kind, 'basic');
    assert.equal(gh?.kind === 'basic' ? gh.password : '', 'ghpass');
    const quay = await resolveCredentials('quay.io', { env: h.env });
    assert.deepEqual(quay && { kind: quay.kind, token: quay.kind === 'identity-token' ? quay.token : '' }, {
      kind: 'identity-token',
      token: 'refresh-quay',
    });
    assert.equal(await resolveCredentials('bad.example', { env: h.env }), undefined);
    assert.equal(await resolveCredentials('other.example', { env: h.env }), undefined);
  });

  test('explicit options win over the config; a username without password is a usage error', async () => {
    h.writeConfig({ auths: { 'ghcr.io': { auth: b64('a:b') } } });
    const c = await resolveCredentials('ghcr.io', { env: h.env, username: 'me', password: 'pw' });
    assert.equal(c?.kind === 'basic' ? c.username : '', 'me');
    const t = await resolveCredentials('ghcr.io', { env: h.env, registryToken: 'tok' });
    assert.equal(t?.kind, 'registry-token');
    await assert.rejects(resolveCredentials('ghcr.io', { env: h.env, username: 'me' }), (e: unknown) =>
      isBollardError(e, 'USAGE'),
    );
  });

  test('dockerConfigPath overrides DOCKER_CONFIG; a missing or malformed file means anonymous', async () => {
    const other = join(h.dir, 'other.json');
    writeFileSync(other, JSON.stringify({ auths: { 'ghcr.io': { auth: b64('x:y') } } }));
    const c = await resolveCredentials('ghcr.io', { env: h.env, dockerConfigPath: other });
    assert.equal(c?.kind === 'basic' ? c.username : '', 'x');
    assert.equal(
      await resolveCredentials('ghcr.io', { env: h.env, dockerConfigPath: join(h.dir, 'nope.json') }),
      undefined,
    );
    writeFileSync(other, '{"auths": ');
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn: (m: string) => warnings.push(m),
      error() {},
      child() {
        return logger;
      },
    };
    assert.equal(await resolveCredentials('ghcr.io', { env: h.env, dockerConfigPath: other, logger }), undefined);
    assert.equal(warnings.length, 1);
  });

  test('credHelpers[host] runs docker-credential-<name> get with the server URL on stdin', async () => {
    h.writeConfig({
      credHelpers: { '127.0.0.1:5000': 'bollardtest', [DOCKER_HUB_CONFIG_KEY]: 'bollardtest' },
      auths: { '127.0.0.1:5000': { auth: b64('ignored:ignored') } },
    });
    const start = h.asked().length;
    const c = await resolveCredentials('127.0.0.1:5000', { env: h.env });
    assert.deepEqual(c, {
      kind: 'basic',
      username: 'helperuser',
      password: 'helperpass',
      source: 'credential helper docker-credential-bollardtest',
    });
    const hub = await resolveCredentials('docker.io', { env: h.env });
    assert.equal(hub?.kind, 'identity-token');
    assert.deepEqual(h.asked().slice(start), ['127.0.0.1:5000', DOCKER_HUB_CONFIG_KEY]);
  });

  test('credsStore is asked next; "credentials not found" falls back to auths, then anonymous', async () => {
    h.writeConfig({ credsStore: 'bollardtest', auths: { 'notfound.example': { auth: b64('fromauths:pw') } } });
    const c = await resolveCredentials('127.0.0.1:6000', { env: h.env });
    assert.equal(c?.source, 'credential helper docker-credential-bollardtest');
    const fallback = await resolveCredentials('notfound.example', { env: h.env });
    assert.equal(fallback?.kind === 'basic' ? fallback.username : '', 'fromauths');
    assert.equal(await resolveCredentials('nothing.example', { env: h.env }), undefined);
  });

  test('a helper that fails, hangs, floods or is missing is REGISTRY_AUTH', async () => {
    const o = { env: h.env, helperTimeoutMs: 300 };
    await assert.rejects(
      runCredentialHelper('bollardtest', 'broken.example', o),
      (e: unknown) => isBollardError(e, 'REGISTRY_AUTH') && /exit 3\): helper exploded/.test(e.message),
    );
    await assert.rejects(
      runCredentialHelper('bollardtest', 'slow.example', o),
      (e: unknown) => isBollardError(e, 'REGISTRY_AUTH') && /did not answer within 300 ms/.test(e.message),
    );
    await assert.rejects(
      runCredentialHelper('bollardtest', 'big.example', o),
      (e: unknown) => isBollardError(e, 'REGISTRY_AUTH') && /more than 65536 bytes/.test(e.message),
    );
    await assert.rejects(runCredentialHelper('bollardtest', 'garbage.example', o), (e: unknown) =>
      isBollardError(e, 'REGISTRY_AUTH'),
    );
    await assert.rejects(
      runCredentialHelper('nonexistent-bollard', 'x', o),
      (e: unknown) => isBollardError(e, 'REGISTRY_AUTH') && /not installed/.test(e.message),
    );
    await assert.rejects(runCredentialHelper('../evil', 'x', o), (e: unknown) => isBollardError(e, 'REGISTRY_AUTH'));
    assert.equal(await runCredentialHelper('bollardtest', 'notfound.example', o), undefined);
  });
});
