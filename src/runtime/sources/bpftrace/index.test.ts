import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ProcessTable, RecordParser, renderOpenFlags } from './index.ts';
import { generateProgram } from './program.ts';

/** A fake /proc with one process that predates the sensor. */
function fakeProc(): string {
  const root = mkdtempSync(join(tmpdir(), 'bollard-proc-'));
  mkdirSync(join(root, '100'));
  writeFileSync(join(root, '100', 'stat'), '100 (conmon) S 1 100 100 0 -1 4194560 0 0');
  writeFileSync(join(root, '100', 'cmdline'), 'conmon\0--api-version\x001\0');
  return root;
}

describe('bpftrace records → events', () => {
  test('accept and accept4 carry the new socket and the client (peer) address', () => {
    const p = new RecordParser(new ProcessTable(100, fakeProc()), 0);
    assert.deepEqual(p.feed('C\t300\t300\t0\t5\t40\taccept4\t5\t2\t29836\t127.0.0.1\n'), []);
    const [v4] = p.feed('R\t300\t5\n');
    assert.equal(v4?.type, 'accept4');
    assert.equal(v4?.res, 5);
    assert.deepEqual(
      { num: v4?.fd?.num, cip: v4?.fd?.cip, cport: v4?.fd?.cport, client: v4?.fd?.localIsClient },
      { num: 5, cip: '127.0.0.1', cport: 35956, client: false },
    );
    p.feed('C\t300\t300\t0\t5\t41\taccept\t6\t10\t14003\t::1\n');
    const [v6] = p.feed('R\t300\t6\n');
    assert.equal(v6?.args.addr, '[::1]:45878');
  });

  test('a program for a few event types clears only the maps it uses (bpftrace refuses others)', () => {
    const prog = generateProgram({ types: new Set(['accept']), sensitivePaths: [], excludePids: [] });
    assert.match(prog, /sys_exit_accept /);
    assert.match(prog, /END \{ clear\(@ac\); \}/);
  });

  test('argv the kernel could not read at exec (missing or with holes) comes from /proc', () => {
    const root = fakeProc();
    try {
      mkdirSync(join(root, '300'));
      writeFileSync(join(root, '300', 'cmdline'), 'grep\0-r\0BEGIN RSA PRIVATE\0/etc/ssl\0');
      const p = new RecordParser(new ProcessTable(100, root), 0);
      const [missing] = p.feed('E\t300\t100\t0\t0\t0\t5\t20\tgrep\t/usr/bin/grep\n');
      assert.deepEqual(missing?.proc.args, ['-r', 'BEGIN RSA PRIVATE', '/etc/ssl']);
      p.feed('A\t300\t0\tgrep\n');
      p.feed('A\t300\t2\tBEGIN RSA PRIVATE\n');
      const [holed] = p.feed('E\t300\t100\t0\t0\t0\t5\t30\tgrep\t/usr/bin/grep\n');
      assert.deepEqual(holed?.proc.args, ['-r', 'BEGIN RSA PRIVATE', '/etc/ssl']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('exec with argv and ancestry, then an open, a symlink, ptrace and a packet socket', () => {
    const root = fakeProc();
    try {
      const p = new RecordParser(new ProcessTable(100, root), 1_000_000_000_000);
      assert.deepEqual(p.feed('F\t100\t200\t5\t10\tconmon\n'), []);
      assert.deepEqual(p.feed('A\t200\t0\tcat\n'), []);
      assert.deepEqual(p.feed('A\t200\t1\t/etc/shadow\n'), []);
      const [ex] = p.feed('E\t200\t100\t0\t0\t34816\t5\t20\tcat\t/usr/bin/cat\n');
      assert.equal(ex?.type, 'execve');
      assert.equal(ex?.ts, 1_000_000_000_020);
      assert.deepEqual(ex?.proc.args, ['/etc/shadow']);
      assert.equal(ex?.proc.exe, 'cat');
      assert.equal(ex?.proc.tty, 34816);
      assert.equal(ex?.cgroupId, 5);
      assert.deepEqual(
        ex?.ancestors?.map((a) => [a.pid, a.name]),
        [[100, 'conmon']],
        'the parent predates the sensor: read from /proc',
      );
      const [op] = p.feed('O\t200\t200\t0\t5\t30\topenat\t0\t0\t3\t/etc/shadow\n');
      assert.deepEqual(
        { type: op?.type, res: op?.res, fd: op?.fd, flags: op?.args.flags, name: op?.proc.name },
        { type: 'openat', res: 3, fd: { num: 3, name: '/etc/shadow', type: 'file' }, flags: 'O_RDONLY', name: 'cat' },
      );
      const [sl] = p.feed('S\t200\t200\t0\t5\t40\tsymlinkat\t/etc/shadow\t/tmp/with\ttab\n');
      assert.equal(sl?.args.target, '/etc/shadow');
      assert.equal(sl?.args.linkpath, '/tmp/with\ttab', 'the last string keeps its tabs');
      const [pt] = p.feed('P\t200\t201\t0\t5\t50\t16\t300\n');
      assert.equal(pt?.args.request, 'PTRACE_ATTACH');
      assert.equal(pt?.proc.tid, 201);
      assert.deepEqual(p.feed('K\t200\t200\t0\t5\t60\t17\t3\t768\n'), [], 'waits for its result');
      const [so] = p.feed('R\t200\t4\n');
      assert.deepEqual([so?.args.domain, so?.args.type, so?.res], ['AF_PACKET', 'SOCK_RAW', 4]);
      assert.deepEqual(p.feed('X\t200\t70\n'), []);
      assert.deepEqual(p.feed('garbage\n'), []);
      assert.deepEqual(p.feed('O\t1\t2\n'), []);
      assert.equal(p.malformed, 2);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('a result that never comes is released after a while, not held forever', () => {
    const p = new RecordParser(new ProcessTable(10, '/nonexistent'), 0);
    assert.deepEqual(p.feed('C\t7\t7\t0\t1\t100\tconnect\t3\t2\t20480\t10.0.0.1\n'), []);
    assert.deepEqual(p.flush(500, 1000), []);
    const [c] = p.flush(2000, 1000);
    assert.equal(c?.args.addr, '10.0.0.1:80');
    assert.deepEqual([c?.fd?.sip, c?.fd?.sport, c?.fd?.type], ['10.0.0.1', 80, 'ipv4']);
  });

  test('open flags render like Falco', () => {
    assert.equal(renderOpenFlags(0o1101), 'O_WRONLY|O_CREAT|O_TRUNC');
    assert.equal(renderOpenFlags(0o2000002), 'O_RDWR|O_CLOEXEC');
  });
});

describe('bpftrace program generation', () => {
  test('only the event types the rules need, filtered in the kernel, without the sensor itself', () => {
    const prog = generateProgram({
      types: new Set(['openat', 'ptrace']),
      sensitivePaths: ['/etc/shadow'],
      excludePids: [4242],
    });
    assert.match(prog, /sys_enter_openat \/pid != 4242 && comm != "bpftrace" && \(args->flags & 0x243\) != 0\//);
    assert.match(prog, /strncmp\(\$f, "\/etc\/shadow", 11\) == 0/);
    assert.match(prog, /sys_enter_ptrace/);
    assert.doesNotMatch(prog, /sys_enter_connect|sys_enter_symlinkat|sys_enter_socket/);
    // Exec, fork and exit are always traced for the ancestry cache.
    assert.match(prog, /sched:sched_process_exec/);
    assert.match(prog, /sched:sched_process_fork/);
    assert.match(prog, /sched:sched_process_exit/);
  });

  test('types this kernel has no tracepoint for are left out', () => {
    const prog = generateProgram({
      types: new Set(['init_module', 'finit_module', 'unshare']),
      sensitivePaths: [],
      excludePids: [],
      available: (s) => s !== 'init_module' && s !== 'finit_module',
    });
    assert.doesNotMatch(prog, /init_module/);
    assert.match(prog, /sys_enter_unshare/);
  });
});
