import { z } from 'zod';
import { defineEvent, defineMethod } from './define.ts';

export const RunModeSchema = z.enum(['desktop', 'serve', 'cli', 'test']);
export type RunMode = z.infer<typeof RunModeSchema>;

export const SystemInfoSchema = z.object({
  name: z.literal('Strongroom'),
  version: z.string(),
  mode: RunModeSchema,
  /** Where the data lives on this machine: told to installation administrators (and the CLI) only — least privilege. */
  dataDir: z.string().nullable(),
  build: z.object({
    commit: z.string().nullable(),
    builtAt: z.string().nullable(),
    node: z.string(),
    platform: z.string(),
    arch: z.string(),
  }),
});
export type SystemInfo = z.infer<typeof SystemInfoSchema>;

export const HealthCheckSchema = z.object({
  name: z.string(),
  status: z.enum(['ok', 'degraded', 'failed']),
  detail: z.string().optional(),
});

export const SystemHealthSchema = z.object({
  status: z.enum(['ok', 'degraded', 'failed']),
  uptimeMs: z.number().int().nonnegative(),
  checks: z.array(HealthCheckSchema),
});
export type SystemHealth = z.infer<typeof SystemHealthSchema>;

export const systemMethods = {
  'system.info': defineMethod({
    summary: 'Version, run mode, data directory and build of this installation.',
    input: z.object({}).strict(),
    output: SystemInfoSchema,
    permission: 'system.read',
  }),
  'system.health': defineMethod({
    summary: 'Liveness and the state of each subsystem.',
    input: z.object({}).strict(),
    output: SystemHealthSchema,
    permission: 'system.read',
  }),
};

export const systemEvents = {
  /** Sent periodically so clients can show whether the core is reachable. */
  'system.heartbeat': defineEvent({
    payload: z.object({ at: z.string(), uptimeMs: z.number().int().nonnegative() }),
    permission: 'system.read',
    replayLatest: true,
  }),
};
