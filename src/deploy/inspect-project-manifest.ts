/** What the build context's package.json means for the image. */
export interface ProjectManifestFacts {
  /**
   * The build context is this package's own source (a clone of its repository, e.g. to deploy a cookbook agent):
   * npm does not link a package's own bin into its `node_modules/.bin`, so the image starts `bin/omniserve.js`.
   */
  readonly selfPackage: boolean;
  /** Set when `node_modules/.bin/omniserve`, the image's start command, will not exist after `npm ci --omit=dev`. */
  readonly warning: string | undefined;
}

const MISSING_BIN = 'node_modules/.bin/omniserve will not exist in the image';

function has(section: unknown, name: string): boolean {
  return typeof section === 'object' && section !== null && Object.hasOwn(section, name);
}

/** Reads the text of package.json (undefined when there is none); never throws. */
export function inspectProjectManifest(text: string | undefined): ProjectManifestFacts {
  if (text === undefined) {
    return { selfPackage: false, warning: `Warning: no package.json here, so ${MISSING_BIN}: run "npm init -y" and "npm install omnicoreagent" first.` };
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    manifest = undefined;
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    return { selfPackage: false, warning: `Warning: package.json is not a JSON object, so npm ci fails in the image and ${MISSING_BIN}.` };
  }
  const { name, dependencies, devDependencies } = manifest as Record<string, unknown>;
  if (name === 'omnicoreagent') return { selfPackage: true, warning: undefined };
  if (has(dependencies, 'omnicoreagent')) return { selfPackage: false, warning: undefined };
  if (has(devDependencies, 'omnicoreagent')) {
    return {
      selfPackage: false,
      warning: `Warning: package.json has omnicoreagent only in devDependencies, but the image installs with --omit=dev, so ${MISSING_BIN}: move it to "dependencies" (npm install --save-prod omnicoreagent).`,
    };
  }
  return {
    selfPackage: false,
    warning: `Warning: package.json does not list omnicoreagent in "dependencies", so ${MISSING_BIN}: add it (npm install omnicoreagent).`,
  };
}
