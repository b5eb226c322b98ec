import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  type _Object,
} from '@aws-sdk/client-s3';
import type { Workspace, WorkspaceEntry } from '../workspace.ts';
import { WorkspaceFileNotFoundError, WorkspaceIoError, WorkspaceIsDirectoryError } from '../workspace-errors.ts';
import { UnsafeWorkspacePathError, workspaceSegments } from '../workspace-path.ts';

export interface S3WorkspaceOptions {
  readonly bucket: string;
  /** Key prefix without outer `/` (may be empty); files live under `<prefix>/files/` (spec 10). */
  readonly prefix: string;
  /** Keys per ListObjectsV2 request; 1000, S3's maximum, unless a test wants small pages. */
  readonly pageSize?: number;
  /**
   * What a failed request (other than a missing key) rejects with; the SDK's own error unless given. The server
   * passes one that names the backend, bucket and endpoint (a `WorkspaceUnavailableError`).
   */
  readonly toError?: (error: unknown) => Error;
}

const S3_PAGE_LIMIT = 1000;

/**
 * A workspace in an S3 (or R2, or S3-compatible) bucket: the file `a/b.txt` is the object `<prefix>/files/a/b.txt`.
 * Every path goes through `workspaceSegments` before a key is built, so no spelling reaches a key outside the
 * prefix. S3 has no directories: a listing reports the ones implied by the keys, dated by their newest object.
 *
 * Unlike the local adapter, `appendFile` is a read followed by a write, so it is not atomic across processes. That
 * is enough for run files: a run's `events.jsonl` is appended by the process holding its lease, which queues its
 * writes per run. The rare overlap (the process that queued a run appending while the claiming one does) can lose
 * a line; the run's events are then read from the task store, whose copy is complete (see `RunCatalog.events`).
 *
 * The credentials need s3:ListBucket (HeadBucket, listings, and S3 answers 403 instead of 404 for a missing object
 * without it), s3:GetObject, s3:PutObject and s3:DeleteObject on the prefix.
 */
export class S3Workspace implements Workspace {
  readonly bucket: string;
  readonly #client: S3Client;
  /** The key prefix of every file, ending in `/`. */
  readonly #root: string;
  readonly #pageSize: number;
  readonly #toError: (error: unknown) => unknown;

  constructor(client: S3Client, options: S3WorkspaceOptions) {
    this.#client = client;
    this.#toError = options.toError ?? ((error) => error);
    this.bucket = options.bucket;
    const prefix = options.prefix.replace(/^\/+|\/+$/g, '');
    // Config refuses a bad prefix at load; checked again here for code that builds the adapter itself.
    this.#root = prefix === '' ? 'files/' : `${workspaceSegments(prefix).join('/')}/files/`;
    this.#pageSize = Math.min(Math.max(1, options.pageSize ?? S3_PAGE_LIMIT), S3_PAGE_LIMIT);
  }

