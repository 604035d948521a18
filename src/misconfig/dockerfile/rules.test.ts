import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkDockerfile, dockerfileChecks, type HadolintConfig, parseHadolintConfig } from './index.ts';

/**
 * For every check with a hadolint code: Dockerfiles on which it must fire and must not, written from
 * hadolint's documented behaviour (its wiki page per rule), plus the CIS checks of Bollard's own.
 */
interface Case {
  code: string;
  fire: string[];
  quiet: string[];
  config?: string;
  enable?: boolean;
}

const F = 'FROM debian:12.5\n';
const cases: Case[] = [
  {
    code: 'DL1001',
    enable: true,
    fire: [`${F}# hadolint ignore=DL3008\nRUN apt-get install -y --no-install-recommends curl`],
    quiet: [`${F}RUN echo hi`],
  },
  {
    code: 'DL3000',
    fire: [`${F}WORKDIR usr/src/app`],
    quiet: [`${F}WORKDIR /usr/src/app`, `${F}WORKDIR $HOME`, `FROM mcr.microsoft.com/windows:1\nWORKDIR C:\\\\app`],
  },
  { code: 'DL3001', fire: [`${F}RUN top`, `${F}RUN service nginx start`], quiet: [`${F}RUN echo top`] },
  {
    code: 'DL3002',
    fire: [`${F}USER root`, `${F}USER app\nUSER 0:0`],
    quiet: [`${F}USER root\nRUN x\nUSER app`, `${F}RUN x`, `FROM x:1 AS a\nUSER root\nFROM x:1\nUSER app`],
  },
  { code: 'DL3003', fire: [`${F}RUN cd /usr/src/app && git pull`], quiet: [`${F}WORKDIR /usr/src/app\nRUN git pull`] },
  { code: 'DL3004', fire: [`${F}RUN sudo apt-get install`], quiet: [`${F}RUN apt-get install`] },
  { code: 'DL3005', fire: [`${F}RUN apt-get -y dist-upgrade`], quiet: [`${F}RUN apt-get update`] },
  {
    code: 'DL3006',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile variable syntax, not a template
    fire: ['FROM debian', 'ARG IMG=debian\nFROM ${IMG}'],
    quiet: [
      'FROM debian:12',
      'FROM debian@sha256:0000000000000000000000000000000000000000000000000000000000000000',
      'FROM scratch',
      'FROM debian:12 AS base\nFROM base',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile variable syntax, not a template
      'FROM ${UNKNOWN}',
      'FROM localhost:5000/app:1',
    ],
  },
  {
    code: 'DL3007',
    fire: ['FROM debian:latest', 'FROM registry.example.com:5000/team/app:latest'],
    quiet: [
      'FROM debian:12',
      'FROM debian:latest@sha256:0000000000000000000000000000000000000000000000000000000000000000',
    ],
  },
  {
    code: 'DL3008',
    fire: [`${F}RUN apt-get install -y python`, `${F}RUN apt-get -y install curl=7.88.1-10 python3`],
    quiet: [`${F}RUN apt-get install -y python=2.7`, `${F}RUN apt-get install -y ./local.deb`],
  },
  {
    code: 'DL3009',
    fire: [`${F}RUN apt-get update && apt-get install -y python`],
    quiet: [
      `${F}RUN apt-get update && apt-get install -y python && rm -rf /var/lib/apt/lists/*`,
      `${F}RUN --mount=type=cache,target=/var/lib/apt/lists apt-get update && apt-get install -y python`,
      // hadolint only reports the final stage: intermediate stages are discarded
      `FROM debian:12 AS build\nRUN apt-get update && apt-get install -y gcc\nFROM debian:12\nCOPY --from=build /x /x`,
    ],
  },
  {
    code: 'DL3010',
    fire: [`${F}COPY rootfs.tar.xz /tmp/\nRUN tar -xf /tmp/rootfs.tar.xz -C /`],
    quiet: [`${F}ADD rootfs.tar.xz /`, `${F}COPY rootfs.tar.xz /srv/`],
  },
  { code: 'DL3011', fire: [`${F}EXPOSE 80000`, `${F}EXPOSE 8000-70000/tcp`], quiet: [`${F}EXPOSE 443/tcp 80`] },
  {
    code: 'DL3012',
    fire: [`${F}HEALTHCHECK CMD /bin/check\nHEALTHCHECK CMD /bin/check2`],
    quiet: [`${F}HEALTHCHECK CMD /bin/check`, `FROM a:1 AS x\nHEALTHCHECK CMD a\nFROM b:1\nHEALTHCHECK CMD b`],
  },
  {
    code: 'DL3013',
    fire: [`${F}RUN pip install django`, `${F}RUN python3 -m pip install --user requests`],
    quiet: [
      `${F}RUN pip install django==1.9`,
      `${F}RUN pip install -r requirements.txt`,
      `${F}RUN pip install .`,
      `${F}RUN pip install 'requests>=2,<3'`,
      `${F}RUN pip install git+https://github.com/x/y@v1`,
    ],
  },
  {
    code: 'DL3014',
    fire: [`${F}RUN apt-get install python=2.7`],
    quiet: [
      `${F}RUN apt-get install -y python=2.7`,
      `${F}RUN apt-get -qq install python=2.7`,
      `${F}RUN apt-get install --yes x=1`,
      `${F}RUN apt-get install -yq x=1`,
    ],
  },
  {
    code: 'DL3015',
    fire: [`${F}RUN apt-get install -y python=2.7`],
    quiet: [
      `${F}RUN apt-get install -y --no-install-recommends python=2.7`,
      `${F}RUN apt-get -o APT::Install-Recommends=false install -y x=1`,
    ],
  },
  {
    code: 'DL3016',
    fire: [`${F}RUN npm install express`, `${F}RUN npm i -g @angular/cli`],
    quiet: [
      `${F}RUN npm install express@4.1.1`,
      `${F}RUN npm install @angular/cli@17.0.0`,
      `${F}RUN npm install`,
      `${F}RUN npm ci`,
      `${F}RUN npm install git+https://github.com/x/y.git#v1`,
    ],
  },
  {
    code: 'DL3018',
    fire: [`FROM alpine:3.19\nRUN apk add --no-cache python3`],
    quiet: [
      `FROM alpine:3.19\nRUN apk add --no-cache python3=3.11.8-r0`,
      `FROM alpine:3.19\nRUN apk add --no-cache --virtual .build-deps=1 x=1`,
    ],
  },
  {
    code: 'DL3019',
    fire: [`FROM alpine:3.19\nRUN apk add python3=3.11.8-r0`],
    quiet: [
      `FROM alpine:3.19\nRUN apk add --no-cache python3=3.11.8-r0`,
      `FROM alpine:3.19\nRUN --mount=type=cache,target=/var/cache/apk apk add python3=3.11.8-r0`,
    ],
  },
  {
    code: 'DL3020',
    fire: [`${F}ADD requirements.txt /usr/src/app/`],
    quiet: [
      `${F}COPY requirements.txt /usr/src/app/`,
      `${F}ADD rootfs.tar.gz /`,
      `${F}ADD https://example.com/a.txt /a`,
    ],
  },
  {
    code: 'DL3021',
    fire: [`${F}COPY package.json yarn.lock my_app`],
    quiet: [`${F}COPY package.json yarn.lock my_app/`, `${F}COPY a b`, `${F}COPY ["a", "b", "dir/"]`],
  },
  {
    code: 'DL3022',
    fire: [`${F}COPY --from=build /a /a`],
    quiet: [
      `FROM debian:12 AS build\nRUN x\nFROM debian:12\nCOPY --from=build /a /a`,
      `FROM debian:12\nRUN x\nFROM debian:12\nCOPY --from=0 /a /a`,
      `${F}COPY --from=nginx:latest /etc/nginx/nginx.conf /nginx.conf`,
    ],
  },
  {
    code: 'DL3023',
    fire: [`FROM debian:12 AS build\nCOPY --from=build /a /b`],
    quiet: [`FROM debian:12 AS build\nRUN x\nFROM debian:12 AS run\nCOPY --from=build /a /b`],
  },
  {
    code: 'DL3024',
    fire: [`FROM debian:12 AS foo\nRUN x\nFROM debian:12 AS foo\nRUN y`],
    quiet: [`FROM debian:12 AS foo\nRUN x\nFROM debian:12 AS bar\nRUN y`],
  },
  {
    code: 'DL3025',
    fire: [`${F}CMD my-service server`, `${F}ENTRYPOINT /bin/app --flag`],
    quiet: [`${F}CMD ["my-service", "server"]`, `${F}ENTRYPOINT ["/bin/app"]`],
  },
  {
    code: 'DL3026',
    config: 'trustedRegistries:\n  - docker.io\n  - "*.example.com"\n',
    fire: ['FROM quay.io/org/app:1', 'FROM evil.example.org/app:1'],
    quiet: ['FROM debian:12', 'FROM registry.example.com/app:1', 'FROM scratch', 'FROM debian:12 AS b\nFROM b'],
  },
  { code: 'DL3027', fire: [`${F}RUN apt install -y curl=1`], quiet: [`${F}RUN apt-get install -y curl=1`] },
  {
    code: 'DL3028',
    fire: [`FROM ruby:3\nRUN gem install bundler`],
    quiet: [`FROM ruby:3\nRUN gem install bundler:2.5.0`, `FROM ruby:3\nRUN gem install bundler -v 2.5.0`],
  },
  {
    code: 'DL3029',
    fire: ['FROM --platform=linux/amd64 debian:12'],
    quiet: ['FROM debian:12', 'FROM --platform=$BUILDPLATFORM debian:12'],
  },
  {
    code: 'DL3030',
    fire: ['FROM centos:7\nRUN yum install httpd-2.4.6 && yum clean all'],
    quiet: ['FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all'],
  },
  {
    code: 'DL3032',
    fire: ['FROM centos:7\nRUN yum install -y httpd-2.4.6'],
    quiet: ['FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all'],
  },
  {
    code: 'DL3033',
    fire: ['FROM centos:7\nRUN yum install -y httpd && yum clean all'],
    quiet: ['FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all'],
  },
  {
    code: 'DL3034',
    fire: ['FROM opensuse/leap:15\nRUN zypper install httpd=2.4 && zypper clean'],
    quiet: [
      'FROM opensuse/leap:15\nRUN zypper install -y httpd=2.4 && zypper clean',
      'FROM opensuse/leap:15\nRUN zypper --non-interactive install httpd=2.4',
    ],
  },
  {
    code: 'DL3035',
    fire: ['FROM opensuse/leap:15\nRUN zypper dist-upgrade'],
    quiet: ['FROM opensuse/leap:15\nRUN zypper install -y x=1 && zypper clean'],
  },
  {
    code: 'DL3036',
    fire: ['FROM opensuse/leap:15\nRUN zypper install -y httpd=2.4'],
    quiet: ['FROM opensuse/leap:15\nRUN zypper install -y httpd=2.4 && zypper clean'],
  },
  {
    code: 'DL3037',
    fire: ['FROM opensuse/leap:15\nRUN zypper install -y httpd && zypper clean'],
    quiet: [
      'FROM opensuse/leap:15\nRUN zypper install -y httpd=2.4 && zypper clean',
      "FROM opensuse/leap:15\nRUN zypper install -y 'httpd>=2.4' && zypper clean",
    ],
  },
  {
    code: 'DL3038',
    fire: ['FROM fedora:39\nRUN dnf install httpd-2.4.58 && dnf clean all'],
    quiet: ['FROM fedora:39\nRUN dnf install -y httpd-2.4.58 && dnf clean all'],
  },
  {
    code: 'DL3040',
    fire: ['FROM fedora:39\nRUN dnf install -y httpd-2.4.58'],
    quiet: [
      'FROM fedora:39\nRUN dnf install -y httpd-2.4.58 && dnf clean all',
      'FROM fedora:39\nRUN microdnf install -y x-1 && microdnf clean all',
    ],
  },
  {
    code: 'DL3041',
    fire: ['FROM fedora:39\nRUN dnf install -y httpd && dnf clean all'],
    quiet: ['FROM fedora:39\nRUN dnf install -y httpd-2.4.58 && dnf clean all'],
  },
  {
    code: 'DL3042',
    fire: [`${F}RUN pip install django==4.2`],
    quiet: [
      `${F}RUN pip install --no-cache-dir django==4.2`,
      `${F}ENV PIP_NO_CACHE_DIR=1\nRUN pip install django==4.2`,
      `${F}RUN PIP_NO_CACHE_DIR=1 pip install django==4.2`,
    ],
  },
  {
    code: 'DL3043',
    fire: [`${F}ONBUILD ONBUILD RUN x`, `${F}ONBUILD FROM debian:12`],
    quiet: [`${F}ONBUILD RUN x`],
  },
  {
    code: 'DL3044',
    fire: [`${F}ENV BLA="blubb" BLUBB="\${BLA}/blubb"`],
    quiet: [`${F}ENV BLA="blubb"\nENV BLUBB="\${BLA}/blubb"`, `${F}ARG BLA\nENV BLA=\${BLA} X=\${BLA}`],
  },
  {
    code: 'DL3045',
    fire: [`${F}COPY package.json .`],
    quiet: [
      `${F}WORKDIR /app\nCOPY package.json .`,
      `${F}COPY package.json /app/`,
      `FROM debian:12 AS b\nWORKDIR /app\nFROM b\nCOPY a .`,
    ],
  },
  {
    code: 'DL3046',
    fire: [`${F}RUN useradd -u 123456 foobar`],
    quiet: [`${F}RUN useradd -l -u 123456 foobar`, `${F}RUN useradd -u 1000 foobar`],
  },
  {
    code: 'DL3047',
    fire: [`${F}RUN wget https://example.com/a`],
    quiet: [
      `${F}RUN wget --progress=dot:giga https://example.com/a`,
      `${F}RUN wget -q https://example.com/a`,
      `${F}RUN wget -nv https://x`,
    ],
  },
  {
    code: 'DL3048',
    fire: [`${F}LABEL Invalid_Key=1`, `${F}LABEL com.docker.x=1`, `${F}LABEL .bad=1`],
    quiet: [`${F}LABEL org.opencontainers.image.title="x"`],
  },
  {
    code: 'DL3049',
    config: 'label-schema:\n  maintainer: text\n',
    fire: [`${F}RUN x`],
    quiet: [`${F}LABEL maintainer="a"`],
  },
  {
    code: 'DL3050',
    config: 'label-schema:\n  maintainer: text\nstrict-labels: true\n',
    fire: [`${F}LABEL maintainer="a" other="b"`],
    quiet: [`${F}LABEL maintainer="a"`],
  },
  {
    code: 'DL3051',
    config: 'label-schema:\n  maintainer: text\n',
    fire: [`${F}LABEL maintainer=""`],
    quiet: [`${F}LABEL maintainer="a"`],
  },
  {
    code: 'DL3052',
    config: 'label-schema:\n  homepage: url\n',
    fire: [`${F}LABEL homepage="not a url"`],
    quiet: [`${F}LABEL homepage="https://example.com/"`],
  },
  {
    code: 'DL3053',
    config: 'label-schema:\n  created: rfc3339\n',
    fire: [`${F}LABEL created="yesterday"`],
    quiet: [`${F}LABEL created="2024-01-02T03:04:05Z"`],
  },
  {
    code: 'DL3054',
    config: 'label-schema:\n  license: spdx\n',
    fire: [`${F}LABEL license="not valid!"`],
    quiet: [`${F}LABEL license="Apache-2.0"`],
  },
  {
    code: 'DL3055',
    config: 'label-schema:\n  revision: hash\n',
    fire: [`${F}LABEL revision="xyz"`],
    quiet: [`${F}LABEL revision="0123abcd"`],
  },
  {
    code: 'DL3056',
    config: 'label-schema:\n  version: semver\n',
    fire: [`${F}LABEL version="one"`],
    quiet: [`${F}LABEL version="1.2.3"`],
  },
  {
    code: 'DL3057',
    fire: [`${F}RUN x`],
    quiet: [`${F}HEALTHCHECK CMD /check`, `FROM debian:12 AS b\nHEALTHCHECK NONE\nFROM b\nRUN x`],
  },
  {
    code: 'DL3058',
    config: 'label-schema:\n  maintainer: email\n',
    fire: [`${F}LABEL maintainer="nobody"`],
    quiet: [`${F}LABEL maintainer="a@example.com"`],
  },
  {
    code: 'DL3059',
    fire: [`${F}RUN apt-get update\nRUN apt-get install -y x=1`],
    quiet: [`${F}RUN a && b`, `${F}RUN a\nWORKDIR /x\nRUN b`, `${F}RUN a\nRUN --mount=type=secret,id=s b`],
  },
  {
    code: 'DL3060',
    fire: ['FROM node:20\nRUN yarn install'],
    quiet: ['FROM node:20\nRUN yarn install && yarn cache clean'],
  },
  {
    code: 'DL3061',
    fire: ['RUN x\nFROM debian:12', 'ARG A=1\nRUN x\nFROM debian:12'],
    quiet: ['ARG A=1\nFROM debian:12', '# c\nFROM debian:12'],
  },
  {
    code: 'DL3062',
    fire: ['FROM golang:1.22\nRUN go install github.com/x/y'],
    quiet: ['FROM golang:1.22\nRUN go install github.com/x/y@v1.2.3', 'FROM golang:1.22\nRUN go install ./cmd/app'],
  },
  { code: 'DL4000', fire: [`${F}MAINTAINER a@b.c`], quiet: [`${F}LABEL maintainer="a@b.c"`] },
  {
    code: 'DL4001',
    fire: [`${F}RUN curl -o a https://x\nRUN wget -q https://y`],
    quiet: [
      `${F}RUN curl -o a https://x && curl -o b https://y`,
      `FROM a:1 AS x\nRUN curl -o a https://x\nFROM b:1\nRUN wget -q https://y`,
    ],
  },
  {
    code: 'DL4003',
    fire: [`${F}CMD ["a"]\nCMD ["b"]`],
    quiet: [`${F}CMD ["a"]`, `FROM a:1 AS x\nCMD ["a"]\nFROM b:1\nCMD ["b"]`],
  },
  { code: 'DL4004', fire: [`${F}ENTRYPOINT ["a"]\nENTRYPOINT ["b"]`], quiet: [`${F}ENTRYPOINT ["a"]`] },
  { code: 'DL4005', fire: [`${F}RUN ln -sfv /bin/bash /bin/sh`], quiet: [`${F}SHELL ["/bin/bash", "-c"]`] },
  {
    code: 'DL4006',
    fire: [`${F}RUN wget -O - https://some.site | wc -l > /number`],
    quiet: [
      `${F}SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN wget -O - https://some.site | wc -l > /number`,
      `${F}RUN set -o pipefail && wget -O - https://some.site | wc -l > /number`,
      `${F}SHELL ["pwsh", "-c"]\nRUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value`,
      `${F}RUN a || b`,
    ],
  },
  // Bollard's own CIS checks (no hadolint code)
  { code: 'BD-DF-001', fire: [`${F}RUN x`], quiet: [`${F}USER app`, `FROM debian:12 AS b\nUSER app\nFROM b\nRUN x`] },
  {
    code: 'BD-DF-002',
    fire: [
      `${F}ENV DB_PASSWORD=hunter2`,
      `${F}ARG GITHUB_TOKEN=ghp_${'a'.repeat(36)}`,
      `${F}ENV X=AKIAABCDEFGHIJKLMNOP`,
      `${F}RUN echo AKIAABCDEFGHIJKLMNOP > /k`,
    ],
    quiet: [
      `${F}ENV DB_PASSWORD_FILE=/run/secrets/db`,
      `${F}ARG NPM_TOKEN`,
      `${F}ENV TOKEN=\${NPM_TOKEN}`,
      `${F}ENV PASSWORD=`,
    ],
  },
  {
    code: 'BD-DF-003',
    fire: [`${F}RUN apt-get update`, `FROM alpine:3\nRUN apk update`],
    quiet: [`${F}RUN apt-get update && apt-get install -y x=1`],
  },
  {
    code: 'BD-DF-004',
    fire: [
      `${F}RUN curl -sSL https://get.example.com | sh`,
      `${F}RUN wget -qO- https://x | sudo bash -s`,
      `${F}RUN bash -c "$(curl -fsSL https://x/install.sh)"`,
      `${F}RUN curl -fsSL https://x | tee /tmp/i | bash`,
    ],
    quiet: [
      `${F}RUN curl -fsSLo /tmp/i.sh https://x && sha256sum -c sums && sh /tmp/i.sh`,
      `${F}RUN curl -s https://x | jq .`,
    ],
  },
  { code: 'BD-DF-005', fire: [`${F}EXPOSE 22`, `${F}EXPOSE 20-30/tcp`], quiet: [`${F}EXPOSE 2222 80`] },
  {
    code: 'BD-DF-006',
    fire: [`${F}ADD https://example.com/tool.tgz /opt/`],
    quiet: [`${F}ADD --checksum=sha256:${'0'.repeat(64)} https://example.com/tool.tgz /opt/`, `${F}COPY a /a`],
  },
];

