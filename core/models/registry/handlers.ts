import type { MethodHandlers } from '../../api/index.ts';
import type { EventBus } from '../../base/index.ts';
import type { modelMethods } from '../../contracts/index.ts';
import type { ModelRegistry } from './ModelRegistry.ts';

type ModelMethod = keyof typeof modelMethods;

/** The models.* API over the registry; the router has authorized the permission already. */
export function modelHandlers(registry: ModelRegistry, events?: EventBus): Pick<MethodHandlers, ModelMethod> {
  return {
    'models.list': (_input, { principal }) => registry.list(principal),
    'models.manifestProblems': () => ({ folder: registry.manifestsDir, problems: [...registry.manifestProblems] }),
    'models.add': (input, { principal, requestId }) => registry.add(principal, input, requestId),
    'models.remove': (input, { principal, requestId }) => registry.remove(principal, input.modelId, requestId),
    'models.setAvailability': (input, { principal, requestId }) => registry.setAvailability(principal, input.modelId, input.accounts, input.allAccounts, requestId),
    'models.setClassifications': (input, { principal, requestId }) => registry.setClassifications(principal, input.modelId, input.classifications, requestId),
    'models.setDefault': (input, { principal, requestId }) => registry.setDefault(principal, input.accountId, input.modelId, requestId),
    'models.verify': (input, { principal }) => registry.verify(principal, input.modelId),
    'models.recordChecksum': (input, { principal, requestId }) => registry.recordChecksum(principal, input.modelId, input.sha256, requestId),
    'models.health': (input, context) => registry.health(context.principal, input.modelId, context.signal),
    'models.test': (input, context) => {
      const { streamId } = input;
      const { userId, accountId } = context.principal;
      const onDelta = streamId === undefined || events === undefined ? undefined : (text: string) => events.publish('models.testDelta', { accountId, userId, streamId, text });
      return registry.test(context.principal, input.modelId, input.prompt, input.maxTokens, context.signal, onDelta);
    },
  };
}
