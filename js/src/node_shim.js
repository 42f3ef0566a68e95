// Placed by --extern-pre-js at the top of cort.mjs, outside the module factory. Emscripten 3.1.6's code for
// Node.js calls require() and reads __dirname, which Node's ES modules lack; browsers skip both branches.
const cortIsNode = typeof process == 'object' && typeof process.versions == 'object' &&
    typeof process.versions.node == 'string';
const require = cortIsNode ? (await import('module')).createRequire(import.meta.url) : undefined;
const __dirname = cortIsNode ? require('path').dirname(require('url').fileURLToPath(import.meta.url)) : '';
