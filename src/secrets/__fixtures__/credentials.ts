import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { base62Checksum } from '../validators.ts';

/*
 * Real credentials for the acceptance tests, built fresh on every run: keys from openssl,
 * ssh-keygen and gpg; tokens to each provider's documented format, with GitHub's and npm's CRC32
 * checksum. Nothing here is a live credential of anyone.
 */

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALNUM = UPPER + LOWER + DIGITS;
const HEX = '0123456789abcdef';
const B64 = `${ALNUM}+/`;
const URLSAFE = `${ALNUM}_-`;
const BASE32 = `${UPPER}234567`;

export function rand(alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

export const hex = (n: number): string => rand(HEX, n);
export const alnum = (n: number): string => rand(ALNUM, n);
const digits = (n: number): string => `${randomInt(1, 10)}${rand(DIGITS, n - 1)}`;
const b64 = (s: string): string => Buffer.from(s).toString('base64');
/** A password with every character class and high entropy. */
export const password = (): string => `${alnum(14)}Q7x`;

/** `prefix` + 30 random base62 + the base62 CRC32 of them. */
export function checksummedToken(prefix: string): string {
  const random = alnum(30);
  return `${prefix}${random}${base62Checksum(crc32(Buffer.from(random)))}`;
}

export function jwt(): string {
  const enc = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc({ sub: randomUUID(), iat: 1700000000, role: 'admin' })}`;
  return `${head}.${createHmac('sha256', randomBytes(32)).update(head).digest('base64url')}`;
}

export interface GeneratedKeys {
  rsa: string;
  ec: string;
  dsa: string;
  openssh: string;
  pkcs8: string;
  pkcs8Encrypted: string;
  ed25519Pkcs8: string;
  pgp: string;
  shadowHash: string;
  apr1Hash: string;
}

/** Keys made by the real tools, in a private temp directory removed afterwards. */
export function generateKeys(): GeneratedKeys {
  const dir = mkdtempSync(join(tmpdir(), 'bollard-keys-'));
  const run = (cmd: string, args: string[], env?: NodeJS.ProcessEnv): string =>
    execFileSync(cmd, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], ...(env ? { env } : {}) });
  try {
    const rsa = run('openssl', ['genrsa', '-traditional', '2048']);
    const ec = run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout']);
    run('openssl', ['dsaparam', '-out', 'dsa.pem', '-noout', '-genkey', '1024']);
    const dsa = run('openssl', ['pkey', '-in', 'dsa.pem', '-traditional']);
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test@bollard', '-f', join(dir, 'id_ed25519')]);
    const openssh = readFileSync(join(dir, 'id_ed25519'), 'utf8');
    const pkcs8 = run('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
    const pkcs8Encrypted = run('openssl', [
      'genpkey',
      '-algorithm',
      'RSA',
      '-pkeyopt',
      'rsa_keygen_bits:1024',
      '-aes256',
      '-pass',
      'pass:bollard-test',
    ]);
    const ed25519Pkcs8 = run('openssl', ['genpkey', '-algorithm', 'ed25519']);
    const env = { ...process.env, GNUPGHOME: join(dir, 'gnupg') };
    execFileSync('mkdir', ['-m', '700', join(dir, 'gnupg')]);
    run(
      'gpg',
      ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', 'Test <test@bollard.invalid>', 'ed25519', 'sign', 'never'],
      env,
    );
    const pgp = run('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--armor', '--export-secret-keys'], env);
    const shadowHash = run('openssl', ['passwd', '-6', password()]).trim();
    const apr1Hash = run('openssl', ['passwd', '-apr1', password()]).trim();
    return { rsa, ec, dsa, openssh, pkcs8, pkcs8Encrypted, ed25519Pkcs8, pgp, shadowHash, apr1Hash };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One credential in its file: the rule expected to find it and the text around it. */
export interface CredentialSample {
  ruleId: string;
  /** File name (default `<ruleId>.txt`): some rules look only at their own files (.pypirc, settings.xml). */
  file?: string;
  /** The line(s) holding the credential. */
  text: string;
  /** The secret itself, to prove it never appears in any output. */
  secret: string;
  /** Line of the finding inside `text` (default 1). */
  line?: number;
}

function pemBody(pem: string): string {
  return pem
    .split('\n')
    .filter((l) => l && !l.startsWith('-----'))
    .join('\n');
}

function rewrap(label: string, pem: string): string {
  return `-----BEGIN ${label}-----\n${pemBody(pem)}\n-----END ${label}-----`;
}

/** A credential for every built-in rule. */
export function credentialSamples(keys: GeneratedKeys): CredentialSample[] {
  const s: CredentialSample[] = [];
  const add = (ruleId: string, secret: string, text: string, extra: Partial<CredentialSample> = {}): void => {
    s.push({ ruleId, secret, text, ...extra });
  };
  const tok = (ruleId: string, secret: string, lead = 'token: '): void => add(ruleId, secret, `${lead}${secret}`);
  const uuid = (): string => randomUUID();

  // cloud
  tok('aws-access-key-id', `AKIA${rand(BASE32, 16)}`, 'aws_access_key_id = ');
  tok('aws-secret-access-key', rand(B64, 40), 'aws_secret_access_key = ');
  tok('aws-session-token', rand(B64, 356), 'aws_session_token = ');
  tok('aws-mws-auth-token', `amzn.mws.${uuid()}`, 'mws: ');
  {
    const key = keys.pkcs8.trim().replace(/\n/g, '\\n');
    const text = `{\n  "type": "service_account",\n  "project_id": "bollard-test",\n  "private_key": "${key}\\n",\n  "client_email": "ci@bollard-test.iam.gserviceaccount.com"\n}`;
    // The key material is the body; the PEM header in the finding's label is not secret.
    add('gcp-service-account-key', pemBody(keys.pkcs8).replace(/\n/g, '\\n'), text, { line: 4, file: 'gcp-service-account-key.json' });
  }
  tok('gcp-api-key', `AIza${rand(URLSAFE, 35)}`, 'maps_key: ');
  tok('gcp-oauth-client-secret', `GOCSPX-${rand(URLSAFE, 28)}`, 'oauth: ');
  {
    const k = `${rand(B64, 86)}==`;
    add('azure-storage-account-key', k, `DefaultEndpointsProtocol=https;AccountName=bollard;AccountKey=${k};EndpointSuffix=core.windows.net`);
  }
  tok('azure-client-secret', `${alnum(3)}${randomInt(10)}Q~${rand(`${ALNUM}_~.-`, 33)}${alnum(1)}`, 'azure client secret: ');
  {
    const sig = `${rand(ALNUM, 43)}%3D`;
    add('azure-sas-token', sig, `https://bollard.blob.core.windows.net/c/f?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&spr=https&sig=${sig}`);
  }
  tok('azure-devops-pat', rand('abcdefghijklmnopqrstuvwxyz234567', 52), 'azure_devops_pat = ');
  tok('alibaba-access-key-id', `LTAI${alnum(20)}`, 'alibaba: ');
  tok('digitalocean-pat', `dop_v1_${hex(64)}`);
  tok('digitalocean-oauth-token', `doo_v1_${hex(64)}`);
  tok('hashicorp-vault-token', `hvs.${rand(URLSAFE, 90)}`, 'VAULT: ');
  tok('terraform-cloud-token', `${alnum(14)}.atlasv1.${rand(`${ALNUM}_=-`, 67)}`, 'credentials: ');
  tok('doppler-token', `dp.pt.${alnum(43)}`);
  tok('pulumi-access-token', `pul-${hex(40)}`);
  tok('heroku-api-key', uuid(), 'HEROKU_API_KEY: ');
  tok('heroku-api-key-v2', `HRKU-AA${rand(URLSAFE, 58)}`, 'heroku: ');
  tok('databricks-token', `dapi${hex(32)}`);
  tok('cloudflare-origin-ca-key', `v1.0-${hex(24)}-${hex(146)}`, 'origin ca: ');

  // source hosting and CI
  tok('github-pat', checksummedToken('ghp_'), 'GH: ');
  tok('github-oauth-token', checksummedToken('gho_'), 'GH: ');
  tok('github-user-to-server-token', checksummedToken('ghu_'), 'GH: ');
  tok('github-server-to-server-token', checksummedToken('ghs_'), 'GH: ');
  tok('github-refresh-token', `ghr_${alnum(76)}`, 'GH: ');
  tok('github-fine-grained-pat', `github_pat_${alnum(22)}_${alnum(59)}`, 'GH: ');
  tok('gitlab-pat', `glpat-${rand(URLSAFE, 20)}`, 'gitlab: ');
  tok('gitlab-pipeline-trigger-token', `glptt-${hex(40)}`, 'gitlab: ');
  tok('gitlab-runner-registration-token', `GR1348941${rand(URLSAFE, 20)}`, 'gitlab: ');
  tok('gitlab-runner-auth-token', `glrt-${rand(URLSAFE, 20)}`, 'gitlab: ');
  tok('gitlab-deploy-token', `gldt-${rand(URLSAFE, 20)}`, 'gitlab: ');
  tok('gitlab-feed-token', `glft-${rand(URLSAFE, 20)}`, 'gitlab: ');
  tok('gitlab-ci-build-token', `glcbt-${hex(2)}_${rand(URLSAFE, 20)}`, 'gitlab: ');
  tok('gitlab-oauth-app-secret', `gloas-${hex(64)}`, 'gitlab: ');
  tok('gitlab-scim-token', `glsoat-${rand(URLSAFE, 20)}`, 'gitlab: ');
  tok('gitlab-incoming-mail-token', `glimt-${rand(ALNUM, 25)}`, 'gitlab: ');
  tok('gitlab-agent-token', `glagent-${rand(URLSAFE, 50)}`, 'gitlab: ');
  tok('bitbucket-app-password', `ATBB${alnum(32)}`, 'bitbucket: ');
  tok('bitbucket-client-secret', alnum(64), 'bitbucket_client_secret: ');
  tok('atlassian-api-token', `ATATT3${rand(`${ALNUM}_-=`, 186)}`, 'jira: ');
  tok('circleci-token', `CCIPAT_${alnum(22)}_${hex(40)}`, 'circle: ');
  tok('buildkite-api-token', `bkua_${hex(40)}`);
  tok('sourcegraph-access-token', `sgp_${hex(16)}_${hex(40)}`);
  tok('travis-ci-token', rand(URLSAFE, 21) + alnum(1), 'travis_token: ');

  // chat and mail
  tok('slack-bot-token', `xoxb-${digits(12)}-${digits(13)}-${alnum(24)}`, 'slack: ');
  tok('slack-user-token', `xoxp-${digits(12)}-${digits(12)}-${digits(13)}-${hex(32)}`, 'slack: ');
  tok('slack-app-token', `xapp-1-A${rand(UPPER + DIGITS, 10)}-${digits(13)}-${hex(64)}`, 'slack: ');
  tok('slack-legacy-token', `xoxs-${digits(12)}-${alnum(40)}`, 'slack: ');
  tok('slack-config-token', `xoxe.xoxp-1-${rand(UPPER + DIGITS, 163)}`, 'slack: ');
  tok('slack-config-refresh-token', `xoxe-1-${rand(UPPER + DIGITS, 146)}`, 'slack: ');
  {
    const path = `T${rand(UPPER + DIGITS, 10)}/B${rand(UPPER + DIGITS, 10)}/${alnum(24)}`;
    add('slack-webhook-url', path, `webhook: https://hooks.slack.com/services/${path}`);
  }
  {
    const path = `${digits(19)}/${rand(URLSAFE, 67)}${alnum(1)}`;
    add('discord-webhook-url', path, `webhook: https://discord.com/api/webhooks/${path}`);
  }
  tok('discord-bot-token', `M${alnum(23)}.${alnum(6)}.${alnum(38)}`, 'DISCORD_BOT_TOKEN = ');
  tok('telegram-bot-token', `${digits(10)}:AA${rand(URLSAFE, 32)}${alnum(1)}`, 'telegram: ');
  {
    const path = `${uuid()}@${uuid()}/IncomingWebhook/${hex(32)}/${uuid()}`;
    add('teams-webhook-url', path, `teams: https://bollard.webhook.office.com/webhookb2/${path}`);
  }
  tok('sendgrid-api-key', `SG.${alnum(22)}.${alnum(43)}`, 'mail: ');
  tok('mailgun-api-key', `key-${hex(32)}`, 'mail: ');
  tok('mailgun-api-key-v2', `${hex(32)}-${hex(8)}-${hex(8)}`, 'mailgun_api_key: ');
  tok('mailchimp-api-key', `${hex(32)}-us${randomInt(1, 22)}`, 'mail: ');
  tok('twilio-api-key', `SK${hex(32)}`, 'twilio api key sid: ');
  tok('twilio-auth-token', hex(32), 'twilio_auth_token = ');
  tok('postmark-server-token', uuid(), 'postmark_server_token: ');
  tok('brevo-api-key', `xkeysib-${hex(64)}-${alnum(16)}`, 'mail: ');

  // payment
  tok('stripe-secret-key', `sk_live_${alnum(99)}`, 'stripe: ');
  tok('stripe-restricted-key', `rk_live_${alnum(99)}`, 'stripe: ');
  tok('stripe-test-secret-key', `sk_test_${alnum(99)}`, 'stripe: ');
  tok('stripe-webhook-secret', `whsec_${alnum(32)}`, 'stripe: ');
  tok('square-access-token', `EAAA${rand(URLSAFE, 59)}${alnum(1)}`, 'square: ');
  tok('square-oauth-secret', `sq0csp-${rand(URLSAFE, 42)}${alnum(1)}`, 'square: ');
  {
    // The literal prefix is the finding's label; the merchant id and key after it are the secret.
    const v = `${rand(LOWER + DIGITS, 16)}$${hex(32)}`;
    add('braintree-access-token', v, `braintree: access_token$production$${v}`);
  }
  tok('shopify-access-token', `shpat_${hex(32)}`, 'shopify: ');
  tok('shopify-shared-secret', `shpss_${hex(32)}`, 'shopify: ');
  tok('razorpay-key-id', `rzp_live_${alnum(14)}`, 'razorpay: ');
  tok('flutterwave-secret-key', `FLWSECK-${hex(32)}-X`, 'flutterwave: ');
  tok('plaid-access-token', `access-production-${uuid()}`, 'plaid: ');

  // registries
  tok('npm-access-token', checksummedToken('npm_'), 'npm: ');
  {
    const t = alnum(36);
    add('npmrc-auth-token', t, `//registry.npmjs.org/:_authToken=${t}`, { file: 'npmrc-auth-token.npmrc' });
  }
  {
    const a = b64(`deploy:${password()}`);
    add('npmrc-auth', a, `_auth=${a}`, { file: 'npmrc-auth.npmrc' });
  }
  {
    const p = b64(password());
    add('npmrc-password', p, `//npm.internal.net/:_password=${p}`, { file: 'npmrc-password.npmrc' });
  }
  {
    const t = alnum(36);
    add('yarn-npm-auth-token', t, `npmAuthToken: ${t}`, { file: '.yarnrc.yml' });
  }
  tok('pypi-upload-token', `pypi-AgEIcHlwaS5vcmc${rand(URLSAFE, 150)}${alnum(1)}`, 'pypi: ');
  {
    const p = password();
    add('pypirc-password', p, `[pypi]\nusername = __token__\npassword = ${p}`, { file: '.pypirc', line: 3 });
  }
  tok('rubygems-api-key', `rubygems_${hex(48)}`, ':rubygems_api_key: ');
  tok('nuget-api-key', `oy2${rand(LOWER + DIGITS, 43)}`, 'nuget: ');
  tok('docker-hub-token', `dckr_pat_${rand(URLSAFE, 26)}${alnum(1)}`, 'docker: ');
  {
    const a = b64(`robot:${password()}`);
    add('docker-config-auth', a, `{"auths": {"registry.internal.net": {"auth": "${a}"}}}`, { file: 'config.json' });
  }
  {
    const t = alnum(48);
    add('docker-config-identity-token', t, `{"auths": {"acr.internal.net": {"identitytoken": "${t}"}}}`, { file: 'identity.json' });
  }
  tok('artifactory-api-key', `AKCp${alnum(69)}`, 'artifactory: ');
  tok('artifactory-reference-token', `cmVmdGtuOjAxOj${alnum(50)}`, 'artifactory: ');
  tok('crates-io-token', `cio${alnum(32)}`, 'cargo: ');
  tok('clojars-token', `CLOJARS_${rand(LOWER + DIGITS, 60)}`, 'clojars: ');
  {
    const p = password();
    add('maven-settings-password', p, `<settings><servers><server><id>internal</id>\n<password>${p}</password>\n</server></servers></settings>`, {
      file: 'settings.xml',
      line: 2,
    });
  }

  // private keys
  const key = (ruleId: string, pem: string, file?: string): void =>
    add(ruleId, pemBody(pem), pem.trim(), file ? { file } : {});
  key('private-key-rsa', keys.rsa, 'id_rsa');
  key('private-key-ec', keys.ec, 'ec.pem');
  key('private-key-dsa', keys.dsa, 'dsa.pem');
  key('private-key-openssh', keys.openssh, 'id_ed25519');
  key('private-key-pkcs8', keys.ed25519Pkcs8, 'server.key');
  key('private-key-pkcs8-encrypted', keys.pkcs8Encrypted, 'encrypted.key');
  key('private-key-sigstore', rewrap('ENCRYPTED SIGSTORE PRIVATE KEY', keys.pkcs8Encrypted), 'cosign.key');
  key('private-key-pem-other', rewrap('ED25519 PRIVATE KEY', keys.ed25519Pkcs8), 'other.key');
  key('private-key-pgp', keys.pgp, 'secret.asc');
  add(
    'private-key-ssh2',
    pemBody(keys.pkcs8),
    `---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: "test@bollard"\n${pemBody(keys.pkcs8)}\n---- END SSH2 ENCRYPTED PRIVATE KEY ----`,
  );
  {
    const priv = randomBytes(64).toString('base64');
    const text = `PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: test@bollard\nPublic-Lines: 2\nAAAAC3NzaC1lZDI1NTE5AAAAIJd8${alnum(20)}\n${alnum(16)}\nPrivate-Lines: 1\n${priv}\nPrivate-MAC: ${hex(64)}`;
    add('private-key-putty', priv, text, { file: 'key.ppk' });
  }
  {
    // "AGE-SECRET-KEY-1" is the bech32 prefix (the finding's label); the 58 characters after it are the key.
    const v = rand('QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L', 58);
    add('age-secret-key', v, `AGE-SECRET-KEY-1${v}`);
  }
  {
    const k = randomBytes(32).toString('base64');
    add('wireguard-private-key', k, `[Interface]\nPrivateKey = ${k}\nListenPort = 51820`, { file: 'wg0.conf', line: 2 });
  }
  {
    const body = Array.from({ length: 16 }, () => hex(32)).join('\n');
    add('openvpn-static-key', body, `-----BEGIN OpenVPN Static key V1-----\n${body}\n-----END OpenVPN Static key V1-----`, { file: 'ta.key' });
  }

  // software as a service
  tok('openai-api-key', `sk-proj-${rand(URLSAFE, 74)}T3BlbkFJ${rand(URLSAFE, 73)}${alnum(1)}`, 'openai: ');
  tok('anthropic-api-key', `sk-ant-api03-${rand(URLSAFE, 93)}AA`, 'anthropic: ');
  tok('huggingface-token', `hf_${rand(UPPER + LOWER, 34)}`, 'hf: ');
  tok('newrelic-user-api-key', `NRAK-${rand(UPPER + DIGITS, 27)}`, 'newrelic: ');
  tok('newrelic-insert-key', `NRII-${rand(URLSAFE, 31)}${alnum(1)}`, 'newrelic: ');
  tok('grafana-cloud-token', `glc_${rand(B64, 80)}`, 'grafana: ');
  tok('grafana-service-account-token', `glsa_${alnum(32)}_${hex(8)}`, 'grafana: ');
  tok('dynatrace-api-token', `dt0c01.${rand(UPPER + DIGITS, 24)}.${rand(UPPER + DIGITS, 64)}`, 'dynatrace: ');
  tok('postman-api-key', `PMAK-${hex(24)}-${hex(34)}`, 'postman: ');
  tok('linear-api-key', `lin_api_${alnum(40)}`, 'linear: ');
  tok('notion-integration-token', `ntn_${digits(11)}${alnum(35)}`, 'notion: ');
  tok('airtable-pat', `pat${alnum(14)}.${hex(64)}`, 'airtable: ');
  tok('figma-pat', `figd_${rand(URLSAFE, 39)}${alnum(1)}`, 'figma: ');
  tok('planetscale-token', `pscale_tkn_${rand(URLSAFE, 42)}${alnum(1)}`, 'planetscale: ');
  tok('supabase-access-token', `sbp_${hex(40)}`, 'supabase: ');
  tok('sentry-auth-token', `sntrys_eyJ${alnum(120)}`, 'sentry: ');
  tok('mapbox-secret-token', `sk.eyJ1Ijoi${alnum(30)}.${rand(URLSAFE, 21)}${alnum(1)}`, 'mapbox: ');
  tok('prefect-api-key', `pnu_${alnum(36)}`, 'prefect: ');
  tok('readme-api-key', `rdme_${rand(LOWER + DIGITS, 70)}`, 'readme: ');
  tok('onepassword-service-account-token', `ops_eyJ${alnum(300)}`, 'op: ');
  tok('flyio-access-token', `FlyV1 fm2_${alnum(150)}`, 'fly: ');
  tok('contentful-pat', `CFPAT-${rand(URLSAFE, 42)}${alnum(1)}`, 'contentful: ');
  tok('hubspot-private-app-token', `pat-na1-${uuid()}`, 'hubspot: ');
  tok('shippo-api-token', `shippo_live_${hex(40)}`, 'shippo: ');
  tok('easypost-api-key', `EZAK${hex(54)}`, 'easypost: ');
  tok('duffel-api-token', `duffel_live_${rand(URLSAFE, 42)}${alnum(1)}`, 'duffel: ');
  tok('frameio-api-token', `fio-u-${rand(URLSAFE, 63)}${alnum(1)}`, 'frameio: ');
  tok('scalingo-api-token', `tk-us-${rand(URLSAFE, 47)}${alnum(1)}`, 'scalingo: ');
  tok('infracost-api-token', `ico-${alnum(32)}`, 'infracost: ');
  tok('typeform-pat', `tfp_${rand(URLSAFE, 43)}${alnum(1)}_${rand(URLSAFE, 13)}${alnum(1)}`, 'typeform: ');
  tok('adafruit-io-key', `aio_${alnum(28)}`, 'adafruit: ');
  tok('facebook-access-token', `EAACEdEose0cBA${alnum(60)}`, 'facebook: ');
  tok('datadog-api-key', hex(32), 'DD_API_KEY: ');
  tok('okta-api-token', `00${rand(URLSAFE, 39)}${alnum(1)}`, 'okta_api_token: ');

  // generic and structural
  tok('jwt', jwt(), 'session: ');
  const url = (ruleId: string, scheme: string, host: string): void => {
    const p = alnum(18);
    add(ruleId, p, `url: ${scheme}://app:${p}@${host}`);
  };
  url('postgres-url-password', 'postgres', 'db.internal.net:5432/app');
  url('mysql-url-password', 'mysql', 'mysql.internal.net:3306/app');
  url('mongodb-url-password', 'mongodb+srv', 'cluster0.internal.net/app');
  url('redis-url-password', 'redis', 'cache.internal.net:6379/0');
  url('amqp-url-password', 'amqp', 'rabbit.internal.net:5672/');
  url('jdbc-url-password', 'jdbc:sqlserver', 'mssql.internal.net:1433');
  url('url-credentials', 'https', 'git.internal.net/org/repo.git');
  tok('generic-password', password(), 'db_password = ');
  s[s.length - 1]!.text = `db_password = "${s[s.length - 1]!.secret}"`;
  tok('generic-env-secret', password(), 'export APP_SECRET=');
  {
    const v = alnum(32);
    add('generic-secret', v, `client_secret: "${v}"`);
  }
  {
    const v = alnum(32);
    add('generic-api-key', v, `api_key = '${v}'`);
  }
  {
    const v = alnum(40);
    add('generic-token', v, `"access_token": "${v}"`);
  }
  tok('authorization-bearer', alnum(48), 'curl -H "Authorization: Bearer ');
  s[s.length - 1]!.text += '" https://api.internal.net/v1';
  {
    const v = b64(`deploy:${password()}`);
    add('authorization-basic', v, `Authorization: Basic ${v}`);
  }
  {
    const p = password();
    add('netrc-password', p, `machine api.internal.net login deploy password ${p}`, { file: '.netrc' });
  }
  add('password-hash-crypt', keys.shadowHash, `deploy:${keys.shadowHash}:19700:0:99999:7:::`, { file: 'shadow' });
  add('htpasswd-hash', keys.apr1Hash, `admin:${keys.apr1Hash}`, { file: '.htpasswd' });
  {
    const v = b64(keys.rsa);
    add('kubeconfig-client-key', v, `users:\n- name: admin\n  user:\n    client-key-data: ${v}`, { file: 'admin.kubeconfig', line: 4 });
  }
  {
    const t = alnum(40);
    add('kubeconfig-token', t, `users:\n- name: ci\n  user:\n    token: ${t}`, { file: 'ci.kubeconfig', line: 4 });
  }
  {
    const p = password();
    const text = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\ntype: Opaque\ndata:\n  password: ${b64(p)}`;
    add('kubernetes-secret', p, text, { file: 'db-secret.yaml', line: 8 });
  }
  return s;
}
