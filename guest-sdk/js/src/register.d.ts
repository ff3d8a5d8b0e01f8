// `import '@glue-rules/sdk/register'` (or `node --import @glue-rules/sdk/register`) installs the
// module hook that maps `glue:rules/host@0.2.0` to the test shim. It exports nothing.
export {};
