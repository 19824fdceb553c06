// Vite builds the studio into dist/studio, which `latentlab studio` serves at /.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: fileURLToPath(new URL('../dist/studio', import.meta.url)),
    emptyOutDir: true,
    // The app's own chunk is under 100 kB; "train here" (TensorFlow.js and every family) is a chunk of its own,
    // about 900 kB, loaded only by the new-run page.
    chunkSizeWarningLimit: 1000,
    rollupOptions: {
      onwarn(warning, warn) {
        // zod's comments placed where Rollup cannot read them as annotations: harmless, and not ours.
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('node_modules/zod/')) return;
        warn(warning);
      },
    },
  },
  logLevel: 'warn',
});
