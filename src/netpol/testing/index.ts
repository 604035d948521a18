/** Test helpers: build a model from plain objects through the real manifest reader. */
import { type K8sObject, type ManifestError, parseManifests } from '../../k8s/manifests.ts';
import { buildModel, type Model } from '../model.ts';

export function objectsOf(items: readonly object[], errors: ManifestError[] = []): K8sObject[] {
  const text = items.map((i) => JSON.stringify(i, null, 1)).join('\n---\n');
  return parseManifests(text, 'test.yaml', { onError: (e) => errors.push(e) });
}

export function modelOf(items: readonly object[], errors: ManifestError[] = []): Model {
  return buildModel(objectsOf(items, errors), { onError: (e) => errors.push(e) });
}

export function ns(name: string, labels: Record<string, string> = {}): object {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

export function deployment(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  ports: { name?: string; containerPort: number; protocol?: string }[] = [],
  podIP?: string,
): object[] {
  const d = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: { template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'img', ports }] } } },
  };
  if (!podIP) return [d];
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${name}-0`,
      namespace,
      labels,
      ownerReferences: [{ kind: 'Deployment', name, controller: true }],
    },
    spec: { containers: [{ name: 'c', image: 'img', ports }] },
    status: { podIP },
  };
  return [d, pod];
}

export function netpol(namespace: string, name: string, spec: Record<string, unknown>): object {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}
