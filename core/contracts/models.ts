import { z } from 'zod';
import { defineEvent, defineMethod } from './define.ts';
import { InputIssueSchema } from './errors.ts';

/** What a workflow's data may be; a model serves only the classifications its manifest allows. */
export const DataClassificationSchema = z.enum(['public', 'internal', 'confidential', 'restricted']);
export type DataClassification = z.infer<typeof DataClassificationSchema>;
export const dataClassifications = DataClassificationSchema.options;

export const ModelIdSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case letters, digits, dot, dash or underscore; at most 64');
const Sha256Schema = z.string().regex(/^[0-9a-fA-F]{64}$/, 'a hex SHA-256 (64 characters)');

/** What a local model runs with when its manifest sets no context size or thread count (the Models page shows them). */
export const localModelDefaults = {
  /** Tokens per sequence, capped at the model's trained context. */
  contextSize: 4096,
  /** On the 2-core machines 1 thread generates fastest through node-llama-cpp (core/models/CONTEXT.md). */
  threads: 1,
} as const;

const manifestBase = {
  $schema: z.string().optional(),
  id: ModelIdSchema,
  name: z.string().min(1).max(120).describe('Display name'),
  description: z.string().max(1000).optional(),
  /** Classifications of workflow data this model may see. */
  classifications: z.array(DataClassificationSchema).min(1).default(['public', 'internal']).describe('Data classifications this model may serve'),
  /** Account names that may use it, or ["*"] for every account. Installation-added models keep theirs in the database. */
  accounts: z.array(z.string().min(1).max(120)).default([]).describe('Account names that may use it; ["*"] means every account'),
  /** A generated random-weight model: it runs, but its text is meaningless. The UI says so. */
  testModel: z.boolean().default(false),
  /** A shipped manifest with `enabled: false` is an example and is not offered. */
  enabled: z.boolean().default(true),
};

export const LocalModelManifestSchema = z
  .object({
    ...manifestBase,
    kind: z.literal('local'),
    /** GGUF file; relative paths are relative to the manifest's folder. */
    path: z.string().min(1).max(4096),
    sha256: Sha256Schema.optional(),
    contextSize: z.number().int().min(128).max(1_048_576).optional(),
    threads: z.number().int().min(1).max(256).optional(),
    /** A Jinja chat template used instead of the one inside the GGUF. */
    chatTemplate: z.string().max(20_000).optional(),
  })
  .strict();

export const RemoteModelManifestSchema = z
  .object({
    ...manifestBase,
    kind: z.literal('remote'),
    /** OpenAI-compatible base URL, normally ending in /v1. */
    endpoint: z.url({ protocol: /^https?$/ }).max(2048),
    /** The model name the server knows; default the id. */
    remoteModel: z.string().min(1).max(256).optional(),
    /** PEM file of the CA(s) to trust for this endpoint instead of the public roots. */
    caFile: z.string().min(1).max(4096).optional(),
    contextSize: z.number().int().min(128).max(1_048_576).optional(),
  })
  .strict();

/** A `models/*.json` manifest. models/manifest.schema.json is generated from this (a test keeps it current). */
export const ModelManifestSchema = z.discriminatedUnion('kind', [LocalModelManifestSchema, RemoteModelManifestSchema]);
export type ModelManifest = z.output<typeof ModelManifestSchema>;

export const ModelHealthSchema = z.object({
  status: z.enum(['ok', 'degraded', 'failed']),
  detail: z.string().nullable(),
  latencyMs: z.number().nullable(),
});

/** One model as the Models page and `strongroom models list` show it. Never carries an API key. */
export const ModelViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  kind: z.enum(['local', 'remote']),
  source: z.enum(['shipped', 'added']),
  /** The GGUF path or the endpoint URL; null for callers who may not manage the model (see `manageable`). */
  location: z.string().nullable(),
  sha256: z.string().nullable(),
  contextSize: z.number().nullable(),
  threads: z.number().nullable(),
  /** Whether a local model is prompted with its manifest's chat template instead of the GGUF's. */
  chatTemplate: z.boolean(),
  classifications: z.array(DataClassificationSchema),
  allAccounts: z.boolean(),
  /** Accounts it is available to (only the caller's own, unless the caller administers the installation). */
  accounts: z.array(z.object({ id: z.string(), name: z.string() })),
  testModel: z.boolean(),
  /** A remote model's CA file (PEM) trusted instead of the public CAs; null when it uses those. */
  caFile: z.string().nullable(),
  hasApiKey: z.boolean(),
  /** The model a workflow in the caller's account gets when it names none. */
  isDefault: z.boolean(),
  /** It is the default because the account chose it (`models.setDefault`), not as the first real model. */
  chosenDefault: z.boolean(),
  /** With models.manage, the caller may change or remove it: their account alone uses it, or they administer the installation. */
  manageable: z.boolean(),
});
export type ModelView = z.output<typeof ModelViewSchema>;

const ModelIdInput = z.object({ modelId: ModelIdSchema }).strict();
const addCommon = {
  id: ModelIdSchema,
  name: z.string().min(1).max(120),
  description: z.string().max(1000).optional(),
  classifications: z.array(DataClassificationSchema).min(1).optional(),
  /** Account ids; default the caller's account. Other accounts need an installation administrator. */
  accounts: z.array(z.string().min(1).max(64)).max(1000).optional(),
  allAccounts: z.boolean().optional(),
  testModel: z.boolean().optional(),
};

