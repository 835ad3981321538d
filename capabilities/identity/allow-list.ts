// The chain signer's allow-list entries are `section.method` names; checked when the signer is made.
// Calls that carry another call the policy does not open (only utility.batch/batchAll/forceBatch are opened
// and their inner calls checked): allow-listing one would sign whatever it wraps unchecked, so they are refused.
const OPAQUE_WRAPPERS = ["utility.asDerivative", "utility.dispatchAs", "utility.withWeight", "utility.ifElse", "sudo.sudo", "sudo.sudoAs", "sudo.sudoUncheckedWeight", "proxy.proxy", "proxy.proxyAnnounced", "multisig.asMulti", "multisig.asMultiThreshold1", "scheduler.schedule", "scheduler.scheduleNamed", "council.propose", "council.execute"];

export function checkAllowList(allowed: readonly string[]): void {
  for (const c of allowed) {
    if (OPAQUE_WRAPPERS.includes(c)) {
      throw new Error(`chain signer: allow-list entry "${c}" wraps another call the signer cannot check; allow the inner calls instead (utility.batch/batchAll/forceBatch are checked call by call)`);
    }
    if (!/^[a-z][A-Za-z0-9]*\.[a-z][A-Za-z0-9]*$/.test(c)) {
      throw new Error(`chain signer: allow-list entry "${c}" is not section.method (e.g. tfgridModule.createNode)`);
    }
  }
}
