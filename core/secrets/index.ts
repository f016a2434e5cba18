// core/secrets: where the master key (and later other secrets) live — the OS keychain by default,
// STRONGROOM_MASTER_KEY for headless servers and CI.
export { EnvironmentSecretStore, masterKeyVariable } from './environment.ts';
export { keychainFix, KeychainSecretStore } from './keychain.ts';
export type { KeychainOptions } from './keychain.ts';
export { environmentWarning, resolveSecretStore } from './resolve.ts';
export type { ResolveSecretStoreOptions } from './resolve.ts';
export { masterKeySecretName, MemorySecretStore } from './secretStore.ts';
export type { SecretBackend, SecretStore } from './secretStore.ts';
