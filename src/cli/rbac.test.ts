// `bollard rbac who-can` as a user runs it: bin/bollard on the RBAC fixture, table and JSON.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/bollard', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../misconfig/kubernetes/__fixtures__/rbac.yaml', import.meta.url));

function bollard(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface Grant {
  subject: { kind: string; name: string; namespace?: string };
  scope: string;
  binding: { kind: string; name: string; line: number };
  role: { kind: string; name: string; builtin?: boolean; line?: number };
  aggregatedFrom?: string;
}

describe('bollard rbac who-can', () => {
  test('JSON: aggregated and built-in roles, binding lines, namespace scoping', () => {
    const r = bollard('rbac', 'who-can', 'create', 'pods/exec', '-n', 'shop', FIXTURE, '-f', 'json');
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { verb: string; namespace: string; grants: Grant[] };
    assert.equal(out.namespace, 'shop');
    assert.deepEqual(
      out.grants.map((g) => [
        g.subject.kind,
        g.subject.name,
        g.scope,
        `${g.binding.kind}/${g.binding.name}`,
        g.role.name,
      ]),
      [
        ['ServiceAccount', 'default', 'shop', 'RoleBinding/debugger', 'debugger'],
        ['User', 'alice', 'shop', 'RoleBinding/debugger', 'debugger'],
        ['Group', 'system:masters', '*', 'ClusterRoleBinding/oops-admin', 'cluster-admin'],
        ['User', 'bob', '*', 'ClusterRoleBinding/oops-admin', 'cluster-admin'],
      ],
    );
    assert.equal(out.grants[0]?.binding.line, 48);
    assert.equal(out.grants[2]?.role.builtin, true);
    const secrets = JSON.parse(bollard('rbac', 'who-can', 'get', 'secrets', FIXTURE, '-f', 'json').stdout) as {
      grants: Grant[];
    };
    assert.equal(secrets.grants[0]?.aggregatedFrom, 'secret-reader');
  });

  test('table output, and a verb nobody has in a namespace', () => {
    const r = bollard('rbac', 'who-can', 'get', 'secrets', FIXTURE);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ServiceAccount\s+monitoring\/prometheus\s+cluster-wide/);
    assert.match(r.stdout, /ClusterRole\/cluster-admin \(built-in\)/);
    const none = bollard(
      'rbac',
      'who-can',
      'escalate',
      'roles',
      '-n',
      'shop',
      FIXTURE.replace('rbac.yaml', 'multi.yaml'),
    );
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /^No subject among the given bindings can escalate roles in shop\./);
  });

  test('a bad verb is a usage error on one line', () => {
    const r = bollard('rbac', 'who-can', 'get;rm', 'pods', FIXTURE);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
