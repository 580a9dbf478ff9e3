// Bundles the GraphiQL playground and the REST API reference, each into one JS and one CSS file:
// `node build.mjs <out dir>` (run by ../build.rs).
import * as esbuild from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = process.argv[2];
if (!outdir) {
  console.error('usage: node build.mjs <out dir>');
  process.exit(2);
}

await esbuild.build({
  absWorkingDir: here,
  entryPoints: { graphiql: 'src/main.jsx', docs: 'src/docs.js' },
  outdir,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  charset: 'utf8',
  legalComments: 'eof',
  define: { 'process.env.NODE_ENV': '"production"' },
  loader: {
    '.graphql': 'text',
    '.woff': 'dataurl',
    '.woff2': 'dataurl',
    '.ttf': 'dataurl',
    '.svg': 'dataurl',
    '.png': 'dataurl',
  },
  logLevel: 'warning',
});
