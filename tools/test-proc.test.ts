// The tests' /proc helpers find what they claim: a live process by its command line, QEMU only when it is
// QEMU, and a pid's liveness — the VM tests' "no QEMU left" checks rely on them.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import process from "node:process";
import { alive, pidsWithArgv, qemuPids } from "./test-proc.ts";

test("pidsWithArgv finds a process by every part of its argv; qemuPids only QEMU; alive follows the exit", async () => {
  const mark = `${Math.floor(Math.random() * 1e6)}.${process.pid}`; // unique to this run
  const child = spawn("sleep", [mark], { stdio: "ignore" });
  try {
    assert.equal(pidsWithArgv("sleep", mark), [child.pid]);
    assert.equal(pidsWithArgv("sleep", mark, "not-in-its-argv"), [], "every part must be there");
    assert.equal(qemuPids(mark), [], "a sleep is no QEMU");
    assert.ok(alive(child.pid!));
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }
  assert.equal(pidsWithArgv("sleep", mark), []);
  assert.not.ok(alive(child.pid!), "reaped: gone");
});

test.run();
