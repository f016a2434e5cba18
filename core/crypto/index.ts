// core/crypto: AES-256-GCM envelope encryption. Per-account data keys wrapped by a master key;
// content columns hold Sealed<T> ciphertext bound to table, row, column and account.
export { formatVersion, overhead } from './aead.ts';
export { defaultKeyLimits, KeyRing } from './keyring.ts';
export type { AutomaticRotation, DataKeyInfo, DataKeyRecord, DataKeyStatus, DataKeyStore, KeyLimits, KeyRingOptions } from './keyring.ts';
export { MasterKey, masterKeyLength } from './masterKey.ts';
export type { WrapContext } from './masterKey.ts';
export { NonceSource, secureRandom } from './random.ts';
export type { RandomSource } from './random.ts';
export { codecs } from './sealed.ts';
export type { Codec, JsonValue, Sealed, SealContext } from './sealed.ts';
