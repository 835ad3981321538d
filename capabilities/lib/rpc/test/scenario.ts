// deno-lint-ignore-file require-await -- generated X$Server$Target methods must return promises; most here need no await
// The end-to-end scenario every transport/runtime combination runs against an Echo server in another
// process. It returns observed facts; the tests compare them with what the protocol must produce.
import type { Connection } from "../connection.ts";
import { Callback$Server, type Echo$Client } from "../../../schema/gen/test.ts";

export interface ScenarioFacts {
  echo: string;
  sum: string;
  subscribeAcks: number;
  callbackInvocations: number;
  pipelinedCallsOnWireBeforeReturn: number;
  returnsBeforePipelineResolved: number;
  pipelinedIncValue: number;
  secondIncValue: number;
  liveCountersBeforeRelease: number;
  liveCountersAfterRelease: number;
  failMessage: string;
  keptAck: number;
  callbackDisposedAfterDrop: boolean;
  echoCapAck: number;
  pipelinedEchoCapAck: number;
  importsAfter: number;
}

class CountingCallback extends Callback$Server {
  invocations = 0;
  disposed = false;
  constructor() {
    super({
      notify: async (p, r) => {
        this.invocations++;
        r.ack = p.seq + 1;
      },
    });
  }
  override close(): void {
    this.disposed = true;
  }
}

async function until(pred: () => Promise<boolean> | boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return false;
}

export async function runScenario(conn: Connection, echo: Echo$Client): Promise<ScenarioFacts> {
  const echoed = (await echo.echo((p) => { p.text = "héllo wörld"; }).promise()).text;
  const sum = (await echo.add((p) => { p.a = 40n; p.b = 2n; }).promise()).sum;

  const cb = new CountingCallback();
  const acks = (await echo.subscribe((p) => { p.cb = cb.client(); p.count = 3; }).promise()).acks;

  // Pipelining: the inc call targets the counter inside an answer the server returns only after 150 ms.
  const before = conn.stats();
  const answer = echo.newCounter((p) => { p.name = "pipe"; p.delayMs = 150; });
  const inc = answer.getCounter().inc((p) => { p.by = 5; });
  await new Promise((r) => setTimeout(r, 20)); // frames flushed, server still sleeping
  const mid = conn.stats();
  const incValue = (await inc.promise()).value;
  const result = await answer.promise();
  const second = (await result.counter.inc((p) => { p.by = 2; }).promise()).value;

  const live1 = (await echo.stats().promise()).liveCounters;
  result.counter.client.close();
  answer.getCounter().client.close();
  let live2 = -1;
  await until(async () => (live2 = (await echo.stats().promise()).liveCounters) === live1 - 1);

  let failMessage = "";
  try {
    await echo.fail((p) => { p.reason = "deliberate failure"; }).promise();
  } catch (e) {
    failMessage = (e as Error).message;
  }

  const kept = new CountingCallback();
  await echo.keep((p) => { p.cb = kept.client(); }).promise();
  const keptAck = (await echo.callKept((p) => { p.msg = "ping"; }).promise()).ack;
  await echo.dropKept().promise();
  const disposed = await until(() => kept.disposed);

  const loop = new CountingCallback();
  const back = await echo.echoCap((p) => { p.cb = loop.client(); }).promise();
  const echoCapAck = (await back.cb.notify((p) => { p.seq = 9; }).promise()).ack;
  const pipelinedEchoCapAck = (await echo.echoCap((p) => { p.cb = loop.client(); }).getCb().notify((p) => { p.seq = 20; })
    .promise()).ack;

  return {
    echo: echoed,
    sum: sum.toString(),
    subscribeAcks: acks,
    callbackInvocations: cb.invocations,
    pipelinedCallsOnWireBeforeReturn: mid.callsOut - before.callsOut,
    returnsBeforePipelineResolved: mid.returnsIn - before.returnsIn,
    pipelinedIncValue: incValue,
    secondIncValue: second,
    liveCountersBeforeRelease: live1,
    liveCountersAfterRelease: live2,
    failMessage,
    keptAck,
    callbackDisposedAfterDrop: disposed,
    echoCapAck,
    pipelinedEchoCapAck,
    importsAfter: conn.stats().imports,
  };
}

export const expectedFacts: Omit<ScenarioFacts, "importsAfter" | "liveCountersBeforeRelease" | "liveCountersAfterRelease"> = {
  echo: "héllo wörld",
  sum: "42",
  subscribeAcks: 6,
  callbackInvocations: 3,
  pipelinedCallsOnWireBeforeReturn: 2,
  returnsBeforePipelineResolved: 0,
  pipelinedIncValue: 5,
  secondIncValue: 7,
  failMessage: "deliberate failure",
  keptAck: 1,
  callbackDisposedAfterDrop: true,
  echoCapAck: 10,
  pipelinedEchoCapAck: 21,
};
