// @polkadot/api warns on every connection to the dev chain that it has no runtime Metadata API (true by
// design: the dev chain serves state_getMetadata instead). The note means nothing to a user of `zos dev`
// or `zos client`, so the CLI drops exactly that line; every other warning passes through.
const NOISE = /MetadataApi not available, rpc::state::get_metadata will be used/;

let installed = false;

export function quietPolkadotNoise(): void {
  if (installed) return;
  installed = true;
  const warn = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    if (args.some((a) => typeof a === "string" && NOISE.test(a))) return;
    warn(...args);
  };
}
