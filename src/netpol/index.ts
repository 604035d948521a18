/** `bollard netpol`: NetworkPolicy model, reachability matrix, explanations, lint and generation. */
import { type K8sObject, loadManifests, type ManifestError, type ManifestLimits } from '../k8s/manifests.ts';
import { buildModel, type Model } from './model.ts';

export { computeMatrix, explainPair, type Focus, findEndpoint, type Matrix, pairPorts } from './engine.ts';
export { MATRIX_FORMATS, type MatrixFormat, writeExplanation, writeLint, writeMatrix } from './format.ts';
export { diffAgainstExisting, type Flow, generatePolicies, parseFlows } from './generate.ts';
export { type LintFinding, lintModel } from './lint.ts';
export { buildModel, type Model } from './model.ts';

export interface LoadedModel {
  model: Model;
  objects: K8sObject[];
  /** Unreadable files, malformed documents and refused policies, each with file and line. */
  errors: ManifestError[];
}

/** Read manifests and dumps under `paths` and build the model; problems are collected, not thrown. */
export async function loadModel(
  paths: readonly string[],
  opts: { defaultNamespace?: string; limits?: ManifestLimits } = {},
): Promise<LoadedModel> {
  const errors: ManifestError[] = [];
  const onError = (e: ManifestError): void => {
    errors.push(e);
  };
  const objects = await loadManifests(paths, { onError, ...(opts.limits ? { limits: opts.limits } : {}) });
  const model = buildModel(objects, {
    onError,
    ...(opts.defaultNamespace ? { defaultNamespace: opts.defaultNamespace } : {}),
  });
  return { model, objects, errors };
}
