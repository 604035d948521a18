import { Command, Option } from 'commander';
import { formatManifestError, loadManifests } from '../k8s/manifests.ts';
import { buildRbacModel, whoCan } from '../misconfig/kubernetes/rbac/model.ts';
import { BollardError } from '../util/errors.ts';
import { formatTable, writeOutput } from './output.ts';

/** `bollard rbac who-can VERB RESOURCE [-n NS] PATH...`: answers from the RBAC model of the given manifests. */
interface WhoCanFlags {
  namespace?: string;
  format: string;
  quiet?: boolean;
}

export function rbacCommand(): Command {
  const cmd = new Command('rbac').description('questions about RBAC in manifests or `kubectl get -o yaml` dumps');
  cmd.addCommand(
    new Command('who-can')
      .description('list the subjects that may VERB RESOURCE (aggregated ClusterRoles expanded)')
      .argument('<verb>', 'get, list, create, delete, escalate, impersonate, ... or *')
      .argument('<resource>', 'pods, secrets, pods/exec, deployments.apps, nodes/proxy, ...')
      .argument('<paths...>', 'manifest files or directories with Roles, ClusterRoles and bindings')
      .option('-n, --namespace <ns>', 'only permissions that apply in this namespace (default: any namespace)')
      .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
      .option('-q, --quiet', 'no warnings on stderr')
      .action(async (verb: string, resource: string, paths: string[], flags: WhoCanFlags) => {
        if (!/^[a-z*][a-zA-Z*]*$/.test(verb)) throw new BollardError('USAGE', `not a verb: ${verb}`);
        const errors: string[] = [];
        const objects = await loadManifests(paths, { onError: (e) => errors.push(formatManifestError(e)) });
        if (!flags.quiet) for (const e of errors) process.stderr.write(`bollard: warning: ${e}\n`);
        const model = buildRbacModel(objects);
        const grants = whoCan(model, verb, resource, flags.namespace);
        if (flags.format === 'json') {
          const rows = grants.map((g) => ({
            subject: g.subject,
            scope: g.scope,
            binding: {
              kind: g.binding.kind,
              name: g.binding.name,
              namespace: g.binding.namespace,
              file: g.binding.obj.file,
              line: g.binding.obj.startLine,
            },
            role: g.role.builtin
              ? { kind: g.role.kind, name: g.role.name, builtin: true }
              : { kind: g.role.kind, name: g.role.name, file: g.role.obj.file, line: g.role.obj.startLine },
            ...(g.rule.from ? { aggregatedFrom: g.rule.from } : {}),
            ...(g.rule.resourceNames.length > 0 ? { resourceNames: g.rule.resourceNames } : {}),
          }));
          await writeOutput(
            `${JSON.stringify({ verb, resource, namespace: flags.namespace ?? null, grants: rows }, null, 2)}\n`,
            undefined,
          );
          return;
        }
        if (grants.length === 0) {
          await writeOutput(
            `No subject among the given bindings can ${verb} ${resource}${flags.namespace ? ` in ${flags.namespace}` : ''}.\n`,
            undefined,
          );
          return;
        }
        const rows = grants.map((g) => [
          g.subject.kind,
          g.subject.namespace ? `${g.subject.namespace}/${g.subject.name}` : g.subject.name,
          g.scope === '*' ? 'cluster-wide' : g.scope,
          `${g.binding.kind}/${g.binding.name}`,
          `${g.role.kind}/${g.role.name}${g.role.builtin ? ' (built-in)' : ''}${g.rule.from ? ` (via ${g.rule.from})` : ''}${g.rule.resourceNames.length > 0 ? ` [names: ${g.rule.resourceNames.join(',')}]` : ''}`,
        ]);
        await writeOutput(formatTable(['KIND', 'SUBJECT', 'SCOPE', 'BINDING', 'ROLE'], rows), undefined);
      }),
  );
  return cmd;
}
