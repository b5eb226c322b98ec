import { describe, expect, it } from 'vitest';
import { missingDockerignoreEntries, renderDockerignore } from './render-dockerignore.ts';

describe('renderDockerignore', () => {
  it('keeps secrets (.env, .npmrc, at any depth), local state and host-built modules out of the image', () => {
    const lines = renderDockerignore().split('\n');
    expect(lines).toEqual(expect.arrayContaining(['node_modules', '.git', '**/.env', '**/.env.*', '**/.npmrc', '.omnicoreagent']));
    expect(renderDockerignore().endsWith('\n')).toBe(true);
  });

  it('lacks nothing itself', () => {
    expect(missingDockerignoreEntries(renderDockerignore())).toEqual([]);
  });
});

describe('missingDockerignoreEntries', () => {
  it('names the recommended entries a file lacks, in a fixed order', () => {
    expect(missingDockerignoreEntries('dist\n')).toEqual(['node_modules', '.git', '.env', '.env.*', '.npmrc', '.omnicoreagent']);
  });

  it('accepts an entry written at the root, anywhere, or as a directory', () => {
    expect(missingDockerignoreEntries('/node_modules/\n.git/\n**/.env\n .env.* \n/.npmrc\n**/.omnicoreagent/\n')).toEqual([]);
  });

  it('does not count comments, negations or other names', () => {
    expect(missingDockerignoreEntries('# .env\n!.npmrc\n.envrc\nnode_modules/foo\n.git\n.env.*\n.omnicoreagent\n')).toEqual(['node_modules', '.env', '.npmrc']);
  });

  it('treats an ignore-everything file (an allow-list) as complete', () => {
    expect(missingDockerignoreEntries('*\n!src\n!package*.json\n')).toEqual([]);
  });
});
