/**
 * Generate the bpftrace program for the event types the loaded rules need. Every probe filters in
 * the kernel where the rules allow (opens: writes, creates, truncates, and reads of the sensitive
 * path prefixes only; sockets: packet and raw only; dups: onto stdin/stdout/stderr only), and
 * skips the sensor's own processes, so an idle host costs next to nothing.
 *
 * Each record is one tab-separated `printf` line; strings come last so a tab inside a path cannot
 * shift the numeric fields. Kinds:
 *   E pid ppid uid gid tty cgroup ns comm filename          exec (sched_process_exec, new image)
 *   A pid idx arg                                            argv[idx] at sys_enter_execve(at)
 *   F ppid pid cgroup ns comm                                fork/clone (processes and threads)
 *   X pid ns                                                 process exit
 *   O pid tid uid cgroup ns type flags mode ret name         open, at exit (one record)
 *   R tid ret                                                the result of the pending call of tid
 *   S pid tid uid cgroup ns type target linkpath             symlink(at), link(at) (old, new)
 *   P pid tid uid cgroup ns req target                       ptrace
 *   K pid tid uid cgroup ns domain type proto                socket (then R)
 *   D pid tid uid cgroup ns type oldfd newfd                 dup family onto fd 0..2 (exit)
 *   C pid tid uid cgroup ns type fd family port addr         connect, bind (then R); accept(4) at exit (fd = new socket, peer address)
 *   G pid tid uid cgroup ns type a1 a2 a3 s1                 the rest (see GENERIC)
 */

export const SENSITIVE_DEFAULTS = [
  '/etc/shadow',
  '/etc/sudoers',
  '/etc/pam.conf',
  '/etc/pam.d',
  '/etc/gshadow',
  '/etc/security/pwquality.conf',
  '/root/.ssh',
  '/etc/ssh/',
  '/etc/kubernetes/',
];

/** Event types the backend can produce. */
export const SUPPORTED_TYPES = [
  'execve',
  'execveat',
  'clone',
  'fork',
  'vfork',
  'procexit',
  'open',
  'openat',
  'openat2',
  'creat',
  'symlink',
  'symlinkat',
  'link',
  'linkat',
  'ptrace',
  'socket',
  'dup',
  'dup2',
  'dup3',
  'connect',
  'accept',
  'accept4',
  'bind',
  'listen',
  'init_module',
  'finit_module',
  'unlink',
  'unlinkat',
  'rename',
  'renameat',
  'renameat2',
  'chmod',
  'fchmodat',
  'chown',
  'fchownat',
  'setuid',
  'setgid',
  'setresuid',
  'setresgid',
  'mount',
  'unshare',
  'setns',
  'memfd_create',
] as const;

/** Generic probes: event type → the tracepoint args printed (up to three numbers and one string). */
const GENERIC: Record<string, { nums: string[]; str?: string; names: string[] }> = {
  listen: { nums: ['fd', 'backlog'], names: ['fd', 'backlog'] },
  init_module: { nums: ['len'], str: 'uargs', names: ['len', 'uargs'] },
  finit_module: { nums: ['fd', 'flags'], str: 'uargs', names: ['fd', 'flags', 'uargs'] },
  unlink: { nums: [], str: 'pathname', names: ['path'] },
  unlinkat: { nums: ['dfd', 'flag'], str: 'pathname', names: ['dirfd', 'flags', 'name'] },
  chmod: { nums: ['mode'], str: 'filename', names: ['mode', 'filename'] },
  fchmodat: { nums: ['dfd', 'mode'], str: 'filename', names: ['dirfd', 'mode', 'filename'] },
  chown: { nums: ['user', 'group'], str: 'filename', names: ['uid', 'gid', 'path'] },
  fchownat: { nums: ['user', 'group', 'flag'], str: 'filename', names: ['uid', 'gid', 'flags', 'pathname'] },
  setuid: { nums: ['uid'], names: ['uid'] },
  setgid: { nums: ['gid'], names: ['gid'] },
  setresuid: { nums: ['ruid', 'euid', 'suid'], names: ['ruid', 'euid', 'suid'] },
  setresgid: { nums: ['rgid', 'egid', 'sgid'], names: ['rgid', 'egid', 'sgid'] },
  mount: { nums: [], str: 'dir_name', names: ['dir'] },
  unshare: { nums: ['unshare_flags'], names: ['flags'] },
  setns: { nums: ['fd', 'flags'], names: ['fd', 'nstype'] },
  memfd_create: { nums: ['flags'], str: 'uname', names: ['flags', 'name'] },
};

