import { z } from 'zod';
import { MAX_BACKGROUND_ID_LENGTH } from '../core/id-limits.ts';

/** Spec 6.1: agent, task, run and attempt ids. */
export const BACKGROUND_ID_PATTERN = /^[A-Za-z0-9_.-]+$/;

/**
 * True when `value` may name a background record. Beyond the spec's pattern, `.` and `..` are refused: ids become
 * workspace path segments, and those two would point outside the run's own directory.
 */
export function isBackgroundId(value: string): boolean {
  return BACKGROUND_ID_PATTERN.test(value) && value !== '.' && value !== '..';
}

/** A zod string for the id field `field`; the 422 message names the field and says what is allowed. */
export function backgroundId(field: string): z.ZodType<string> {
  return z
    .string()
    .max(MAX_BACKGROUND_ID_LENGTH, `${field} must be at most ${MAX_BACKGROUND_ID_LENGTH} characters`)
    .refine(isBackgroundId, {
      message: `${field} must be non-empty and use only letters, digits, "_", "." and "-" (and not be "." or "..")`,
    });
}
