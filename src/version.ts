import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** The package version, saved in every manifest and run config (src/ and dist/ both sit one level below the root). */
export const LATENTLAB_VERSION: string = (require('../package.json') as { version: string }).version;
