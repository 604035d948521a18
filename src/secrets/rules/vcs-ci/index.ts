import type { SecretRule, SecretRulePack } from '../../types.ts';

const END = `(?![A-Za-z0-9_-])`;
const START = `(?<![A-Za-z0-9_-])`;

function github(prefix: string, id: string, title: string, checksum: boolean): SecretRule {
  return {
    id,
    title,
    severity: 'CRITICAL',
    category: 'vcs',
    keywords: [prefix],
    // 30 base62 characters and a 6-character base62 CRC32 of them (GitHub's 2021 token format).
    pattern: `${START}(${prefix}[A-Za-z0-9]{36})${END}`,
    ...(checksum ? { validate: 'crc32-base62' as const } : {}),
    references: ['https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/'],
  };
}

function gitlab(prefix: string, id: string, title: string, body: string, severity: SecretRule['severity']): SecretRule {
  return {
    id,
    title,
    severity,
    category: 'vcs',
    keywords: [prefix.toLowerCase()],
    pattern: `${START}(${prefix}${body})${END}`,
    references: ['https://docs.gitlab.com/ee/security/tokens/#token-prefixes'],
  };
}

/** Source hosting and CI: GitHub, GitLab, Bitbucket/Atlassian, CircleCI, Buildkite, Sourcegraph, Travis. */
export const rules: readonly SecretRule[] = [
  github('ghp_', 'github-pat', 'GitHub personal access token (classic)', true),
  github('gho_', 'github-oauth-token', 'GitHub OAuth access token', true),
  github('ghu_', 'github-user-to-server-token', 'GitHub App user-to-server token', true),
  // Installation tokens are issued by GitHub and not documented to carry the checksum: not validated.
  github('ghs_', 'github-server-to-server-token', 'GitHub App installation (server-to-server) token', false),
  {
    id: 'github-refresh-token',
    title: 'GitHub App refresh token',
    severity: 'CRITICAL',
    category: 'vcs',
    keywords: ['ghr_'],
    pattern: `${START}(ghr_[A-Za-z0-9]{36,76})${END}`,
  },
  {
    id: 'github-fine-grained-pat',
    title: 'GitHub fine-grained personal access token',
    severity: 'CRITICAL',
    category: 'vcs',
    keywords: ['github_pat_'],
    pattern: `${START}(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})${END}`,
  },
  gitlab('glpat-', 'gitlab-pat', 'GitLab personal, project or group access token', '[0-9A-Za-z_.-]{20,64}', 'CRITICAL'),
  gitlab('glptt-', 'gitlab-pipeline-trigger-token', 'GitLab pipeline trigger token', '[0-9a-f]{40}', 'HIGH'),
  gitlab(
    'GR1348941',
    'gitlab-runner-registration-token',
    'GitLab runner registration token',
    '[0-9A-Za-z_-]{20}',
    'HIGH',
  ),
  gitlab('glrt-', 'gitlab-runner-auth-token', 'GitLab runner authentication token', '[0-9A-Za-z_.-]{20,64}', 'HIGH'),
  gitlab('gldt-', 'gitlab-deploy-token', 'GitLab deploy token', '[0-9A-Za-z_.-]{20,64}', 'HIGH'),
  gitlab('glft-', 'gitlab-feed-token', 'GitLab feed token', '[0-9A-Za-z_.-]{20,64}', 'MEDIUM'),
  gitlab('glcbt-', 'gitlab-ci-build-token', 'GitLab CI/CD job token', '[0-9A-Za-z_.-]{20,80}', 'HIGH'),
  gitlab('gloas-', 'gitlab-oauth-app-secret', 'GitLab OAuth application secret', '[0-9A-Za-z_.-]{64}', 'HIGH'),
  gitlab('glsoat-', 'gitlab-scim-token', 'GitLab SCIM OAuth token', '[0-9A-Za-z_.-]{20,64}', 'HIGH'),
  gitlab('glimt-', 'gitlab-incoming-mail-token', 'GitLab incoming mail token', '[0-9A-Za-z_-]{25}', 'MEDIUM'),
  gitlab('glagent-', 'gitlab-agent-token', 'GitLab agent for Kubernetes token', '[0-9A-Za-z_-]{50}', 'HIGH'),
  {
    id: 'bitbucket-app-password',
    title: 'Bitbucket app password',
    severity: 'HIGH',
    category: 'vcs',
    keywords: ['atbb'],
    pattern: `${START}(ATBB[A-Za-z0-9_=.-]{28,64})${END}`,
    entropy: 3.5,
  },
  {
    id: 'bitbucket-client-secret',
    title: 'Bitbucket OAuth consumer secret',
    severity: 'HIGH',
    category: 'vcs',
    keywords: ['bitbucket'],
    pattern: String.raw`bitbucket[A-Za-z0-9_ .-]{0,20}secret["']?\s*(?::=|=>|=|:)\s*["']?([A-Za-z0-9_=-]{32,64})(?![A-Za-z0-9_=-])`,
    flags: 'i',
    entropy: 3.5,
  },
  {
    id: 'atlassian-api-token',
    title: 'Atlassian API token',
    severity: 'HIGH',
    category: 'vcs',
    keywords: ['atatt3'],
    pattern: `${START}(ATATT3[A-Za-z0-9_=-]{150,250})${END}`,
  },
  {
    id: 'circleci-token',
    title: 'CircleCI personal or project API token',
    severity: 'HIGH',
    category: 'ci',
    keywords: ['ccipat_', 'cciprj_'],
    pattern: `${START}(CCIP(?:AT|RJ)_[A-Za-z0-9]{22}_[a-f0-9]{40})${END}`,
  },
  {
    id: 'buildkite-api-token',
    title: 'Buildkite API access token',
    severity: 'HIGH',
    category: 'ci',
    keywords: ['bkua_'],
    pattern: `${START}(bkua_[a-f0-9]{40})${END}`,
  },
  {
    id: 'sourcegraph-access-token',
    title: 'Sourcegraph access token',
    severity: 'HIGH',
    category: 'vcs',
    keywords: ['sgp_'],
    pattern: `${START}(sgp_(?:[a-f0-9]{16}_)?[a-f0-9]{40})${END}`,
  },
  {
    id: 'travis-ci-token',
    title: 'Travis CI API token',
    severity: 'MEDIUM',
    category: 'ci',
    keywords: ['travis'],
    pattern: String.raw`travis[A-Za-z0-9_ .-]{0,20}token["']?\s*(?::=|=>|=|:)\s*["']?([A-Za-z0-9_-]{22})(?![A-Za-z0-9_-])`,
    flags: 'i',
    entropy: 3.5,
  },
];

export const pack: SecretRulePack = { id: 'vcs-ci', description: 'source hosting and CI tokens', rules };
