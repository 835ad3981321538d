// C++ peer for the interop test (capabilities/lib/rpc/interop.test.ts), built from Debian's libcapnp-dev
// against capabilities/schema/test.capnp. It proves the TypeScript RPC speaks the real Cap'n Proto protocol.
//   peer client unix:/path   call a TS server: calls, a callback the server invokes, pipelining, Disembargo
//   peer server unix:/path   serve Echo (a subset) for a TS client; prints "ready" when listening
#include <capnp/ez-rpc.h>
#include <kj/debug.h>
#include <kj/async-io.h>
#include <kj/timer.h>
#include <iostream>
#include "test.capnp.h"

namespace {

void say(const char* key, kj::StringPtr value) { std::cout << key << "=" << value.cStr() << std::endl; }
void say(const char* key, long long value) { std::cout << key << "=" << value << std::endl; }

class CallbackImpl final : public Callback::Server {
 public:
  explicit CallbackImpl(int& invocations) : invocations(invocations) {}
  kj::Promise<void> notify(NotifyContext context) override {
    ++invocations;
    context.getResults().setAck(context.getParams().getSeq() + 1);
    return kj::READY_NOW;
  }

 private:
  int& invocations;
};

class CounterImpl final : public Counter::Server {
 public:
  explicit CounterImpl(kj::String name) : label(kj::mv(name)) {}
  kj::Promise<void> inc(IncContext context) override {
    value += context.getParams().getBy();
    context.getResults().setValue(value);
    return kj::READY_NOW;
  }
  kj::Promise<void> name(NameContext context) override {
    context.getResults().setName(label);
    return kj::READY_NOW;
  }

 private:
  kj::String label;
  uint32_t value = 0;
};

class EchoImpl final : public Echo::Server {
 public:
  kj::Timer* timer = nullptr;

  kj::Promise<void> echo(EchoContext context) override {
    context.getResults().setText(context.getParams().getText());
    return kj::READY_NOW;
  }
  kj::Promise<void> add(AddContext context) override {
    auto p = context.getParams();
    context.getResults().setSum(p.getA() + p.getB());
    return kj::READY_NOW;
  }
  kj::Promise<void> subscribe(SubscribeContext context) override {
    auto p = context.getParams();
    return notifyLoop(p.getCb(), 0, p.getCount(), 0).then([context](uint32_t acks) mutable {
      context.getResults().setAcks(acks);
    });
  }
  kj::Promise<void> newCounter(NewCounterContext context) override {
    auto p = context.getParams();
    auto label = kj::heapString(p.getName());
    return timer->afterDelay(p.getDelayMs() * kj::MILLISECONDS).then([context, label = kj::mv(label)]() mutable {
      context.getResults().setCounter(kj::heap<CounterImpl>(kj::mv(label)));
    });
  }
  kj::Promise<void> echoCap(EchoCapContext context) override {
    context.getResults().setCb(context.getParams().getCb());
    return kj::READY_NOW;
  }
  kj::Promise<void> blob(BlobContext context) override {
    // Large results: the C++ builder spreads them over several segments (multi-segment frame).
    uint32_t size = context.getParams().getSize();
    auto data = context.getResults().initData(size);
    for (uint32_t i = 0; i < size; i++) data[i] = static_cast<kj::byte>(i & 0xff);
    return kj::READY_NOW;
  }
  kj::Promise<void> fail(FailContext context) override {
    return KJ_EXCEPTION(FAILED, kj::str(context.getParams().getReason()));
  }

 private:
  kj::Promise<uint32_t> notifyLoop(Callback::Client cb, uint32_t i, uint32_t n, uint32_t acks) {
    if (i == n) return acks;
    auto req = cb.notifyRequest();
    req.setMsg("from c++");
    req.setSeq(i);
    return req.send().then([this, cb, i, n, acks](auto r) mutable {
      return notifyLoop(cb, i + 1, n, acks + r.getAck());
    });
  }
};

int runClient(const char* addr) {
  capnp::EzRpcClient client(addr);
  auto& ws = client.getWaitScope();
  Echo::Client echo = client.getMain<Echo>();
  {
    auto req = echo.echoRequest();
    req.setText("from c++");
    say("echo", req.send().wait(ws).getText());
  }
  {
    auto req = echo.addRequest();
    req.setA(-5);
    req.setB(47);
    say("add", req.send().wait(ws).getSum());
  }
  int invocations = 0;
  Callback::Client cb = kj::heap<CallbackImpl>(invocations);
  {
    auto req = echo.subscribeRequest();
    req.setCb(cb);
    req.setCount(3);
    say("subscribe_acks", req.send().wait(ws).getAcks());
    say("callback_invocations", invocations);
  }
  {
    // Pipelined: inc is sent on the counter of an answer that returns 100 ms later.
    auto req = echo.newCounterRequest();
    req.setName("cpp");
    req.setDelayMs(100);
    auto answer = req.send();
    auto inc = answer.getCounter().incRequest();
    inc.setBy(5);
    auto incAnswer = inc.send();
    say("pipelined_inc", incAnswer.wait(ws).getValue());
    auto counter = answer.wait(ws).getCounter();
    auto inc2 = counter.incRequest();
    inc2.setBy(2);
    say("second_inc", inc2.send().wait(ws).getValue());
  }
  {
    // echoCap returns our own callback: the pipelined notify loops back through the TS peer (Disembargo).
    auto req = echo.echoCapRequest();
    req.setCb(cb);
    auto answer = req.send();
    auto n = answer.getCb().notifyRequest();
    n.setSeq(20);
    auto nAnswer = n.send();
    say("echocap_pipelined", nAnswer.wait(ws).getAck());
    auto back = answer.wait(ws).getCb();
    auto n2 = back.notifyRequest();
    n2.setSeq(30);
    say("echocap_direct", n2.send().wait(ws).getAck());
  }
  {
    auto req = echo.keepRequest();
    req.setCb(cb);
    req.send().wait(ws);
    auto k = echo.callKeptRequest();
    k.setMsg("kept");
    say("kept_ack", k.send().wait(ws).getAck());
    echo.dropKeptRequest().send().wait(ws);
  }
  {
    auto req = echo.failRequest();
    req.setReason("deliberate failure");
    try {
      req.send().wait(ws);
      say("fail", "no exception");
    } catch (const kj::Exception& e) {
      say("fail", e.getDescription());
    }
  }
  {
    auto req = echo.blobRequest();
    req.setSize(300000);
    auto response = req.send().wait(ws);  // keep the response alive while reading its data
    auto data = response.getData();
    bool ok = data.size() == 300000;
    for (size_t i = 0; ok && i < data.size(); i++) ok = data[i] == static_cast<kj::byte>(i & 0xff);
    say("blob", ok ? "ok" : "bad");
  }
  say("total_invocations", invocations);
  say("done", "ok");
  return 0;
}

int runServer(const char* addr) {
  auto impl = kj::heap<EchoImpl>();
  EchoImpl* raw = impl.get();
  capnp::EzRpcServer server(kj::mv(impl), addr);
  raw->timer = &server.getIoProvider().getTimer();
  auto& ws = server.getWaitScope();
  server.getPort().wait(ws);
  std::cout << "ready" << std::endl;
  kj::NEVER_DONE.wait(ws);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: peer client|server unix:/path" << std::endl;
    return 2;
  }
  kj::StringPtr mode = argv[1];
  if (mode == "client") return runClient(argv[2]);
  if (mode == "server") return runServer(argv[2]);
  std::cerr << "unknown mode" << std::endl;
  return 2;
}
