// slf4j-api.jar and jcl-over-slf4j.jar are Debian 12's libslf4j-java 1.7.32-1 files as shipped.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { crc32, deflateRawSync } from 'node:zlib';
import { garbage, runAnalyzer } from '../../../test/helpers/analyzers.ts';
import { resolveLimits } from '../../util/limits.ts';
import { javaAnalyzer, nameFromFile } from './index.ts';

const FIX = join(import.meta.dirname, '__fixtures__');
const SLF4J = readFileSync(join(FIX, 'slf4j-api.jar'));
const JCL = readFileSync(join(FIX, 'jcl-over-slf4j.jar'));

/** A minimal zip writer (deflate or store), enough to build wars, ears and bombs for the tests. */
function zip(entries: [string, Buffer][], store = false): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const body = store ? data : deflateRawSync(data, { level: 9 });
    const nameBuf = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(store ? 0 : 8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(store ? 0 : 8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, body);
    centrals.push(central, nameBuf);
    offset += 30 + nameBuf.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const ids = (r: Awaited<ReturnType<typeof runAnalyzer>>): string[] =>
  r.draft.packages.map((p) => `${p.name}@${p.version}`).sort();

describe('Java archives', () => {
  test('Debian jars: identity from pom.properties, location is the jar', async () => {
    const r = await runAnalyzer(javaAnalyzer, new Map([['usr/share/java/slf4j-api.jar', SLF4J]]));
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(ids(r), ['org.slf4j:slf4j-api@1.7.32']);
    assert.deepEqual(r.draft.packages[0]?.location, { path: 'usr/share/java/slf4j-api.jar' });
    assert.equal(r.draft.packages[0]?.type, 'maven');
  });

  test('a war with nested jars (and an ear around it) lists every library, read in memory', async () => {
    const war = zip([
      ['META-INF/MANIFEST.MF', Buffer.from('Manifest-Version: 1.0\r\n\r\n')],
      [
        'META-INF/maven/com.example/shop/pom.properties',
        Buffer.from('groupId=com.example\nartifactId=shop\nversion=2.1.0\n'),
      ],
      ['WEB-INF/lib/slf4j-api-1.7.32.jar', SLF4J],
      ['WEB-INF/lib/jcl-over-slf4j-1.7.32.jar', JCL],
    ]);
    const ear = zip([['shop.war', war]]);
    for (const [path, data] of [
      ['srv/shop.war', war],
      ['srv/app.ear', ear],
    ] as const) {
      const r = await runAnalyzer(javaAnalyzer, new Map([[path, data]]));
      const expected = ['com.example:shop@2.1.0', 'org.slf4j:jcl-over-slf4j@1.7.32', 'org.slf4j:slf4j-api@1.7.32'];
      assert.deepEqual(ids(r), expected, path);
      assert.ok(r.draft.packages.every((p) => p.location.path === path));
    }
  });

  test('manifest-only jars: identified when the manifest names the group, counted otherwise', async () => {
    const named = zip([
      [
        'META-INF/MANIFEST.MF',
        Buffer.from(
          'Manifest-Version: 1.0\nImplementation-Vendor-Id: org.example\nImplementation-Title: lib\nImplementation-Version: 1.0\n',
        ),
      ],
    ]);
    const anonymous = zip([['META-INF/MANIFEST.MF', Buffer.from('Manifest-Version: 1.0\n')]]);
    const r = await runAnalyzer(
      javaAnalyzer,
      new Map([
        ['opt/lib/widget-3.4.5.jar', named],
        ['opt/lib/anon.jar', anonymous],
      ]),
    );
    assert.deepEqual(ids(r), ['org.example:widget@3.4.5']);
    assert.deepEqual(
      r.warnings.map((w) => w.code),
      ['JAVA_UNIDENTIFIED'],
    );
    assert.deepEqual(nameFromFile('a/commons-lang3-3.12.0.jar'), { artifactId: 'commons-lang3', version: '3.12.0' });
  });

  test('jar bombs are refused within the limits: deep nesting, huge ratio, total size', async () => {
    let deep: Buffer = SLF4J;
    for (let i = 0; i < 8; i++) deep = zip([[`lib/level${i}.jar`, deep]]);
    const ratio = zip([['lib/zeros.jar', Buffer.alloc(64 * 1024 * 1024)]]); // ~1000:1 deflated
    const big = zip([['lib/a.jar', garbage(3 * 1024 * 1024)]], true);
    const limits = resolveLimits({ maxFileBytes: 2 * 1024 * 1024 });
    const r = await runAnalyzer(
      javaAnalyzer,
      new Map([
        ['deep.jar', deep],
        ['ratio.jar', ratio],
      ]),
    );
    const small = await runAnalyzer(javaAnalyzer, new Map([['big.jar', big]]), limits);
    assert.deepEqual(r.draft.packages, []);
    assert.deepEqual(small.draft.packages, []);
    assert.deepEqual(
      r.warnings.map((w) => [w.code, w.count]),
      [['JAVA_ARCHIVE_REFUSED', 2]],
    );
    assert.match(r.warnings[0]?.message ?? '', /nested deeper than 4|inflates more than 1000/);
    assert.deepEqual(
      small.warnings.map((w) => w.code),
      ['JAVA_ARCHIVE_REFUSED'],
    );
  });

  test('not a zip: skipped and counted', async () => {
    const r = await runAnalyzer(javaAnalyzer, new Map([['x.jar', garbage(1000)]]));
    assert.deepEqual(r.draft.packages, []);
    assert.deepEqual(
      r.warnings.map((w) => w.code),
      ['JAVA_ARCHIVE_INVALID'],
    );
  });
});

describe('Maven and Gradle project files', () => {
  test('gradle.lockfile: coordinates, test-only configurations are dev', async () => {
    const text =
      '# Gradle lockfile\ncom.google.guava:guava:31.1-jre=compileClasspath,runtimeClasspath\njunit:junit:4.13.2=testCompileClasspath,testRuntimeClasspath\nempty=annotationProcessor\n';
    const r = await runAnalyzer(javaAnalyzer, new Map([['app/gradle.lockfile', text]]));
    assert.deepEqual(
      r.draft.packages.map((p) => [p.name, p.version, p.dev]),
      [
        ['com.google.guava:guava', '31.1-jre', false],
        ['junit:junit', '4.13.2', true],
      ],
    );
  });
  test('pom.xml: literal and property versions; managed ones counted', async () => {
    const pom = `<project><modelVersion>4.0.0</modelVersion><groupId>x</groupId><artifactId>y</artifactId><version>1.0</version>
<properties><jackson.version>2.9.10</jackson.version></properties>
<dependencies>
<dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId><version>\${jackson.version}</version></dependency>
<!-- <dependency><groupId>gone</groupId><artifactId>gone</artifactId><version>1</version></dependency> -->
<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.14.1</version></dependency>
<dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.12</version><scope>test</scope></dependency>
<dependency><groupId>org.springframework</groupId><artifactId>spring-core</artifactId></dependency>
</dependencies></project>`;
    const r = await runAnalyzer(javaAnalyzer, new Map([['app/pom.xml', pom]]));
    assert.deepEqual(
      r.draft.packages.map((p) => [p.name, p.version, p.dev]),
      [
        ['com.fasterxml.jackson.core:jackson-databind', '2.9.10', false],
        ['org.apache.logging.log4j:log4j-core', '2.14.1', false],
        ['junit:junit', '4.12', true],
      ],
    );
    assert.deepEqual(
      r.warnings.map((w) => w.code),
      ['POM_VERSION_UNRESOLVED'],
    );
  });
});
