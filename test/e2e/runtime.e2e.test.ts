/**
 * Acceptance 1 of issue #5 (root, bpftrace, tracefs, podman and its API socket from
 * `sudo scripts/test-env.sh up`): one sensor with the upstream falco_rules.yaml (and Bollard's drift
 * rule) runs while the test acts out attacks inside real podman containers; each matching upstream
 * rule must fire within 2 seconds with the container id, image and process in output_fields. A
 * benign workload (an image build that installs a package, a web server answering requests)
 * must raise none of them.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { engineApi } from '../../src/runtime/enrich/engine-api.ts';
import { type Alert, createEngine } from '../../src/runtime/rules/engine.ts';
import { bollardDriftRules, upstreamRules } from '../../src/runtime/rules/upstream.ts';
import { type Sensor, startSensor } from '../../src/runtime/sensor.ts';
import { type RuntimeRun, startRuntime } from '../../src/runtime/service.ts';
import { silentLogger } from '../../src/util/logger.ts';
import { testEnv } from '../helpers/env.ts';

const IMAGE = 'localhost/bollard-test/runtime-nc:latest';
const REPO = 'localhost/bollard-test/runtime-nc';
const DEADLINE_MS = 2000;

interface Seen {
  alert: Alert;
  at: number;
  phase: string;
}

/** A small HTTP/1.0 file server (the image has perl-base; busybox httpd would dup2 its socket onto stdio
 * like inetd, which the upstream "Redirect STDOUT/STDIN" rule rightly reports). */
const WEBD = String.raw`use IO::Socket::INET;
my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 8080, Listen => 16, ReuseAddr => 1) or die "listen: $!";
while (my $c = $s->accept) {
  my $req = <$c>; my ($path) = $req =~ m{^GET (/[\w./-]*)};
  while (my $h = <$c>) { last if $h =~ /^\r?\n$/ }
  my $f = "/www" . ($path // '/'); $f =~ s{/\.\.}{}g;
  if (open(my $fh, '<', $f)) { local $/; my $b = <$fh>; print $c "HTTP/1.0 200 OK\r\nContent-Length: " . length($b) . "\r\n\r\n$b" }
  else { print $c "HTTP/1.0 404 Not Found\r\n\r\n" }
  close $c;
}
`;

