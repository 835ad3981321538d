// Issue 17's eight defects: each once left the suite that claims to rule it out green. Each is kept here as
// an edit (exact text → replacement) so `npm run defects` can make it again in a copy of the tree and check
// that every suite listed turns red. An edit whose text is gone (the code moved on) is reported as stale, not
// skipped: update the edit to make the same defect in the new code.

export interface Edit {
  /** repo-relative path */
  file: string;
  /** text that must occur exactly once in the file */
  find: string;
  replace: string;
}

export interface Defect {
  id: string;
  /** what the defect does, as the issue states it */
  what: string;
  edits: Edit[];
  /** test-runner filters: each suite named must fail with the defect made */
  tests: string[];
}

export const DEFECTS: Defect[] = [
  {
    id: "1",
    what: "the kernel-hosted node's provision get/list/changes ignore the caller's twin",
    edits: [
      {
        file: "modules/provision/main.ts",
        find: "const d = ready().get(p.twin, p.contractId);",
        replace: "const d = ready().list().find((x) => x.contract_id === p.contractId);",
      },
      {
        file: "modules/provision/main.ts",
        find: "ready().list(p.twin).map(",
        replace: "ready().list().map(",
      },
      {
        file: "modules/provision/main.ts",
        find: "ready().changes(p.twin, p.contractId)",
        replace: "ready().changes(ready().list().find((x) => x.contract_id === p.contractId)?.twin_id ?? p.twin, p.contractId)",
      },
    ],
    tests: ["modules/node.test.ts"],
  },
  {
    id: "2",
    what: "CapRegistrarChain.updateTwin / updateNode throw",
    edits: [
      {
        file: "modules/node/registrar-chain.ts",
        find: `await this.#submit.submit("tfgridModule", "updateTwin", relay, pk);`,
        replace: `void relay, pk; throw new Error("defect 2: updateTwin fails");`,
      },
      {
        file: "modules/node/registrar-chain.ts",
        find: `await this.#submit.submit("tfgridModule", "updateNode", id,`,
        replace: `throw new Error("defect 2: updateNode fails"); void (id,`,
      },
    ],
    tests: ["modules/registrar/test/registrar_chain.test.ts"],
  },
  {
    id: "3",
    what: "no write-ahead record in KvDurableStore.commit() (keys applied one by one)",
    edits: [{
      file: "modules/provision/kv-store.ts",
      find: "if (final.length === 1 && !walKey) return await this.apply(final); // a single key is already atomic in kv",
      replace: "return await this.apply(final); // defect 3: no write-ahead record",
    }],
    tests: ["modules/provision/test/kv-store.test.ts"],
  },
  {
    id: "4",
    what: "the api's default payload limit raised to 1 GiB",
    edits: [{ file: "modules/api/router.ts", find: "DEFAULT_MAX_PAYLOAD = 1024 * 1024;", replace: "DEFAULT_MAX_PAYLOAD = 1024 * 1024 * 1024;" }],
    tests: ["modules/node.test.ts", "modules/api/router.test.ts"],
  },
  {
    id: "5",
    what: "--v8-flags (the heap limit) after the script path, where it is a script argument",
    edits: [
      { file: "kernel/sandbox.ts", find: "    ...v8FlagsArg(spec),\n", replace: "" },
      { file: "kernel/sandbox.ts", find: "    spec.entryPath,\n", replace: "    spec.entryPath,\n    ...v8FlagsArg(spec),\n" },
    ],
    tests: ["kernel/test/escape.test.ts"],
  },
  {
    id: "6",
    what: "the kv store's sweep of temp files a crash left is removed",
    edits: [{
      file: "capabilities/kv/store.ts",
      find: `for (const f of readdirSync(this.dir)) if (f.startsWith(".") && f.endsWith(".tmp")) unlinkSync(join(this.dir, f));`,
      replace: `void readdirSync, unlinkSync; // defect 6: no sweep`,
    }],
    tests: ["capabilities/kv/store.test.ts"],
  },
  {
    id: "7",
    what: "a signer hands out the secret key",
    edits: [{
      file: "capabilities/identity/identity.ts",
      find: `      type: "ed25519" as const,\n      signEnvelope:`,
      replace: `      type: "ed25519" as const,\n      secretKey: this.#secretKey,\n      signEnvelope:`,
    }],
    tests: ["capabilities/identity/identity.test.ts"],
  },
  {
    id: "8",
    what: "Session.get hands out more than the process was granted (another process's grant of that name)",
    edits: [{
      file: "kernel/kernel.ts",
      find: "const grant = p.spec.grants.find((g) => g.name === name);",
      replace: "const grant = [...this.procs.values()].flatMap((x) => x.spec.grants).find((g) => g.name === name);",
    }],
    // (the escape suite catches a Session that serves any name, not this narrower defect)
    tests: ["kernel/kernel.test.ts"],
  },
];