  async writeFile(path: string, content: string): Promise<void> {
    const key = this.#key(path);
    if (!(await this.#exists(key))) await this.#checkNewFile('write', path);
    await this.#put(key, content);
  }

  async appendFile(path: string, content: string): Promise<void> {
    const key = this.#key(path);
    const current = await this.#get(key);
    if (current === null) await this.#checkNewFile('append', path);
    await this.#put(key, (current ?? '') + content);
  }

  async readFile(path: string): Promise<string | null> {
    return this.#get(this.#key(path));
  }

  async list(directory: string): Promise<WorkspaceEntry[]> {
    const base = `${this.#key(directory)}/`;
    const files: WorkspaceEntry[] = [];
    const directories = new Map<string, number>();
    for await (const object of this.#objects(base)) {
      const relative = (object.Key ?? '').slice(base.length);
      // Consoles create "folder" objects whose key ends in `/`: a directory, not a file.
      const marker = relative.endsWith('/');
      const segments = (marker ? relative.slice(0, -1) : relative).split('/');
      // Keys written by other tools (`a//b`, `a/../b`) cannot be named through this port: leave them out.
      if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) continue;
      const modified = object.LastModified?.getTime() ?? 0;
      const depth = marker ? segments.length : segments.length - 1;
      for (let i = 1; i <= depth; i += 1) {
        const path = segments.slice(0, i).join('/');
        directories.set(path, Math.max(directories.get(path) ?? 0, modified));
      }
      if (!marker) files.push(entry(relative, segments, modified, false));
    }
    const implied = [...directories].map(([path, modified]) => entry(path, path.split('/'), modified, true));
    return [...files, ...implied].sort((a, b) => a.path.localeCompare(b.path));
  }

  /**
   * Removes one object. S3 deletes a missing key without complaint, so the key is looked up first: the port says
   * whether there was a file, and a path that is only a prefix of other keys is a directory, refused as locally.
   */
  async remove(path: string): Promise<void> {
    const relative = workspaceSegments(path).join('/');
    const key = `${this.#root}${relative}`;
    if (await this.#exists(key)) {
      await this.#send((client) => client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
      return;
    }
    if (await this.#hasKeysBelow(key)) throw new WorkspaceIsDirectoryError(relative);
    throw new WorkspaceFileNotFoundError(relative);
  }

  /**
   * S3 keys are not a tree: without this, `f.txt` and `f.txt/sub.txt` (or `d` and `d/inner.txt`) could both be
   * written, and the listing would show one name as a file and a directory. A new file is refused as the local
   * backend refuses it. Its look-ups go out together: a write of a new file costs two round trips more (the existence
   * check, then these), of an existing file one.
   */
  async #checkNewFile(operation: string, path: string): Promise<void> {
    const segments = workspaceSegments(path);
    const parents = segments.slice(0, -1).map((_, i) => this.#exists(`${this.#root}${segments.slice(0, i + 1).join('/')}`));
    const key = `${this.#root}${segments.join('/')}`;
    const [files, directory] = await Promise.all([Promise.all(parents), this.#hasKeysBelow(key)]);
    if (files.some(Boolean)) throw new UnsafeWorkspacePathError(`workspace path ${JSON.stringify(path)} goes through a file`);
    if (directory) {
      throw new WorkspaceIoError(operation, segments.join('/'), 'EISDIR', 'illegal operation on a directory');
    }
  }

  /** Releases the client's sockets. */
  close(): void {
    this.#client.destroy();
  }

  /** Sends one command; a failure other than a missing key is retold by `toError`, for callers to see the bucket's. */
  async #send<T>(request: (client: S3Client) => Promise<T>): Promise<T> {
    try {
      return await request(this.#client);
    } catch (error) {
      throw isMissingKey(error) ? error : this.#toError(error);
    }
  }

  #key(path: string): string {
    return `${this.#root}${workspaceSegments(path).join('/')}`;
  }

  async #put(key: string, content: string): Promise<void> {
    await this.#send((client) =>
      client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: content, ContentType: 'text/plain; charset=utf-8' })),
    );
  }

  /** True when some key lies under `key/`: the path is a directory. */
  async #hasKeysBelow(key: string): Promise<boolean> {
    const below = await this.#send((client) => client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${key}/`, MaxKeys: 1 })));
    return (below.KeyCount ?? below.Contents?.length ?? 0) > 0;
  }

  async #exists(key: string): Promise<boolean> {
    try {
      await this.#send((client) => client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })));
      return true;
    } catch (error) {
      if (isMissingKey(error)) return false;
      throw error;
    }
  }

  async #get(key: string): Promise<string | null> {
    try {
      // The body is read inside: a connection that stalls mid-file fails like one that never answered.
      return await this.#send(async (client) => {
        const out = await client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        return (await out.Body?.transformToString('utf-8')) ?? '';
      });
    } catch (error) {
      if (isMissingKey(error)) return null;
      throw error;
    }
  }

  async *#objects(prefix: string): AsyncGenerator<_Object> {
    let token: string | undefined;
    do {
      const page = await this.#send((client) =>
        client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: this.#pageSize, ...(token === undefined ? {} : { ContinuationToken: token }) }),
        ),
      );
      yield* page.Contents ?? [];
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }
}

function entry(path: string, segments: readonly string[], modified: number, isDir: boolean): WorkspaceEntry {
  return { path, name: segments.at(-1) ?? path, modified_at: new Date(modified).toISOString(), is_dir: isDir };
}

/**
 * A missing object, not a missing bucket (which must surface): S3 says NoSuchKey (NotFound to a HEAD, which has no
 * body to tell the two apart), some compatible servers only 404.
 */
function isMissingKey(error: unknown): boolean {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === 'NoSuchKey' || name === 'NotFound' || (name !== 'NoSuchBucket' && $metadata?.httpStatusCode === 404);
}
