/** Every store keeps session ids in 255-character columns; longer ids are refused up front, not at the store. */
export const MAX_SESSION_ID_LENGTH = 255;

/**
 * Longest agent or task id. Stores keep ids in 255-character columns, and a task's default session id is
 * `background:<agent_id>:<task_id>`, so two ids of 120 still fit `MAX_SESSION_ID_LENGTH`.
 */
export const MAX_BACKGROUND_ID_LENGTH = 120;