function statusFor(text: string, code: string, c: Case) {
  const config: HadolintConfig | undefined = c.config ? parseHadolintConfig(c.config, '.hadolint.yaml') : undefined;
  const r = checkDockerfile(text, 'Dockerfile', {
    ...(config ? { config } : {}),
    ...(c.enable ? { enable: [code] } : {}),
  });
  const mine = (r.misconfigurations ?? []).filter((f) => f.checkId === code || f.aliases.includes(code));
  assert.ok(mine.length > 0, `${code} did not report at all`);
  return mine;
}

describe('Dockerfile checks: hadolint DL codes and CIS section 4', () => {
  for (const c of cases) {
    test(`${c.code} fires and stays quiet as documented`, () => {
      for (const text of c.fire) {
        const got = statusFor(text, c.code, c);
        assert.ok(
          got.some((f) => f.status === 'failed'),
          `${c.code} should fire on:\n${text}\ngot ${got.map((f) => `${f.status} ${f.reason ?? ''}`).join('; ')}`,
        );
      }
      for (const text of c.quiet) {
        const got = statusFor(text, c.code, c);
        assert.ok(
          got.every((f) => f.status !== 'failed'),
          `${c.code} should not fire on:\n${text}\ngot ${got.map((f) => f.message).join('; ')}`,
        );
      }
    });
  }

  test('every check with a DL code has a case here', () => {
    const covered = new Set(cases.map((c) => c.code));
    for (const check of dockerfileChecks) {
      const dl = check.aliases.find((a) => a.startsWith('DL'));
      assert.ok(covered.has(dl ?? check.id), `no fire/not-fire case for ${check.id} ${dl ?? ''}`);
    }
  });

  test('every check reports passed, failed or skipped with a reason on a clean file', () => {
    const r = checkDockerfile('FROM debian:12.5\nUSER app\nHEALTHCHECK CMD ["/ok"]\nCMD ["/app"]\n', 'Dockerfile');
    const f = r.misconfigurations ?? [];
    assert.equal(new Set(f.map((x) => x.checkId)).size, dockerfileChecks.length);
    assert.deepEqual(
      f.filter((x) => x.status === 'failed').map((x) => x.checkId),
      [],
    );
    for (const s of f.filter((x) => x.status === 'skipped')) assert.ok(s.reason && s.reason.length > 5, s.checkId);
  });
});