export const AddModelInputSchema = z.discriminatedUnion('kind', [
  z
    .object({
      ...addCommon,
      kind: z.literal('local'),
      path: z.string().min(1).max(4096),
      sha256: Sha256Schema.optional(),
      contextSize: z.number().int().min(128).max(1_048_576).optional(),
      threads: z.number().int().min(1).max(256).optional(),
      /** A Jinja chat template used instead of the one inside the GGUF; checked when the model is added. */
      chatTemplate: z.string().min(1).max(20_000).optional(),
    })
    .strict(),
  z
    .object({
      ...addCommon,
      kind: z.literal('remote'),
      endpoint: z.url({ protocol: /^https?$/ }).max(2048),
      remoteModel: z.string().min(1).max(256).optional(),
      caFile: z.string().min(1).max(4096).optional(),
      /** Stored in the SecretStore (OS keychain); never returned. */
      apiKey: z.string().min(1).max(4096).optional(),
    })
    .strict(),
]);
export type AddModelInput = z.input<typeof AddModelInputSchema>;

export const ModelTestResultSchema = z.object({
  model: z.string(),
  text: z.string(),
  testModel: z.boolean(),
  finishReason: z.string(),
  latencyMs: z.number(),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number(), timeToFirstTokenMs: z.number(), totalMs: z.number(), tokensPerSecond: z.number() }),
});

/** A shipped manifest set aside at start: its file name and why, never its content. */
export const ManifestProblemSchema = z.object({
  file: z.string(),
  reason: z.string(),
  /** Schema issues (paths and rules) when the JSON is valid but not a manifest. */
  issues: z.array(InputIssueSchema).optional(),
});

export const modelMethods = {
  'models.list': defineMethod({
    summary: 'Models available to this account (every model for an installation administrator), with availability.',
    input: z.object({}).strict(),
    output: z.array(ModelViewSchema),
    permission: 'models.read',
  }),
  'models.manifestProblems': defineMethod({
    summary: 'Shipped model manifests set aside when Strongroom started (unreadable, not JSON, or not a manifest), with why; the other models are unaffected.',
    input: z.object({}).strict(),
    output: z.object({ folder: z.string().nullable(), problems: z.array(ManifestProblemSchema) }),
    permission: 'models.manage',
  }),
  'models.add': defineMethod({
    summary: 'Add a local GGUF (checksum and architecture verified first) or an OpenAI-compatible endpoint.',
    input: AddModelInputSchema,
    output: ModelViewSchema,
    permission: 'models.manage',
    audit: true,
  }),
  'models.remove': defineMethod({
    summary: 'Remove an installation-added model and its API key.',
    input: ModelIdInput,
    output: z.object({ removed: z.boolean() }),
    permission: 'models.manage',
    audit: true,
  }),
  'models.setAvailability': defineMethod({
    summary: 'Set which accounts may use a model.',
    input: z.object({ modelId: ModelIdSchema, accounts: z.array(z.string().min(1).max(64)).max(1000), allAccounts: z.boolean().default(false) }).strict(),
    output: ModelViewSchema,
    permission: 'models.manage',
    audit: true,
  }),
  'models.setClassifications': defineMethod({
    summary: 'Set which data classifications a model may serve (a workflow’s data must be one of them).',
    input: z.object({ modelId: ModelIdSchema, classifications: z.array(DataClassificationSchema).min(1) }).strict(),
    output: ModelViewSchema,
    permission: 'models.manage',
    audit: true,
  }),
  'models.setDefault': defineMethod({
    summary: 'Choose the model an account’s runs use when neither the workflow nor the person names one; null goes back to its first real model.',
    input: z.object({ accountId: z.string().min(1).max(100), modelId: ModelIdSchema.nullable() }).strict(),
    output: z.object({ accountId: z.string(), modelId: z.string().nullable() }),
    permission: 'models.manage',
    resource: (input) => ({ accountId: input.accountId }),
    audit: true,
  }),
  'models.verify': defineMethod({
    summary: 'Recompute a local model file’s SHA-256 (never from the cache) and compare it with the recorded one.',
    input: ModelIdInput,
    output: z.object({
      model: z.string(),
      /** The file's SHA-256 now. */
      sha256: z.string(),
      /** The SHA-256 the file is verified against before it loads; null when none is recorded. */
      recorded: z.string().nullable(),
      /** Null when nothing is recorded, so nothing was compared. */
      matches: z.boolean().nullable(),
    }),
    permission: 'models.manage',
  }),
  'models.recordChecksum': defineMethod({
    summary: 'Record the SHA-256 of a local model that has none, so it is verified before every load. A recorded checksum is never replaced.',
    input: z.object({ modelId: ModelIdSchema, sha256: Sha256Schema.describe('The digest models.verify showed; refused if the file no longer has it') }).strict(),
    output: ModelViewSchema,
    permission: 'models.manage',
    audit: true,
  }),
  'models.health': defineMethod({
    summary: 'Whether a model loads (local) or its endpoint answers (remote), without generating text.',
    input: ModelIdInput,
    output: ModelHealthSchema,
    permission: 'models.read',
  }),
  'models.test': defineMethod({
    summary: 'Run a short test prompt; returns the text, usage and latency.',
    input: z
      .object({
        modelId: ModelIdSchema,
        prompt: z.string().min(1).max(2000).default('Say hello.'),
        maxTokens: z.number().int().min(1).max(256).default(32),
        /** When given, the text also streams to the caller as `models.testDelta` events carrying this id. */
        streamId: z.uuid().optional(),
      })
      .strict(),
    output: ModelTestResultSchema,
    permission: 'models.use',
  }),
};

export const modelEvents = {
  /** Text of a test prompt as it is generated, to the user who asked for it only. */
  'models.testDelta': defineEvent({
    payload: z.object({ accountId: z.string().nullable(), userId: z.string(), streamId: z.string(), text: z.string() }),
    permission: 'models.use',
    // The asking user's sessions in the asking account only: users are installation-wide, and
    // the text may come from a model another of their accounts may not use.
    userScoped: true,
    accountScoped: true,
  }),
};
