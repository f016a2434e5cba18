// The model registry's door inside core/models (re-exported by core/models/index.ts).
export { modelHandlers } from './handlers.ts';
export { readShippedManifests, shippedModelsDir } from './manifests.ts';
export type { ManifestProblem, ShippedManifests } from './manifests.ts';
export { apiKeySecretName, ModelRegistry } from './ModelRegistry.ts';
export type { ModelRegistryOptions, ModelTestResult } from './ModelRegistry.ts';
