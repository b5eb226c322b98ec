import { Ajv, type ValidateFunction } from 'ajv';
import { z } from 'zod';
import type { Workspace } from '../workspace/workspace.ts';

export type JsonSchema = Record<string, unknown>;

export interface ToolContext {
  /** Aborted when the run is cancelled or the tool call times out; long tools should honour it. */
  readonly signal: AbortSignal;
  readonly sessionId: string;
  readonly runId: string;
  /**
   * The run's own files, when the run has a workspace (background runs): paths are relative to the run's directory
   * and cannot leave it.
   */
  readonly workspace?: Workspace;
}

export interface LocalToolDefinition<Args = any> {
  readonly name: string;
  readonly description: string;
  /** A zod schema or a JSON Schema object describing the arguments. */
  readonly inputSchema: z.ZodType<Args> | JsonSchema;
  execute(args: Args, context: ToolContext): unknown;
}

export type ArgumentCheck = { ok: true; value: unknown } | { ok: false; message: string };

export interface RegisteredTool {
  readonly name: string;
  readonly description: string;
  readonly jsonSchema: JsonSchema;
  checkArguments(args: unknown): ArgumentCheck;
  execute(args: unknown, context: ToolContext): unknown;
}

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const ajv = new Ajv({ allErrors: true, strict: false });

/** The local tools an agent offers to its model. */
export class ToolRegistry {
  readonly #tools = new Map<string, RegisteredTool>();

  register<Args>(definition: LocalToolDefinition<Args>): this {
    const { name, description } = definition;
    // Providers reject other names, and they would fail only at the first model call: fail at start instead.
    if (!TOOL_NAME.test(name)) {
      throw new TypeError(`Tool name "${name}" is invalid: use 1-64 letters, digits, "_" or "-"`);
    }
    if (this.#tools.has(name)) throw new TypeError(`Tool "${name}" is already registered`);
    if (typeof definition.execute !== 'function') throw new TypeError(`Tool "${name}" needs an execute function`);
    const { jsonSchema, checkArguments } = compileSchema(name, definition.inputSchema);
    this.#tools.set(name, {
      name,
      description: description ?? '',
      jsonSchema,
      checkArguments,
      execute: (args, context) => definition.execute(args as Args, context),
    });
    return this;
  }

  get(name: string): RegisteredTool | undefined {
    return this.#tools.get(name);
  }

  list(): readonly RegisteredTool[] {
    return [...this.#tools.values()];
  }

  get size(): number {
    return this.#tools.size;
  }
}

function isZodSchema(schema: unknown): schema is z.ZodType {
  return typeof schema === 'object' && schema !== null && typeof (schema as { safeParse?: unknown }).safeParse === 'function';
}

function compileSchema(name: string, schema: unknown): Pick<RegisteredTool, 'jsonSchema' | 'checkArguments'> {
  if (isZodSchema(schema)) {
    const jsonSchema = z.toJSONSchema(schema, { target: 'draft-7', io: 'input' }) as JsonSchema;
    delete jsonSchema['$schema'];
    return {
      jsonSchema,
      checkArguments(args) {
        const parsed = schema.safeParse(args);
        if (parsed.success) return { ok: true, value: parsed.data };
        const message = parsed.error.issues
          .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(arguments)'}: ${issue.message}`)
          .join('; ');
        return { ok: false, message };
      },
    };
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new TypeError(`Tool "${name}" needs an inputSchema: a zod schema or a JSON Schema object`);
  }
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    throw new TypeError(`Tool "${name}" has an invalid JSON Schema: ${(error as Error).message}`);
  }
  return {
    jsonSchema: schema as JsonSchema,
    checkArguments(args) {
      if (validate(args)) return { ok: true, value: args };
      const message = (validate.errors ?? [])
        .map((e) => `${e.instancePath === '' ? '(arguments)' : e.instancePath.slice(1).replaceAll('/', '.')}: ${e.message ?? 'invalid'}`)
        .join('; ');
      return { ok: false, message };
    },
  };
}