describe('Dockerfile suppressions', () => {
  const text = [
    'FROM debian:12.5',
    '# hadolint ignore=DL3008,DL3015',
    'RUN apt-get install -y curl',
    '# bollard ignore=BD-DF-002',
    'ENV API_TOKEN=abcdefgh',
    'RUN apt-get install -y wget',
    'USER app',
  ].join('\n');

  test('inline hadolint and bollard pragmas suppress the next instruction only', () => {
    const f = checkDockerfile(text, 'Dockerfile').misconfigurations ?? [];
    const dl3008 = f.filter((x) => x.checkId === 'BD-DF-3008' && x.status === 'failed');
    assert.deepEqual(
      dl3008.map((x) => [x.startLine, x.suppressed?.by ?? 'none']),
      [
        [3, 'inline'],
        [6, 'none'],
      ],
    );
    const secret = f.find((x) => x.checkId === 'BD-DF-002' && x.status === 'failed');
    assert.equal(secret?.suppressed?.by, 'inline');
    assert.match(secret?.suppressed?.reason ?? '', /bollard ignore=BD-DF-002/);
  });

  test('global pragmas, .hadolint.yaml ignored lists (DL codes or Bollard ids) and overrides', () => {
    const cfg = parseHadolintConfig(
      'ignored:\n  - DL3015\n  - BD-DF-3059\noverride:\n  error:\n    - DL3008\nfailure-threshold: warning\n',
      '.hadolint.yaml',
    );
    assert.equal(cfg.failureThreshold, 'MEDIUM');
    const f =
      checkDockerfile(`# hadolint global ignore=DL3057\n${text}`, 'Dockerfile', { config: cfg }).misconfigurations ??
      [];
    const failed = f.filter((x) => x.status === 'failed');
    for (const s of failed.filter((x) => x.checkId === 'BD-DF-3015'))
      assert.deepEqual(s.suppressed, { by: 'ignorefile', file: '.hadolint.yaml', reason: 'ignored: DL3015' });
    assert.ok(failed.filter((x) => x.checkId === 'BD-DF-3008').every((x) => x.severity === 'HIGH'));
    assert.ok(failed.filter((x) => x.checkId === 'BD-DF-3057').every((x) => x.suppressed?.by === 'inline'));
  });

  test('disable-ignore-pragma turns inline pragmas off', () => {
    const cfg = parseHadolintConfig('disable-ignore-pragma: true\n', '.hadolint.yaml');
    const f = checkDockerfile(text, 'Dockerfile', { config: cfg }).misconfigurations ?? [];
    assert.ok(f.filter((x) => x.checkId === 'BD-DF-3008' && x.status === 'failed').every((x) => !x.suppressed));
  });

  test('a hostile .hadolint.yaml is refused with a clear error', () => {
    assert.throws(
      () => parseHadolintConfig('ignored: !!js/function "x"\n', '.hadolint.yaml'),
      /unsupported YAML tag|tag/i,
    );
    assert.throws(() => parseHadolintConfig('ignored: [1, 2]\n', '.hadolint.yaml'), /list of strings/);
  });
});
