#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ (built by `npm install` through the prepare script). It checks the one
// Node feature the floor in package.json stands for before loading anything: the server's dependencies
// (content-disposition, cookie) are ES modules that are require()d, which Node runs from 20.19 and 22.12 on.
if (process.features.require_module !== true) {
  process.stderr.write(
    `latentlab: error: Node.js ^20.19.0 or >=22.12.0 is needed (require() of ES modules); this is ${process.version}` +
      `${process.execArgv.includes('--no-experimental-require-module') ? ' run with --no-experimental-require-module' : ''}\n`,
  );
  process.exit(1);
}
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv);
