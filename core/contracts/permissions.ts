import { z } from 'zod';

/**
 * Every permission a method can require. The identity issue maps roles to sets of these in one
 * matrix; until then the local operator holds all of them.
 */
export const permissions = ['system.read'] as const;

export const PermissionSchema = z.enum(permissions);
export type Permission = z.infer<typeof PermissionSchema>;
