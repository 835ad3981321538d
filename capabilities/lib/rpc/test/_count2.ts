import * as R from "capnp-es/capnp/rpc";
import { newMessage } from "../connection.ts";
const m = newMessage();
const seg = m.getSegment(0);
console.log("after getSegment", seg.byteLength, seg.buffer.byteLength);
const root = m.initRoot(R.Message);
console.log("after initRoot", seg.byteLength, seg.buffer.byteLength);
const c = root._initCall();
console.log("after initCall", m.getSegment(0).byteLength, m.getSegment(0).buffer.byteLength);
