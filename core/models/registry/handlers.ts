import type { MethodHandlers } from '../../api/index.ts';
import type { modelMethods } from '../../contracts/index.ts';
import type { ModelRegistry } from './ModelRegistry.ts';

type ModelMethod = keyof typeof modelMethods;

/** The models.* API over the registry; the router has authorized the permission already. */
export function modelHandlers(registry: ModelRegistry): Pick<MethodHandlers, ModelMethod> {
  return {
    'models.list': (_input, { principal }) => registry.list(principal),
    'models.add': (input, { principal, requestId }) => registry.add(principal, input, requestId),
    'models.remove': (input, { principal, requestId }) => registry.remove(principal, input.modelId, requestId),
    'models.setAvailability': (input, { principal, requestId }) => registry.setAvailability(principal, input.modelId, input.accounts, input.allAccounts, requestId),
    'models.verify': (input, { principal }) => registry.verify(principal, input.modelId),
    'models.health': (input, { principal, signal }) => registry.health(principal, input.modelId, signal),
    'models.test': (input, { principal, signal }) => registry.test(principal, input.modelId, input.prompt, input.maxTokens, signal),
  };
}
