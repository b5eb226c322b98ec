import { z } from 'zod';

/** Spec 6.1: agent, task, run and attempt ids. */
export const BACKGROUND_ID_PATTERN = /^[A-Za-z0-9_.-]+$/;

/**
 * True when `value` may name a background record. Beyond the spec's pattern, `.` and `..` are refused: ids become
 * workspace path segments, and those two would point outside the run's own directory.
 */
export function isBackgroundId(value: string): boolean {
  return BACKGROUND_ID_PATTERN.test(value) && value !== '.' && value !== '..';
}

/**
 * Longest agent or task id. Stores keep ids and session ids in 255-character columns, and a task's default session
 * id is `background:<agent_id>:<task_id>`, so two ids of 120 still fit.
 */
export const MAX_BACKGROUND_ID_LENGTH = 120;

/** A zod string for the id field `field`; the 422 message names the field and says what is allowed. */
export function backgroundId(field: string): z.ZodType<string> {
  return z
    .string()
    .max(MAX_BACKGROUND_ID_LENGTH, `${field} must be at most ${MAX_BACKGROUND_ID_LENGTH} characters`)
    .refine(isBackgroundId, {
      message: `${field} must be non-empty and use only letters, digits, "_", "." and "-" (and not be "." or "..")`,
    });
}
