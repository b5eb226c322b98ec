import { describe, expect, it } from 'vitest';
import { inspectProjectManifest } from './inspect-project-manifest.ts';

const manifest = (value: unknown) => JSON.stringify(value);

describe('inspectProjectManifest', () => {
  it('is quiet when omnicoreagent is a dependency', () => {
    expect(inspectProjectManifest(manifest({ name: 'app', dependencies: { omnicoreagent: '^0.1.0' } }))).toEqual({ selfPackage: false, warning: undefined });
  });

  it('recognises this package itself, which needs no dependency on itself', () => {
    expect(inspectProjectManifest(manifest({ name: 'omnicoreagent', dependencies: {} }))).toEqual({ selfPackage: true, warning: undefined });
  });

  it.each([
    ['no dependency', { name: 'app', dependencies: { zod: '^4' } }, /^Warning: package\.json does not list omnicoreagent in "dependencies", so node_modules\/\.bin\/omniserve will not exist in the image: .*npm install omnicoreagent/],
    ['no dependencies at all', { name: 'app' }, /does not list omnicoreagent in "dependencies"/],
    ['a dev dependency only', { devDependencies: { omnicoreagent: '^0.1.0' } }, /^Warning: package\.json has omnicoreagent only in devDependencies, .*--omit=dev.*node_modules\/\.bin\/omniserve will not exist in the image: .*npm install --save-prod omnicoreagent/],
    ['a peer dependency only', { peerDependencies: { omnicoreagent: '*' } }, /does not list omnicoreagent in "dependencies"/],
  ])('warns on %s', (_, value, warning) => {
    expect(inspectProjectManifest(manifest(value)).warning).toMatch(warning);
  });

  it('warns when there is no package.json or it is not a JSON object', () => {
    expect(inspectProjectManifest(undefined).warning).toMatch(/^Warning: no package\.json here, so node_modules\/\.bin\/omniserve will not exist in the image/);
    expect(inspectProjectManifest('{ nope').warning).toMatch(/^Warning: package\.json is not a JSON object/);
    expect(inspectProjectManifest('[1]').warning).toMatch(/^Warning: package\.json is not a JSON object/);
  });
});
