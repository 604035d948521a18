import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isWithin, normaliseEntryPath, parentOf, resolveLinkTarget } from './path.ts';
import { classifyWhiteout } from './whiteout.ts';

describe('entry paths', () => {
  test('normalise strips ./, leading slashes, empty and . components', () => {
    assert.equal(normaliseEntryPath('./etc/os-release'), 'etc/os-release');
    assert.equal(normaliseEntryPath('/usr//lib/./x'), 'usr/lib/x');
    assert.equal(normaliseEntryPath('./'), '');
  });
  test('.. anywhere makes the path unusable', () => {
    assert.equal(normaliseEntryPath('../etc/passwd'), undefined);
    assert.equal(normaliseEntryPath('usr/../../etc'), undefined);
    assert.equal(normaliseEntryPath('a/b/..'), undefined);
  });
  test('parentOf and isWithin', () => {
    assert.equal(parentOf('a/b/c'), 'a/b');
    assert.equal(parentOf('a'), '');
    assert.ok(isWithin('a/b/c', 'a/b'));
    assert.ok(isWithin('a/b', 'a/b'));
    assert.ok(!isWithin('a/bc', 'a/b'));
    assert.ok(isWithin('x', ''));
  });
  test('link targets resolve inside the root like a chroot', () => {
    assert.equal(resolveLinkTarget('etc/os-release', '../usr/lib/os-release'), 'usr/lib/os-release');
    assert.equal(resolveLinkTarget('etc/os-release', '/usr/lib/os-release'), 'usr/lib/os-release');
    assert.equal(resolveLinkTarget('etc/x', '../../../../etc/shadow'), 'etc/shadow');
    assert.equal(resolveLinkTarget('lib', 'usr/lib'), 'usr/lib');
  });
});

describe('whiteouts', () => {
  test('file whiteout names its sibling', () => {
    assert.deepEqual(classifyWhiteout('var/lib/.wh.dpkg'), { kind: 'whiteout', target: 'var/lib/dpkg' });
    assert.deepEqual(classifyWhiteout('.wh.etc'), { kind: 'whiteout', target: 'etc' });
  });
  test('opaque marker names its directory', () => {
    assert.deepEqual(classifyWhiteout('var/lib/dpkg/status.d/.wh..wh..opq'), {
      kind: 'opaque',
      dir: 'var/lib/dpkg/status.d',
    });
  });
  test('aufs metadata and ordinary names', () => {
    assert.deepEqual(classifyWhiteout('.wh..wh.plnk/123'), { kind: 'meta' });
    assert.deepEqual(classifyWhiteout('.wh..wh.aufs'), { kind: 'meta' });
    assert.deepEqual(classifyWhiteout('etc/what.wh.not'), { kind: 'none' });
  });
});
