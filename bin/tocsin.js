#!/usr/bin/env node
// Plain-JS launcher: it must parse on any Node, so an old Node gets a message, not a stack trace.
const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  process.stderr.write(
    `Tocsin needs Node.js 24 or newer; this is Node.js ${process.versions.node}.\n` +
      "Run it through npm (npm start, npm run tocsin -- <command>), which uses the Node 24 that 'npm ci' installed\n" +
      "into node_modules/.bin, or install Node.js 24 LTS.\n",
  );
  process.exit(1);
}
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2), process.env);
