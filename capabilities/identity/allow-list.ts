// The chain signer's allow-list entries are `section.method` names; checked when the signer is made,
// before the (lazily loaded) TFChain decoder of chain-policy.ts is needed.
export function checkAllowList(allowed: readonly string[]): void {
  for (const c of allowed) {
    if (!/^[a-z][A-Za-z0-9]*\.[a-z][A-Za-z0-9]*$/.test(c)) {
      throw new Error(`chain signer: allow-list entry "${c}" is not section.method (e.g. tfgridModule.createNode)`);
    }
  }
}
