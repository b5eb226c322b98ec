/** The text of a driver error without anything that looks like a connection URL's password. */
export function reasonOf(error: unknown): string {
  const text = error instanceof AggregateError && error.errors.length > 0
    ? error.errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ')
    : error instanceof Error
      ? error.message || error.name
      : String(error);
  return text.replace(/\/\/([^:/@\s]+):[^@\s]*@/g, '//$1:****@');
}

/** Rejects when `promise` has not settled within `ms`, naming what timed out. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} seconds`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
