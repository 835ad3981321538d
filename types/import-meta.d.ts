// Deno (and Node ≥ 24) set `import.meta.main` on the entry module; entry files use it to run only when executed,
// not when imported by a test. Declared here so the Node-flavoured tsc check knows it.
interface ImportMeta {
  readonly main?: boolean;
}
