// Module resolution hooks (node:module `register`) for running rules under Node: the WIT import
// `glue:rules/host@0.2.0`, which componentize-js links to the host, resolves to the shim in
// `host-shim.js`. Every other specifier resolves as usual.

const HOST = 'glue:rules/host@0.2.0';
const SHIM = new URL('./host-shim.js', import.meta.url).href;

/** Maps the host import to the shim; refuses other `glue:` imports with what is served. */
export async function resolve(specifier, context, nextResolve) {
  if (specifier === HOST) return { url: SHIM, shortCircuit: true };
  if (specifier.startsWith('glue:')) {
    throw new Error(
      `cannot import ${specifier} under Node: @glue-rules/sdk serves only ${HOST} (its types, ` +
      "glue:rules/types@0.2.0, are for `import type`; a value import of them has nothing to load)",
    );
  }
  return nextResolve(specifier, context);
}
