/**
 * The longest timer Node.js can set, in whole seconds (2^31 - 1 ms). A longer one fires at once, so a 30-day
 * timeout would end every run or request immediately: every duration that becomes a timer is checked against it.
 */
export const MAX_TIMER_SECONDS = 2_147_483;

/** The message for a duration past `MAX_TIMER_SECONDS`. */
export const TIMER_LIMIT_MESSAGE = `must be at most ${MAX_TIMER_SECONDS} seconds (24.8 days, the longest timer Node.js can set)`;