describe('runtime sensor against attacks in podman containers (root, bpftrace, podman API)', () => {
  const env = testEnv();
  const penv = { ...process.env, CONTAINERS_CONF: env.containersConf };
  const podman = (args: string[], check = true): string => {
    const r = spawnSync('podman', args, { env: penv, encoding: 'utf8', timeout: 120_000 });
    if (check && r.status !== 0) throw new Error(`podman ${args.join(' ')}: ${r.stderr.trim().slice(0, 400)}`);
    return r.stdout;
  };
  /**
   * podman without blocking the event loop: the sensor pipeline runs in this process, and a
   * blocked loop would stall bpftrace's pipe until the kernel buffers overflow.
   */
  const podmanOut = (args: string[], check = true): Promise<string> =>
    new Promise((resolve, reject) => {
      const c = spawn('podman', args, { env: penv, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      c.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      c.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      c.on('exit', (code) => {
        if (check && code !== 0) reject(new Error(`podman ${args.join(' ')}: ${err.trim().slice(0, 400)}`));
        else resolve(out);
      });
      c.on('error', reject);
    });
  const podmanAsync = (args: string[]): Promise<string> => podmanOut(args, false);
  const name = `bollard-rt-e2e-${process.pid}`;
  const seen: Seen[] = [];
  let sensor: Sensor | undefined;
  let run: RuntimeRun | undefined;
  let api: ReturnType<typeof engineApi> | undefined;
  let cid = '';
  let phase = 'start';
  /** Let the pipeline deliver what the previous phase caused before the next one starts. */
  const drain = () => new Promise((r) => setTimeout(r, 1500));

  before(async () => {
    assert.equal(process.getuid?.(), 0, 'the sensor test needs root (eBPF)');
    assert.ok(existsSync('/usr/bin/bpftrace'), 'bpftrace missing: run "sudo scripts/test-env.sh up"');
    const debs = join(env.stateDir, 'debs');
    const deb = existsSync(debs) ? readdirSync(debs).find((f) => f.startsWith('netcat-traditional_')) : undefined;
    assert.ok(deb, `netcat-traditional package missing in ${debs}: run "sudo scripts/test-env.sh up"`);
    const engine = createEngine([upstreamRules('falco_rules.yaml'), bollardDriftRules()], { ruleMatching: 'all' });
    api = engineApi(`unix://${env.podmanSocket}`);
    sensor = await startSensor({ engine, log: silentLogger, api });
    const s = sensor;
    run = startRuntime({
      engine,
      source: s.source,
      sinks: [],
      enrich: s.enrich,
      onAlert: (alert) => seen.push({ alert, at: Date.now(), phase }),
    });

    // Benign 1: an image build that installs a package (dpkg inside buildah's build container).
    const ctx = mkdtempSync(join(tmpdir(), 'bollard-rt-build-'));
    try {
      copyFileSync(join(debs, deb), join(ctx, 'netcat.deb'));
      copyFileSync('/bin/busybox', join(ctx, 'busybox'));
      writeFileSync(join(ctx, 'webd'), WEBD);
      writeFileSync(
        join(ctx, 'Containerfile'),
        [
          `FROM ${env.images.podman}`,
          'COPY netcat.deb /tmp/netcat.deb',
          'COPY busybox /usr/local/bin/busybox',
          'COPY webd /usr/local/bin/webd',
          'RUN dpkg -i /tmp/netcat.deb && rm /tmp/netcat.deb && mkdir -p /www && echo hello > /www/index.html',
          '',
        ].join('\n'),
      );
      phase = 'build';
      await podmanOut(['build', '-q', '--network=none', '-t', IMAGE, ctx]);
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
    await podmanAsync(['rm', '-f', '-t', '0', name]);
    cid = (
      await podmanOut([
        'run',
        '-d',
        '--name',
        name,
        '--network=none',
        '--tmpfs',
        '/scratch:rw,exec',
        IMAGE,
        'sleep',
        '600',
      ])
    ).trim();
    // Benign 2: a web server answering requests on loopback.
    phase = 'web';
    await podmanOut(['exec', '-d', name, 'perl', '/usr/local/bin/webd']);
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 20; i++) {
      const body = await podmanOut(['exec', name, 'busybox', 'wget', '-qO-', 'http://127.0.0.1:8080/index.html']);
      assert.equal(body.trim(), 'hello');
    }
    await drain();
    phase = 'attacks';
  });

  after(async () => {
    podman(['rm', '-f', '-t', '0', name], false);
    await sensor?.close();
    await run?.done;
    await api?.close();
    podman(['rmi', '-f', IMAGE], false);
  });

  /**
   * Act, then wait for `rule` from our container with process `proc`. The latency is from the
   * event's kernel timestamp to the alert's delivery.
   */
  async function attack(
    rule: string,
    proc: string,
    act: () => Promise<unknown>,
  ): Promise<{ alert: Alert; ms: number }> {
    const start = Date.now();
    const from = seen.length;
    await act();
    for (;;) {
      const hit = seen
        .slice(from)
        .find(
          (s) =>
            s.alert.rule === rule &&
            s.alert.outputFields['container.id'] === cid.slice(0, 12) &&
            s.alert.outputFields['proc.name'] === proc,
        );
      if (hit) return { alert: hit.alert, ms: hit.at - hit.alert.ts / 1e6 };
      const waited = Date.now() - start;
      if (waited > DEADLINE_MS + 3000) {
        const got = seen.slice(from).map((s) => `${s.alert.rule} (${String(s.alert.outputFields['proc.name'])})`);
        assert.fail(
          `"${rule}" did not fire for ${proc} within ${waited} ms; saw: ${got.join('; ') || 'nothing'}; metrics ${JSON.stringify(run?.metrics())}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const latencies: Record<string, number> = {};
  const check = (rule: string, r: { alert: Alert; ms: number }, proc: string): void => {
    latencies[rule] = r.ms;
    assert.ok(r.ms <= DEADLINE_MS, `${rule} fired after ${r.ms} ms (limit ${DEADLINE_MS})`);
    const f = r.alert.outputFields;
    assert.equal(f['container.id'], cid.slice(0, 12));
    assert.equal(f['container.name'], name);
    assert.equal(f['container.image.repository'], REPO);
    assert.equal(f['container.image.tag'], 'latest');
    assert.equal(f['proc.name'], proc);
  };
  const exec =
    (...cmd: string[]) =>
    () =>
      podmanAsync(['exec', name, ...cmd]);

  test('a shell with a terminal in a container', async () => {
    const r = await attack('Terminal shell in container', 'bash', () =>
      podmanAsync(['exec', '-t', name, 'bash', '-c', 'true']),
    );
    check('Terminal shell in container', r, 'bash');
    assert.ok(Number(r.alert.outputFields['proc.tty']) > 0, 'terminal recorded');
  });

  test('reading /etc/shadow', async () => {
    const r = await attack('Read sensitive file untrusted', 'cat', exec('cat', '/etc/shadow'));
    check('Read sensitive file untrusted', r, 'cat');
    assert.equal(r.alert.outputFields['fd.name'], '/etc/shadow');
    assert.equal(r.alert.outputFields['user.name'], 'root', 'user name from the container /etc/passwd');
  });

  test('dropping a binary into the container and running it (upstream rule and Bollard drift)', async () => {
    const r = await attack(
      'Drop and execute new binary in container',
      'dropped',
      exec('sh', '-c', 'cp /bin/true /tmp/dropped && /tmp/dropped'),
    );
    check('Drop and execute new binary in container', r, 'dropped');
    assert.equal(r.alert.outputFields['proc.exepath'], '/tmp/dropped');
    const drift = seen.find(
      (s) => s.alert.rule === 'Executable not shipped in the image' && s.alert.outputFields['proc.name'] === 'dropped',
    );
    assert.ok(drift, 'the Bollard drift rule fires for the dropped binary too');
    // Stricter than Falco's field: a binary run from a tmpfs mount is not on the upper layer, but
    // it is not shipped in the image either.
    const shm = await attack(
      'Executable not shipped in the image',
      'tmpbin',
      exec('sh', '-c', 'cp /bin/true /scratch/tmpbin && /scratch/tmpbin'),
    );
    assert.equal(shm.alert.outputFields['proc.is_exe_upper_layer'], false);
  });

  test('a netcat remote shell', async () => {
    await podmanAsync(['exec', '-d', name, 'nc', '-l', '-p', '4444']);
    await new Promise((r) => setTimeout(r, 200));
    const r = await attack('Netcat Remote Code Execution in Container', 'nc', () =>
      podmanAsync(['exec', '-d', name, 'nc', '-e', '/bin/sh', '127.0.0.1', '4444']),
    );
    check('Netcat Remote Code Execution in Container', r, 'nc');
    assert.match(String(r.alert.outputFields['proc.cmdline']), /^nc -e \/bin\/sh 127\.0\.0\.1 4444$/);
  });

  test('ptrace attach', async () => {
    const r = await attack(
      'PTRACE attached to process',
      'perl',
      exec('perl', '-e', 'my $p = fork(); if (!$p) { sleep 2; exit 0 } syscall(101, 16, $p, 0, 0); waitpid($p, 0)'),
    );
    check('PTRACE attached to process', r, 'perl');
  });

  test('clearing a log file', async () => {
    const r = await attack('Clear Log Activities', 'sh', exec('sh', '-c', ': > /var/log/dpkg.log'));
    check('Clear Log Activities', r, 'sh');
    assert.equal(r.alert.outputFields['fd.name'], '/var/log/dpkg.log');
  });

  test('searching for private keys', async () => {
    const r = await attack(
      'Search Private Keys or Passwords',
      'grep',
      exec('grep', '-r', 'BEGIN RSA PRIVATE', '/etc/ssl'),
    );
    check('Search Private Keys or Passwords', r, 'grep');
  });

  test('a symlink over a sensitive file', async () => {
    const r = await attack(
      'Create Symlink Over Sensitive Files',
      'ln',
      exec('ln', '-sf', '/etc/shadow', '/tmp/shadow-link'),
    );
    check('Create Symlink Over Sensitive Files', r, 'ln');
    assert.equal(r.alert.outputFields['evt.arg.target'], '/etc/shadow');
  });

  test('a packet socket', async () => {
    const r = await attack(
      'Packet socket created in container',
      'perl',
      exec('perl', '-e', 'socket(my $s, 17, 3, 768)'),
    );
    check('Packet socket created in container', r, 'perl');
  });

  test('the benign workload (package install at build time, web server with 20 requests) raised no alert', () => {
    const during = (p: string) => seen.filter((s) => s.phase === p).map((s) => `${s.alert.rule}: ${s.alert.output}`);
    assert.deepEqual(during('build'), []);
    assert.deepEqual(during('web'), []);
    const m = run?.metrics();
    assert.equal(m?.lost, 0, 'no events lost');
    console.log(`latencies (ms): ${JSON.stringify(latencies)}; events=${m?.events}`);
  });
});