/** Argument names of a generic record: the numbers in order, then the string (Falco's names). */
export function genericArg(type: string): { nums: string[]; str?: string } | undefined {
  const g = GENERIC[type];
  if (!g) return undefined;
  const nums = g.names.slice(0, g.nums.length);
  const str = g.str ? g.names[g.nums.length] : undefined;
  return str ? { nums, str } : { nums };
}

export interface ProgramOptions {
  /** Event types wanted; undefined: all supported. Exec, fork and exit are always traced (ancestry). */
  types: ReadonlySet<string> | undefined;
  sensitivePaths: readonly string[];
  /** Host pids whose events are dropped in the kernel (the sensor itself). */
  excludePids: readonly number[];
  /** argv entries read per exec (each one printf). */
  maxArgs?: number;
  /** Whether a syscall tracepoint exists on this kernel (default: all do). */
  available?: (syscall: string) => boolean;
}

function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function generateProgram(o: ProgramOptions): string {
  const has = o.available ?? (() => true);
  const want = (t: string): boolean => (o.types === undefined || o.types.has(t)) && has(t);
  const self = [...o.excludePids.map((p) => `pid != ${p}`), 'comm != "bpftrace"'].join(' && ');
  const hdr = 'pid, tid, uid, cgroup, nsecs';
  const out: string[] = [];
  const maxArgs = o.maxArgs ?? 16;
  const argv = (): string => {
    let s = '';
    for (let i = maxArgs - 1; i >= 0; i--) {
      s = `if (args->argv[${i}] != 0) { printf("A\\t%d\\t${i}\\t%s\\n", pid, str(args->argv[${i}]));${s ? ` ${s}` : ''} }`;
    }
    return s;
  };
  out.push(`tracepoint:syscalls:sys_enter_execve /${self}/ { ${argv()} }`);
  if (has('execveat')) out.push(`tracepoint:syscalls:sys_enter_execveat /${self}/ { ${argv()} }`);
  out.push(
    'tracepoint:sched:sched_process_exec { $t = curtask->signal->tty; ' +
      '$tty = $t != 0 ? (($t->driver->major << 8) | ($t->driver->minor_start + $t->index)) : 0; ' +
      'printf("E\\t%d\\t%d\\t%d\\t%d\\t%d\\t%lu\\t%llu\\t%s\\t%s\\n", pid, curtask->real_parent->tgid, uid, gid, $tty, cgroup, nsecs, comm, str(args->filename)); }',
  );
  out.push(
    'tracepoint:sched:sched_process_fork { printf("F\\t%d\\t%d\\t%lu\\t%llu\\t%s\\n", args->parent_pid, args->child_pid, cgroup, nsecs, comm); }',
  );
  out.push('tracepoint:sched:sched_process_exit /pid == tid/ { printf("X\\t%d\\t%llu\\n", pid, nsecs); }');

  const exits = new Set<string>();
  const pend = (sys: string): void => {
    exits.add(sys);
  };

  // Opens: writes/creates/truncates always; reads only under the sensitive prefixes.
  const prefixes = [...new Set(o.sensitivePaths)].filter((p) => p.length > 0 && p.length < 100);
  // One program per group of prefixes: each BPF program has its own 512-byte stack.
  const groups: string[][] = [];
  for (let i = 0; i < prefixes.length; i += 3) groups.push(prefixes.slice(i, i + 3));
  // Opens are printed once, at exit (with the result): the enter probe decides and keeps the
  // filename pointer, flags and mode per thread. One record per open halves the stream.
  const openProbe = (sys: string, type: string, flags: string, mode: string, name: string): void => {
    const keep = `@of[tid] = ${flags} + 1; @om[tid] = ${mode}; @on[tid] = (uint64)${name};`;
    out.push(`tracepoint:syscalls:sys_enter_${sys} /${self} && (${flags} & 0x243) != 0/ { ${keep} }`);
    const rd = `${self} && (${flags} & 0x243) == 0`;
    out.push(
      `tracepoint:syscalls:sys_enter_${sys} /${rd}/ { $f = str(${name}, 4); if (strncmp($f, "../", 3) == 0) { ${keep} } }`,
    );
    for (const g of groups) {
      const m = g.map((p) => `strncmp($f, ${quote(p)}, ${Buffer.byteLength(p)}) == 0`).join(' || ');
      const len = Math.max(...g.map((p) => Buffer.byteLength(p))) + 1;
      out.push(`tracepoint:syscalls:sys_enter_${sys} /${rd}/ { $f = str(${name}, ${len}); if (${m}) { ${keep} } }`);
    }
    out.push(
      `tracepoint:syscalls:sys_exit_${sys} /@of[tid] != 0/ { ` +
        `printf("O\\t%d\\t%d\\t%d\\t%lu\\t%llu\\t${type}\\t%d\\t%d\\t%ld\\t%s\\n", ${hdr}, @of[tid] - 1, @om[tid], args->ret, str(@on[tid])); ` +
        'delete(@of[tid]); delete(@om[tid]); delete(@on[tid]); }',
    );
  };
  if (want('open')) openProbe('open', 'open', 'args->flags', 'args->mode', 'args->filename');
  if (want('openat')) openProbe('openat', 'openat', 'args->flags', 'args->mode', 'args->filename');
  if (want('creat')) openProbe('creat', 'creat', '0x241', 'args->mode', 'args->pathname');
  if (want('openat2'))
    openProbe(
      'openat2',
      'openat2',
      '((struct open_how *)args->how)->flags',
      '((struct open_how *)args->how)->mode',
      'args->filename',
    );

  const two = (sys: string, type: string, a: string, b: string): void => {
    out.push(
      `tracepoint:syscalls:sys_enter_${sys} /${self}/ { printf("S\\t%d\\t%d\\t%d\\t%lu\\t%llu\\t${type}\\t%s\\t%s\\n", ${hdr}, str(args->${a}), str(args->${b})); }`,
    );
  };
  if (want('symlink')) two('symlink', 'symlink', 'oldname', 'newname');
  if (want('symlinkat')) two('symlinkat', 'symlinkat', 'oldname', 'newname');
  if (want('link')) two('link', 'link', 'oldname', 'newname');
  if (want('linkat')) two('linkat', 'linkat', 'oldname', 'newname');
  if (want('rename')) two('rename', 'rename', 'oldname', 'newname');
  if (want('renameat')) two('renameat', 'renameat', 'oldname', 'newname');
  if (want('renameat2')) two('renameat2', 'renameat2', 'oldname', 'newname');
  if (want('ptrace'))
    out.push(
      `tracepoint:syscalls:sys_enter_ptrace /${self}/ { printf("P\\t%d\\t%d\\t%d\\t%lu\\t%llu\\t%d\\t%d\\n", ${hdr}, args->request, args->pid); }`,
    );
  if (want('socket')) {
    // AF_PACKET (17), or SOCK_RAW (3) of any family: what the upstream rules ask about.
    out.push(
      `tracepoint:syscalls:sys_enter_socket /${self} && (args->family == 17 || (args->type & 0xf) == 3)/ { @p[tid] = 1; printf("K\\t%d\\t%d\\t%d\\t%lu\\t%llu\\t%d\\t%d\\t%d\\n", ${hdr}, args->family, args->type, args->protocol); }`,
    );
    pend('socket');
  }
  for (const t of ['dup', 'dup2', 'dup3'] as const) {
    if (!want(t)) continue;
    // Stored +1 so that fd 0 is distinguishable from "no pending call".
    out.push(
      `tracepoint:syscalls:sys_enter_${t} /${self}/ { @d[tid] = args->${t === 'dup' ? 'fildes' : 'oldfd'} + 1; }`,
    );
    out.push(
      `tracepoint:syscalls:sys_exit_${t} /@d[tid] != 0/ { $o = @d[tid] - 1; delete(@d[tid]); ` +
        `if (args->ret >= 0 && args->ret <= 2) { printf("D\\t%d\\t%d\\t%d\\t%lu\\t%llu\\t${t}\\t%d\\t%d\\n", ${hdr}, $o, args->ret); } }`,
    );
  }
  for (const t of ['connect', 'bind'] as const) {
    if (!want(t)) continue;
    out.push(
      `tracepoint:syscalls:sys_enter_${t} /${self}/ { $sa = (struct sockaddr_in *)args->${t === 'connect' ? 'uservaddr' : 'umyaddr'}; $fam = $sa->sin_family; ` +
        `if ($fam == 2) { @p[tid] = 1; printf("C\\t%d\\t%d\\t%d\\t%lu\\t%llu\\t${t}\\t%d\\t%d\\t%d\\t%s\\n", ${hdr}, args->fd, $fam, $sa->sin_port, ntop($sa->sin_addr.s_addr)); } ` +
        `if ($fam == 10) { $s6 = (struct sockaddr_in6 *)$sa; @p[tid] = 1; printf("C\\t%d\\t%d\\t%d\\t%lu\\t%llu\\t${t}\\t%d\\t%d\\t%d\\t%s\\n", ${hdr}, args->fd, $fam, $s6->sin6_port, ntop($s6->sin6_addr.in6_u.u6_addr8)); } }`,
    );
    pend(t);
  }
  for (const t of ['accept', 'accept4'] as const) {
    if (!want(t)) continue;
    // The peer address exists only once the call returns: keep the user pointer, read it at exit.
    out.push(`tracepoint:syscalls:sys_enter_${t} /${self}/ { @ac[tid] = (uint64)args->upeer_sockaddr; }`);
    const rec = (fam: string, port: string, addr: string): string =>
      `printf("C\\t%d\\t%d\\t%d\\t%lu\\t%llu\\t${t}\\t%d\\t%d\\t%d\\t%s\\n", ${hdr}, args->ret, ${fam}, ${port}, ${addr}); ` +
      'printf("R\\t%d\\t%ld\\n", tid, args->ret);';
    out.push(
      `tracepoint:syscalls:sys_exit_${t} /@ac[tid] != 0/ { $sa = (struct sockaddr_in *)uptr(@ac[tid]); delete(@ac[tid]); ` +
        `if (args->ret >= 0) { $fam = $sa->sin_family; ` +
        `if ($fam == 2) { ${rec('$fam', '$sa->sin_port', 'ntop($sa->sin_addr.s_addr)')} } ` +
        `if ($fam == 10) { $s6 = (struct sockaddr_in6 *)$sa; ${rec('$fam', '$s6->sin6_port', 'ntop($s6->sin6_addr.in6_u.u6_addr8)')} } } }`,
    );
  }
  for (const [t, g] of Object.entries(GENERIC)) {
    if (!want(t)) continue;
    const nums = [...g.nums.map((n) => `args->${n}`), '0', '0', '0'].slice(0, 3);
    const s = g.str ? `str(args->${g.str})` : '""';
    out.push(
      `tracepoint:syscalls:sys_enter_${t} /${self}/ { @p[tid] = 1; printf("G\\t%d\\t%d\\t%d\\t%lu\\t%llu\\t${t}\\t%ld\\t%ld\\t%ld\\t%s\\n", ${hdr}, ${nums.join(', ')}, ${s}); }`,
    );
    pend(t);
  }
  for (const sys of exits) {
    out.push(
      `tracepoint:syscalls:sys_exit_${sys} /@p[tid]/ { delete(@p[tid]); printf("R\\t%d\\t%ld\\n", tid, args->ret); }`,
    );
  }
  // bpftrace refuses to clear a map no probe uses: clear only the ones this program has.
  const text = out.join('\n');
  const maps = ['p', 'd', 'ac', 'of', 'om', 'on'].filter((m) => text.includes(`@${m}[`));
  if (maps.length > 0) out.push(`END { ${maps.map((m) => `clear(@${m});`).join(' ')} }`);
  return `${out.join('\n')}\n`;
}
