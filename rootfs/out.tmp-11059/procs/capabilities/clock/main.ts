// node_modules/capnp-es/dist/shared/capnp-es.D8zdZmih.mjs
var ListElementSize = /* @__PURE__ */ ((ListElementSize2) => {
  ListElementSize2[ListElementSize2["VOID"] = 0] = "VOID";
  ListElementSize2[ListElementSize2["BIT"] = 1] = "BIT";
  ListElementSize2[ListElementSize2["BYTE"] = 2] = "BYTE";
  ListElementSize2[ListElementSize2["BYTE_2"] = 3] = "BYTE_2";
  ListElementSize2[ListElementSize2["BYTE_4"] = 4] = "BYTE_4";
  ListElementSize2[ListElementSize2["BYTE_8"] = 5] = "BYTE_8";
  ListElementSize2[ListElementSize2["POINTER"] = 6] = "POINTER";
  ListElementSize2[ListElementSize2["COMPOSITE"] = 7] = "COMPOSITE";
  return ListElementSize2;
})(ListElementSize || {});
var tmpWord = new DataView(new ArrayBuffer(8));
new Uint16Array(tmpWord.buffer)[0] = 258;
var DEFAULT_BUFFER_SIZE = 4096;
var DEFAULT_TRAVERSE_LIMIT = 64 << 20;
var LIST_SIZE_MASK = 7;
var MAX_BUFFER_DUMP_BYTES = 8192;
var MAX_INT32 = 2147483647;
var MAX_UINT32 = 4294967295;
var MIN_SINGLE_SEGMENT_GROWTH = 4096;
var NATIVE_LITTLE_ENDIAN = tmpWord.getUint8(0) === 2;
var PACK_SPAN_THRESHOLD = 2;
var POINTER_DOUBLE_FAR_MASK = 4;
var POINTER_TYPE_MASK = 3;
var MAX_DEPTH = MAX_INT32;
var MAX_SEGMENT_LENGTH = MAX_UINT32;
var INVARIANT_UNREACHABLE_CODE = "CAPNP-TS000 Unreachable code detected.";
function assertNever(n) {
  throw new Error(INVARIANT_UNREACHABLE_CODE + ` (never block hit with: ${n})`);
}
var MSG_INVALID_FRAME_HEADER = "CAPNP-TS001 Attempted to parse an invalid message frame header; are you sure this is a Cap'n Proto message?";
var MSG_PACK_NOT_WORD_ALIGNED = "CAPNP-TS003 Attempted to pack a message that was not word-aligned.";
var MSG_SEGMENT_OUT_OF_BOUNDS = "CAPNP-TS004 Segment ID %X is out of bounds for message %s.";
var MSG_SEGMENT_TOO_SMALL = "CAPNP-TS005 First segment must have at least enough room to hold the root pointer (8 bytes).";
var PTR_ADOPT_WRONG_MESSAGE = "CAPNP-TS008 Attempted to adopt %s into a pointer in a different message %s.";
var PTR_ALREADY_ADOPTED = "CAPNP-TS009 Attempted to adopt %s more than once.";
var PTR_COMPOSITE_SIZE_UNDEFINED = "CAPNP-TS010 Attempted to set a composite list without providing a composite element size.";
var PTR_DEPTH_LIMIT_EXCEEDED = "CAPNP-TS011 Nesting depth limit exceeded for %s.";
var PTR_INIT_COMPOSITE_STRUCT = "CAPNP-TS013 Attempted to initialize a struct member from a composite list (%s).";
var PTR_INVALID_FAR_TARGET = "CAPNP-TS015 Target of a far pointer (%s) is another far pointer.";
var PTR_INVALID_LIST_SIZE = "CAPNP-TS016 Invalid list element size: %x.";
var PTR_INVALID_POINTER_TYPE = "CAPNP-TS017 Invalid pointer type: %x.";
var PTR_INVALID_UNION_ACCESS = "CAPNP-TS018 Attempted to access getter on %s for union field %s that is not currently set (wanted: %d, found: %d).";
var PTR_OFFSET_OUT_OF_BOUNDS = "CAPNP-TS019 Pointer offset %a is out of bounds for underlying buffer.";
var PTR_STRUCT_DATA_OUT_OF_BOUNDS = "CAPNP-TS020 Attempted to access out-of-bounds struct data (struct: %s, %d bytes at %a, data words: %d).";
var PTR_STRUCT_POINTER_OUT_OF_BOUNDS = "CAPNP-TS021 Attempted to access out-of-bounds struct pointer (%s, index: %d, length: %d).";
var PTR_TRAVERSAL_LIMIT_EXCEEDED = "CAPNP-TS022 Traversal limit exceeded! Slow down! %s";
var PTR_WRONG_LIST_TYPE = "CAPNP-TS023 Cannot convert %s to a %s list.";
var PTR_WRONG_POINTER_TYPE = "CAPNP-TS024 Attempted to convert pointer %s to a %s type.";
var SEG_GET_NON_ZERO_SINGLE = "CAPNP-TS035 Attempted to get a segment other than 0 (%d) from a single segment arena.";
var SEG_ID_OUT_OF_BOUNDS = "CAPNP-TS036 Attempted to get an out-of-bounds segment (%d).";
var SEG_NOT_WORD_ALIGNED = "CAPNP-TS037 Segment buffer length %d is not a multiple of 8.";
var SEG_REPLACEMENT_BUFFER_TOO_SMALL = "CAPNP-TS038 Attempted to replace a segment buffer with one that is smaller than the allocated space.";
var SEG_SIZE_OVERFLOW = `CAPNP-TS039 Requested size %x exceeds maximum value (${MAX_SEGMENT_LENGTH}).`;
var TYPE_COMPOSITE_SIZE_UNDEFINED = "CAPNP-TS040 Must provide a composite element size for composite list pointers.";
var LIST_NO_MUTABLE = "CAPNP-TS045: Cannot call mutative methods on an immutable list.";
var LIST_NO_SEARCH = "CAPNP-TS046: Search is not supported for list.";
var RPC_NULL_CLIENT = "CAPNP-TS100 Call on null client.";
var RPC_CALL_QUEUE_FULL = "CAPNP-TS101 Promised answer call queue full.";
var RPC_QUEUE_CALL_CANCEL = "CAPNP-TS102 Queue call canceled.";
var RPC_METHOD_NOT_IMPLEMENTED = "CAPNP-TS107 Method not implemented.";
var RPC_METHOD_ERROR = "CAPNP-TS116 RPC method failed at %s.%s(): %s";
function bufferToHex(buffer) {
  const a = new Uint8Array(buffer);
  const h = [];
  for (let i = 0; i < a.byteLength; i++) {
    h.push(pad(a[i].toString(16), 2));
  }
  return `[${h.join(" ")}]`;
}
function dumpBuffer(buffer) {
  const b = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const byteLength = Math.min(b.byteLength, MAX_BUFFER_DUMP_BYTES);
  let r = format("\n=== buffer[%d] ===", byteLength);
  for (let j = 0; j < byteLength; j += 16) {
    r += `
${pad(j.toString(16), 8)}: `;
    let s = "";
    let k;
    for (k = 0; k < 16 && j + k < b.byteLength; k++) {
      const v = b[j + k];
      r += `${pad(v.toString(16), 2)} `;
      s += v > 31 && v < 255 ? String.fromCharCode(v) : "\xB7";
      if (k === 7) {
        r += " ";
      }
    }
    r += `${" ".repeat((17 - k) * 3)}${s}`;
  }
  r += "\n";
  if (byteLength !== b.byteLength) {
    r += format("=== (truncated %d bytes) ===\n", b.byteLength - byteLength);
  }
  return r;
}
function format(s, ...args) {
  const n = s.length;
  let arg;
  let argIndex = 0;
  let c;
  let escaped = false;
  let i = 0;
  let leadingZero = false;
  let precision;
  let result = "";
  function nextArg() {
    return args[argIndex++];
  }
  function slurpNumber() {
    let digits = "";
    while (/\d/.test(s[i])) {
      digits += s[i++];
      c = s[i];
    }
    return digits.length > 0 ? Number.parseInt(digits, 10) : null;
  }
  for (; i < n; ++i) {
    c = s[i];
    if (escaped) {
      escaped = false;
      if (c === ".") {
        leadingZero = false;
        c = s[++i];
      } else if (c === "0" && s[i + 1] === ".") {
        leadingZero = true;
        i += 2;
        c = s[i];
      } else {
        leadingZero = true;
      }
      precision = slurpNumber();
      switch (c) {
        case "a": {
          result += "0x" + pad(Number.parseInt(String(nextArg()), 10).toString(16), 8);
          break;
        }
        case "b": {
          result += Number.parseInt(String(nextArg()), 10).toString(2);
          break;
        }
        case "c": {
          arg = nextArg();
          result += typeof arg === "string" || arg instanceof String ? arg : String.fromCharCode(Number.parseInt(String(arg), 10));
          break;
        }
        case "d": {
          result += Number.parseInt(String(nextArg()), 10);
          break;
        }
        case "f": {
          const tmp = Number.parseFloat(String(nextArg())).toFixed(precision || 6);
          result += leadingZero ? tmp : tmp.replace(/^0/, "");
          break;
        }
        case "j": {
          result += JSON.stringify(nextArg());
          break;
        }
        case "o": {
          result += "0" + Number.parseInt(String(nextArg()), 10).toString(8);
          break;
        }
        case "s": {
          result += nextArg();
          break;
        }
        case "x": {
          result += "0x" + Number.parseInt(String(nextArg()), 10).toString(16);
          break;
        }
        case "X": {
          result += "0x" + Number.parseInt(String(nextArg()), 10).toString(16).toUpperCase();
          break;
        }
        default: {
          result += c;
          break;
        }
      }
    } else if (c === "%") {
      escaped = true;
    } else {
      result += c;
    }
  }
  return result;
}
function pad(v, width, pad2 = "0") {
  return v.length >= width ? v : Array.from({
    length: width - v.length + 1
  }).join(pad2) + v;
}
function padToWord$1(size) {
  return size + 7 & -8;
}
var ObjectSize = class {
  /**
   * Creates a new ObjectSize instance.
   *
   * @param dataByteLength - The number of bytes in the data section of the struct
   * @param pointerLength - The number of pointers in the pointer section of the struct
   */
  constructor(dataByteLength, pointerLength) {
    this.dataByteLength = dataByteLength;
    this.pointerLength = pointerLength;
  }
  toString() {
    return format("ObjectSize_dw:%d,pc:%d", getDataWordLength(this), this.pointerLength);
  }
};
function getByteLength(o) {
  return o.dataByteLength + o.pointerLength * 8;
}
function getDataWordLength(o) {
  return o.dataByteLength / 8;
}
function getWordLength(o) {
  return o.dataByteLength / 8 + o.pointerLength;
}
function padToWord(o) {
  return new ObjectSize(padToWord$1(o.dataByteLength), o.pointerLength);
}
var Orphan = class {
  /** If this member is not present then the orphan has already been adopted, or something went very wrong. */
  _capnp;
  byteOffset;
  segment;
  constructor(src) {
    const c = getContent(src);
    this.segment = c.segment;
    this.byteOffset = c.byteOffset;
    this._capnp = {};
    this._capnp.type = getTargetPointerType(src);
    switch (this._capnp.type) {
      case PointerType.STRUCT: {
        this._capnp.size = getTargetStructSize(src);
        break;
      }
      case PointerType.LIST: {
        this._capnp.length = getTargetListLength(src);
        this._capnp.elementSize = getTargetListElementSize(src);
        if (this._capnp.elementSize === ListElementSize.COMPOSITE) {
          this._capnp.size = getTargetCompositeListSize(src);
        }
        break;
      }
      case PointerType.OTHER: {
        this._capnp.capId = getCapabilityId(src);
        break;
      }
      default: {
        throw new Error(PTR_INVALID_POINTER_TYPE);
      }
    }
    erasePointer(src);
  }
  /**
   * Adopt (move) this orphan into the target pointer location. This will allocate far pointers in `dst` as needed.
   *
   * @param dst The destination pointer.
   */
  _moveTo(dst) {
    if (this._capnp === void 0) {
      throw new Error(format(PTR_ALREADY_ADOPTED, this));
    }
    if (this.segment.message !== dst.segment.message) {
      throw new Error(format(PTR_ADOPT_WRONG_MESSAGE, this, dst));
    }
    erase(dst);
    const res = initPointer(this.segment, this.byteOffset, dst);
    switch (this._capnp.type) {
      case PointerType.STRUCT: {
        setStructPointer(res.offsetWords, this._capnp.size, res.pointer);
        break;
      }
      case PointerType.LIST: {
        let { offsetWords } = res;
        if (this._capnp.elementSize === ListElementSize.COMPOSITE) {
          offsetWords--;
        }
        setListPointer(offsetWords, this._capnp.elementSize, this._capnp.length, res.pointer, this._capnp.size);
        break;
      }
      case PointerType.OTHER: {
        setInterfacePointer(this._capnp.capId, res.pointer);
        break;
      }
      /* istanbul ignore next */
      default: {
        throw new Error(PTR_INVALID_POINTER_TYPE);
      }
    }
    this._capnp = void 0;
  }
  dispose() {
    if (this._capnp === void 0) {
      return;
    }
    switch (this._capnp.type) {
      case PointerType.STRUCT: {
        this.segment.fillZeroWords(this.byteOffset, getWordLength(this._capnp.size));
        break;
      }
      case PointerType.LIST: {
        const byteLength = getListByteLength(this._capnp.elementSize, this._capnp.length, this._capnp.size);
        this.segment.fillZeroWords(this.byteOffset, byteLength);
        break;
      }
    }
    this._capnp = void 0;
  }
  [Symbol.for("nodejs.util.inspect.custom")]() {
    return format("Orphan_%d@%a,type:%s", this.segment.id, this.byteOffset, this._capnp && this._capnp.type);
  }
};
function adopt(src, p) {
  src._moveTo(p);
}
function disown(p) {
  return new Orphan(p);
}
function dump(p) {
  return bufferToHex(p.segment.buffer.slice(p.byteOffset, p.byteOffset + 8));
}
function getListByteLength(elementSize, length, compositeSize) {
  switch (elementSize) {
    case ListElementSize.BIT: {
      return padToWord$1(length + 7 >>> 3);
    }
    case ListElementSize.BYTE:
    case ListElementSize.BYTE_2:
    case ListElementSize.BYTE_4:
    case ListElementSize.BYTE_8:
    case ListElementSize.POINTER:
    case ListElementSize.VOID: {
      return padToWord$1(getListElementByteLength(elementSize) * length);
    }
    /* istanbul ignore next */
    case ListElementSize.COMPOSITE: {
      if (compositeSize === void 0) {
        throw new Error(format(PTR_INVALID_LIST_SIZE, Number.NaN));
      }
      return length * padToWord$1(getByteLength(compositeSize));
    }
    /* istanbul ignore next */
    default: {
      throw new Error(PTR_INVALID_LIST_SIZE);
    }
  }
}
function getListElementByteLength(elementSize) {
  switch (elementSize) {
    /* istanbul ignore next */
    case ListElementSize.BIT: {
      return Number.NaN;
    }
    case ListElementSize.BYTE: {
      return 1;
    }
    case ListElementSize.BYTE_2: {
      return 2;
    }
    case ListElementSize.BYTE_4: {
      return 4;
    }
    case ListElementSize.BYTE_8:
    case ListElementSize.POINTER: {
      return 8;
    }
    /* istanbul ignore next */
    case ListElementSize.COMPOSITE: {
      return Number.NaN;
    }
    /* istanbul ignore next */
    case ListElementSize.VOID: {
      return 0;
    }
    /* istanbul ignore next */
    default: {
      throw new Error(format(PTR_INVALID_LIST_SIZE, elementSize));
    }
  }
}
function add(offset, p) {
  return new Pointer(p.segment, p.byteOffset + offset, p._capnp.depthLimit);
}
function copyFrom(src, p) {
  if (p.segment === src.segment && p.byteOffset === src.byteOffset) {
    return;
  }
  erase(p);
  if (isNull(src)) return;
  switch (getTargetPointerType(src)) {
    case PointerType.STRUCT: {
      copyFromStruct(src, p);
      break;
    }
    case PointerType.LIST: {
      copyFromList(src, p);
      break;
    }
    case PointerType.OTHER: {
      copyFromInterface(src, p);
      break;
    }
    /* istanbul ignore next */
    default: {
      throw new Error(format(PTR_INVALID_POINTER_TYPE, getTargetPointerType(p)));
    }
  }
}
function erase(p) {
  if (isNull(p)) return;
  let c;
  switch (getTargetPointerType(p)) {
    case PointerType.STRUCT: {
      const size = getTargetStructSize(p);
      c = getContent(p);
      c.segment.fillZeroWords(c.byteOffset, size.dataByteLength / 8);
      for (let i = 0; i < size.pointerLength; i++) {
        erase(add(i * 8, c));
      }
      break;
    }
    case PointerType.LIST: {
      const elementSize = getTargetListElementSize(p);
      const length = getTargetListLength(p);
      let contentWords = padToWord$1(length * getListElementByteLength(elementSize));
      c = getContent(p);
      if (elementSize === ListElementSize.POINTER) {
        for (let i = 0; i < length; i++) {
          erase(new Pointer(c.segment, c.byteOffset + i * 8, p._capnp.depthLimit - 1));
        }
        break;
      } else if (elementSize === ListElementSize.COMPOSITE) {
        const tag = add(-8, c);
        const compositeSize = getStructSize(tag);
        const compositeByteLength = getByteLength(compositeSize);
        contentWords = getOffsetWords(tag);
        c.segment.setWordZero(c.byteOffset - 8);
        for (let i = 0; i < length; i++) {
          for (let j = 0; j < compositeSize.pointerLength; j++) {
            erase(new Pointer(c.segment, c.byteOffset + i * compositeByteLength + j * 8, p._capnp.depthLimit - 1));
          }
        }
      }
      c.segment.fillZeroWords(c.byteOffset, contentWords);
      break;
    }
    case PointerType.OTHER: {
      break;
    }
    default: {
      throw new Error(format(PTR_INVALID_POINTER_TYPE, getTargetPointerType(p)));
    }
  }
  erasePointer(p);
}
function erasePointer(p) {
  if (getPointerType(p) === PointerType.FAR) {
    const landingPad = followFar(p);
    if (isDoubleFar(p)) {
      landingPad.segment.setWordZero(landingPad.byteOffset + 8);
    }
    landingPad.segment.setWordZero(landingPad.byteOffset);
  }
  p.segment.setWordZero(p.byteOffset);
}
function followFar(p) {
  const targetSegment = p.segment.message.getSegment(p.segment.getUint32(p.byteOffset + 4));
  const targetWordOffset = p.segment.getUint32(p.byteOffset) >>> 3;
  return new Pointer(targetSegment, targetWordOffset * 8, p._capnp.depthLimit - 1);
}
function followFars(p) {
  if (getPointerType(p) === PointerType.FAR) {
    const landingPad = followFar(p);
    if (isDoubleFar(p)) {
      landingPad.byteOffset += 8;
    }
    return landingPad;
  }
  return p;
}
function getCapabilityId(p) {
  return p.segment.getUint32(p.byteOffset + 4);
}
function isCompositeList(p) {
  return getTargetPointerType(p) === PointerType.LIST && getTargetListElementSize(p) === ListElementSize.COMPOSITE;
}
function getContent(p, ignoreCompositeIndex) {
  let c;
  if (isDoubleFar(p)) {
    const landingPad = followFar(p);
    c = new Pointer(p.segment.message.getSegment(getFarSegmentId(landingPad)), getOffsetWords(landingPad) * 8);
  } else {
    const target = followFars(p);
    c = new Pointer(target.segment, target.byteOffset + 8 + getOffsetWords(target) * 8);
  }
  if (isCompositeList(p)) {
    c.byteOffset += 8;
  }
  if (!ignoreCompositeIndex && p._capnp.compositeIndex !== void 0) {
    c.byteOffset -= 8;
    c.byteOffset += 8 + p._capnp.compositeIndex * getByteLength(padToWord(getStructSize(c)));
  }
  return c;
}
function getFarSegmentId(p) {
  return p.segment.getUint32(p.byteOffset + 4);
}
function getListElementSize(p) {
  return p.segment.getUint32(p.byteOffset + 4) & LIST_SIZE_MASK;
}
function getListLength(p) {
  return p.segment.getUint32(p.byteOffset + 4) >>> 3;
}
function getOffsetWords(p) {
  const o = p.segment.getInt32(p.byteOffset);
  return o & 2 ? o >> 3 : o >> 2;
}
function getPointerType(p) {
  return p.segment.getUint32(p.byteOffset) & POINTER_TYPE_MASK;
}
function getStructDataWords(p) {
  return p.segment.getUint16(p.byteOffset + 4);
}
function getStructPointerLength(p) {
  return p.segment.getUint16(p.byteOffset + 6);
}
function getStructSize(p) {
  return new ObjectSize(getStructDataWords(p) * 8, getStructPointerLength(p));
}
function getTargetCompositeListTag(p) {
  const c = getContent(p);
  c.byteOffset -= 8;
  return c;
}
function getTargetCompositeListSize(p) {
  return getStructSize(getTargetCompositeListTag(p));
}
function getTargetListElementSize(p) {
  return getListElementSize(followFars(p));
}
function getTargetListLength(p) {
  const t = followFars(p);
  if (getListElementSize(t) === ListElementSize.COMPOSITE) {
    return getOffsetWords(getTargetCompositeListTag(p));
  }
  return getListLength(t);
}
function getTargetPointerType(p) {
  const t = getPointerType(followFars(p));
  if (t === PointerType.FAR) {
    throw new Error(format(PTR_INVALID_FAR_TARGET, p));
  }
  return t;
}
function getTargetStructSize(p) {
  return getStructSize(followFars(p));
}
function initPointer(contentSegment, contentOffset, p) {
  if (p.segment !== contentSegment) {
    if (!contentSegment.hasCapacity(8)) {
      const landingPad2 = p.segment.allocate(16);
      setFarPointer(true, landingPad2.byteOffset / 8, landingPad2.segment.id, p);
      setFarPointer(false, contentOffset / 8, contentSegment.id, landingPad2);
      landingPad2.byteOffset += 8;
      return new PointerAllocationResult(landingPad2, 0);
    }
    const landingPad = contentSegment.allocate(8);
    if (landingPad.segment.id !== contentSegment.id) {
      throw new Error(INVARIANT_UNREACHABLE_CODE);
    }
    setFarPointer(false, landingPad.byteOffset / 8, landingPad.segment.id, p);
    return new PointerAllocationResult(landingPad, (contentOffset - landingPad.byteOffset - 8) / 8);
  }
  return new PointerAllocationResult(p, (contentOffset - p.byteOffset - 8) / 8);
}
function isDoubleFar(p) {
  return getPointerType(p) === PointerType.FAR && (p.segment.getUint32(p.byteOffset) & POINTER_DOUBLE_FAR_MASK) !== 0;
}
function isNull(p) {
  return p.segment.isWordZero(p.byteOffset);
}
function relocateTo(dst, src) {
  const t = followFars(src);
  const lo = t.segment.getUint8(t.byteOffset) & 3;
  const hi = t.segment.getUint32(t.byteOffset + 4);
  erase(dst);
  const res = initPointer(t.segment, t.byteOffset + 8 + getOffsetWords(t) * 8, dst);
  res.pointer.segment.setUint32(res.pointer.byteOffset, lo | res.offsetWords << 2);
  res.pointer.segment.setUint32(res.pointer.byteOffset + 4, hi);
  erasePointer(src);
}
function setFarPointer(doubleFar, offsetWords, segmentId, p) {
  const A = PointerType.FAR;
  const B = doubleFar ? 1 : 0;
  const C = offsetWords;
  const D = segmentId;
  p.segment.setUint32(p.byteOffset, A | B << 2 | C << 3);
  p.segment.setUint32(p.byteOffset + 4, D);
}
function setInterfacePointer(capId, p) {
  p.segment.setUint32(p.byteOffset, PointerType.OTHER);
  p.segment.setUint32(p.byteOffset + 4, capId);
}
function getInterfacePointer(p) {
  return p.segment.getUint32(p.byteOffset + 4);
}
function setListPointer(offsetWords, size, length, p, compositeSize) {
  const A = PointerType.LIST;
  const B = offsetWords;
  const C = size;
  let D = length;
  if (size === ListElementSize.COMPOSITE) {
    if (compositeSize === void 0) {
      throw new TypeError(TYPE_COMPOSITE_SIZE_UNDEFINED);
    }
    D *= getWordLength(compositeSize);
  }
  p.segment.setUint32(p.byteOffset, A | B << 2);
  p.segment.setUint32(p.byteOffset + 4, C | D << 3);
}
function setStructPointer(offsetWords, size, p) {
  const A = PointerType.STRUCT;
  const B = offsetWords;
  const C = getDataWordLength(size);
  const D = size.pointerLength;
  p.segment.setUint32(p.byteOffset, A | B << 2);
  p.segment.setUint16(p.byteOffset + 4, C);
  p.segment.setUint16(p.byteOffset + 6, D);
}
function validate(pointerType, p, elementSize) {
  if (isNull(p)) {
    return;
  }
  const t = followFars(p);
  const A = t.segment.getUint32(t.byteOffset) & POINTER_TYPE_MASK;
  if (A !== pointerType) {
    throw new Error(format(PTR_WRONG_POINTER_TYPE, p, pointerType));
  }
  if (elementSize !== void 0) {
    const C = t.segment.getUint32(t.byteOffset + 4) & LIST_SIZE_MASK;
    if (C !== elementSize) {
      throw new Error(format(PTR_WRONG_LIST_TYPE, p, ListElementSize[elementSize]));
    }
  }
}
function copyFromInterface(src, dst) {
  const srcCapId = getInterfacePointer(src);
  if (srcCapId < 0) {
    return;
  }
  const srcCapTable = src.segment.message._capnp.capTable;
  if (!srcCapTable) {
    return;
  }
  const client = srcCapTable[srcCapId];
  if (!client) {
    return;
  }
  const dstCapId = dst.segment.message.addCap(client);
  setInterfacePointer(dstCapId, dst);
}
function copyFromList(src, dst) {
  if (dst._capnp.depthLimit <= 0) {
    throw new Error(PTR_DEPTH_LIMIT_EXCEEDED);
  }
  const srcContent = getContent(src);
  const srcElementSize = getTargetListElementSize(src);
  const srcLength = getTargetListLength(src);
  let srcCompositeSize;
  let srcStructByteLength;
  let dstContent;
  if (srcElementSize === ListElementSize.POINTER) {
    dstContent = dst.segment.allocate(srcLength << 3);
    for (let i = 0; i < srcLength; i++) {
      const srcPtr = new Pointer(srcContent.segment, srcContent.byteOffset + (i << 3), src._capnp.depthLimit - 1);
      const dstPtr = new Pointer(dstContent.segment, dstContent.byteOffset + (i << 3), dst._capnp.depthLimit - 1);
      copyFrom(srcPtr, dstPtr);
    }
  } else if (srcElementSize === ListElementSize.COMPOSITE) {
    srcCompositeSize = padToWord(getTargetCompositeListSize(src));
    srcStructByteLength = getByteLength(srcCompositeSize);
    dstContent = dst.segment.allocate(getByteLength(srcCompositeSize) * srcLength + 8);
    dstContent.segment.copyWord(dstContent.byteOffset, srcContent.segment, srcContent.byteOffset - 8);
    if (srcCompositeSize.dataByteLength > 0) {
      const wordLength = getWordLength(srcCompositeSize) * srcLength;
      dstContent.segment.copyWords(dstContent.byteOffset + 8, srcContent.segment, srcContent.byteOffset, wordLength);
    }
    for (let i = 0; i < srcLength; i++) {
      for (let j = 0; j < srcCompositeSize.pointerLength; j++) {
        const offset = i * srcStructByteLength + srcCompositeSize.dataByteLength + (j << 3);
        const srcPtr = new Pointer(srcContent.segment, srcContent.byteOffset + offset, src._capnp.depthLimit - 1);
        const dstPtr = new Pointer(dstContent.segment, dstContent.byteOffset + offset + 8, dst._capnp.depthLimit - 1);
        copyFrom(srcPtr, dstPtr);
      }
    }
  } else {
    const byteLength = padToWord$1(srcElementSize === ListElementSize.BIT ? srcLength + 7 >>> 3 : getListElementByteLength(srcElementSize) * srcLength);
    const wordLength = byteLength >>> 3;
    dstContent = dst.segment.allocate(byteLength);
    dstContent.segment.copyWords(dstContent.byteOffset, srcContent.segment, srcContent.byteOffset, wordLength);
  }
  const res = initPointer(dstContent.segment, dstContent.byteOffset, dst);
  setListPointer(res.offsetWords, srcElementSize, srcLength, res.pointer, srcCompositeSize);
}
function copyFromStruct(src, dst) {
  if (dst._capnp.depthLimit <= 0) {
    throw new Error(PTR_DEPTH_LIMIT_EXCEEDED);
  }
  const srcContent = getContent(src);
  const srcSize = getTargetStructSize(src);
  const srcDataWordLength = getDataWordLength(srcSize);
  const dstContent = dst.segment.allocate(getByteLength(srcSize));
  dstContent.segment.copyWords(dstContent.byteOffset, srcContent.segment, srcContent.byteOffset, srcDataWordLength);
  for (let i = 0; i < srcSize.pointerLength; i++) {
    const offset = srcSize.dataByteLength + i * 8;
    const srcPtr = new Pointer(srcContent.segment, srcContent.byteOffset + offset, src._capnp.depthLimit - 1);
    const dstPtr = new Pointer(dstContent.segment, dstContent.byteOffset + offset, dst._capnp.depthLimit - 1);
    copyFrom(srcPtr, dstPtr);
  }
  if (dst._capnp.compositeList) {
    return;
  }
  const res = initPointer(dstContent.segment, dstContent.byteOffset, dst);
  setStructPointer(res.offsetWords, srcSize, res.pointer);
}
function trackPointerAllocation(message, p) {
  message._capnp.traversalLimit -= 8;
  if (message._capnp.traversalLimit <= 0) {
    throw new Error(format(PTR_TRAVERSAL_LIMIT_EXCEEDED, p));
  }
}
var PointerAllocationResult = class {
  constructor(pointer, offsetWords) {
    this.pointer = pointer;
    this.offsetWords = offsetWords;
  }
};
var PointerType = /* @__PURE__ */ ((PointerType2) => {
  PointerType2[PointerType2["STRUCT"] = 0] = "STRUCT";
  PointerType2[PointerType2["LIST"] = 1] = "LIST";
  PointerType2[PointerType2["FAR"] = 2] = "FAR";
  PointerType2[PointerType2["OTHER"] = 3] = "OTHER";
  return PointerType2;
})(PointerType || {});
var Pointer = class {
  static _capnp = {
    displayName: "Pointer"
  };
  _capnp;
  /** Offset, in bytes, from the start of the segment to the beginning of this pointer. */
  byteOffset;
  /**
   * The starting segment for this pointer's data. In the case of a far pointer, the actual content this pointer is
   * referencing will be in another segment within the same message.
   */
  segment;
  constructor(segment, byteOffset, depthLimit = MAX_DEPTH) {
    this._capnp = {
      compositeList: false,
      depthLimit
    };
    this.segment = segment;
    this.byteOffset = byteOffset;
    if (depthLimit < 1) {
      throw new Error(format(PTR_DEPTH_LIMIT_EXCEEDED, this));
    }
    trackPointerAllocation(segment.message, this);
    if (byteOffset < 0 || byteOffset > segment.byteLength) {
      throw new Error(format(PTR_OFFSET_OUT_OF_BOUNDS, byteOffset));
    }
  }
  [Symbol.toStringTag]() {
    return format("Pointer_%d", this.segment.id);
  }
  toString() {
    return format("->%d@%a%s", this.segment.id, this.byteOffset, dump(this));
  }
};
var List = class _List extends Pointer {
  static _capnp = {
    displayName: "List<Generic>",
    size: ListElementSize.VOID
  };
  constructor(segment, byteOffset, depthLimit) {
    super(segment, byteOffset, depthLimit);
    return new Proxy(this, _List.#proxyHandler);
  }
  static #proxyHandler = {
    get(target, prop, receiver) {
      const val = Reflect.get(target, prop, receiver);
      if (val !== void 0) {
        return val;
      }
      if (typeof prop === "string") {
        return target.get(+prop);
      }
    }
  };
  get length() {
    return getTargetListLength(this);
  }
  toArray() {
    const { length } = this;
    const res = Array.from({
      length
    });
    for (let i = 0; i < length; i++) {
      res[i] = this.at(i);
    }
    return res;
  }
  get(_index) {
    throw new TypeError("Cannot get from a generic list.");
  }
  set(_index, _value) {
    throw new TypeError("Cannot set on a generic list.");
  }
  at(index) {
    return this.get(index < 0 ? this.length + index : index);
  }
  concat(other) {
    const { length } = this;
    const otherLength = other.length;
    const res = Array.from({
      length: length + otherLength
    });
    for (let i = 0; i < length; i++) res[i] = this.at(i);
    for (let i = 0; i < otherLength; i++) res[i + length] = other.at(i);
    return res;
  }
  some(cb, _this) {
    for (let i = 0; i < this.length; i++) {
      if (cb.call(_this, this.at(i), i, this)) {
        return true;
      }
    }
    return false;
  }
  filter(cb, _this) {
    const res = [];
    for (let i = 0; i < this.length; i++) {
      const value = this.at(i);
      if (cb.call(_this, value, i, this)) {
        res.push(value);
      }
    }
    return res;
  }
  find(cb, _this) {
    for (let i = 0; i < this.length; i++) {
      const value = this.at(i);
      if (cb.call(_this, value, i, this)) {
        return value;
      }
    }
    return void 0;
  }
  findIndex(cb, _this) {
    for (let i = 0; i < this.length; i++) {
      const value = this.at(i);
      if (cb.call(_this, value, i, this)) {
        return i;
      }
    }
    return -1;
  }
  forEach(cb, _this) {
    for (let i = 0; i < this.length; i++) {
      cb.call(_this, this.at(i), i, this);
    }
  }
  map(cb, _this) {
    const { length } = this;
    const res = Array.from({
      length
    });
    for (let i = 0; i < length; i++) {
      res[i] = cb.call(_this, this.at(i), i, this);
    }
    return res;
  }
  flatMap(cb, _this) {
    const res = [];
    for (let i = 0; i < this.length; i++) {
      const r = cb.call(_this, this.at(i), i, this);
      res.push(...Array.isArray(r) ? r : [
        r
      ]);
    }
    return res;
  }
  every(cb, _this) {
    for (let i = 0; i < this.length; i++) {
      if (!cb.call(_this, this.at(i), i, this)) {
        return false;
      }
    }
    return true;
  }
  reduce(cb, initialValue) {
    let i = 0;
    let res;
    if (initialValue === void 0) {
      res = this.at(0);
      i++;
    } else {
      res = initialValue;
    }
    for (; i < this.length; i++) {
      res = cb(res, this.at(i), i, this);
    }
    return res;
  }
  reduceRight(cb, initialValue) {
    let i = this.length - 1;
    let res;
    if (initialValue === void 0) {
      res = this.at(i);
      i--;
    } else {
      res = initialValue;
    }
    for (; i >= 0; i--) {
      res = cb(res, this.at(i), i, this);
    }
    return res;
  }
  slice(start = 0, end) {
    const length = end ? Math.min(this.length, end) : this.length;
    const res = Array.from({
      length: length - start
    });
    for (let i = start; i < length; i++) {
      res[i] = this.at(i);
    }
    return res;
  }
  join(separator) {
    return this.toArray().join(separator);
  }
  toReversed() {
    return this.toArray().reverse();
  }
  toSorted(compareFn) {
    return this.toArray().sort(compareFn);
  }
  toSpliced(start, deleteCount, ...items) {
    return this.toArray().splice(start, deleteCount, ...items);
  }
  fill(value, start, end) {
    const { length } = this;
    const s = Math.max(start ?? 0, 0);
    const e = Math.min(end ?? length, length);
    for (let i = s; i < e; i++) {
      this.set(i, value);
    }
    return this;
  }
  copyWithin(target, start, end) {
    const { length } = this;
    const e = end ?? length;
    const s = start < 0 ? Math.max(length + start, 0) : start;
    const t = target < 0 ? Math.max(length + target, 0) : target;
    const len = Math.min(e - s, length - t);
    for (let i = 0; i < len; i++) {
      this.set(t + i, this.at(s + i));
    }
    return this;
  }
  keys() {
    return Array.from({
      length: this.length
    }, (_, i) => i)[Symbol.iterator]();
  }
  values() {
    return this.toArray().values();
  }
  entries() {
    return this.toArray().entries();
  }
  flat(depth) {
    return this.toArray().flat(depth);
  }
  with(index, value) {
    return this.toArray().with(index, value);
  }
  includes(_searchElement, _fromIndex) {
    throw new Error(LIST_NO_SEARCH);
  }
  findLast(_cb, _thisArg) {
    throw new Error(LIST_NO_SEARCH);
  }
  findLastIndex(_cb, _t) {
    throw new Error(LIST_NO_SEARCH);
  }
  indexOf(_searchElement, _fromIndex) {
    throw new Error(LIST_NO_SEARCH);
  }
  lastIndexOf(_searchElement, _fromIndex) {
    throw new Error(LIST_NO_SEARCH);
  }
  pop() {
    throw new Error(LIST_NO_MUTABLE);
  }
  push(..._items) {
    throw new Error(LIST_NO_MUTABLE);
  }
  reverse() {
    throw new Error(LIST_NO_MUTABLE);
  }
  shift() {
    throw new Error(LIST_NO_MUTABLE);
  }
  unshift(..._items) {
    throw new Error(LIST_NO_MUTABLE);
  }
  splice(_start, _deleteCount, ..._rest) {
    throw new Error(LIST_NO_MUTABLE);
  }
  sort(_fn) {
    throw new Error(LIST_NO_MUTABLE);
  }
  get [Symbol.unscopables]() {
    return Array.prototype[Symbol.unscopables];
  }
  [Symbol.iterator]() {
    return this.values();
  }
  toJSON() {
    return this.toArray();
  }
  toString() {
    return this.join(",");
  }
  toLocaleString(_locales, _options) {
    return this.toString();
  }
  [Symbol.toStringTag]() {
    return "[object Array]";
  }
  static [Symbol.toStringTag]() {
    return this._capnp.displayName;
  }
};
function initList$1(elementSize, length, list, compositeSize) {
  let c;
  switch (elementSize) {
    case ListElementSize.BIT: {
      c = list.segment.allocate(Math.ceil(length / 8));
      break;
    }
    case ListElementSize.BYTE:
    case ListElementSize.BYTE_2:
    case ListElementSize.BYTE_4:
    case ListElementSize.BYTE_8:
    case ListElementSize.POINTER: {
      c = list.segment.allocate(length * getListElementByteLength(elementSize));
      break;
    }
    case ListElementSize.COMPOSITE: {
      if (compositeSize === void 0) {
        throw new Error(format(PTR_COMPOSITE_SIZE_UNDEFINED));
      }
      compositeSize = padToWord(compositeSize);
      const byteLength = getByteLength(compositeSize) * length;
      c = list.segment.allocate(byteLength + 8);
      setStructPointer(length, compositeSize, c);
      break;
    }
    case ListElementSize.VOID: {
      setListPointer(0, elementSize, length, list);
      return;
    }
    default: {
      throw new Error(format(PTR_INVALID_LIST_SIZE, elementSize));
    }
  }
  const res = initPointer(c.segment, c.byteOffset, list);
  setListPointer(res.offsetWords, elementSize, length, res.pointer, compositeSize);
}
var Data = class extends List {
  static fromPointer(pointer) {
    validate(PointerType.LIST, pointer, ListElementSize.BYTE);
    return this._fromPointerUnchecked(pointer);
  }
  static _fromPointerUnchecked(pointer) {
    return new this(pointer.segment, pointer.byteOffset, pointer._capnp.depthLimit);
  }
  /**
   * Copy the contents of `src` into this Data pointer. If `src` is smaller than the length of this pointer then the
   * remaining bytes will be zeroed out. Extra bytes in `src` are ignored.
   *
   * @param src The source buffer.
   */
  // TODO: Would be nice to have a way to zero-copy a buffer by allocating a new segment into the message with that
  // buffer data.
  copyBuffer(src) {
    const c = getContent(this);
    const dstLength = this.length;
    const srcLength = src.byteLength;
    const i = src instanceof ArrayBuffer ? new Uint8Array(src) : new Uint8Array(src.buffer, src.byteOffset, Math.min(dstLength, srcLength));
    const o = new Uint8Array(c.segment.buffer, c.byteOffset, this.length);
    o.set(i);
    if (dstLength > srcLength) {
      o.fill(0, srcLength, dstLength);
    }
  }
  /**
   * Read a byte from the specified offset.
   *
   * @param byteOffset The byte offset to read.
   * @returns The byte value.
   */
  get(byteOffset) {
    const c = getContent(this);
    return c.segment.getUint8(c.byteOffset + byteOffset);
  }
  /**
   * Write a byte at the specified offset.
   *
   * @param byteOffset The byte offset to set.
   * @param value The byte value to set.
   */
  set(byteOffset, value) {
    const c = getContent(this);
    c.segment.setUint8(c.byteOffset + byteOffset, value);
  }
  /**
   * Creates a **copy** of the underlying buffer data and returns it as an ArrayBuffer.
   *
   * To obtain a reference to the underlying buffer instead, use `toUint8Array()` or `toDataView()`.
   *
   * @returns A copy of this data buffer.
   */
  toArrayBuffer() {
    const c = getContent(this);
    return c.segment.buffer.slice(c.byteOffset, c.byteOffset + this.length);
  }
  /**
   * Convert this Data pointer to a DataView representing the pointer's contents.
   *
   * WARNING: The DataView references memory from a message segment, so do not venture outside the bounds of the
   * DataView or else BAD THINGS.
   *
   * @returns A live reference to the underlying buffer.
   */
  toDataView() {
    const c = getContent(this);
    return new DataView(c.segment.buffer, c.byteOffset, this.length);
  }
  [Symbol.toStringTag]() {
    return `Data_${super.toString()}`;
  }
  /**
   * Convert this Data pointer to a Uint8Array representing the pointer's contents.
   *
   * WARNING: The Uint8Array references memory from a message segment, so do not venture outside the bounds of the
   * Uint8Array or else BAD THINGS.
   *
   * @returns A live reference to the underlying buffer.
   */
  toUint8Array() {
    const c = getContent(this);
    return new Uint8Array(c.segment.buffer, c.byteOffset, this.length);
  }
};
var textEncoder = new TextEncoder();
var textDecoder = new TextDecoder();
var Text = class extends List {
  static fromPointer(pointer) {
    validate(PointerType.LIST, pointer, ListElementSize.BYTE);
    return textFromPointerUnchecked(pointer);
  }
  /**
   * Read a utf-8 encoded string value from this pointer.
   *
   * @param index The index at which to start reading; defaults to zero.
   * @returns The string value.
   */
  get(index = 0) {
    if (isNull(this)) {
      return "";
    }
    const c = getContent(this);
    return textDecoder.decode(new Uint8Array(c.segment.buffer, c.byteOffset + index, this.length - index));
  }
  /**
   * Get the number of utf-8 encoded bytes in this text. This does **not** include the NUL byte.
   *
   * @returns The number of bytes allocated for the text.
   */
  get length() {
    return super.length - 1;
  }
  /**
   * Write a utf-8 encoded string value starting at the specified index.
   *
   * @param index The index at which to start copying the string. Note that if this is not zero the bytes
   * before `index` will be left as-is. All bytes after `index` will be overwritten.
   * @param value The string value to set.
   */
  set(index, value) {
    const src = textEncoder.encode(value);
    const dstLength = src.byteLength + index;
    let c;
    let original;
    if (!isNull(this)) {
      c = getContent(this);
      const originalLength = Math.min(this.length, index);
      original = new Uint8Array(c.segment.buffer.slice(c.byteOffset, c.byteOffset + originalLength));
      erase(this);
    }
    initList$1(ListElementSize.BYTE, dstLength + 1, this);
    c = getContent(this);
    const dst = new Uint8Array(c.segment.buffer, c.byteOffset, dstLength);
    if (original) {
      dst.set(original);
    }
    dst.set(src, index);
  }
  toString() {
    return this.get();
  }
  toJSON() {
    return this.get();
  }
  [Symbol.toPrimitive]() {
    return this.get();
  }
  [Symbol.toStringTag]() {
    return `Text_${super.toString()}`;
  }
};
function textFromPointerUnchecked(pointer) {
  return new Text(pointer.segment, pointer.byteOffset, pointer._capnp.depthLimit);
}
var Struct = class extends Pointer {
  static _capnp = {
    displayName: "Struct"
  };
  /**
   * Create a new pointer to a struct.
   *
   * @param segment The segment the pointer resides in.
   * @param byteOffset The offset from the beginning of the segment to the beginning of the pointer data.
   * @param depthLimit The nesting depth limit for this object.
   * @param compositeIndex If set, then this pointer is actually a reference to a composite list
   * (`this._getPointerTargetType() === PointerType.LIST`), and this number is used as the index of the struct within
   * the list. It is not valid to call `initStruct()` on a composite struct – the struct contents are initialized when
   * the list pointer is initialized.
   */
  constructor(segment, byteOffset, depthLimit = MAX_DEPTH, compositeIndex) {
    super(segment, byteOffset, depthLimit);
    this._capnp.compositeIndex = compositeIndex;
    this._capnp.compositeList = compositeIndex !== void 0;
  }
  static [Symbol.toStringTag]() {
    return this._capnp.displayName;
  }
  [Symbol.toStringTag]() {
    return `Struct_${super.toString()}${this._capnp.compositeIndex === void 0 ? "" : `,ci:${this._capnp.compositeIndex}`} > ${getContent(this).toString()}`;
  }
};
var AnyStruct = class extends Struct {
  static _capnp = {
    displayName: "AnyStruct",
    id: "0",
    size: new ObjectSize(0, 0)
  };
};
var FixedAnswer = class {
  struct() {
    return Promise.resolve(this.structSync());
  }
};
var ErrorAnswer = class extends FixedAnswer {
  constructor(err) {
    super();
    this.err = err;
  }
  structSync() {
    throw this.err;
  }
  pipelineCall(_transform, _call) {
    return this;
  }
  pipelineClose(_transform) {
    throw this.err;
  }
};
var ErrorClient = class {
  constructor(err) {
    this.err = err;
  }
  call(_call) {
    return new ErrorAnswer(this.err);
  }
  close() {
    throw this.err;
  }
};
function clientOrNull(client) {
  return client ?? new ErrorClient(new Error(RPC_NULL_CLIENT));
}
var TMP_WORD = new DataView(new ArrayBuffer(8));
function initStruct(size, s) {
  if (s._capnp.compositeIndex !== void 0) {
    throw new Error(format(PTR_INIT_COMPOSITE_STRUCT, s));
  }
  erase(s);
  const c = s.segment.allocate(getByteLength(size));
  const res = initPointer(c.segment, c.byteOffset, s);
  setStructPointer(res.offsetWords, size, res.pointer);
}
function initStructAt(index, StructClass, p) {
  const s = getPointerAs(index, StructClass, p);
  initStruct(StructClass._capnp.size, s);
  return s;
}
function checkPointerBounds(index, s) {
  const { pointerLength } = getSize(s);
  if (index < 0 || index >= pointerLength) {
    throw new Error(format(PTR_STRUCT_POINTER_OUT_OF_BOUNDS, s, index, pointerLength));
  }
}
function getInterfaceClientOrNullAt(index, s) {
  return getInterfaceClientOrNull(getPointer(index, s));
}
function getInterfaceClientOrNull(p) {
  let client = null;
  const capId = getInterfacePointer(p);
  const { capTable } = p.segment.message._capnp;
  if (capTable && capId >= 0 && capId < capTable.length) {
    client = capTable[capId];
  }
  return clientOrNull(client);
}
function resize(dstSize, s) {
  const srcSize = getSize(s);
  const srcContent = getContent(s);
  const dstContent = s.segment.allocate(getByteLength(dstSize));
  dstContent.segment.copyWords(dstContent.byteOffset, srcContent.segment, srcContent.byteOffset, Math.min(getDataWordLength(srcSize), getDataWordLength(dstSize)));
  const res = initPointer(dstContent.segment, dstContent.byteOffset, s);
  setStructPointer(res.offsetWords, dstSize, res.pointer);
  for (let i = 0; i < Math.min(srcSize.pointerLength, dstSize.pointerLength); i++) {
    const srcPtr = new Pointer(srcContent.segment, srcContent.byteOffset + srcSize.dataByteLength + i * 8);
    if (isNull(srcPtr)) {
      continue;
    }
    const srcPtrTarget = followFars(srcPtr);
    const srcPtrContent = getContent(srcPtr);
    const dstPtr = new Pointer(dstContent.segment, dstContent.byteOffset + dstSize.dataByteLength + i * 8);
    if (getTargetPointerType(srcPtr) === PointerType.LIST && getTargetListElementSize(srcPtr) === ListElementSize.COMPOSITE) {
      srcPtrContent.byteOffset -= 8;
    }
    const r = initPointer(srcPtrContent.segment, srcPtrContent.byteOffset, dstPtr);
    const a = srcPtrTarget.segment.getUint8(srcPtrTarget.byteOffset) & 3;
    const b = srcPtrTarget.segment.getUint32(srcPtrTarget.byteOffset + 4);
    r.pointer.segment.setUint32(r.pointer.byteOffset, a | r.offsetWords << 2);
    r.pointer.segment.setUint32(r.pointer.byteOffset + 4, b);
  }
  srcContent.segment.fillZeroWords(srcContent.byteOffset, getWordLength(srcSize));
}
function getAs(StructClass, s) {
  return new StructClass(s.segment, s.byteOffset, s._capnp.depthLimit, s._capnp.compositeIndex);
}
function getBit(bitOffset, s, defaultMask) {
  const byteOffset = Math.floor(bitOffset / 8);
  const bitMask = 1 << bitOffset % 8;
  checkDataBounds(byteOffset, 1, s);
  const ds = getDataSection(s);
  const v = ds.segment.getUint8(ds.byteOffset + byteOffset);
  if (defaultMask === void 0) {
    return (v & bitMask) !== 0;
  }
  const defaultValue = defaultMask.getUint8(0);
  return ((v ^ defaultValue) & bitMask) !== 0;
}
function getData(index, s, defaultValue) {
  checkPointerBounds(index, s);
  const ps = getPointerSection(s);
  ps.byteOffset += index * 8;
  const l = new Data(ps.segment, ps.byteOffset, s._capnp.depthLimit - 1);
  if (isNull(l)) {
    if (defaultValue) {
      copyFrom(defaultValue, l);
    } else {
      initList$1(ListElementSize.BYTE, 0, l);
    }
  }
  return l;
}
function getDataSection(s) {
  return getContent(s);
}
function getFloat32(byteOffset, s, defaultMask) {
  checkDataBounds(byteOffset, 4, s);
  const ds = getDataSection(s);
  if (defaultMask === void 0) {
    return ds.segment.getFloat32(ds.byteOffset + byteOffset);
  }
  const v = ds.segment.getUint32(ds.byteOffset + byteOffset) ^ defaultMask.getUint32(0, true);
  TMP_WORD.setUint32(0, v, NATIVE_LITTLE_ENDIAN);
  return TMP_WORD.getFloat32(0, NATIVE_LITTLE_ENDIAN);
}
function getFloat64(byteOffset, s, defaultMask) {
  checkDataBounds(byteOffset, 8, s);
  const ds = getDataSection(s);
  if (defaultMask !== void 0) {
    const lo = ds.segment.getUint32(ds.byteOffset + byteOffset) ^ defaultMask.getUint32(0, true);
    const hi = ds.segment.getUint32(ds.byteOffset + byteOffset + 4) ^ defaultMask.getUint32(4, true);
    TMP_WORD.setUint32(0, lo, NATIVE_LITTLE_ENDIAN);
    TMP_WORD.setUint32(4, hi, NATIVE_LITTLE_ENDIAN);
    return TMP_WORD.getFloat64(0, NATIVE_LITTLE_ENDIAN);
  }
  return ds.segment.getFloat64(ds.byteOffset + byteOffset);
}
function getInt16(byteOffset, s, defaultMask) {
  checkDataBounds(byteOffset, 2, s);
  const ds = getDataSection(s);
  if (defaultMask === void 0) {
    return ds.segment.getInt16(ds.byteOffset + byteOffset);
  }
  const v = ds.segment.getUint16(ds.byteOffset + byteOffset) ^ defaultMask.getUint16(0, true);
  TMP_WORD.setUint16(0, v, NATIVE_LITTLE_ENDIAN);
  return TMP_WORD.getInt16(0, NATIVE_LITTLE_ENDIAN);
}
function getInt32(byteOffset, s, defaultMask) {
  checkDataBounds(byteOffset, 4, s);
  const ds = getDataSection(s);
  if (defaultMask === void 0) {
    return ds.segment.getInt32(ds.byteOffset + byteOffset);
  }
  const v = ds.segment.getUint32(ds.byteOffset + byteOffset) ^ defaultMask.getUint16(0, true);
  TMP_WORD.setUint32(0, v, NATIVE_LITTLE_ENDIAN);
  return TMP_WORD.getInt32(0, NATIVE_LITTLE_ENDIAN);
}
function getInt64(byteOffset, s, defaultMask) {
  checkDataBounds(byteOffset, 8, s);
  const ds = getDataSection(s);
  if (defaultMask !== void 0) {
    const lo = ds.segment.getUint32(ds.byteOffset + byteOffset) ^ defaultMask.getUint32(0, true);
    const hi = ds.segment.getUint32(ds.byteOffset + byteOffset + 4) ^ defaultMask.getUint32(4, true);
    TMP_WORD.setUint32(NATIVE_LITTLE_ENDIAN ? 0 : 4, lo, NATIVE_LITTLE_ENDIAN);
    TMP_WORD.setUint32(NATIVE_LITTLE_ENDIAN ? 4 : 0, hi, NATIVE_LITTLE_ENDIAN);
    return TMP_WORD.getBigInt64(0, NATIVE_LITTLE_ENDIAN);
  }
  return ds.segment.getInt64(ds.byteOffset + byteOffset);
}
function getInt8(byteOffset, s, defaultMask) {
  checkDataBounds(byteOffset, 1, s);
  const ds = getDataSection(s);
  if (defaultMask === void 0) {
    return ds.segment.getInt8(ds.byteOffset + byteOffset);
  }
  const v = ds.segment.getUint8(ds.byteOffset + byteOffset) ^ defaultMask.getUint8(0);
  TMP_WORD.setUint8(0, v);
  return TMP_WORD.getInt8(0);
}
function getList(index, ListClass, s, defaultValue) {
  checkPointerBounds(index, s);
  const ps = getPointerSection(s);
  ps.byteOffset += index * 8;
  const l = new ListClass(ps.segment, ps.byteOffset, s._capnp.depthLimit - 1);
  if (isNull(l)) {
    if (defaultValue) {
      copyFrom(defaultValue, l);
    } else {
      initList$1(ListClass._capnp.size, 0, l, ListClass._capnp.compositeSize);
    }
  } else if (ListClass._capnp.compositeSize !== void 0) {
    const srcSize = getTargetCompositeListSize(l);
    const dstSize = ListClass._capnp.compositeSize;
    if (dstSize.dataByteLength > srcSize.dataByteLength || dstSize.pointerLength > srcSize.pointerLength) {
      const srcContent = getContent(l);
      const srcLength = getTargetListLength(l);
      const dstContent = l.segment.allocate(getByteLength(dstSize) * srcLength + 8);
      const res = initPointer(dstContent.segment, dstContent.byteOffset, l);
      setListPointer(res.offsetWords, ListClass._capnp.size, srcLength, res.pointer, dstSize);
      setStructPointer(srcLength, dstSize, dstContent);
      dstContent.byteOffset += 8;
      for (let i = 0; i < srcLength; i++) {
        const srcElementOffset = srcContent.byteOffset + i * getByteLength(srcSize);
        const dstElementOffset = dstContent.byteOffset + i * getByteLength(dstSize);
        dstContent.segment.copyWords(dstElementOffset, srcContent.segment, srcElementOffset, getWordLength(srcSize));
        for (let j = 0; j < srcSize.pointerLength; j++) {
          const srcPtr = new Pointer(srcContent.segment, srcElementOffset + srcSize.dataByteLength + j * 8);
          const dstPtr = new Pointer(dstContent.segment, dstElementOffset + dstSize.dataByteLength + j * 8);
          const srcPtrTarget = followFars(srcPtr);
          const srcPtrContent = getContent(srcPtr);
          if (getTargetPointerType(srcPtr) === PointerType.LIST && getTargetListElementSize(srcPtr) === ListElementSize.COMPOSITE) {
            srcPtrContent.byteOffset -= 8;
          }
          const r = initPointer(srcPtrContent.segment, srcPtrContent.byteOffset, dstPtr);
          const a = srcPtrTarget.segment.getUint8(srcPtrTarget.byteOffset) & 3;
          const b = srcPtrTarget.segment.getUint32(srcPtrTarget.byteOffset + 4);
          r.pointer.segment.setUint32(r.pointer.byteOffset, a | r.offsetWords << 2);
          r.pointer.segment.setUint32(r.pointer.byteOffset + 4, b);
        }
      }
      srcContent.segment.fillZeroWords(srcContent.byteOffset, getWordLength(srcSize) * srcLength);
    }
  }
  return l;
}
function getPointer(index, s) {
  checkPointerBounds(index, s);
  const ps = getPointerSection(s);
  ps.byteOffset += index * 8;
  return new Pointer(ps.segment, ps.byteOffset, s._capnp.depthLimit - 1);
}
function getPointerAs(index, PointerClass, s) {
  checkPointerBounds(index, s);
  const ps = getPointerSection(s);
  ps.byteOffset += index * 8;
  return new PointerClass(ps.segment, ps.byteOffset, s._capnp.depthLimit - 1);
}
function getPointerSection(s) {
  const ps = getContent(s);
  ps.byteOffset += padToWord$1(getSize(s).dataByteLength);
  return ps;
}
function getSize(s) {
  if (s._capnp.compositeIndex !== void 0) {
    const c = getContent(s, true);
    c.byteOffset -= 8;
    return getStructSize(c);
  }
  return getTargetStructSize(s);
}
function getStruct(index, StructClass, s, defaultValue) {
  const t = getPointerAs(index, StructClass, s);
  if (isNull(t)) {
    if (defaultValue) {
      copyFrom(defaultValue, t);
    } else {
      initStruct(StructClass._capnp.size, t);
    }
  } else {
    validate(PointerType.STRUCT, t);
    const ts = getTargetStructSize(t);
    if (ts.dataByteLength < StructClass._capnp.size.dataByteLength || ts.pointerLength < StructClass._capnp.size.pointerLength) {
      resize(StructClass._capnp.size, t);
    }
  }
  return t;
}
function getText(index, s, defaultValue) {
  const t = Text.fromPointer(getPointer(index, s));
  if (isNull(t) && defaultValue) {
    t.set(0, defaultValue);
  }
  return t.get(0);
}
function getUint16(byteOffset, s, defaultMask) {
  checkDataBounds(byteOffset, 2, s);
  const ds = getDataSection(s);
  if (defaultMask === void 0) {
    return ds.segment.getUint16(ds.byteOffset + byteOffset);
  }
  return ds.segment.getUint16(ds.byteOffset + byteOffset) ^ defaultMask.getUint16(0, true);
}
function getUint32(byteOffset, s, defaultMask) {
  checkDataBounds(byteOffset, 4, s);
  const ds = getDataSection(s);
  if (defaultMask === void 0) {
    return ds.segment.getUint32(ds.byteOffset + byteOffset);
  }
  return ds.segment.getUint32(ds.byteOffset + byteOffset) ^ defaultMask.getUint32(0, true);
}
function getUint64(byteOffset, s, defaultMask) {
  checkDataBounds(byteOffset, 8, s);
  const ds = getDataSection(s);
  if (defaultMask !== void 0) {
    const lo = ds.segment.getUint32(ds.byteOffset + byteOffset) ^ defaultMask.getUint32(0, true);
    const hi = ds.segment.getUint32(ds.byteOffset + byteOffset + 4) ^ defaultMask.getUint32(4, true);
    TMP_WORD.setUint32(NATIVE_LITTLE_ENDIAN ? 0 : 4, lo, NATIVE_LITTLE_ENDIAN);
    TMP_WORD.setUint32(NATIVE_LITTLE_ENDIAN ? 4 : 0, hi, NATIVE_LITTLE_ENDIAN);
    return TMP_WORD.getBigUint64(0, NATIVE_LITTLE_ENDIAN);
  }
  return ds.segment.getUint64(ds.byteOffset + byteOffset);
}
function getUint8(byteOffset, s, defaultMask) {
  checkDataBounds(byteOffset, 1, s);
  const ds = getDataSection(s);
  if (defaultMask === void 0) {
    return ds.segment.getUint8(ds.byteOffset + byteOffset);
  }
  return ds.segment.getUint8(ds.byteOffset + byteOffset) ^ defaultMask.getUint8(0);
}
function initData(index, length, s) {
  checkPointerBounds(index, s);
  const ps = getPointerSection(s);
  ps.byteOffset += index * 8;
  const l = new Data(ps.segment, ps.byteOffset, s._capnp.depthLimit - 1);
  erase(l);
  initList$1(ListElementSize.BYTE, length, l);
  return l;
}
function initList(index, ListClass, length, s) {
  checkPointerBounds(index, s);
  const ps = getPointerSection(s);
  ps.byteOffset += index * 8;
  const l = new ListClass(ps.segment, ps.byteOffset, s._capnp.depthLimit - 1);
  erase(l);
  initList$1(ListClass._capnp.size, length, l, ListClass._capnp.compositeSize);
  return l;
}
function setBit(bitOffset, value, s, defaultMask) {
  const byteOffset = Math.floor(bitOffset / 8);
  const bitMask = 1 << bitOffset % 8;
  checkDataBounds(byteOffset, 1, s);
  const ds = getDataSection(s);
  const b = ds.segment.getUint8(ds.byteOffset + byteOffset);
  if (defaultMask !== void 0) {
    value = (defaultMask.getUint8(0) & bitMask) === 0 ? value : !value;
  }
  ds.segment.setUint8(ds.byteOffset + byteOffset, value ? b | bitMask : b & ~bitMask);
}
function setFloat32(byteOffset, value, s, defaultMask) {
  checkDataBounds(byteOffset, 4, s);
  const ds = getDataSection(s);
  if (defaultMask !== void 0) {
    TMP_WORD.setFloat32(0, value, NATIVE_LITTLE_ENDIAN);
    const v = TMP_WORD.getUint32(0, NATIVE_LITTLE_ENDIAN) ^ defaultMask.getUint32(0, true);
    ds.segment.setUint32(ds.byteOffset + byteOffset, v);
    return;
  }
  ds.segment.setFloat32(ds.byteOffset + byteOffset, value);
}
function setFloat64(byteOffset, value, s, defaultMask) {
  checkDataBounds(byteOffset, 8, s);
  const ds = getDataSection(s);
  if (defaultMask !== void 0) {
    TMP_WORD.setFloat64(0, value, NATIVE_LITTLE_ENDIAN);
    const lo = TMP_WORD.getUint32(0, NATIVE_LITTLE_ENDIAN) ^ defaultMask.getUint32(0, true);
    const hi = TMP_WORD.getUint32(4, NATIVE_LITTLE_ENDIAN) ^ defaultMask.getUint32(4, true);
    ds.segment.setUint32(ds.byteOffset + byteOffset, lo);
    ds.segment.setUint32(ds.byteOffset + byteOffset + 4, hi);
    return;
  }
  ds.segment.setFloat64(ds.byteOffset + byteOffset, value);
}
function setInt16(byteOffset, value, s, defaultMask) {
  checkDataBounds(byteOffset, 2, s);
  const ds = getDataSection(s);
  if (defaultMask !== void 0) {
    TMP_WORD.setInt16(0, value, NATIVE_LITTLE_ENDIAN);
    const v = TMP_WORD.getUint16(0, NATIVE_LITTLE_ENDIAN) ^ defaultMask.getUint16(0, true);
    ds.segment.setUint16(ds.byteOffset + byteOffset, v);
    return;
  }
  ds.segment.setInt16(ds.byteOffset + byteOffset, value);
}
function setInt32(byteOffset, value, s, defaultMask) {
  checkDataBounds(byteOffset, 4, s);
  const ds = getDataSection(s);
  if (defaultMask !== void 0) {
    TMP_WORD.setInt32(0, value, NATIVE_LITTLE_ENDIAN);
    const v = TMP_WORD.getUint32(0, NATIVE_LITTLE_ENDIAN) ^ defaultMask.getUint32(0, true);
    ds.segment.setUint32(ds.byteOffset + byteOffset, v);
    return;
  }
  ds.segment.setInt32(ds.byteOffset + byteOffset, value);
}
function setInt64(byteOffset, value, s, defaultMask) {
  checkDataBounds(byteOffset, 8, s);
  const ds = getDataSection(s);
  if (defaultMask !== void 0) {
    TMP_WORD.setBigInt64(0, value, NATIVE_LITTLE_ENDIAN);
    const lo = TMP_WORD.getUint32(NATIVE_LITTLE_ENDIAN ? 0 : 4, NATIVE_LITTLE_ENDIAN) ^ defaultMask.getUint32(0, true);
    const hi = TMP_WORD.getUint32(NATIVE_LITTLE_ENDIAN ? 4 : 0, NATIVE_LITTLE_ENDIAN) ^ defaultMask.getUint32(4, true);
    ds.segment.setUint32(ds.byteOffset + byteOffset, lo);
    ds.segment.setUint32(ds.byteOffset + byteOffset + 4, hi);
    return;
  }
  ds.segment.setInt64(ds.byteOffset + byteOffset, value);
}
function setInt8(byteOffset, value, s, defaultMask) {
  checkDataBounds(byteOffset, 1, s);
  const ds = getDataSection(s);
  if (defaultMask !== void 0) {
    TMP_WORD.setInt8(0, value);
    const v = TMP_WORD.getUint8(0) ^ defaultMask.getUint8(0);
    ds.segment.setUint8(ds.byteOffset + byteOffset, v);
    return;
  }
  ds.segment.setInt8(ds.byteOffset + byteOffset, value);
}
function setText(index, value, s) {
  Text.fromPointer(getPointer(index, s)).set(0, value);
}
function setUint16(byteOffset, value, s, defaultMask) {
  checkDataBounds(byteOffset, 2, s);
  const ds = getDataSection(s);
  if (defaultMask !== void 0) {
    value ^= defaultMask.getUint16(0, true);
  }
  ds.segment.setUint16(ds.byteOffset + byteOffset, value);
}
function setUint32(byteOffset, value, s, defaultMask) {
  checkDataBounds(byteOffset, 4, s);
  const ds = getDataSection(s);
  if (defaultMask !== void 0) {
    value ^= defaultMask.getUint32(0, true);
  }
  ds.segment.setUint32(ds.byteOffset + byteOffset, value);
}
function setUint64(byteOffset, value, s, defaultMask) {
  checkDataBounds(byteOffset, 8, s);
  const ds = getDataSection(s);
  if (defaultMask !== void 0) {
    TMP_WORD.setBigUint64(0, value, NATIVE_LITTLE_ENDIAN);
    const lo = TMP_WORD.getUint32(NATIVE_LITTLE_ENDIAN ? 0 : 4, NATIVE_LITTLE_ENDIAN) ^ defaultMask.getUint32(0, true);
    const hi = TMP_WORD.getUint32(NATIVE_LITTLE_ENDIAN ? 4 : 0, NATIVE_LITTLE_ENDIAN) ^ defaultMask.getUint32(4, true);
    ds.segment.setUint32(ds.byteOffset + byteOffset, lo);
    ds.segment.setUint32(ds.byteOffset + byteOffset + 4, hi);
    return;
  }
  ds.segment.setUint64(ds.byteOffset + byteOffset, value);
}
function setUint8(byteOffset, value, s, defaultMask) {
  checkDataBounds(byteOffset, 1, s);
  const ds = getDataSection(s);
  if (defaultMask !== void 0) {
    value ^= defaultMask.getUint8(0);
  }
  ds.segment.setUint8(ds.byteOffset + byteOffset, value);
}
function testWhich(name, found, wanted, s) {
  if (found !== wanted) {
    throw new Error(format(PTR_INVALID_UNION_ACCESS, s, name, found, wanted));
  }
}
function checkDataBounds(byteOffset, byteLength, s) {
  const { dataByteLength } = getSize(s);
  if (byteOffset < 0 || byteLength < 0 || byteOffset + byteLength > dataByteLength) {
    throw new Error(format(PTR_STRUCT_DATA_OUT_OF_BOUNDS, s, byteLength, byteOffset, dataByteLength));
  }
}

// node_modules/capnp-es/dist/shared/capnp-es.CFSf015t.mjs
function CompositeList(CompositeClass) {
  return class extends List {
    static _capnp = {
      compositeSize: CompositeClass._capnp.size,
      displayName: `List<${CompositeClass._capnp.displayName}>`,
      size: ListElementSize.COMPOSITE
    };
    get(index) {
      return new CompositeClass(this.segment, this.byteOffset, this._capnp.depthLimit - 1, index);
    }
    set(index, value) {
      copyFrom(value, this.get(index));
    }
    [Symbol.toStringTag]() {
      return `Composite_${super.toString()},cls:${CompositeClass.toString()}`;
    }
  };
}
function _makePrimitiveMaskFn(byteLength, setter) {
  return (x) => {
    const dv = new DataView(new ArrayBuffer(byteLength));
    setter.call(dv, 0, x, true);
    return dv;
  };
}
var getFloat32Mask = _makePrimitiveMaskFn(4, DataView.prototype.setFloat32);
var getFloat64Mask = _makePrimitiveMaskFn(8, DataView.prototype.setFloat64);
var getInt16Mask = _makePrimitiveMaskFn(2, DataView.prototype.setInt16);
var getInt32Mask = _makePrimitiveMaskFn(4, DataView.prototype.setInt32);
var getInt64Mask = _makePrimitiveMaskFn(8, DataView.prototype.setBigInt64);
var getInt8Mask = _makePrimitiveMaskFn(1, DataView.prototype.setInt8);
var getUint16Mask = _makePrimitiveMaskFn(2, DataView.prototype.setUint16);
var getUint32Mask = _makePrimitiveMaskFn(4, DataView.prototype.setUint32);
var getUint64Mask = _makePrimitiveMaskFn(8, DataView.prototype.setBigUint64);
var getUint8Mask = _makePrimitiveMaskFn(1, DataView.prototype.setUint8);
function getBitMask(value, bitOffset) {
  const dv = new DataView(new ArrayBuffer(1));
  if (!value) {
    return dv;
  }
  dv.setUint8(0, 1 << bitOffset % 8);
  return dv;
}

// node_modules/capnp-es/dist/shared/capnp-es.BlZmb8ia.mjs
var ArenaKind = /* @__PURE__ */ ((ArenaKind2) => {
  ArenaKind2[ArenaKind2["SINGLE_SEGMENT"] = 0] = "SINGLE_SEGMENT";
  ArenaKind2[ArenaKind2["MULTI_SEGMENT"] = 1] = "MULTI_SEGMENT";
  return ArenaKind2;
})(ArenaKind || {});
var ArenaAllocationResult = class {
  /**
   * The newly allocated buffer. This buffer might be a copy of an existing segment's buffer with free space appended.
   */
  buffer;
  /**
   * The id of the newly-allocated segment.
   */
  id;
  constructor(id, buffer) {
    this.id = id;
    this.buffer = buffer;
  }
};
var MultiSegmentArena = class {
  constructor(buffers = [
    new ArrayBuffer(DEFAULT_BUFFER_SIZE)
  ]) {
    this.buffers = buffers;
    let i = buffers.length;
    while (--i >= 0) {
      if ((buffers[i].byteLength & 7) !== 0) {
        throw new Error(format(SEG_NOT_WORD_ALIGNED, buffers[i].byteLength));
      }
    }
  }
  static allocate = allocate$2;
  static getBuffer = getBuffer$2;
  static getNumSegments = getNumSegments$2;
  kind = ArenaKind.MULTI_SEGMENT;
  toString() {
    return format("MultiSegmentArena_segments:%d", getNumSegments$2(this));
  }
};
function allocate$2(minSize, m) {
  const b = new ArrayBuffer(padToWord$1(Math.max(minSize, DEFAULT_BUFFER_SIZE)));
  m.buffers.push(b);
  return new ArenaAllocationResult(m.buffers.length - 1, b);
}
function getBuffer$2(id, m) {
  if (id < 0 || id >= m.buffers.length) {
    throw new Error(format(SEG_ID_OUT_OF_BOUNDS, id));
  }
  return m.buffers[id];
}
function getNumSegments$2(m) {
  return m.buffers.length;
}
var SingleSegmentArena = class {
  static allocate = allocate$1;
  static getBuffer = getBuffer$1;
  static getNumSegments = getNumSegments$1;
  buffer;
  kind = ArenaKind.SINGLE_SEGMENT;
  constructor(buffer = new ArrayBuffer(DEFAULT_BUFFER_SIZE)) {
    if ((buffer.byteLength & 7) !== 0) {
      throw new Error(format(SEG_NOT_WORD_ALIGNED, buffer.byteLength));
    }
    this.buffer = buffer;
  }
  toString() {
    return format("SingleSegmentArena_len:%x", this.buffer.byteLength);
  }
};
function allocate$1(minSize, segments, s) {
  const srcBuffer = segments.length > 0 ? segments[0].buffer : s.buffer;
  minSize = minSize < MIN_SINGLE_SEGMENT_GROWTH ? MIN_SINGLE_SEGMENT_GROWTH : padToWord$1(minSize);
  s.buffer = new ArrayBuffer(srcBuffer.byteLength + minSize);
  new Float64Array(s.buffer).set(new Float64Array(srcBuffer));
  return new ArenaAllocationResult(0, s.buffer);
}
function getBuffer$1(id, s) {
  if (id !== 0) throw new Error(format(SEG_GET_NON_ZERO_SINGLE, id));
  return s.buffer;
}
function getNumSegments$1() {
  return 1;
}
var Arena = class {
  static allocate = allocate;
  static copy = copy$1;
  static getBuffer = getBuffer;
  static getNumSegments = getNumSegments;
};
function allocate(minSize, segments, a) {
  switch (a.kind) {
    case ArenaKind.MULTI_SEGMENT: {
      return MultiSegmentArena.allocate(minSize, a);
    }
    case ArenaKind.SINGLE_SEGMENT: {
      return SingleSegmentArena.allocate(minSize, segments, a);
    }
    default: {
      return assertNever(a);
    }
  }
}
function copy$1(a) {
  switch (a.kind) {
    case ArenaKind.MULTI_SEGMENT: {
      let i = a.buffers.length;
      const buffers = Array.from({
        length: i
      });
      while (--i >= 0) {
        buffers[i] = a.buffers[i].slice(0);
      }
      return new MultiSegmentArena(buffers);
    }
    case ArenaKind.SINGLE_SEGMENT: {
      return new SingleSegmentArena(a.buffer.slice(0));
    }
    default: {
      return assertNever(a);
    }
  }
}
function getBuffer(id, a) {
  switch (a.kind) {
    case ArenaKind.MULTI_SEGMENT: {
      return MultiSegmentArena.getBuffer(id, a);
    }
    case ArenaKind.SINGLE_SEGMENT: {
      return SingleSegmentArena.getBuffer(id, a);
    }
    default: {
      return assertNever(a);
    }
  }
}
function getNumSegments(a) {
  switch (a.kind) {
    case ArenaKind.MULTI_SEGMENT: {
      return MultiSegmentArena.getNumSegments(a);
    }
    case ArenaKind.SINGLE_SEGMENT: {
      return SingleSegmentArena.getNumSegments();
    }
    default: {
      return assertNever(a);
    }
  }
}
function getHammingWeight(x) {
  let w = x - (x >> 1 & 1431655765);
  w = (w & 858993459) + (w >> 2 & 858993459);
  return (w + (w >> 4) & 252645135) * 16843009 >> 24;
}
function getTagByte(a, b, c, d, e, f, g, h) {
  return (a === 0 ? 0 : 1) | (b === 0 ? 0 : 2) | (c === 0 ? 0 : 4) | (d === 0 ? 0 : 8) | (e === 0 ? 0 : 16) | (f === 0 ? 0 : 32) | (g === 0 ? 0 : 64) | (h === 0 ? 0 : 128);
}
function getUnpackedByteLength(packed) {
  const p = new Uint8Array(packed);
  let wordCount = 0;
  let lastTag = 119;
  for (let i = 0; i < p.byteLength; ) {
    const tag = p[i];
    if (lastTag === 0) {
      wordCount += tag;
      i++;
      lastTag = 119;
    } else if (lastTag === 255) {
      wordCount += tag;
      i += tag * 8 + 1;
      lastTag = 119;
    } else {
      wordCount++;
      i += getHammingWeight(tag) + 1;
      lastTag = tag;
    }
  }
  return wordCount * 8;
}
function getZeroByteCount(a, b, c, d, e, f, g, h) {
  return (a === 0 ? 1 : 0) + (b === 0 ? 1 : 0) + (c === 0 ? 1 : 0) + (d === 0 ? 1 : 0) + (e === 0 ? 1 : 0) + (f === 0 ? 1 : 0) + (g === 0 ? 1 : 0) + (h === 0 ? 1 : 0);
}
function pack(unpacked, byteOffset = 0, byteLength) {
  if (unpacked.byteLength % 8 !== 0) {
    throw new Error(MSG_PACK_NOT_WORD_ALIGNED);
  }
  const src = new Uint8Array(unpacked, byteOffset, byteLength);
  const dst = [];
  let lastTag = 119;
  let spanWordCountOffset = 0;
  let rangeWordCount = 0;
  for (let srcByteOffset = 0; srcByteOffset < src.byteLength; srcByteOffset += 8) {
    const a = src[srcByteOffset];
    const b = src[srcByteOffset + 1];
    const c = src[srcByteOffset + 2];
    const d = src[srcByteOffset + 3];
    const e = src[srcByteOffset + 4];
    const f = src[srcByteOffset + 5];
    const g = src[srcByteOffset + 6];
    const h = src[srcByteOffset + 7];
    const tag = getTagByte(a, b, c, d, e, f, g, h);
    let skipWriteWord = true;
    switch (lastTag) {
      case 0: {
        if (tag !== 0 || rangeWordCount >= 255) {
          dst.push(rangeWordCount);
          rangeWordCount = 0;
          skipWriteWord = false;
        } else {
          rangeWordCount++;
        }
        break;
      }
      case 255: {
        const zeroCount = getZeroByteCount(a, b, c, d, e, f, g, h);
        if (zeroCount >= PACK_SPAN_THRESHOLD || rangeWordCount >= 255) {
          dst[spanWordCountOffset] = rangeWordCount;
          rangeWordCount = 0;
          skipWriteWord = false;
        } else {
          dst.push(a, b, c, d, e, f, g, h);
          rangeWordCount++;
        }
        break;
      }
      default: {
        skipWriteWord = false;
        break;
      }
    }
    if (skipWriteWord) {
      continue;
    }
    dst.push(tag);
    lastTag = tag;
    if (a !== 0) dst.push(a);
    if (b !== 0) dst.push(b);
    if (c !== 0) dst.push(c);
    if (d !== 0) dst.push(d);
    if (e !== 0) dst.push(e);
    if (f !== 0) dst.push(f);
    if (g !== 0) dst.push(g);
    if (h !== 0) dst.push(h);
    if (tag === 255) {
      spanWordCountOffset = dst.length;
      dst.push(0);
    }
  }
  if (lastTag === 0) {
    dst.push(rangeWordCount);
  } else if (lastTag === 255) {
    dst[spanWordCountOffset] = rangeWordCount;
  }
  return new Uint8Array(dst).buffer;
}
function unpack(packed) {
  const src = new Uint8Array(packed);
  const dst = new Uint8Array(new ArrayBuffer(getUnpackedByteLength(packed)));
  let lastTag = 119;
  for (let srcByteOffset = 0, dstByteOffset = 0; srcByteOffset < src.byteLength; ) {
    const tag = src[srcByteOffset];
    if (lastTag === 0) {
      dstByteOffset += tag * 8;
      srcByteOffset++;
      lastTag = 119;
    } else if (lastTag === 255) {
      const spanByteLength = tag * 8;
      dst.set(src.subarray(srcByteOffset + 1, srcByteOffset + 1 + spanByteLength), dstByteOffset);
      dstByteOffset += spanByteLength;
      srcByteOffset += 1 + spanByteLength;
      lastTag = 119;
    } else {
      srcByteOffset++;
      for (let i = 1; i <= 128; i <<= 1) {
        if ((tag & i) !== 0) {
          dst[dstByteOffset] = src[srcByteOffset++];
        }
        dstByteOffset++;
      }
      lastTag = tag;
    }
  }
  return dst.buffer;
}
var Segment = class {
  constructor(id, message, buffer, byteLength = 0) {
    this.id = id;
    this.message = message;
    this.message = message;
    this.buffer = buffer;
    this._dv = new DataView(buffer);
    this.byteOffset = 0;
    this.byteLength = byteLength;
  }
  buffer;
  /** The number of bytes currently allocated in the segment. */
  byteLength;
  /**
   * This value should always be zero. It's only here to satisfy the DataView interface.
   *
   * In the future the Segment implementation (or a child class) may allow accessing the buffer from a nonzero offset,
   * but that adds a lot of extra arithmetic.
   */
  byteOffset;
  [Symbol.toStringTag] = "Segment";
  _dv;
  /**
   * Attempt to allocate the requested number of bytes in this segment. If this segment is full this method will return
   * a pointer to freshly allocated space in another segment from the same message.
   *
   * @param byteLength The number of bytes to allocate, will be rounded up to the nearest word.
   * @returns A pointer to the newly allocated space.
   */
  allocate(byteLength) {
    let segment = this;
    byteLength = padToWord$1(byteLength);
    if (byteLength > MAX_SEGMENT_LENGTH - 8) {
      throw new Error(format(SEG_SIZE_OVERFLOW, byteLength));
    }
    if (!segment.hasCapacity(byteLength)) {
      segment = segment.message.allocateSegment(byteLength);
    }
    const byteOffset = segment.byteLength;
    segment.byteLength += byteLength;
    return new Pointer(segment, byteOffset);
  }
  /**
   * Quickly copy a word (8 bytes) from `srcSegment` into this one at the given offset.
   *
   * @param byteOffset The offset to write the word to.
   * @param srcSegment The segment to copy the word from.
   * @param srcByteOffset The offset from the start of `srcSegment` to copy from.
   */
  copyWord(byteOffset, srcSegment, srcByteOffset) {
    const value = srcSegment._dv.getFloat64(srcByteOffset, NATIVE_LITTLE_ENDIAN);
    this._dv.setFloat64(byteOffset, value, NATIVE_LITTLE_ENDIAN);
  }
  /**
   * Quickly copy words from `srcSegment` into this one.
   *
   * @param byteOffset The offset to start copying into.
   * @param srcSegment The segment to copy from.
   * @param srcByteOffset The start offset to copy from.
   * @param wordLength The number of words to copy.
   */
  copyWords(byteOffset, srcSegment, srcByteOffset, wordLength) {
    const dst = new Float64Array(this.buffer, byteOffset, wordLength);
    const src = new Float64Array(srcSegment.buffer, srcByteOffset, wordLength);
    dst.set(src);
  }
  /**
   * Quickly fill a number of words in the buffer with zeroes.
   *
   * @param byteOffset The first byte to set to zero.
   * @param wordLength The number of words (not bytes!) to zero out.
   */
  fillZeroWords(byteOffset, wordLength) {
    new Float64Array(this.buffer, byteOffset, wordLength).fill(0);
  }
  getBigInt64(byteOffset, littleEndian) {
    return this._dv.getBigInt64(byteOffset, littleEndian);
  }
  getBigUint64(byteOffset, littleEndian) {
    return this._dv.getBigUint64(byteOffset, littleEndian);
  }
  /**
   * Get the total number of bytes available in this segment (the size of its underlying buffer).
   *
   * @returns The total number of bytes this segment can hold.
   */
  getCapacity() {
    return this.buffer.byteLength;
  }
  /**
   * Read a float16 value out of this segment.
   *
   * NOTE: Non functional, added to allow compilation with TS 5.9+
   *
   * @param byteOffset The offset in bytes to the value.
   * @returns The value.
   */
  getFloat16(_byteOffset) {
    throw new Error("Not implemented");
  }
  /**
   * Read a float32 value out of this segment.
   *
   * @param byteOffset The offset in bytes to the value.
   * @returns The value.
   */
  getFloat32(byteOffset) {
    return this._dv.getFloat32(byteOffset, true);
  }
  /**
   * Read a float64 value out of this segment.
   *
   * @param byteOffset The offset in bytes to the value.
   * @returns The value.
   */
  getFloat64(byteOffset) {
    return this._dv.getFloat64(byteOffset, true);
  }
  /**
   * Read an int16 value out of this segment.
   *
   * @param byteOffset The offset in bytes to the value.
   * @returns The value.
   */
  getInt16(byteOffset) {
    return this._dv.getInt16(byteOffset, true);
  }
  /**
   * Read an int32 value out of this segment.
   *
   * @param byteOffset The offset in bytes to the value.
   * @returns The value.
   */
  getInt32(byteOffset) {
    return this._dv.getInt32(byteOffset, true);
  }
  /**
   * Read an int64 value out of this segment.
   *
   * @param byteOffset The offset in bytes to the value.
   * @returns The value.
   */
  getInt64(byteOffset) {
    return this._dv.getBigInt64(byteOffset, true);
  }
  /**
   * Read an int8 value out of this segment.
   *
   * @param byteOffset The offset in bytes to the value.
   * @returns The value.
   */
  getInt8(byteOffset) {
    return this._dv.getInt8(byteOffset);
  }
  /**
   * Read a uint16 value out of this segment.
   *
   * @param byteOffset The offset in bytes to the value.
   * @returns The value.
   */
  getUint16(byteOffset) {
    return this._dv.getUint16(byteOffset, true);
  }
  /**
   * Read a uint32 value out of this segment.
   *
   * @param byteOffset The offset in bytes to the value.
   * @returns The value.
   */
  getUint32(byteOffset) {
    return this._dv.getUint32(byteOffset, true);
  }
  /**
   * Read a uint64 value (as a bigint) out of this segment.
   * NOTE: this does not copy the memory region, so updates to the underlying buffer will affect the returned value!
   *
   * @param byteOffset The offset in bytes to the value.
   * @returns The value.
   */
  getUint64(byteOffset) {
    return this._dv.getBigUint64(byteOffset, true);
  }
  /**
   * Read a uint8 value out of this segment.
   *
   * @param byteOffset The offset in bytes to the value.
   * @returns The value.
   */
  getUint8(byteOffset) {
    return this._dv.getUint8(byteOffset);
  }
  hasCapacity(byteLength) {
    return this.buffer.byteLength - this.byteLength >= byteLength;
  }
  /**
   * Quickly check the word at the given offset to see if it is equal to zero.
   *
   * PERF_V8: Fastest way to do this is by reading the whole word as a `number` (float64) in the _native_ endian format
   * and see if it's zero.
   *
   * Benchmark: http://jsben.ch/#/Pjooc
   *
   * @param byteOffset The offset to the word.
   * @returns `true` if the word is zero.
   */
  isWordZero(byteOffset) {
    return this._dv.getFloat64(byteOffset, NATIVE_LITTLE_ENDIAN) === 0;
  }
  /**
   * Swap out this segment's underlying buffer with a new one. It's assumed that the new buffer has the same content but
   * more free space, otherwise all existing pointers to this segment will be hilariously broken.
   *
   * @param buffer The new buffer to use.
   */
  replaceBuffer(buffer) {
    if (this.buffer === buffer) {
      return;
    }
    if (buffer.byteLength < this.byteLength) {
      throw new Error(SEG_REPLACEMENT_BUFFER_TOO_SMALL);
    }
    this._dv = new DataView(buffer);
    this.buffer = buffer;
  }
  setBigInt64(byteOffset, value, littleEndian) {
    this._dv.setBigInt64(byteOffset, value, littleEndian);
  }
  /** WARNING: This function is not yet implemented.  */
  setBigUint64(byteOffset, value, littleEndian) {
    this._dv.setBigUint64(byteOffset, value, littleEndian);
  }
  /**
   * Write a float16 value to the specified offset.
   *
   * NOTE: Non functional, added to allow compilation with TS 5.9+
   *
   * @param byteOffset The offset from the beginning of the buffer.
   * @param val The value to store.
   */
  setFloat16(_byteOffset, _val) {
    throw new Error("Not implemented");
  }
  /**
   * Write a float32 value to the specified offset.
   *
   * @param byteOffset The offset from the beginning of the buffer.
   * @param val The value to store.
   */
  setFloat32(byteOffset, val) {
    this._dv.setFloat32(byteOffset, val, true);
  }
  /**
   * Write an float64 value to the specified offset.
   *
   * @param byteOffset The offset from the beginning of the buffer.
   * @param val The value to store.
   */
  setFloat64(byteOffset, val) {
    this._dv.setFloat64(byteOffset, val, true);
  }
  /**
   * Write an int16 value to the specified offset.
   *
   * @param byteOffset The offset from the beginning of the buffer.
   * @param val The value to store.
   */
  setInt16(byteOffset, val) {
    this._dv.setInt16(byteOffset, val, true);
  }
  /**
   * Write an int32 value to the specified offset.
   *
   * @param byteOffset The offset from the beginning of the buffer.
   * @param val The value to store.
   */
  setInt32(byteOffset, val) {
    this._dv.setInt32(byteOffset, val, true);
  }
  /**
   * Write an int8 value to the specified offset.
   *
   * @param byteOffset The offset from the beginning of the buffer.
   * @param val The value to store.
   */
  setInt8(byteOffset, val) {
    this._dv.setInt8(byteOffset, val);
  }
  /**
   * Write an int64 value to the specified offset.
   *
   * @param byteOffset The offset from the beginning of the buffer.
   * @param val The value to store.
   */
  setInt64(byteOffset, val) {
    this._dv.setBigInt64(byteOffset, val, true);
  }
  /**
   * Write a uint16 value to the specified offset.
   *
   * @param byteOffset The offset from the beginning of the buffer.
   * @param val The value to store.
   */
  setUint16(byteOffset, val) {
    this._dv.setUint16(byteOffset, val, true);
  }
  /**
   * Write a uint32 value to the specified offset.
   *
   * @param byteOffset The offset from the beginning of the buffer.
   * @param val The value to store.
   */
  setUint32(byteOffset, val) {
    this._dv.setUint32(byteOffset, val, true);
  }
  /**
   * Write a uint64 value to the specified offset.
   *
   * @param byteOffset The offset from the beginning of the buffer.
   * @param val The value to store.
   */
  setUint64(byteOffset, val) {
    this._dv.setBigUint64(byteOffset, val, true);
  }
  /**
   * Write a uint8 (byte) value to the specified offset.
   *
   * @param byteOffset The offset from the beginning of the buffer.
   * @param val The value to store.
   */
  setUint8(byteOffset, val) {
    this._dv.setUint8(byteOffset, val);
  }
  /**
   * Write a zero word (8 bytes) to the specified offset. This is slightly faster than calling `setUint64` or
   * `setFloat64` with a zero value.
   *
   * Benchmark: http://jsben.ch/#/dUdPI
   *
   * @param byteOffset The offset of the word to set to zero.
   */
  setWordZero(byteOffset) {
    this._dv.setFloat64(byteOffset, 0, NATIVE_LITTLE_ENDIAN);
  }
  toString() {
    return format("Segment_id:%d,off:%a,len:%a,cap:%a", this.id, this.byteLength, this.byteOffset, this.buffer.byteLength);
  }
};
var Message = class {
  static allocateSegment = allocateSegment;
  static dump = dump2;
  static getRoot = getRoot;
  static getSegment = getSegment;
  static initRoot = initRoot;
  static readRawPointer = readRawPointer;
  static toArrayBuffer = toArrayBuffer;
  static toPackedArrayBuffer = toPackedArrayBuffer;
  _capnp;
  /**
   * A Cap'n Proto message.
   *
   * SECURITY WARNING: In Node.js do not pass a Buffer's internal array buffer into this constructor. Pass the buffer
   * directly and everything will be fine. If not, your message will potentially be initialized with random memory
   * contents!
   *
   * The constructor method creates a new Message, optionally using a provided arena for segment allocation, or a buffer
   * to read from.
   *
   * @param src The source for the message.
   * A value of `undefined` will cause the message to initialize with a single segment arena only big enough for the
   * root pointer; it will expand as you go. This is a reasonable choice for most messages.
   *
   * Passing an arena will cause the message to use that arena for its segment allocation. Contents will be accepted
   * as-is.
   *
   * Passing an array buffer view (like `DataView`, `Uint8Array` or `Buffer`) will create a **copy** of the source
   * buffer; beware of the potential performance cost!
   *
   * @param packed Whether or not the message is packed. If `true` (the default), the message will be
   * unpacked.
   *
   * @param singleSegment If true, `src` will be treated as a message consisting of a single segment without
   * a framing header.
   *
   */
  constructor(src, packed = true, singleSegment = false) {
    this._capnp = initMessage(src, packed, singleSegment);
    if (src) {
      preallocateSegments(this);
    }
  }
  allocateSegment(byteLength) {
    return allocateSegment(byteLength, this);
  }
  /**
   * Copies the contents of this message into an identical message with its own ArrayBuffers.
   *
   * @returns A copy of this message.
   */
  copy() {
    return copy(this);
  }
  /**
   * Create a pretty-printed string dump of this message; incredibly useful for debugging.
   *
   * WARNING: Do not call this method on large messages!
   *
   * @returns A big steaming pile of pretty hex digits.
   */
  dump() {
    return dump2(this);
  }
  /**
   * Get a struct pointer for the root of this message. This is primarily used when reading a message; it will not
   * overwrite existing data.
   *
   * @param RootStruct The struct type to use as the root.
   * @returns A struct representing the root of the message.
   */
  getRoot(RootStruct) {
    return getRoot(RootStruct, this);
  }
  /**
   * Get a segment by its id.
   *
   * This will lazily allocate the first segment if it doesn't already exist.
   *
   * @param id The segment id.
   * @returns The requested segment.
   */
  getSegment(id) {
    return getSegment(id, this);
  }
  /**
   * Initialize a new message using the provided struct type as the root.
   *
   * @param RootStruct The struct type to use as the root.
   * @returns An initialized struct pointing to the root of the message.
   */
  initRoot(RootStruct) {
    return initRoot(RootStruct, this);
  }
  /**
   * Set the root of the message to a copy of the given pointer. Used internally
   * to make copies of pointers for default values.
   *
   * @param src The source pointer to copy.
   */
  setRoot(src) {
    setRoot(src, this);
  }
  /**
   * Combine the contents of this message's segments into a single array buffer and prepend a stream framing header
   * containing information about the following segment data.
   *
   * @returns An ArrayBuffer with the contents of this message.
   */
  toArrayBuffer() {
    return toArrayBuffer(this);
  }
  /**
   * Like `toArrayBuffer()`, but also applies the packing algorithm to the output. This is typically what you want to
   * use if you're sending the message over a network link or other slow I/O interface where size matters.
   *
   * @returns A packed message.
   */
  toPackedArrayBuffer() {
    return toPackedArrayBuffer(this);
  }
  addCap(client) {
    if (!this._capnp.capTable) {
      this._capnp.capTable = [];
    }
    const id = this._capnp.capTable.length;
    this._capnp.capTable.push(client);
    return id;
  }
  toString() {
    return `Message_arena:${this._capnp.arena}`;
  }
};
function initMessage(src, packed = true, singleSegment = false) {
  if (src === void 0) {
    return {
      arena: new SingleSegmentArena(),
      segments: [],
      traversalLimit: DEFAULT_TRAVERSE_LIMIT
    };
  }
  if (isAnyArena(src)) {
    return {
      arena: src,
      segments: [],
      traversalLimit: DEFAULT_TRAVERSE_LIMIT
    };
  }
  let buf = src;
  if (isArrayBufferView(buf)) {
    buf = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  }
  if (packed) {
    buf = unpack(buf);
  }
  if (singleSegment) {
    return {
      arena: new SingleSegmentArena(buf),
      segments: [],
      traversalLimit: DEFAULT_TRAVERSE_LIMIT
    };
  }
  return {
    arena: new MultiSegmentArena(getFramedSegments(buf)),
    segments: [],
    traversalLimit: DEFAULT_TRAVERSE_LIMIT
  };
}
function getFramedSegments(message) {
  const dv = new DataView(message);
  const segmentCount = dv.getUint32(0, true) + 1;
  const segments = Array.from({
    length: segmentCount
  });
  let byteOffset = 4 + segmentCount * 4;
  byteOffset += byteOffset % 8;
  if (byteOffset + segmentCount * 4 > message.byteLength) {
    throw new Error(MSG_INVALID_FRAME_HEADER);
  }
  for (let i = 0; i < segmentCount; i++) {
    const byteLength = dv.getUint32(4 + i * 4, true) * 8;
    if (byteOffset + byteLength > message.byteLength) {
      throw new Error(MSG_INVALID_FRAME_HEADER);
    }
    segments[i] = message.slice(byteOffset, byteOffset + byteLength);
    byteOffset += byteLength;
  }
  return segments;
}
function preallocateSegments(m) {
  const numSegments = Arena.getNumSegments(m._capnp.arena);
  m._capnp.segments = Array.from({
    length: numSegments
  });
  for (let i = 0; i < numSegments; i++) {
    if (i === 0 && Arena.getBuffer(i, m._capnp.arena).byteLength < 8) {
      throw new Error(MSG_SEGMENT_TOO_SMALL);
    }
    const buffer = Arena.getBuffer(i, m._capnp.arena);
    const segment = new Segment(i, m, buffer, buffer.byteLength);
    m._capnp.segments[i] = segment;
  }
}
function isArrayBufferView(src) {
  return src.byteOffset !== void 0;
}
function isAnyArena(o) {
  return o.kind !== void 0;
}
function allocateSegment(byteLength, m) {
  const res = Arena.allocate(byteLength, m._capnp.segments, m._capnp.arena);
  let s;
  if (res.id === m._capnp.segments.length) {
    s = new Segment(res.id, m, res.buffer);
    m._capnp.segments.push(s);
  } else if (res.id < 0 || res.id > m._capnp.segments.length) {
    throw new Error(format(MSG_SEGMENT_OUT_OF_BOUNDS, res.id, m));
  } else {
    s = m._capnp.segments[res.id];
    s.replaceBuffer(res.buffer);
  }
  return s;
}
function dump2(m) {
  let r = "";
  if (m._capnp.segments.length === 0) {
    return "================\nNo Segments\n================\n";
  }
  for (let i = 0; i < m._capnp.segments.length; i++) {
    r += `================
Segment #${i}
================
`;
    const { buffer, byteLength } = m._capnp.segments[i];
    const b = new Uint8Array(buffer, 0, byteLength);
    r += dumpBuffer(b);
  }
  return r;
}
function getRoot(RootStruct, m) {
  const root = new RootStruct(m.getSegment(0), 0);
  validate(PointerType.STRUCT, root);
  const ts = getTargetStructSize(root);
  if (ts.dataByteLength < RootStruct._capnp.size.dataByteLength || ts.pointerLength < RootStruct._capnp.size.pointerLength) {
    resize(RootStruct._capnp.size, root);
  }
  return root;
}
function getSegment(id, m) {
  const segmentLength = m._capnp.segments.length;
  if (id === 0 && segmentLength === 0) {
    const arenaSegments = Arena.getNumSegments(m._capnp.arena);
    if (arenaSegments === 0) {
      allocateSegment(DEFAULT_BUFFER_SIZE, m);
    } else {
      m._capnp.segments[0] = new Segment(0, m, Arena.getBuffer(0, m._capnp.arena));
    }
    if (!m._capnp.segments[0].hasCapacity(8)) {
      throw new Error(MSG_SEGMENT_TOO_SMALL);
    }
    m._capnp.segments[0].allocate(8);
    return m._capnp.segments[0];
  }
  if (id < 0 || id >= segmentLength) {
    throw new Error(format(MSG_SEGMENT_OUT_OF_BOUNDS, id, m));
  }
  return m._capnp.segments[id];
}
function initRoot(RootStruct, m) {
  const root = new RootStruct(m.getSegment(0), 0);
  initStruct(RootStruct._capnp.size, root);
  return root;
}
function readRawPointer(data) {
  return new Pointer(new Message(data).getSegment(0), 0);
}
function setRoot(src, m) {
  copyFrom(src, new Pointer(m.getSegment(0), 0));
}
function toArrayBuffer(m) {
  const streamFrame = getStreamFrame(m);
  if (m._capnp.segments.length === 0) {
    getSegment(0, m);
  }
  const { segments } = m._capnp;
  const totalLength = streamFrame.byteLength + segments.reduce((l, s) => l + padToWord$1(s.byteLength), 0);
  const out = new Uint8Array(new ArrayBuffer(totalLength));
  let o = streamFrame.byteLength;
  out.set(new Uint8Array(streamFrame));
  for (const s of segments) {
    const segmentLength = padToWord$1(s.byteLength);
    out.set(new Uint8Array(s.buffer, 0, segmentLength), o);
    o += segmentLength;
  }
  return out.buffer;
}
function toPackedArrayBuffer(m) {
  const streamFrame = pack(getStreamFrame(m));
  if (m._capnp.segments.length === 0) {
    m.getSegment(0);
  }
  const segments = m._capnp.segments.map((s) => pack(s.buffer, 0, padToWord$1(s.byteLength)));
  const totalLength = streamFrame.byteLength + segments.reduce((l, s) => l + s.byteLength, 0);
  const out = new Uint8Array(new ArrayBuffer(totalLength));
  let o = streamFrame.byteLength;
  out.set(new Uint8Array(streamFrame));
  for (const s of segments) {
    out.set(new Uint8Array(s), o);
    o += s.byteLength;
  }
  return out.buffer;
}
function getStreamFrame(m) {
  const { length } = m._capnp.segments;
  if (length === 0) {
    return new Float64Array(1).buffer;
  }
  const frameLength = 4 + length * 4 + (1 - length % 2) * 4;
  const out = new DataView(new ArrayBuffer(frameLength));
  out.setUint32(0, length - 1, true);
  for (const [i, s] of m._capnp.segments.entries()) {
    out.setUint32(i * 4 + 4, s.byteLength / 8, true);
  }
  return out.buffer;
}
function copy(m) {
  return new Message(Arena.copy(m._capnp.arena));
}

// node_modules/capnp-es/dist/shared/capnp-es.BVG6upt7.mjs
var Interface = class extends Pointer {
  static _capnp = {
    displayName: "Interface"
  };
  static getCapID = getCapID;
  static getAsInterface = getAsInterface;
  static isInterface = isInterface;
  static getClient = getClient;
  constructor(segment, byteOffset, depthLimit = MAX_DEPTH) {
    super(segment, byteOffset, depthLimit);
  }
  static fromPointer(p) {
    return getAsInterface(p);
  }
  getCapId() {
    return getCapID(this);
  }
  getClient() {
    return getClient(this);
  }
  [Symbol.for("nodejs.util.inspect.custom")]() {
    return format("Interface_%d@%a,%d,limit:%x", this.segment.id, this.byteOffset, this.getCapId(), this._capnp.depthLimit);
  }
};
function getAsInterface(p) {
  if (getTargetPointerType(p) === PointerType.OTHER) {
    return new Interface(p.segment, p.byteOffset, p._capnp.depthLimit);
  }
  return null;
}
function isInterface(p) {
  return getTargetPointerType(p) === PointerType.OTHER;
}
function getCapID(i) {
  if (i.segment.getUint32(i.byteOffset) !== PointerType.OTHER) {
    return -1;
  }
  return i.segment.getUint32(i.byteOffset + 4);
}
function getClient(i) {
  const capID = getCapID(i);
  const { capTable } = i.segment.message._capnp;
  if (!capTable) {
    return null;
  }
  return capTable[capID];
}
function isDataCall(call) {
  return !!call.params;
}
function copyCall(call) {
  if (isDataCall(call)) {
    return call;
  }
  return {
    method: call.method,
    params: placeParams(call, void 0)
  };
}
function placeParams(call, contentPtr) {
  if (isDataCall(call)) {
    return call.params;
  }
  let p;
  if (contentPtr) {
    p = new call.method.ParamsClass(contentPtr.segment, contentPtr.byteOffset, contentPtr._capnp.depthLimit);
  } else {
    const msg = new Message();
    p = new call.method.ParamsClass(msg.getSegment(0), 0);
  }
  initStruct(call.method.ParamsClass._capnp.size, p);
  if (call.paramsFunc) {
    call.paramsFunc(p);
  }
  return p;
}
function pointerToStruct(p) {
  if (getTargetPointerType(p) === PointerType.STRUCT) {
    return new Struct(p.segment, p.byteOffset, p._capnp.depthLimit, p._capnp.compositeIndex);
  }
  return null;
}
function transformPtr(p, transform) {
  if (transform.length === 0) {
    return p;
  }
  let s = pointerToStruct(p);
  if (!s) {
    return p;
  }
  for (const op of transform) {
    s = getPointer(op.field, s);
  }
  return s;
}
var Deferred = class _Deferred {
  static fromPromise(p) {
    const d = new _Deferred();
    p.then(d.resolve, d.reject);
    return d;
  }
  promise;
  reject;
  resolve;
  constructor() {
    this.promise = new Promise((a, b) => {
      this.resolve = a;
      this.reject = b;
    });
  }
};
var ImmediateAnswer = class extends FixedAnswer {
  constructor(s) {
    super();
    this.s = s;
  }
  structSync() {
    return this.s;
  }
  findClient(transform) {
    const p = transformPtr(this.s, transform);
    return getInterfaceClientOrNull(p);
  }
  pipelineCall(transform, call) {
    return this.findClient(transform).call(call);
  }
  pipelineClose(transform) {
    this.findClient(transform).close();
  }
};
var Queue = class {
  // creates a new queue that starts with n elements.
  // The interface's length must not change over the course of
  // the queue's usage.
  constructor(q, n) {
    this.q = q;
    this.n = n;
    this.cap = q.len();
  }
  start = 0;
  cap;
  // len returns the length of the queue. This is different from the underlying
  // interface's length, which is the queue's capacity.
  len() {
    return this.n;
  }
  // push reserves space for an element on the queue, returning its index.
  // if the queue is full, push returns -1.
  push() {
    if (this.n >= this.cap) {
      return -1;
    }
    const i = (this.start + this.n) % this.cap;
    this.n++;
    return i;
  }
  // front returns the index of the front of the queue, or -1 if the queue is empty.
  front() {
    if (this.n === 0) {
      return -1;
    }
    return this.start;
  }
  // pop pops an element from the queue, returning whether it succeeded.
  pop() {
    if (this.n === 0) {
      return false;
    }
    this.q.clear(this.start);
    this.start = (this.start + 1) % this.cap;
    this.n--;
    return true;
  }
};
var EmbargoClient = class {
  _client;
  q;
  calls;
  constructor(client, queue) {
    this._client = client;
    this.calls = queue.copy();
    this.q = new Queue(this.calls, this.calls.len());
    this.flushQueue();
  }
  flushQueue() {
    let c = null;
    {
      const i = this.q.front();
      if (i !== -1) {
        c = this.calls.data[i];
      }
    }
    while (c && c.call) {
      const ans = this._client.call(c.call);
      void (async (f, ans2) => {
        try {
          f.fulfill(await ans2.struct());
        } catch (error_) {
          f.reject(error_);
        }
      })(c.f, ans);
      this.q.pop();
      {
        const i = this.q.front();
        c = i === -1 ? null : this.calls.data[i];
      }
    }
  }
  // client returns the underlying client if the embargo has
  // been lifted and null otherwise
  client() {
    return this.isPassthrough() ? this._client : null;
  }
  isPassthrough() {
    return this.q.len() === 0;
  }
  // call either queues a call to the underlying client or starts a
  // call if the embargo has been lifted
  call(call) {
    if (this.isPassthrough()) {
      return this._client.call(call);
    }
    return this.push(call);
  }
  push(_call) {
    const f = new Fulfiller();
    const call = copyCall(_call);
    const i = this.q.push();
    if (i === -1) {
      return new ErrorAnswer(new Error(RPC_CALL_QUEUE_FULL));
    }
    this.calls.data[i] = {
      call,
      f
    };
    return f;
  }
  close() {
    while (this.q.len() > 0) {
      const first = this.calls.data[this.q.front()];
      if (!first) {
        throw new Error(INVARIANT_UNREACHABLE_CODE);
      }
      first.f.reject(new Error(RPC_QUEUE_CALL_CANCEL));
      this.q.pop();
    }
    this._client.close();
  }
};
var Ecalls = class _Ecalls {
  data;
  constructor(data) {
    this.data = data;
  }
  static copyOf(data) {
    return new _Ecalls([
      ...data
    ]);
  }
  len() {
    return this.data.length;
  }
  clear(i) {
    this.data[i] = null;
  }
  copy() {
    return _Ecalls.copyOf(this.data);
  }
};
var callQueueSize = 64;
var Fulfiller = class _Fulfiller {
  resolved = false;
  answer;
  queue = [];
  queueCap = callQueueSize;
  deferred = new Deferred();
  fulfill(s) {
    this.answer = new ImmediateAnswer(s);
    const queues = this.emptyQueue(s);
    const msgcap = s.segment.message._capnp;
    if (!msgcap.capTable) {
      msgcap.capTable = [];
    }
    const ctab = msgcap.capTable;
    for (const _capIdx of Object.keys(queues)) {
      const capIdx = +_capIdx;
      const q = queues[capIdx];
      const client = ctab[capIdx];
      if (!client) {
        throw new Error(INVARIANT_UNREACHABLE_CODE);
      }
      ctab[capIdx] = new EmbargoClient(client, q);
    }
    this.deferred.resolve(s);
  }
  reject(err) {
    this.deferred.reject(err);
  }
  peek() {
    return this.answer;
  }
  async struct() {
    return await this.deferred.promise;
  }
  // pipelineCall calls pipelineCall on the fulfilled answer or
  // queues the call if f has not been fulfilled
  pipelineCall(transform, call) {
    {
      const a = this.peek();
      if (a) {
        return a.pipelineCall(transform, call);
      }
    }
    if (this.queue.length === this.queueCap) {
      return new ErrorAnswer(new Error(RPC_CALL_QUEUE_FULL));
    }
    const cc = copyCall(call);
    const g = new _Fulfiller();
    this.queue.push({
      call: cc,
      f: g,
      transform
    });
    return g;
  }
  // pipelineClose waits until f is resolved and then calls
  // pipelineClose on the fulfilled answer
  // FIXME: should this be async?
  pipelineClose(transform) {
    const onFinally = () => {
      if (this.answer) {
        this.answer.pipelineClose(transform);
      }
    };
    this.deferred.promise.then(onFinally, onFinally);
  }
  // emptyQueue splits the queue by which capability it targets and
  // drops any invalid calls.  Once this function returns, f.queue will
  // be nil.
  emptyQueue(s) {
    const qs = {};
    for (let i = 0; i < this.queue.length; i++) {
      const pc = this.queue[i];
      let c;
      try {
        c = transformPtr(s, pc.transform);
      } catch (error_) {
        pc.f.reject(error_);
        continue;
      }
      const iface = Interface.fromPointer(c);
      if (!iface) {
        pc.f.reject(new Error(RPC_NULL_CLIENT));
        continue;
      }
      const cn = iface.getCapId();
      if (!qs[cn]) {
        qs[cn] = new Ecalls([]);
      }
      qs[cn].data.push(pc);
    }
    this.queue = [];
    return qs;
  }
};
var PipelineClient = class {
  constructor(pipeline) {
    this.pipeline = pipeline;
  }
  transform() {
    return this.pipeline.transform();
  }
  call(call) {
    return this.pipeline.answer.pipelineCall(this.transform(), call);
  }
  close() {
    this.pipeline.answer.pipelineClose(this.transform());
  }
};
var Pipeline = class _Pipeline {
  // Returns a new Pipeline based on an answer
  constructor(ResultsClass, answer, op, parent) {
    this.ResultsClass = ResultsClass;
    this.answer = answer;
    this.parent = parent;
    this.op = op || {
      field: 0
    };
  }
  op;
  pipelineClient;
  // transform returns the operations needed to transform the root answer
  // into the value p represents.
  transform() {
    const xform = [];
    for (let q = this; q.parent; q = q.parent) {
      xform.unshift(q.op);
    }
    return xform;
  }
  // Struct waits until the answer is resolved and returns the struct
  // this pipeline represents.
  async struct() {
    const s = await this.answer.struct();
    const t = transformPtr(s, this.transform());
    if (!t) {
      if (this.op.defaultValue) {
        copyFrom(this.op.defaultValue, t);
      } else {
        initStruct(this.ResultsClass._capnp.size, t);
      }
    }
    return getAs(this.ResultsClass, t);
  }
  // client returns the client version of this pipeline
  client() {
    if (!this.pipelineClient) {
      this.pipelineClient = new PipelineClient(this);
    }
    return this.pipelineClient;
  }
  // getPipeline returns a derived pipeline which yields the pointer field given
  getPipeline(ResultsClass, off, defaultValue) {
    return new _Pipeline(ResultsClass, this.answer, {
      field: off,
      defaultValue
    }, this);
  }
};
var MethodError = class extends Error {
  constructor(method, message) {
    super(format(RPC_METHOD_ERROR, method.interfaceName, method.methodName, message));
    this.method = method;
  }
};
var Registry = class {
  static interfaces = /* @__PURE__ */ new Map();
  static register(id, def) {
    this.interfaces.set(id, def);
  }
  static lookup(id) {
    return this.interfaces.get(id);
  }
};
var Server = class {
  constructor(target, methods) {
    this.target = target;
    this.methods = methods;
  }
  startCall(call) {
    const msg = new Message();
    const results = msg.initRoot(call.method.ResultsClass);
    call.serverMethod.impl.call(this.target, call.params, results).then(() => call.answer.fulfill(results)).catch((error_) => call.answer.reject(error_));
  }
  call(call) {
    const serverMethod = this.methods[call.method.methodId];
    if (!serverMethod) {
      return new ErrorAnswer(new MethodError(call.method, RPC_METHOD_NOT_IMPLEMENTED));
    }
    const serverCall = {
      ...copyCall(call),
      answer: new Fulfiller(),
      serverMethod
    };
    this.startCall(serverCall);
    return serverCall.answer;
  }
  close() {
  }
};

// node_modules/capnp-es/dist/capnp/rpc.mjs
var Message_Which = {
  /**
  * The sender previously received this message from the peer but didn't understand it or doesn't
  * yet implement the functionality that was requested.  So, the sender is echoing the message
  * back.  In some cases, the receiver may be able to recover from this by pretending the sender
  * had taken some appropriate "null" action.
  *
  * For example, say `resolve` is received by a level 0 implementation (because a previous call
  * or return happened to contain a promise).  The level 0 implementation will echo it back as
  * `unimplemented`.  The original sender can then simply release the cap to which the promise
  * had resolved, thus avoiding a leak.
  *
  * For any message type that introduces a question, if the message comes back unimplemented,
  * the original sender may simply treat it as if the question failed with an exception.
  *
  * In cases where there is no sensible way to react to an `unimplemented` message (without
  * resource leaks or other serious problems), the connection may need to be aborted.  This is
  * a gray area; different implementations may take different approaches.
  *
  */
  UNIMPLEMENTED: 0,
  /**
  * Sent when a connection is being aborted due to an unrecoverable error.  This could be e.g.
  * because the sender received an invalid or nonsensical message or because the sender had an
  * internal error.  The sender will shut down the outgoing half of the connection after `abort`
  * and will completely close the connection shortly thereafter (it's up to the sender how much
  * of a time buffer they want to offer for the client to receive the `abort` before the
  * connection is reset).
  *
  */
  ABORT: 1,
  /**
  * Request the peer's bootstrap interface.
  *
  */
  BOOTSTRAP: 8,
  /**
  * Begin a method call.
  *
  */
  CALL: 2,
  /**
  * Complete a method call.
  *
  */
  RETURN: 3,
  /**
  * Release a returned answer / cancel a call.
  *
  */
  FINISH: 4,
  /**
  * Resolve a previously-sent promise.
  *
  */
  RESOLVE: 5,
  /**
  * Release a capability so that the remote object can be deallocated.
  *
  */
  RELEASE: 6,
  /**
  * Lift an embargo used to enforce E-order over promise resolution.
  *
  */
  DISEMBARGO: 13,
  /**
  * Obsolete request to save a capability, resulting in a SturdyRef. This has been replaced
  * by the `Persistent` interface defined in `persistent.capnp`. This operation was never
  * implemented.
  *
  */
  OBSOLETE_SAVE: 7,
  /**
  * Obsolete way to delete a SturdyRef. This operation was never implemented.
  *
  */
  OBSOLETE_DELETE: 9,
  /**
  * Provide a capability to a third party.
  *
  */
  PROVIDE: 10,
  /**
  * Accept a capability provided by a third party.
  *
  */
  ACCEPT: 11,
  /**
  * Directly connect to the common root of two or more proxied caps.
  *
  */
  JOIN: 12
};
var Message2 = class _Message extends Struct {
  static UNIMPLEMENTED = Message_Which.UNIMPLEMENTED;
  static ABORT = Message_Which.ABORT;
  static BOOTSTRAP = Message_Which.BOOTSTRAP;
  static CALL = Message_Which.CALL;
  static RETURN = Message_Which.RETURN;
  static FINISH = Message_Which.FINISH;
  static RESOLVE = Message_Which.RESOLVE;
  static RELEASE = Message_Which.RELEASE;
  static DISEMBARGO = Message_Which.DISEMBARGO;
  static OBSOLETE_SAVE = Message_Which.OBSOLETE_SAVE;
  static OBSOLETE_DELETE = Message_Which.OBSOLETE_DELETE;
  static PROVIDE = Message_Which.PROVIDE;
  static ACCEPT = Message_Which.ACCEPT;
  static JOIN = Message_Which.JOIN;
  static _capnp = {
    displayName: "Message",
    id: "91b79f1f808db032",
    size: new ObjectSize(8, 1)
  };
  _adoptUnimplemented(value) {
    setUint16(0, 0, this);
    adopt(value, getPointer(0, this));
  }
  _disownUnimplemented() {
    return disown(this.unimplemented);
  }
  /**
  * The sender previously received this message from the peer but didn't understand it or doesn't
  * yet implement the functionality that was requested.  So, the sender is echoing the message
  * back.  In some cases, the receiver may be able to recover from this by pretending the sender
  * had taken some appropriate "null" action.
  *
  * For example, say `resolve` is received by a level 0 implementation (because a previous call
  * or return happened to contain a promise).  The level 0 implementation will echo it back as
  * `unimplemented`.  The original sender can then simply release the cap to which the promise
  * had resolved, thus avoiding a leak.
  *
  * For any message type that introduces a question, if the message comes back unimplemented,
  * the original sender may simply treat it as if the question failed with an exception.
  *
  * In cases where there is no sensible way to react to an `unimplemented` message (without
  * resource leaks or other serious problems), the connection may need to be aborted.  This is
  * a gray area; different implementations may take different approaches.
  *
  */
  get unimplemented() {
    testWhich("unimplemented", getUint16(0, this), 0, this);
    return getStruct(0, _Message, this);
  }
  _hasUnimplemented() {
    return !isNull(getPointer(0, this));
  }
  _initUnimplemented() {
    setUint16(0, 0, this);
    return initStructAt(0, _Message, this);
  }
  get _isUnimplemented() {
    return getUint16(0, this) === 0;
  }
  set unimplemented(value) {
    setUint16(0, 0, this);
    copyFrom(value, getPointer(0, this));
  }
  _adoptAbort(value) {
    setUint16(0, 1, this);
    adopt(value, getPointer(0, this));
  }
  _disownAbort() {
    return disown(this.abort);
  }
  /**
  * Sent when a connection is being aborted due to an unrecoverable error.  This could be e.g.
  * because the sender received an invalid or nonsensical message or because the sender had an
  * internal error.  The sender will shut down the outgoing half of the connection after `abort`
  * and will completely close the connection shortly thereafter (it's up to the sender how much
  * of a time buffer they want to offer for the client to receive the `abort` before the
  * connection is reset).
  *
  */
  get abort() {
    testWhich("abort", getUint16(0, this), 1, this);
    return getStruct(0, Exception, this);
  }
  _hasAbort() {
    return !isNull(getPointer(0, this));
  }
  _initAbort() {
    setUint16(0, 1, this);
    return initStructAt(0, Exception, this);
  }
  get _isAbort() {
    return getUint16(0, this) === 1;
  }
  set abort(value) {
    setUint16(0, 1, this);
    copyFrom(value, getPointer(0, this));
  }
  _adoptBootstrap(value) {
    setUint16(0, 8, this);
    adopt(value, getPointer(0, this));
  }
  _disownBootstrap() {
    return disown(this.bootstrap);
  }
  /**
  * Request the peer's bootstrap interface.
  *
  */
  get bootstrap() {
    testWhich("bootstrap", getUint16(0, this), 8, this);
    return getStruct(0, Bootstrap, this);
  }
  _hasBootstrap() {
    return !isNull(getPointer(0, this));
  }
  _initBootstrap() {
    setUint16(0, 8, this);
    return initStructAt(0, Bootstrap, this);
  }
  get _isBootstrap() {
    return getUint16(0, this) === 8;
  }
  set bootstrap(value) {
    setUint16(0, 8, this);
    copyFrom(value, getPointer(0, this));
  }
  _adoptCall(value) {
    setUint16(0, 2, this);
    adopt(value, getPointer(0, this));
  }
  _disownCall() {
    return disown(this.call);
  }
  /**
  * Begin a method call.
  *
  */
  get call() {
    testWhich("call", getUint16(0, this), 2, this);
    return getStruct(0, Call, this);
  }
  _hasCall() {
    return !isNull(getPointer(0, this));
  }
  _initCall() {
    setUint16(0, 2, this);
    return initStructAt(0, Call, this);
  }
  get _isCall() {
    return getUint16(0, this) === 2;
  }
  set call(value) {
    setUint16(0, 2, this);
    copyFrom(value, getPointer(0, this));
  }
  _adoptReturn(value) {
    setUint16(0, 3, this);
    adopt(value, getPointer(0, this));
  }
  _disownReturn() {
    return disown(this.return);
  }
  /**
  * Complete a method call.
  *
  */
  get return() {
    testWhich("return", getUint16(0, this), 3, this);
    return getStruct(0, Return, this);
  }
  _hasReturn() {
    return !isNull(getPointer(0, this));
  }
  _initReturn() {
    setUint16(0, 3, this);
    return initStructAt(0, Return, this);
  }
  get _isReturn() {
    return getUint16(0, this) === 3;
  }
  set return(value) {
    setUint16(0, 3, this);
    copyFrom(value, getPointer(0, this));
  }
  _adoptFinish(value) {
    setUint16(0, 4, this);
    adopt(value, getPointer(0, this));
  }
  _disownFinish() {
    return disown(this.finish);
  }
  /**
  * Release a returned answer / cancel a call.
  *
  */
  get finish() {
    testWhich("finish", getUint16(0, this), 4, this);
    return getStruct(0, Finish, this);
  }
  _hasFinish() {
    return !isNull(getPointer(0, this));
  }
  _initFinish() {
    setUint16(0, 4, this);
    return initStructAt(0, Finish, this);
  }
  get _isFinish() {
    return getUint16(0, this) === 4;
  }
  set finish(value) {
    setUint16(0, 4, this);
    copyFrom(value, getPointer(0, this));
  }
  _adoptResolve(value) {
    setUint16(0, 5, this);
    adopt(value, getPointer(0, this));
  }
  _disownResolve() {
    return disown(this.resolve);
  }
  /**
  * Resolve a previously-sent promise.
  *
  */
  get resolve() {
    testWhich("resolve", getUint16(0, this), 5, this);
    return getStruct(0, Resolve, this);
  }
  _hasResolve() {
    return !isNull(getPointer(0, this));
  }
  _initResolve() {
    setUint16(0, 5, this);
    return initStructAt(0, Resolve, this);
  }
  get _isResolve() {
    return getUint16(0, this) === 5;
  }
  set resolve(value) {
    setUint16(0, 5, this);
    copyFrom(value, getPointer(0, this));
  }
  _adoptRelease(value) {
    setUint16(0, 6, this);
    adopt(value, getPointer(0, this));
  }
  _disownRelease() {
    return disown(this.release);
  }
  /**
  * Release a capability so that the remote object can be deallocated.
  *
  */
  get release() {
    testWhich("release", getUint16(0, this), 6, this);
    return getStruct(0, Release, this);
  }
  _hasRelease() {
    return !isNull(getPointer(0, this));
  }
  _initRelease() {
    setUint16(0, 6, this);
    return initStructAt(0, Release, this);
  }
  get _isRelease() {
    return getUint16(0, this) === 6;
  }
  set release(value) {
    setUint16(0, 6, this);
    copyFrom(value, getPointer(0, this));
  }
  _adoptDisembargo(value) {
    setUint16(0, 13, this);
    adopt(value, getPointer(0, this));
  }
  _disownDisembargo() {
    return disown(this.disembargo);
  }
  /**
  * Lift an embargo used to enforce E-order over promise resolution.
  *
  */
  get disembargo() {
    testWhich("disembargo", getUint16(0, this), 13, this);
    return getStruct(0, Disembargo, this);
  }
  _hasDisembargo() {
    return !isNull(getPointer(0, this));
  }
  _initDisembargo() {
    setUint16(0, 13, this);
    return initStructAt(0, Disembargo, this);
  }
  get _isDisembargo() {
    return getUint16(0, this) === 13;
  }
  set disembargo(value) {
    setUint16(0, 13, this);
    copyFrom(value, getPointer(0, this));
  }
  _adoptObsoleteSave(value) {
    setUint16(0, 7, this);
    adopt(value, getPointer(0, this));
  }
  _disownObsoleteSave() {
    return disown(this.obsoleteSave);
  }
  /**
  * Obsolete request to save a capability, resulting in a SturdyRef. This has been replaced
  * by the `Persistent` interface defined in `persistent.capnp`. This operation was never
  * implemented.
  *
  */
  get obsoleteSave() {
    testWhich("obsoleteSave", getUint16(0, this), 7, this);
    return getPointer(0, this);
  }
  _hasObsoleteSave() {
    return !isNull(getPointer(0, this));
  }
  get _isObsoleteSave() {
    return getUint16(0, this) === 7;
  }
  set obsoleteSave(value) {
    setUint16(0, 7, this);
    copyFrom(value, getPointer(0, this));
  }
  _adoptObsoleteDelete(value) {
    setUint16(0, 9, this);
    adopt(value, getPointer(0, this));
  }
  _disownObsoleteDelete() {
    return disown(this.obsoleteDelete);
  }
  /**
  * Obsolete way to delete a SturdyRef. This operation was never implemented.
  *
  */
  get obsoleteDelete() {
    testWhich("obsoleteDelete", getUint16(0, this), 9, this);
    return getPointer(0, this);
  }
  _hasObsoleteDelete() {
    return !isNull(getPointer(0, this));
  }
  get _isObsoleteDelete() {
    return getUint16(0, this) === 9;
  }
  set obsoleteDelete(value) {
    setUint16(0, 9, this);
    copyFrom(value, getPointer(0, this));
  }
  _adoptProvide(value) {
    setUint16(0, 10, this);
    adopt(value, getPointer(0, this));
  }
  _disownProvide() {
    return disown(this.provide);
  }
  /**
  * Provide a capability to a third party.
  *
  */
  get provide() {
    testWhich("provide", getUint16(0, this), 10, this);
    return getStruct(0, Provide, this);
  }
  _hasProvide() {
    return !isNull(getPointer(0, this));
  }
  _initProvide() {
    setUint16(0, 10, this);
    return initStructAt(0, Provide, this);
  }
  get _isProvide() {
    return getUint16(0, this) === 10;
  }
  set provide(value) {
    setUint16(0, 10, this);
    copyFrom(value, getPointer(0, this));
  }
  _adoptAccept(value) {
    setUint16(0, 11, this);
    adopt(value, getPointer(0, this));
  }
  _disownAccept() {
    return disown(this.accept);
  }
  /**
  * Accept a capability provided by a third party.
  *
  */
  get accept() {
    testWhich("accept", getUint16(0, this), 11, this);
    return getStruct(0, Accept, this);
  }
  _hasAccept() {
    return !isNull(getPointer(0, this));
  }
  _initAccept() {
    setUint16(0, 11, this);
    return initStructAt(0, Accept, this);
  }
  get _isAccept() {
    return getUint16(0, this) === 11;
  }
  set accept(value) {
    setUint16(0, 11, this);
    copyFrom(value, getPointer(0, this));
  }
  _adoptJoin(value) {
    setUint16(0, 12, this);
    adopt(value, getPointer(0, this));
  }
  _disownJoin() {
    return disown(this.join);
  }
  /**
  * Directly connect to the common root of two or more proxied caps.
  *
  */
  get join() {
    testWhich("join", getUint16(0, this), 12, this);
    return getStruct(0, Join, this);
  }
  _hasJoin() {
    return !isNull(getPointer(0, this));
  }
  _initJoin() {
    setUint16(0, 12, this);
    return initStructAt(0, Join, this);
  }
  get _isJoin() {
    return getUint16(0, this) === 12;
  }
  set join(value) {
    setUint16(0, 12, this);
    copyFrom(value, getPointer(0, this));
  }
  toString() {
    return "Message_" + super.toString();
  }
  which() {
    return getUint16(0, this);
  }
};
var Bootstrap = class extends Struct {
  static _capnp = {
    displayName: "Bootstrap",
    id: "e94ccf8031176ec4",
    size: new ObjectSize(8, 1)
  };
  /**
  * A new question ID identifying this request, which will eventually receive a Return message
  * containing the restored capability.
  *
  */
  get questionId() {
    return getUint32(0, this);
  }
  set questionId(value) {
    setUint32(0, value, this);
  }
  _adoptDeprecatedObjectId(value) {
    adopt(value, getPointer(0, this));
  }
  _disownDeprecatedObjectId() {
    return disown(this.deprecatedObjectId);
  }
  /**
  * ** DEPRECATED **
  *
  * A Vat may export multiple bootstrap interfaces. In this case, `deprecatedObjectId` specifies
  * which one to return. If this pointer is null, then the default bootstrap interface is returned.
  *
  * As of version 0.5, use of this field is deprecated. If a service wants to export multiple
  * bootstrap interfaces, it should instead define a single bootstrap interface that has methods
  * that return each of the other interfaces.
  *
  * **History**
  *
  * In the first version of Cap'n Proto RPC (0.4.x) the `Bootstrap` message was called `Restore`.
  * At the time, it was thought that this would eventually serve as the way to restore SturdyRefs
  * (level 2). Meanwhile, an application could offer its "main" interface on a well-known
  * (non-secret) SturdyRef.
  *
  * Since level 2 RPC was not implemented at the time, the `Restore` message was in practice only
  * used to obtain the main interface. Since most applications had only one main interface that
  * they wanted to restore, they tended to designate this with a null `objectId`.
  *
  * Unfortunately, the earliest version of the EZ RPC interfaces set a precedent of exporting
  * multiple main interfaces by allowing them to be exported under string names. In this case,
  * `objectId` was a Text value specifying the name.
  *
  * All of this proved problematic for several reasons:
  *
  * - The arrangement assumed that a client wishing to restore a SturdyRef would know exactly what
  *   machine to connect to and would be able to immediately restore a SturdyRef on connection.
  *   However, in practice, the ability to restore SturdyRefs is itself a capability that may
  *   require going through an authentication process to obtain. Thus, it makes more sense to
  *   define a "restorer service" as a full Cap'n Proto interface. If this restorer interface is
  *   offered as the vat's bootstrap interface, then this is equivalent to the old arrangement.
  *
  * - Overloading "Restore" for the purpose of obtaining well-known capabilities encouraged the
  *   practice of exporting singleton services with string names. If singleton services are desired,
  *   it is better to have one main interface that has methods that can be used to obtain each
  *   service, in order to get all the usual benefits of schemas and type checking.
  *
  * - Overloading "Restore" also had a security problem: Often, "main" or "well-known"
  *   capabilities exported by a vat are in fact not public: they are intended to be accessed only
  *   by clients who are capable of forming a connection to the vat. This can lead to trouble if
  *   the client itself has other clients and wishes to forward some `Restore` requests from those
  *   external clients -- it has to be very careful not to allow through `Restore` requests
  *   addressing the default capability.
  *
  *   For example, consider the case of a sandboxed Sandstorm application and its supervisor. The
  *   application exports a default capability to its supervisor that provides access to
  *   functionality that only the supervisor is supposed to access. Meanwhile, though, applications
  *   may publish other capabilities that may be persistent, in which case the application needs
  *   to field `Restore` requests that could come from anywhere. These requests of course have to
  *   pass through the supervisor, as all communications with the outside world must. But, the
  *   supervisor has to be careful not to honor an external request addressing the application's
  *   default capability, since this capability is privileged. Unfortunately, the default
  *   capability cannot be given an unguessable name, because then the supervisor itself would not
  *   be able to address it!
  *
  * As of Cap'n Proto 0.5, `Restore` has been renamed to `Bootstrap` and is no longer planned for
  * use in restoring SturdyRefs.
  *
  * Note that 0.4 also defined a message type called `Delete` that, like `Restore`, addressed a
  * SturdyRef, but indicated that the client would not restore the ref again in the future. This
  * operation was never implemented, so it was removed entirely. If a "delete" operation is desired,
  * it should exist as a method on the same interface that handles restoring SturdyRefs. However,
  * the utility of such an operation is questionable. You wouldn't be able to rely on it for
  * garbage collection since a client could always disappear permanently without remembering to
  * delete all its SturdyRefs, thus leaving them dangling forever. Therefore, it is advisable to
  * design systems such that SturdyRefs never represent "owned" pointers.
  *
  * For example, say a SturdyRef points to an image file hosted on some server. That image file
  * should also live inside a collection (a gallery, perhaps) hosted on the same server, owned by
  * a user who can delete the image at any time. If the user deletes the image, the SturdyRef
  * stops working. On the other hand, if the SturdyRef is discarded, this has no effect on the
  * existence of the image in its collection.
  *
  */
  get deprecatedObjectId() {
    return getPointer(0, this);
  }
  _hasDeprecatedObjectId() {
    return !isNull(getPointer(0, this));
  }
  set deprecatedObjectId(value) {
    copyFrom(value, getPointer(0, this));
  }
  toString() {
    return "Bootstrap_" + super.toString();
  }
};
var Call_SendResultsTo_Which = {
  /**
  * Send the return message back to the caller (the usual).
  *
  */
  CALLER: 0,
  /**
  * **(level 1)**
  *
  * Don't actually return the results to the sender.  Instead, hold on to them and await
  * instructions from the sender regarding what to do with them.  In particular, the sender
  * may subsequently send a `Return` for some other call (which the receiver had previously made
  * to the sender) with `takeFromOtherQuestion` set.  The results from this call are then used
  * as the results of the other call.
  *
  * When `yourself` is used, the receiver must still send a `Return` for the call, but sets the
  * field `resultsSentElsewhere` in that `Return` rather than including the results.
  *
  * This feature can be used to implement tail calls in which a call from Vat A to Vat B ends up
  * returning the result of a call from Vat B back to Vat A.
  *
  * In particular, the most common use case for this feature is when Vat A makes a call to a
  * promise in Vat B, and then that promise ends up resolving to a capability back in Vat A.
  * Vat B must forward all the queued calls on that promise back to Vat A, but can set `yourself`
  * in the calls so that the results need not pass back through Vat B.
  *
  * For example:
  * - Alice, in Vat A, calls foo() on Bob in Vat B.
  * - Alice makes a pipelined call bar() on the promise returned by foo().
  * - Later on, Bob resolves the promise from foo() to point at Carol, who lives in Vat A (next
  *   to Alice).
  * - Vat B dutifully forwards the bar() call to Carol.  Let us call this forwarded call bar'().
  *   Notice that bar() and bar'() are travelling in opposite directions on the same network
  *   link.
  * - The `Call` for bar'() has `sendResultsTo` set to `yourself`.
  * - Vat B sends a `Return` for bar() with `takeFromOtherQuestion` set in place of the results,
  *   with the value set to the question ID of bar'().  Vat B does not wait for bar'() to return,
  *   as doing so would introduce unnecessary round trip latency.
  * - Vat A receives bar'() and delivers it to Carol.
  * - When bar'() returns, Vat A sends a `Return` for bar'() to Vat B, with `resultsSentElsewhere`
  *   set in place of results.
  * - Vat A sends a `Finish` for the bar() call to Vat B.
  * - Vat B receives the `Finish` for bar() and sends a `Finish` for bar'().
  *
  */
  YOURSELF: 1,
  /**
  * **(level 3)**
  *
  * The call's result should be returned to a different vat.  The receiver (the callee) expects
  * to receive an `Accept` message from the indicated vat, and should return the call's result
  * to it, rather than to the sender of the `Call`.
  *
  * This operates much like `yourself`, above, except that Carol is in a separate Vat C.  `Call`
  * messages are sent from Vat A -> Vat B and Vat B -> Vat C.  A `Return` message is sent from
  * Vat B -> Vat A that contains `acceptFromThirdParty` in place of results.  When Vat A sends
  * an `Accept` to Vat C, it receives back a `Return` containing the call's actual result.  Vat C
  * also sends a `Return` to Vat B with `resultsSentElsewhere`.
  *
  */
  THIRD_PARTY: 2
};
var Call_SendResultsTo = class extends Struct {
  static CALLER = Call_SendResultsTo_Which.CALLER;
  static YOURSELF = Call_SendResultsTo_Which.YOURSELF;
  static THIRD_PARTY = Call_SendResultsTo_Which.THIRD_PARTY;
  static _capnp = {
    displayName: "sendResultsTo",
    id: "dae8b0f61aab5f99",
    size: new ObjectSize(24, 3)
  };
  get _isCaller() {
    return getUint16(6, this) === 0;
  }
  set caller(_) {
    setUint16(6, 0, this);
  }
  get _isYourself() {
    return getUint16(6, this) === 1;
  }
  set yourself(_) {
    setUint16(6, 1, this);
  }
  _adoptThirdParty(value) {
    setUint16(6, 2, this);
    adopt(value, getPointer(2, this));
  }
  _disownThirdParty() {
    return disown(this.thirdParty);
  }
  /**
  * **(level 3)**
  *
  * The call's result should be returned to a different vat.  The receiver (the callee) expects
  * to receive an `Accept` message from the indicated vat, and should return the call's result
  * to it, rather than to the sender of the `Call`.
  *
  * This operates much like `yourself`, above, except that Carol is in a separate Vat C.  `Call`
  * messages are sent from Vat A -> Vat B and Vat B -> Vat C.  A `Return` message is sent from
  * Vat B -> Vat A that contains `acceptFromThirdParty` in place of results.  When Vat A sends
  * an `Accept` to Vat C, it receives back a `Return` containing the call's actual result.  Vat C
  * also sends a `Return` to Vat B with `resultsSentElsewhere`.
  *
  */
  get thirdParty() {
    testWhich("thirdParty", getUint16(6, this), 2, this);
    return getPointer(2, this);
  }
  _hasThirdParty() {
    return !isNull(getPointer(2, this));
  }
  get _isThirdParty() {
    return getUint16(6, this) === 2;
  }
  set thirdParty(value) {
    setUint16(6, 2, this);
    copyFrom(value, getPointer(2, this));
  }
  toString() {
    return "Call_SendResultsTo_" + super.toString();
  }
  which() {
    return getUint16(6, this);
  }
};
var Call = class _Call extends Struct {
  static _capnp = {
    displayName: "Call",
    id: "836a53ce789d4cd4",
    size: new ObjectSize(24, 3),
    defaultAllowThirdPartyTailCall: getBitMask(false, 0),
    defaultNoPromisePipelining: getBitMask(false, 1),
    defaultOnlyPromisePipeline: getBitMask(false, 2)
  };
  /**
  * A number, chosen by the caller, that identifies this call in future messages.  This number
  * must be different from all other calls originating from the same end of the connection (but
  * may overlap with question IDs originating from the opposite end).  A fine strategy is to use
  * sequential question IDs, but the recipient should not assume this.
  *
  * A question ID can be reused once both:
  * - A matching Return has been received from the callee.
  * - A matching Finish has been sent from the caller.
  *
  */
  get questionId() {
    return getUint32(0, this);
  }
  set questionId(value) {
    setUint32(0, value, this);
  }
  _adoptTarget(value) {
    adopt(value, getPointer(0, this));
  }
  _disownTarget() {
    return disown(this.target);
  }
  /**
  * The object that should receive this call.
  *
  */
  get target() {
    return getStruct(0, MessageTarget, this);
  }
  _hasTarget() {
    return !isNull(getPointer(0, this));
  }
  _initTarget() {
    return initStructAt(0, MessageTarget, this);
  }
  set target(value) {
    copyFrom(value, getPointer(0, this));
  }
  /**
  * The type ID of the interface being called.  Each capability may implement multiple interfaces.
  *
  */
  get interfaceId() {
    return getUint64(8, this);
  }
  set interfaceId(value) {
    setUint64(8, value, this);
  }
  /**
  * The ordinal number of the method to call within the requested interface.
  *
  */
  get methodId() {
    return getUint16(4, this);
  }
  set methodId(value) {
    setUint16(4, value, this);
  }
  /**
  * Indicates whether or not the receiver is allowed to send a `Return` containing
  * `acceptFromThirdParty`.  Level 3 implementations should set this true.  Otherwise, the callee
  * will have to proxy the return in the case of a tail call to a third-party vat.
  *
  */
  get allowThirdPartyTailCall() {
    return getBit(128, this, _Call._capnp.defaultAllowThirdPartyTailCall);
  }
  set allowThirdPartyTailCall(value) {
    setBit(128, value, this, _Call._capnp.defaultAllowThirdPartyTailCall);
  }
  /**
  * If true, the sender promises that it won't make any promise-pipelined calls on the results of
  * this call. If it breaks this promise, the receiver may throw an arbitrary error from such
  * calls.
  *
  * The receiver may use this as an optimization, by skipping the bookkeeping needed for pipelining
  * when no pipelined calls are expected. The sender typically sets this to false when the method's
  * schema does not specify any return capabilities.
  *
  */
  get noPromisePipelining() {
    return getBit(129, this, _Call._capnp.defaultNoPromisePipelining);
  }
  set noPromisePipelining(value) {
    setBit(129, value, this, _Call._capnp.defaultNoPromisePipelining);
  }
  /**
  * If true, the sender only plans to use this call to make pipelined calls. The receiver need not
  * send a `Return` message (but is still allowed to do so).
  *
  * Since the sender does not know whether a `Return` will be sent, it must release all state
  * related to the call when it sends `Finish`. However, in the case that the callee does not
  * recognize this hint and chooses to send a `Return`, then technically the caller is not allowed
  * to reuse the question ID until it receives said `Return`. This creates a conundrum: How does
  * the caller decide when it's OK to reuse the ID? To sidestep the problem, the C++ implementation
  * uses high-numbered IDs (with the high-order bit set) for such calls, and cycles through the
  * IDs in order. If all 2^31 IDs in this space are used without ever seeing a `Return`, then the
  * implementation assumes that the other end is in fact honoring the hint, and the ID counter is
  * allowed to loop around. If a `Return` is ever seen when `onlyPromisePipeline` was set, then
  * the implementation stops using this hint.
  *
  */
  get onlyPromisePipeline() {
    return getBit(130, this, _Call._capnp.defaultOnlyPromisePipeline);
  }
  set onlyPromisePipeline(value) {
    setBit(130, value, this, _Call._capnp.defaultOnlyPromisePipeline);
  }
  _adoptParams(value) {
    adopt(value, getPointer(1, this));
  }
  _disownParams() {
    return disown(this.params);
  }
  /**
  * The call parameters.  `params.content` is a struct whose fields correspond to the parameters of
  * the method.
  *
  */
  get params() {
    return getStruct(1, Payload, this);
  }
  _hasParams() {
    return !isNull(getPointer(1, this));
  }
  _initParams() {
    return initStructAt(1, Payload, this);
  }
  set params(value) {
    copyFrom(value, getPointer(1, this));
  }
  /**
  * Where should the return message be sent?
  *
  */
  get sendResultsTo() {
    return getAs(Call_SendResultsTo, this);
  }
  _initSendResultsTo() {
    return getAs(Call_SendResultsTo, this);
  }
  toString() {
    return "Call_" + super.toString();
  }
};
var Return_Which = {
  /**
  * The result.
  *
  * For regular method calls, `results.content` points to the result struct.
  *
  * For a `Return` in response to an `Accept` or `Bootstrap`, `results` contains a single
  * capability (rather than a struct), and `results.content` is just a capability pointer with
  * index 0.  A `Finish` is still required in this case.
  *
  */
  RESULTS: 0,
  /**
  * Indicates that the call failed and explains why.
  *
  */
  EXCEPTION: 1,
  /**
  * Indicates that the call was canceled due to the caller sending a Finish message
  * before the call had completed.
  *
  */
  CANCELED: 2,
  /**
  * This is set when returning from a `Call` that had `sendResultsTo` set to something other
  * than `caller`.
  *
  * It doesn't matter too much when this is sent, as the receiver doesn't need to do anything
  * with it, but the C++ implementation appears to wait for the call to finish before sending
  * this.
  *
  */
  RESULTS_SENT_ELSEWHERE: 3,
  /**
  * The sender has also sent (before this message) a `Call` with the given question ID and with
  * `sendResultsTo.yourself` set, and the results of that other call should be used as the
  * results here.  `takeFromOtherQuestion` can only used once per question.
  *
  */
  TAKE_FROM_OTHER_QUESTION: 4,
  /**
  * **(level 3)**
  *
  * The caller should contact a third-party vat to pick up the results.  An `Accept` message
  * sent to the vat will return the result.  This pairs with `Call.sendResultsTo.thirdParty`.
  * It should only be used if the corresponding `Call` had `allowThirdPartyTailCall` set.
  *
  */
  ACCEPT_FROM_THIRD_PARTY: 5
};
var Return = class _Return extends Struct {
  static RESULTS = Return_Which.RESULTS;
  static EXCEPTION = Return_Which.EXCEPTION;
  static CANCELED = Return_Which.CANCELED;
  static RESULTS_SENT_ELSEWHERE = Return_Which.RESULTS_SENT_ELSEWHERE;
  static TAKE_FROM_OTHER_QUESTION = Return_Which.TAKE_FROM_OTHER_QUESTION;
  static ACCEPT_FROM_THIRD_PARTY = Return_Which.ACCEPT_FROM_THIRD_PARTY;
  static _capnp = {
    displayName: "Return",
    id: "9e19b28d3db3573a",
    size: new ObjectSize(16, 1),
    defaultReleaseParamCaps: getBitMask(true, 0),
    defaultNoFinishNeeded: getBitMask(false, 1)
  };
  /**
  * Equal to the QuestionId of the corresponding `Call` message.
  *
  */
  get answerId() {
    return getUint32(0, this);
  }
  set answerId(value) {
    setUint32(0, value, this);
  }
  /**
  * If true, all capabilities that were in the params should be considered released.  The sender
  * must not send separate `Release` messages for them.  Level 0 implementations in particular
  * should always set this true.  This defaults true because if level 0 implementations forget to
  * set it they'll never notice (just silently leak caps), but if level >=1 implementations forget
  * to set it to false they'll quickly get errors.
  *
  * The receiver should act as if the sender had sent a release message with count=1 for each
  * CapDescriptor in the original Call message.
  *
  */
  get releaseParamCaps() {
    return getBit(32, this, _Return._capnp.defaultReleaseParamCaps);
  }
  set releaseParamCaps(value) {
    setBit(32, value, this, _Return._capnp.defaultReleaseParamCaps);
  }
  /**
  * If true, the sender does not need the receiver to send a `Finish` message; its answer table
  * entry has already been cleaned up. This implies that the results do not contain any
  * capabilities, since the `Finish` message would normally release those capabilities from
  * promise pipelining responsibility. The caller may still send a `Finish` message if it wants,
  * which will be silently ignored by the callee.
  *
  */
  get noFinishNeeded() {
    return getBit(33, this, _Return._capnp.defaultNoFinishNeeded);
  }
  set noFinishNeeded(value) {
    setBit(33, value, this, _Return._capnp.defaultNoFinishNeeded);
  }
  _adoptResults(value) {
    setUint16(6, 0, this);
    adopt(value, getPointer(0, this));
  }
  _disownResults() {
    return disown(this.results);
  }
  /**
  * The result.
  *
  * For regular method calls, `results.content` points to the result struct.
  *
  * For a `Return` in response to an `Accept` or `Bootstrap`, `results` contains a single
  * capability (rather than a struct), and `results.content` is just a capability pointer with
  * index 0.  A `Finish` is still required in this case.
  *
  */
  get results() {
    testWhich("results", getUint16(6, this), 0, this);
    return getStruct(0, Payload, this);
  }
  _hasResults() {
    return !isNull(getPointer(0, this));
  }
  _initResults() {
    setUint16(6, 0, this);
    return initStructAt(0, Payload, this);
  }
  get _isResults() {
    return getUint16(6, this) === 0;
  }
  set results(value) {
    setUint16(6, 0, this);
    copyFrom(value, getPointer(0, this));
  }
  _adoptException(value) {
    setUint16(6, 1, this);
    adopt(value, getPointer(0, this));
  }
  _disownException() {
    return disown(this.exception);
  }
  /**
  * Indicates that the call failed and explains why.
  *
  */
  get exception() {
    testWhich("exception", getUint16(6, this), 1, this);
    return getStruct(0, Exception, this);
  }
  _hasException() {
    return !isNull(getPointer(0, this));
  }
  _initException() {
    setUint16(6, 1, this);
    return initStructAt(0, Exception, this);
  }
  get _isException() {
    return getUint16(6, this) === 1;
  }
  set exception(value) {
    setUint16(6, 1, this);
    copyFrom(value, getPointer(0, this));
  }
  get _isCanceled() {
    return getUint16(6, this) === 2;
  }
  set canceled(_) {
    setUint16(6, 2, this);
  }
  get _isResultsSentElsewhere() {
    return getUint16(6, this) === 3;
  }
  set resultsSentElsewhere(_) {
    setUint16(6, 3, this);
  }
  /**
  * The sender has also sent (before this message) a `Call` with the given question ID and with
  * `sendResultsTo.yourself` set, and the results of that other call should be used as the
  * results here.  `takeFromOtherQuestion` can only used once per question.
  *
  */
  get takeFromOtherQuestion() {
    testWhich("takeFromOtherQuestion", getUint16(6, this), 4, this);
    return getUint32(8, this);
  }
  get _isTakeFromOtherQuestion() {
    return getUint16(6, this) === 4;
  }
  set takeFromOtherQuestion(value) {
    setUint16(6, 4, this);
    setUint32(8, value, this);
  }
  _adoptAcceptFromThirdParty(value) {
    setUint16(6, 5, this);
    adopt(value, getPointer(0, this));
  }
  _disownAcceptFromThirdParty() {
    return disown(this.acceptFromThirdParty);
  }
  /**
  * **(level 3)**
  *
  * The caller should contact a third-party vat to pick up the results.  An `Accept` message
  * sent to the vat will return the result.  This pairs with `Call.sendResultsTo.thirdParty`.
  * It should only be used if the corresponding `Call` had `allowThirdPartyTailCall` set.
  *
  */
  get acceptFromThirdParty() {
    testWhich("acceptFromThirdParty", getUint16(6, this), 5, this);
    return getPointer(0, this);
  }
  _hasAcceptFromThirdParty() {
    return !isNull(getPointer(0, this));
  }
  get _isAcceptFromThirdParty() {
    return getUint16(6, this) === 5;
  }
  set acceptFromThirdParty(value) {
    setUint16(6, 5, this);
    copyFrom(value, getPointer(0, this));
  }
  toString() {
    return "Return_" + super.toString();
  }
  which() {
    return getUint16(6, this);
  }
};
var Finish = class _Finish extends Struct {
  static _capnp = {
    displayName: "Finish",
    id: "d37d2eb2c2f80e63",
    size: new ObjectSize(8, 0),
    defaultReleaseResultCaps: getBitMask(true, 0),
    defaultRequireEarlyCancellationWorkaround: getBitMask(true, 1)
  };
  /**
  * ID of the call whose result is to be released.
  *
  */
  get questionId() {
    return getUint32(0, this);
  }
  set questionId(value) {
    setUint32(0, value, this);
  }
  /**
  * If true, all capabilities that were in the results should be considered released.  The sender
  * must not send separate `Release` messages for them.  Level 0 implementations in particular
  * should always set this true.  This defaults true because if level 0 implementations forget to
  * set it they'll never notice (just silently leak caps), but if level >=1 implementations forget
  * set it false they'll quickly get errors.
  *
  */
  get releaseResultCaps() {
    return getBit(32, this, _Finish._capnp.defaultReleaseResultCaps);
  }
  set releaseResultCaps(value) {
    setBit(32, value, this, _Finish._capnp.defaultReleaseResultCaps);
  }
  /**
  * If true, if the RPC system receives this Finish message before the original call has even been
  * delivered, it should defer cancellation util after delivery. In particular, this gives the
  * destination object a chance to opt out of cancellation, e.g. as controlled by the
  * `allowCancellation` annotation defined in `c++.capnp`.
  *
  * This is a work-around. Versions 1.0 and up of Cap'n Proto always set this to false. However,
  * older versions of Cap'n Proto unintentionally exhibited this errant behavior by default, and
  * as a result programs built with older versions could be inadvertently relying on their peers
  * to implement the behavior. The purpose of this flag is to let newer versions know when the
  * peer is an older version, so that it can attempt to work around the issue.
  *
  * See also comments in handleFinish() in rpc.c++ for more details.
  *
  */
  get requireEarlyCancellationWorkaround() {
    return getBit(33, this, _Finish._capnp.defaultRequireEarlyCancellationWorkaround);
  }
  set requireEarlyCancellationWorkaround(value) {
    setBit(33, value, this, _Finish._capnp.defaultRequireEarlyCancellationWorkaround);
  }
  toString() {
    return "Finish_" + super.toString();
  }
};
var Resolve_Which = {
  /**
  * The object to which the promise resolved.
  *
  * The sender promises that from this point forth, until `promiseId` is released, it shall
  * simply forward all messages to the capability designated by `cap`.  This is true even if
  * `cap` itself happens to designate another promise, and that other promise later resolves --
  * messages sent to `promiseId` shall still go to that other promise, not to its resolution.
  * This is important in the case that the receiver of the `Resolve` ends up sending a
  * `Disembargo` message towards `promiseId` in order to control message ordering -- that
  * `Disembargo` really needs to reflect back to exactly the object designated by `cap` even
  * if that object is itself a promise.
  *
  */
  CAP: 0,
  /**
  * Indicates that the promise was broken.
  *
  */
  EXCEPTION: 1
};
var Resolve = class extends Struct {
  static CAP = Resolve_Which.CAP;
  static EXCEPTION = Resolve_Which.EXCEPTION;
  static _capnp = {
    displayName: "Resolve",
    id: "bbc29655fa89086e",
    size: new ObjectSize(8, 1)
  };
  /**
  * The ID of the promise to be resolved.
  *
  * Unlike all other instances of `ExportId` sent from the exporter, the `Resolve` message does
  * _not_ increase the reference count of `promiseId`.  In fact, it is expected that the receiver
  * will release the export soon after receiving `Resolve`, and the sender will not send this
  * `ExportId` again until it has been released and recycled.
  *
  * When an export ID sent over the wire (e.g. in a `CapDescriptor`) is indicated to be a promise,
  * this indicates that the sender will follow up at some point with a `Resolve` message.  If the
  * same `promiseId` is sent again before `Resolve`, still only one `Resolve` is sent.  If the
  * same ID is sent again later _after_ a `Resolve`, it can only be because the export's
  * reference count hit zero in the meantime and the ID was re-assigned to a new export, therefore
  * this later promise does _not_ correspond to the earlier `Resolve`.
  *
  * If a promise ID's reference count reaches zero before a `Resolve` is sent, the `Resolve`
  * message may or may not still be sent (the `Resolve` may have already been in-flight when
  * `Release` was sent, but if the `Release` is received before `Resolve` then there is no longer
  * any reason to send a `Resolve`).  Thus a `Resolve` may be received for a promise of which
  * the receiver has no knowledge, because it already released it earlier.  In this case, the
  * receiver should simply release the capability to which the promise resolved.
  *
  */
  get promiseId() {
    return getUint32(0, this);
  }
  set promiseId(value) {
    setUint32(0, value, this);
  }
  _adoptCap(value) {
    setUint16(4, 0, this);
    adopt(value, getPointer(0, this));
  }
  _disownCap() {
    return disown(this.cap);
  }
  /**
  * The object to which the promise resolved.
  *
  * The sender promises that from this point forth, until `promiseId` is released, it shall
  * simply forward all messages to the capability designated by `cap`.  This is true even if
  * `cap` itself happens to designate another promise, and that other promise later resolves --
  * messages sent to `promiseId` shall still go to that other promise, not to its resolution.
  * This is important in the case that the receiver of the `Resolve` ends up sending a
  * `Disembargo` message towards `promiseId` in order to control message ordering -- that
  * `Disembargo` really needs to reflect back to exactly the object designated by `cap` even
  * if that object is itself a promise.
  *
  */
  get cap() {
    testWhich("cap", getUint16(4, this), 0, this);
    return getStruct(0, CapDescriptor, this);
  }
  _hasCap() {
    return !isNull(getPointer(0, this));
  }
  _initCap() {
    setUint16(4, 0, this);
    return initStructAt(0, CapDescriptor, this);
  }
  get _isCap() {
    return getUint16(4, this) === 0;
  }
  set cap(value) {
    setUint16(4, 0, this);
    copyFrom(value, getPointer(0, this));
  }
  _adoptException(value) {
    setUint16(4, 1, this);
    adopt(value, getPointer(0, this));
  }
  _disownException() {
    return disown(this.exception);
  }
  /**
  * Indicates that the promise was broken.
  *
  */
  get exception() {
    testWhich("exception", getUint16(4, this), 1, this);
    return getStruct(0, Exception, this);
  }
  _hasException() {
    return !isNull(getPointer(0, this));
  }
  _initException() {
    setUint16(4, 1, this);
    return initStructAt(0, Exception, this);
  }
  get _isException() {
    return getUint16(4, this) === 1;
  }
  set exception(value) {
    setUint16(4, 1, this);
    copyFrom(value, getPointer(0, this));
  }
  toString() {
    return "Resolve_" + super.toString();
  }
  which() {
    return getUint16(4, this);
  }
};
var Release = class extends Struct {
  static _capnp = {
    displayName: "Release",
    id: "ad1a6c0d7dd07497",
    size: new ObjectSize(8, 0)
  };
  /**
  * What to release.
  *
  */
  get id() {
    return getUint32(0, this);
  }
  set id(value) {
    setUint32(0, value, this);
  }
  /**
  * The amount by which to decrement the reference count.  The export is only actually released
  * when the reference count reaches zero.
  *
  */
  get referenceCount() {
    return getUint32(4, this);
  }
  set referenceCount(value) {
    setUint32(4, value, this);
  }
  toString() {
    return "Release_" + super.toString();
  }
};
var Disembargo_Context_Which = {
  /**
  * The sender is requesting a disembargo on a promise that is known to resolve back to a
  * capability hosted by the sender.  As soon as the receiver has echoed back all pipelined calls
  * on this promise, it will deliver the Disembargo back to the sender with `receiverLoopback`
  * set to the same value as `senderLoopback`.  This value is chosen by the sender, and since
  * it is also consumed be the sender, the sender can use whatever strategy it wants to make sure
  * the value is unambiguous.
  *
  * The receiver must verify that the target capability actually resolves back to the sender's
  * vat.  Otherwise, the sender has committed a protocol error and should be disconnected.
  *
  */
  SENDER_LOOPBACK: 0,
  /**
  * The receiver previously sent a `senderLoopback` Disembargo towards a promise resolving to
  * this capability, and that Disembargo is now being echoed back.
  *
  */
  RECEIVER_LOOPBACK: 1,
  /**
  * **(level 3)**
  *
  * The sender is requesting a disembargo on a promise that is known to resolve to a third-party
  * capability that the sender is currently in the process of accepting (using `Accept`).
  * The receiver of this `Disembargo` has an outstanding `Provide` on said capability.  The
  * receiver should now send a `Disembargo` with `provide` set to the question ID of that
  * `Provide` message.
  *
  * See `Accept.embargo` for an example.
  *
  */
  ACCEPT: 2,
  /**
  * **(level 3)**
  *
  * The sender is requesting a disembargo on a capability currently being provided to a third
  * party.  The question ID identifies the `Provide` message previously sent by the sender to
  * this capability.  On receipt, the receiver (the capability host) shall release the embargo
  * on the `Accept` message that it has received from the third party.  See `Accept.embargo` for
  * an example.
  *
  */
  PROVIDE: 3
};
var Disembargo_Context = class extends Struct {
  static SENDER_LOOPBACK = Disembargo_Context_Which.SENDER_LOOPBACK;
  static RECEIVER_LOOPBACK = Disembargo_Context_Which.RECEIVER_LOOPBACK;
  static ACCEPT = Disembargo_Context_Which.ACCEPT;
  static PROVIDE = Disembargo_Context_Which.PROVIDE;
  static _capnp = {
    displayName: "context",
    id: "d562b4df655bdd4d",
    size: new ObjectSize(8, 1)
  };
  /**
  * The sender is requesting a disembargo on a promise that is known to resolve back to a
  * capability hosted by the sender.  As soon as the receiver has echoed back all pipelined calls
  * on this promise, it will deliver the Disembargo back to the sender with `receiverLoopback`
  * set to the same value as `senderLoopback`.  This value is chosen by the sender, and since
  * it is also consumed be the sender, the sender can use whatever strategy it wants to make sure
  * the value is unambiguous.
  *
  * The receiver must verify that the target capability actually resolves back to the sender's
  * vat.  Otherwise, the sender has committed a protocol error and should be disconnected.
  *
  */
  get senderLoopback() {
    testWhich("senderLoopback", getUint16(4, this), 0, this);
    return getUint32(0, this);
  }
  get _isSenderLoopback() {
    return getUint16(4, this) === 0;
  }
  set senderLoopback(value) {
    setUint16(4, 0, this);
    setUint32(0, value, this);
  }
  /**
  * The receiver previously sent a `senderLoopback` Disembargo towards a promise resolving to
  * this capability, and that Disembargo is now being echoed back.
  *
  */
  get receiverLoopback() {
    testWhich("receiverLoopback", getUint16(4, this), 1, this);
    return getUint32(0, this);
  }
  get _isReceiverLoopback() {
    return getUint16(4, this) === 1;
  }
  set receiverLoopback(value) {
    setUint16(4, 1, this);
    setUint32(0, value, this);
  }
  get _isAccept() {
    return getUint16(4, this) === 2;
  }
  set accept(_) {
    setUint16(4, 2, this);
  }
  /**
  * **(level 3)**
  *
  * The sender is requesting a disembargo on a capability currently being provided to a third
  * party.  The question ID identifies the `Provide` message previously sent by the sender to
  * this capability.  On receipt, the receiver (the capability host) shall release the embargo
  * on the `Accept` message that it has received from the third party.  See `Accept.embargo` for
  * an example.
  *
  */
  get provide() {
    testWhich("provide", getUint16(4, this), 3, this);
    return getUint32(0, this);
  }
  get _isProvide() {
    return getUint16(4, this) === 3;
  }
  set provide(value) {
    setUint16(4, 3, this);
    setUint32(0, value, this);
  }
  toString() {
    return "Disembargo_Context_" + super.toString();
  }
  which() {
    return getUint16(4, this);
  }
};
var Disembargo = class extends Struct {
  static _capnp = {
    displayName: "Disembargo",
    id: "f964368b0fbd3711",
    size: new ObjectSize(8, 1)
  };
  _adoptTarget(value) {
    adopt(value, getPointer(0, this));
  }
  _disownTarget() {
    return disown(this.target);
  }
  /**
  * What is to be disembargoed.
  *
  */
  get target() {
    return getStruct(0, MessageTarget, this);
  }
  _hasTarget() {
    return !isNull(getPointer(0, this));
  }
  _initTarget() {
    return initStructAt(0, MessageTarget, this);
  }
  set target(value) {
    copyFrom(value, getPointer(0, this));
  }
  get context() {
    return getAs(Disembargo_Context, this);
  }
  _initContext() {
    return getAs(Disembargo_Context, this);
  }
  toString() {
    return "Disembargo_" + super.toString();
  }
};
var Provide = class extends Struct {
  static _capnp = {
    displayName: "Provide",
    id: "9c6a046bfbc1ac5a",
    size: new ObjectSize(8, 2)
  };
  /**
  * Question ID to be held open until the recipient has received the capability.  A result will be
  * returned once the third party has successfully received the capability.  The sender must at some
  * point send a `Finish` message as with any other call, and that message can be used to cancel the
  * whole operation.
  *
  */
  get questionId() {
    return getUint32(0, this);
  }
  set questionId(value) {
    setUint32(0, value, this);
  }
  _adoptTarget(value) {
    adopt(value, getPointer(0, this));
  }
  _disownTarget() {
    return disown(this.target);
  }
  /**
  * What is to be provided to the third party.
  *
  */
  get target() {
    return getStruct(0, MessageTarget, this);
  }
  _hasTarget() {
    return !isNull(getPointer(0, this));
  }
  _initTarget() {
    return initStructAt(0, MessageTarget, this);
  }
  set target(value) {
    copyFrom(value, getPointer(0, this));
  }
  _adoptRecipient(value) {
    adopt(value, getPointer(1, this));
  }
  _disownRecipient() {
    return disown(this.recipient);
  }
  /**
  * Identity of the third party that is expected to pick up the capability.
  *
  */
  get recipient() {
    return getPointer(1, this);
  }
  _hasRecipient() {
    return !isNull(getPointer(1, this));
  }
  set recipient(value) {
    copyFrom(value, getPointer(1, this));
  }
  toString() {
    return "Provide_" + super.toString();
  }
};
var Accept = class extends Struct {
  static _capnp = {
    displayName: "Accept",
    id: "d4c9b56290554016",
    size: new ObjectSize(8, 1)
  };
  /**
  * A new question ID identifying this accept message, which will eventually receive a Return
  * message containing the provided capability (or the call result in the case of a redirected
  * return).
  *
  */
  get questionId() {
    return getUint32(0, this);
  }
  set questionId(value) {
    setUint32(0, value, this);
  }
  _adoptProvision(value) {
    adopt(value, getPointer(0, this));
  }
  _disownProvision() {
    return disown(this.provision);
  }
  /**
  * Identifies the provided object to be picked up.
  *
  */
  get provision() {
    return getPointer(0, this);
  }
  _hasProvision() {
    return !isNull(getPointer(0, this));
  }
  set provision(value) {
    copyFrom(value, getPointer(0, this));
  }
  /**
  * If true, this accept shall be temporarily embargoed.  The resulting `Return` will not be sent,
  * and any pipelined calls will not be delivered, until the embargo is released.  The receiver
  * (the capability host) will expect the provider (the vat that sent the `Provide` message) to
  * eventually send a `Disembargo` message with the field `context.provide` set to the question ID
  * of the original `Provide` message.  At that point, the embargo is released and the queued
  * messages are delivered.
  *
  * For example:
  * - Alice, in Vat A, holds a promise P, which currently points toward Vat B.
  * - Alice calls foo() on P.  The `Call` message is sent to Vat B.
  * - The promise P in Vat B ends up resolving to Carol, in Vat C.
  * - Vat B sends a `Provide` message to Vat C, identifying Vat A as the recipient.
  * - Vat B sends a `Resolve` message to Vat A, indicating that the promise has resolved to a
  *   `ThirdPartyCapId` identifying Carol in Vat C.
  * - Vat A sends an `Accept` message to Vat C to pick up the capability.  Since Vat A knows that
  *   it has an outstanding call to the promise, it sets `embargo` to `true` in the `Accept`
  *   message.
  * - Vat A sends a `Disembargo` message to Vat B on promise P, with `context.accept` set.
  * - Alice makes a call bar() to promise P, which is now pointing towards Vat C.  Alice doesn't
  *   know anything about the mechanics of promise resolution happening under the hood, but she
  *   expects that bar() will be delivered after foo() because that is the order in which she
  *   initiated the calls.
  * - Vat A sends the bar() call to Vat C, as a pipelined call on the result of the `Accept` (which
  *   hasn't returned yet, due to the embargo).  Since calls to the newly-accepted capability
  *   are embargoed, Vat C does not deliver the call yet.
  * - At some point, Vat B forwards the foo() call from the beginning of this example on to Vat C.
  * - Vat B forwards the `Disembargo` from Vat A on to vat C.  It sets `context.provide` to the
  *   question ID of the `Provide` message it had sent previously.
  * - Vat C receives foo() before `Disembargo`, thus allowing it to correctly deliver foo()
  *   before delivering bar().
  * - Vat C receives `Disembargo` from Vat B.  It can now send a `Return` for the `Accept` from
  *   Vat A, as well as deliver bar().
  *
  */
  get embargo() {
    return getBit(32, this);
  }
  set embargo(value) {
    setBit(32, value, this);
  }
  toString() {
    return "Accept_" + super.toString();
  }
};
var Join = class extends Struct {
  static _capnp = {
    displayName: "Join",
    id: "fbe1980490e001af",
    size: new ObjectSize(8, 2)
  };
  /**
  * Question ID used to respond to this Join.  (Note that this ID only identifies one part of the
  * request for one hop; each part has a different ID and relayed copies of the request have
  * (probably) different IDs still.)
  *
  * The receiver will reply with a `Return` whose `results` is a JoinResult.  This `JoinResult`
  * is relayed from the joined object's host, possibly with transformation applied as needed
  * by the network.
  *
  * Like any return, the result must be released using a `Finish`.  However, this release
  * should not occur until the joiner has either successfully connected to the joined object.
  * Vats relaying a `Join` message similarly must not release the result they receive until the
  * return they relayed back towards the joiner has itself been released.  This allows the
  * joined object's host to detect when the Join operation is canceled before completing -- if
  * it receives a `Finish` for one of the join results before the joiner successfully
  * connects.  It can then free any resources it had allocated as part of the join.
  *
  */
  get questionId() {
    return getUint32(0, this);
  }
  set questionId(value) {
    setUint32(0, value, this);
  }
  _adoptTarget(value) {
    adopt(value, getPointer(0, this));
  }
  _disownTarget() {
    return disown(this.target);
  }
  /**
  * The capability to join.
  *
  */
  get target() {
    return getStruct(0, MessageTarget, this);
  }
  _hasTarget() {
    return !isNull(getPointer(0, this));
  }
  _initTarget() {
    return initStructAt(0, MessageTarget, this);
  }
  set target(value) {
    copyFrom(value, getPointer(0, this));
  }
  _adoptKeyPart(value) {
    adopt(value, getPointer(1, this));
  }
  _disownKeyPart() {
    return disown(this.keyPart);
  }
  /**
  * A part of the join key.  These combine to form the complete join key, which is used to establish
  * a direct connection.
  *
  */
  get keyPart() {
    return getPointer(1, this);
  }
  _hasKeyPart() {
    return !isNull(getPointer(1, this));
  }
  set keyPart(value) {
    copyFrom(value, getPointer(1, this));
  }
  toString() {
    return "Join_" + super.toString();
  }
};
var MessageTarget_Which = {
  /**
  * This message is to a capability or promise previously imported by the caller (exported by
  * the receiver).
  *
  */
  IMPORTED_CAP: 0,
  /**
  * This message is to a capability that is expected to be returned by another call that has not
  * yet been completed.
  *
  * At level 0, this is supported only for addressing the result of a previous `Bootstrap`, so
  * that initial startup doesn't require a round trip.
  *
  */
  PROMISED_ANSWER: 1
};
var MessageTarget = class extends Struct {
  static IMPORTED_CAP = MessageTarget_Which.IMPORTED_CAP;
  static PROMISED_ANSWER = MessageTarget_Which.PROMISED_ANSWER;
  static _capnp = {
    displayName: "MessageTarget",
    id: "95bc14545813fbc1",
    size: new ObjectSize(8, 1)
  };
  /**
  * This message is to a capability or promise previously imported by the caller (exported by
  * the receiver).
  *
  */
  get importedCap() {
    testWhich("importedCap", getUint16(4, this), 0, this);
    return getUint32(0, this);
  }
  get _isImportedCap() {
    return getUint16(4, this) === 0;
  }
  set importedCap(value) {
    setUint16(4, 0, this);
    setUint32(0, value, this);
  }
  _adoptPromisedAnswer(value) {
    setUint16(4, 1, this);
    adopt(value, getPointer(0, this));
  }
  _disownPromisedAnswer() {
    return disown(this.promisedAnswer);
  }
  /**
  * This message is to a capability that is expected to be returned by another call that has not
  * yet been completed.
  *
  * At level 0, this is supported only for addressing the result of a previous `Bootstrap`, so
  * that initial startup doesn't require a round trip.
  *
  */
  get promisedAnswer() {
    testWhich("promisedAnswer", getUint16(4, this), 1, this);
    return getStruct(0, PromisedAnswer, this);
  }
  _hasPromisedAnswer() {
    return !isNull(getPointer(0, this));
  }
  _initPromisedAnswer() {
    setUint16(4, 1, this);
    return initStructAt(0, PromisedAnswer, this);
  }
  get _isPromisedAnswer() {
    return getUint16(4, this) === 1;
  }
  set promisedAnswer(value) {
    setUint16(4, 1, this);
    copyFrom(value, getPointer(0, this));
  }
  toString() {
    return "MessageTarget_" + super.toString();
  }
  which() {
    return getUint16(4, this);
  }
};
var Payload = class _Payload extends Struct {
  static _capnp = {
    displayName: "Payload",
    id: "9a0e61223d96743b",
    size: new ObjectSize(0, 2)
  };
  static _CapTable;
  _adoptContent(value) {
    adopt(value, getPointer(0, this));
  }
  _disownContent() {
    return disown(this.content);
  }
  /**
  * Some Cap'n Proto data structure.  Capability pointers embedded in this structure index into
  * `capTable`.
  *
  */
  get content() {
    return getPointer(0, this);
  }
  _hasContent() {
    return !isNull(getPointer(0, this));
  }
  set content(value) {
    copyFrom(value, getPointer(0, this));
  }
  _adoptCapTable(value) {
    adopt(value, getPointer(1, this));
  }
  _disownCapTable() {
    return disown(this.capTable);
  }
  /**
  * Descriptors corresponding to the cap pointers in `content`.
  *
  */
  get capTable() {
    return getList(1, _Payload._CapTable, this);
  }
  _hasCapTable() {
    return !isNull(getPointer(1, this));
  }
  _initCapTable(length) {
    return initList(1, _Payload._CapTable, length, this);
  }
  set capTable(value) {
    copyFrom(value, getPointer(1, this));
  }
  toString() {
    return "Payload_" + super.toString();
  }
};
var CapDescriptor_Which = {
  /**
  * There is no capability here.  This `CapDescriptor` should not appear in the payload content.
  * A `none` CapDescriptor can be generated when an application inserts a capability into a
  * message and then later changes its mind and removes it -- rewriting all of the other
  * capability pointers may be hard, so instead a tombstone is left, similar to the way a removed
  * struct or list instance is zeroed out of the message but the space is not reclaimed.
  * Hopefully this is unusual.
  *
  */
  NONE: 0,
  /**
  * The ID of a capability in the sender's export table (receiver's import table).  It may be a
  * newly allocated table entry, or an existing entry (increments the reference count).
  *
  */
  SENDER_HOSTED: 1,
  /**
  * A promise that the sender will resolve later.  The sender will send exactly one Resolve
  * message at a future point in time to replace this promise.  Note that even if the same
  * `senderPromise` is received multiple times, only one `Resolve` is sent to cover all of
  * them.  If `senderPromise` is released before the `Resolve` is sent, the sender (of this
  * `CapDescriptor`) may choose not to send the `Resolve` at all.
  *
  */
  SENDER_PROMISE: 2,
  /**
  * A capability (or promise) previously exported by the receiver (imported by the sender).
  *
  */
  RECEIVER_HOSTED: 3,
  /**
  * A capability expected to be returned in the results of a currently-outstanding call posed
  * by the sender.
  *
  */
  RECEIVER_ANSWER: 4,
  /**
  * **(level 3)**
  *
  * A capability that lives in neither the sender's nor the receiver's vat.  The sender needs
  * to form a direct connection to a third party to pick up the capability.
  *
  * Level 1 and 2 implementations that receive a `thirdPartyHosted` may simply send calls to its
  * `vine` instead.
  *
  */
  THIRD_PARTY_HOSTED: 5
};
var CapDescriptor = class _CapDescriptor extends Struct {
  static NONE = CapDescriptor_Which.NONE;
  static SENDER_HOSTED = CapDescriptor_Which.SENDER_HOSTED;
  static SENDER_PROMISE = CapDescriptor_Which.SENDER_PROMISE;
  static RECEIVER_HOSTED = CapDescriptor_Which.RECEIVER_HOSTED;
  static RECEIVER_ANSWER = CapDescriptor_Which.RECEIVER_ANSWER;
  static THIRD_PARTY_HOSTED = CapDescriptor_Which.THIRD_PARTY_HOSTED;
  static _capnp = {
    displayName: "CapDescriptor",
    id: "8523ddc40b86b8b0",
    size: new ObjectSize(8, 1),
    defaultAttachedFd: getUint8Mask(255)
  };
  get _isNone() {
    return getUint16(0, this) === 0;
  }
  set none(_) {
    setUint16(0, 0, this);
  }
  /**
  * The ID of a capability in the sender's export table (receiver's import table).  It may be a
  * newly allocated table entry, or an existing entry (increments the reference count).
  *
  */
  get senderHosted() {
    testWhich("senderHosted", getUint16(0, this), 1, this);
    return getUint32(4, this);
  }
  get _isSenderHosted() {
    return getUint16(0, this) === 1;
  }
  set senderHosted(value) {
    setUint16(0, 1, this);
    setUint32(4, value, this);
  }
  /**
  * A promise that the sender will resolve later.  The sender will send exactly one Resolve
  * message at a future point in time to replace this promise.  Note that even if the same
  * `senderPromise` is received multiple times, only one `Resolve` is sent to cover all of
  * them.  If `senderPromise` is released before the `Resolve` is sent, the sender (of this
  * `CapDescriptor`) may choose not to send the `Resolve` at all.
  *
  */
  get senderPromise() {
    testWhich("senderPromise", getUint16(0, this), 2, this);
    return getUint32(4, this);
  }
  get _isSenderPromise() {
    return getUint16(0, this) === 2;
  }
  set senderPromise(value) {
    setUint16(0, 2, this);
    setUint32(4, value, this);
  }
  /**
  * A capability (or promise) previously exported by the receiver (imported by the sender).
  *
  */
  get receiverHosted() {
    testWhich("receiverHosted", getUint16(0, this), 3, this);
    return getUint32(4, this);
  }
  get _isReceiverHosted() {
    return getUint16(0, this) === 3;
  }
  set receiverHosted(value) {
    setUint16(0, 3, this);
    setUint32(4, value, this);
  }
  _adoptReceiverAnswer(value) {
    setUint16(0, 4, this);
    adopt(value, getPointer(0, this));
  }
  _disownReceiverAnswer() {
    return disown(this.receiverAnswer);
  }
  /**
  * A capability expected to be returned in the results of a currently-outstanding call posed
  * by the sender.
  *
  */
  get receiverAnswer() {
    testWhich("receiverAnswer", getUint16(0, this), 4, this);
    return getStruct(0, PromisedAnswer, this);
  }
  _hasReceiverAnswer() {
    return !isNull(getPointer(0, this));
  }
  _initReceiverAnswer() {
    setUint16(0, 4, this);
    return initStructAt(0, PromisedAnswer, this);
  }
  get _isReceiverAnswer() {
    return getUint16(0, this) === 4;
  }
  set receiverAnswer(value) {
    setUint16(0, 4, this);
    copyFrom(value, getPointer(0, this));
  }
  _adoptThirdPartyHosted(value) {
    setUint16(0, 5, this);
    adopt(value, getPointer(0, this));
  }
  _disownThirdPartyHosted() {
    return disown(this.thirdPartyHosted);
  }
  /**
  * **(level 3)**
  *
  * A capability that lives in neither the sender's nor the receiver's vat.  The sender needs
  * to form a direct connection to a third party to pick up the capability.
  *
  * Level 1 and 2 implementations that receive a `thirdPartyHosted` may simply send calls to its
  * `vine` instead.
  *
  */
  get thirdPartyHosted() {
    testWhich("thirdPartyHosted", getUint16(0, this), 5, this);
    return getStruct(0, ThirdPartyCapDescriptor, this);
  }
  _hasThirdPartyHosted() {
    return !isNull(getPointer(0, this));
  }
  _initThirdPartyHosted() {
    setUint16(0, 5, this);
    return initStructAt(0, ThirdPartyCapDescriptor, this);
  }
  get _isThirdPartyHosted() {
    return getUint16(0, this) === 5;
  }
  set thirdPartyHosted(value) {
    setUint16(0, 5, this);
    copyFrom(value, getPointer(0, this));
  }
  /**
  * If the RPC message in which this CapDescriptor was delivered also had file descriptors
  * attached, and `fd` is a valid index into the list of attached file descriptors, then
  * that file descriptor should be attached to this capability. If `attachedFd` is out-of-bounds
  * for said list, then no FD is attached.
  *
  * For example, if the RPC message arrived over a Unix socket, then file descriptors may be
  * attached by sending an SCM_RIGHTS ancillary message attached to the data bytes making up the
  * raw message. Receivers who wish to opt into FD passing should arrange to receive SCM_RIGHTS
  * whenever receiving an RPC message. Senders who wish to send FDs need not verify whether the
  * receiver knows how to receive them, because the operating system will automatically discard
  * ancillary messages like SCM_RIGHTS if the receiver doesn't ask to receive them, including
  * automatically closing any FDs.
  *
  * It is up to the application protocol to define what capabilities are expected to have file
  * descriptors attached, and what those FDs mean. But, for example, an application could use this
  * to open a file on disk and then transmit the open file descriptor to a sandboxed process that
  * does not otherwise have permission to access the filesystem directly. This is usually an
  * optimization: the sending process could instead provide an RPC interface supporting all the
  * operations needed (such as reading and writing a file), but by passing the file descriptor
  * directly, the recipient can often perform operations much more efficiently. Application
  * designers are encouraged to provide such RPC interfaces and automatically fall back to them
  * when FD passing is not available, so that the application can still work when the parties are
  * remote over a network.
  *
  * An attached FD is most often associated with a `senderHosted` descriptor. It could also make
  * sense in the case of `thirdPartyHosted`: in this case, the sender is forwarding the FD that
  * they received from the third party, so that the receiver can start using it without first
  * interacting with the third party. This is an optional optimization -- the middleman may choose
  * not to forward capabilities, in which case the receiver will need to complete the handshake
  * with the third party directly before receiving the FD. If an implementation receives a second
  * attached FD after having already received one previously (e.g. both in a `thirdPartyHosted`
  * CapDescriptor and then later again when receiving the final capability directly from the
  * third party), the implementation should discard the later FD and stick with the original. At
  * present, there is no known reason why other capability types (e.g. `receiverHosted`) would want
  * to carry an attached FD, but we reserve the right to define a meaning for this in the future.
  *
  * Each file descriptor attached to the message must be used in no more than one CapDescriptor,
  * so that the receiver does not need to use dup() or refcounting to handle the possibility of
  * multiple capabilities using the same descriptor. If multiple CapDescriptors do point to the
  * same FD index, then the receiver can arbitrarily choose which capability ends up having the
  * FD attached.
  *
  * To mitigate DoS attacks, RPC implementations should limit the number of FDs they are willing to
  * receive in a single message to a small value. If a message happens to contain more than that,
  * the list is truncated. Moreover, in some cases, FD passing needs to be blocked entirely for
  * security or implementation reasons, in which case the list may be truncated to zero. Hence,
  * `attachedFd` might point past the end of the list, which the implementation should treat as if
  * no FD was attached at all.
  *
  * The type of this field was chosen to be UInt8 because Linux supports sending only a maximum
  * of 253 file descriptors in an SCM_RIGHTS message anyway, and CapDescriptor had two bytes of
  * padding left -- so after adding this, there is still one byte for a future feature.
  * Conveniently, this also means we're able to use 0xff as the default value, which will always
  * be out-of-range (of course, the implementation should explicitly enforce that 255 descriptors
  * cannot be sent at once, rather than relying on Linux to do so).
  *
  */
  get attachedFd() {
    return getUint8(2, this, _CapDescriptor._capnp.defaultAttachedFd);
  }
  set attachedFd(value) {
    setUint8(2, value, this, _CapDescriptor._capnp.defaultAttachedFd);
  }
  toString() {
    return "CapDescriptor_" + super.toString();
  }
  which() {
    return getUint16(0, this);
  }
};
var PromisedAnswer_Op_Which = {
  /**
  * Does nothing.  This member is mostly defined so that we can make `Op` a union even
  * though (as of this writing) only one real operation is defined.
  *
  */
  NOOP: 0,
  /**
  * Get a pointer field within a struct.  The number is an index into the pointer section, NOT
  * a field ordinal, so that the receiver does not need to understand the schema.
  *
  */
  GET_POINTER_FIELD: 1
};
var PromisedAnswer_Op = class extends Struct {
  static NOOP = PromisedAnswer_Op_Which.NOOP;
  static GET_POINTER_FIELD = PromisedAnswer_Op_Which.GET_POINTER_FIELD;
  static _capnp = {
    displayName: "Op",
    id: "f316944415569081",
    size: new ObjectSize(8, 0)
  };
  get _isNoop() {
    return getUint16(0, this) === 0;
  }
  set noop(_) {
    setUint16(0, 0, this);
  }
  /**
  * Get a pointer field within a struct.  The number is an index into the pointer section, NOT
  * a field ordinal, so that the receiver does not need to understand the schema.
  *
  */
  get getPointerField() {
    testWhich("getPointerField", getUint16(0, this), 1, this);
    return getUint16(2, this);
  }
  get _isGetPointerField() {
    return getUint16(0, this) === 1;
  }
  set getPointerField(value) {
    setUint16(0, 1, this);
    setUint16(2, value, this);
  }
  toString() {
    return "PromisedAnswer_Op_" + super.toString();
  }
  which() {
    return getUint16(0, this);
  }
};
var PromisedAnswer = class _PromisedAnswer extends Struct {
  static Op = PromisedAnswer_Op;
  static _capnp = {
    displayName: "PromisedAnswer",
    id: "d800b1d6cd6f1ca0",
    size: new ObjectSize(8, 1)
  };
  static _Transform;
  /**
  * ID of the question (in the sender's question table / receiver's answer table) whose answer is
  * expected to contain the capability.
  *
  */
  get questionId() {
    return getUint32(0, this);
  }
  set questionId(value) {
    setUint32(0, value, this);
  }
  _adoptTransform(value) {
    adopt(value, getPointer(0, this));
  }
  _disownTransform() {
    return disown(this.transform);
  }
  /**
  * Operations / transformations to apply to the result in order to get the capability actually
  * being addressed.  E.g. if the result is a struct and you want to call a method on a capability
  * pointed to by a field of the struct, you need a `getPointerField` op.
  *
  */
  get transform() {
    return getList(0, _PromisedAnswer._Transform, this);
  }
  _hasTransform() {
    return !isNull(getPointer(0, this));
  }
  _initTransform(length) {
    return initList(0, _PromisedAnswer._Transform, length, this);
  }
  set transform(value) {
    copyFrom(value, getPointer(0, this));
  }
  toString() {
    return "PromisedAnswer_" + super.toString();
  }
};
var ThirdPartyCapDescriptor = class extends Struct {
  static _capnp = {
    displayName: "ThirdPartyCapDescriptor",
    id: "d37007fde1f0027d",
    size: new ObjectSize(8, 1)
  };
  _adoptId(value) {
    adopt(value, getPointer(0, this));
  }
  _disownId() {
    return disown(this.id);
  }
  /**
  * Identifies the third-party host and the specific capability to accept from it.
  *
  */
  get id() {
    return getPointer(0, this);
  }
  _hasId() {
    return !isNull(getPointer(0, this));
  }
  set id(value) {
    copyFrom(value, getPointer(0, this));
  }
  /**
  * A proxy for the third-party object exported by the sender.  In CapTP terminology this is called
  * a "vine", because it is an indirect reference to the third-party object that snakes through the
  * sender vat.  This serves two purposes:
  *
  * * Level 1 and 2 implementations that don't understand how to connect to a third party may
  *   simply send calls to the vine.  Such calls will be forwarded to the third-party by the
  *   sender.
  *
  * * Level 3 implementations must release the vine only once they have successfully picked up the
  *   object from the third party.  This ensures that the capability is not released by the sender
  *   prematurely.
  *
  * The sender will close the `Provide` request that it has sent to the third party as soon as
  * it receives either a `Call` or a `Release` message directed at the vine.
  *
  */
  get vineId() {
    return getUint32(0, this);
  }
  set vineId(value) {
    setUint32(0, value, this);
  }
  toString() {
    return "ThirdPartyCapDescriptor_" + super.toString();
  }
};
var Exception_Type = {
  /**
  * A generic problem occurred, and it is believed that if the operation were repeated without
  * any change in the state of the world, the problem would occur again.
  *
  * A client might respond to this error by logging it for investigation by the developer and/or
  * displaying it to the user.
  *
  */
  FAILED: 0,
  /**
  * The request was rejected due to a temporary lack of resources.
  *
  * Examples include:
  * - There's not enough CPU time to keep up with incoming requests, so some are rejected.
  * - The server ran out of RAM or disk space during the request.
  * - The operation timed out (took significantly longer than it should have).
  *
  * A client might respond to this error by scheduling to retry the operation much later. The
  * client should NOT retry again immediately since this would likely exacerbate the problem.
  *
  */
  OVERLOADED: 1,
  /**
  * The method failed because a connection to some necessary capability was lost.
  *
  * Examples include:
  * - The client introduced the server to a third-party capability, the connection to that third
  *   party was subsequently lost, and then the client requested that the server use the dead
  *   capability for something.
  * - The client previously requested that the server obtain a capability from some third party.
  *   The server returned a capability to an object wrapping the third-party capability. Later,
  *   the server's connection to the third party was lost.
  * - The capability has been revoked. Revocation does not necessarily mean that the client is
  *   no longer authorized to use the capability; it is often used simply as a way to force the
  *   client to repeat the setup process, perhaps to efficiently move them to a new back-end or
  *   get them to recognize some other change that has occurred.
  *
  * A client should normally respond to this error by releasing all capabilities it is currently
  * holding related to the one it called and then re-creating them by restoring SturdyRefs and/or
  * repeating the method calls used to create them originally. In other words, disconnect and
  * start over. This should in turn cause the server to obtain a new copy of the capability that
  * it lost, thus making everything work.
  *
  * If the client receives another `disconnected` error in the process of rebuilding the
  * capability and retrying the call, it should treat this as an `overloaded` error: the network
  * is currently unreliable, possibly due to load or other temporary issues.
  *
  */
  DISCONNECTED: 2,
  /**
  * The server doesn't implement the requested method. If there is some other method that the
  * client could call (perhaps an older and/or slower interface), it should try that instead.
  * Otherwise, this should be treated like `failed`.
  *
  */
  UNIMPLEMENTED: 3
};
var Exception = class extends Struct {
  static Type = Exception_Type;
  static _capnp = {
    displayName: "Exception",
    id: "d625b7063acf691a",
    size: new ObjectSize(8, 2)
  };
  /**
  * Human-readable failure description.
  *
  */
  get reason() {
    return getText(0, this);
  }
  set reason(value) {
    setText(0, value, this);
  }
  /**
  * The type of the error. The purpose of this enum is not to describe the error itself, but
  * rather to describe how the client might want to respond to the error.
  *
  */
  get type() {
    return getUint16(4, this);
  }
  set type(value) {
    setUint16(4, value, this);
  }
  /**
  * OBSOLETE. Ignore.
  *
  */
  get obsoleteIsCallersFault() {
    return getBit(0, this);
  }
  set obsoleteIsCallersFault(value) {
    setBit(0, value, this);
  }
  /**
  * OBSOLETE. See `type` instead.
  *
  */
  get obsoleteDurability() {
    return getUint16(2, this);
  }
  set obsoleteDurability(value) {
    setUint16(2, value, this);
  }
  /**
  * Stack trace text from the remote server. The format is not specified. By default,
  * implementations do not provide stack traces; the application must explicitly enable them
  * when desired.
  *
  */
  get trace() {
    return getText(1, this);
  }
  set trace(value) {
    setText(1, value, this);
  }
  toString() {
    return "Exception_" + super.toString();
  }
};
Payload._CapTable = CompositeList(CapDescriptor);
PromisedAnswer._Transform = CompositeList(PromisedAnswer_Op);

// node_modules/capnp-es/dist/index.mjs
var Void = class extends Struct {
  static _capnp = {
    displayName: "Void",
    id: "0",
    size: new ObjectSize(0, 0)
  };
};
var utils = {
  __proto__: null,
  PointerAllocationResult,
  add,
  adopt,
  checkDataBounds,
  checkPointerBounds,
  copyFrom,
  copyFromInterface,
  copyFromList,
  copyFromStruct,
  disown,
  dump,
  erase,
  erasePointer,
  followFar,
  followFars,
  getAs,
  getBit,
  getCapabilityId,
  getContent,
  getData,
  getDataSection,
  getFarSegmentId,
  getFloat32,
  getFloat64,
  getInt16,
  getInt32,
  getInt64,
  getInt8,
  getInterfaceClientOrNull,
  getInterfaceClientOrNullAt,
  getInterfacePointer,
  getList,
  getListByteLength,
  getListElementByteLength,
  getListElementSize,
  getListLength,
  getOffsetWords,
  getPointer,
  getPointerAs,
  getPointerSection,
  getPointerType,
  getSize,
  getStruct,
  getStructDataWords,
  getStructPointerLength,
  getStructSize,
  getTargetCompositeListSize,
  getTargetCompositeListTag,
  getTargetListElementSize,
  getTargetListLength,
  getTargetPointerType,
  getTargetStructSize,
  getText,
  getUint16,
  getUint32,
  getUint64,
  getUint8,
  initData,
  initList,
  initPointer,
  initStruct,
  initStructAt,
  isDoubleFar,
  isNull,
  relocateTo,
  resize,
  setBit,
  setFarPointer,
  setFloat32,
  setFloat64,
  setInt16,
  setInt32,
  setInt64,
  setInt8,
  setInterfacePointer,
  setListPointer,
  setStructPointer,
  setText,
  setUint16,
  setUint32,
  setUint64,
  setUint8,
  testWhich,
  trackPointerAllocation,
  validate
};
function PointerList(PointerClass) {
  return class extends List {
    static _capnp = {
      displayName: `List<${PointerClass._capnp.displayName}>`,
      size: ListElementSize.POINTER
    };
    get(index) {
      const c = getContent(this);
      return new PointerClass(c.segment, c.byteOffset + index * 8, this._capnp.depthLimit - 1);
    }
    set(index, value) {
      copyFrom(value, this.get(index));
    }
    [Symbol.toStringTag]() {
      return `Pointer_${super.toString()},cls:${PointerClass.toString()}`;
    }
  };
}
var AnyPointerList = PointerList(Pointer);
var BoolList = class extends List {
  static _capnp = {
    displayName: "List<boolean>",
    size: ListElementSize.BIT
  };
  get(index) {
    const bitMask = 1 << index % 8;
    const byteOffset = index >>> 3;
    const c = getContent(this);
    const v = c.segment.getUint8(c.byteOffset + byteOffset);
    return (v & bitMask) !== 0;
  }
  set(index, value) {
    const bitMask = 1 << index % 8;
    const c = getContent(this);
    const byteOffset = c.byteOffset + (index >>> 3);
    const v = c.segment.getUint8(byteOffset);
    c.segment.setUint8(byteOffset, value ? v | bitMask : v & ~bitMask);
  }
  [Symbol.toStringTag]() {
    return `Bool_${super.toString()}`;
  }
};
var DataList = PointerList(Data);
var Float32List = class extends List {
  static _capnp = {
    displayName: "List<Float32>",
    size: ListElementSize.BYTE_4
  };
  get(index) {
    const c = getContent(this);
    return c.segment.getFloat32(c.byteOffset + index * 4);
  }
  set(index, value) {
    const c = getContent(this);
    c.segment.setFloat32(c.byteOffset + index * 4, value);
  }
  [Symbol.toStringTag]() {
    return `Float32_${super.toString()}`;
  }
};
var Float64List = class extends List {
  static _capnp = {
    displayName: "List<Float64>",
    size: ListElementSize.BYTE_8
  };
  get(index) {
    const c = getContent(this);
    return c.segment.getFloat64(c.byteOffset + index * 8);
  }
  set(index, value) {
    const c = getContent(this);
    c.segment.setFloat64(c.byteOffset + index * 8, value);
  }
  [Symbol.toStringTag]() {
    return `Float64_${super.toString()}`;
  }
};
var Int8List = class extends List {
  static _capnp = {
    displayName: "List<Int8>",
    size: ListElementSize.BYTE
  };
  get(index) {
    const c = getContent(this);
    return c.segment.getInt8(c.byteOffset + index);
  }
  set(index, value) {
    const c = getContent(this);
    c.segment.setInt8(c.byteOffset + index, value);
  }
  [Symbol.toStringTag]() {
    return `Int8_${super.toString()}`;
  }
};
var Int16List = class extends List {
  static _capnp = {
    displayName: "List<Int16>",
    size: ListElementSize.BYTE_2
  };
  get(index) {
    const c = getContent(this);
    return c.segment.getInt16(c.byteOffset + index * 2);
  }
  set(index, value) {
    const c = getContent(this);
    c.segment.setInt16(c.byteOffset + index * 2, value);
  }
  [Symbol.toStringTag]() {
    return `Int16_${super.toString()}`;
  }
};
var Int32List = class extends List {
  static _capnp = {
    displayName: "List<Int32>",
    size: ListElementSize.BYTE_4
  };
  get(index) {
    const c = getContent(this);
    return c.segment.getInt32(c.byteOffset + index * 4);
  }
  set(index, value) {
    const c = getContent(this);
    c.segment.setInt32(c.byteOffset + index * 4, value);
  }
  [Symbol.toStringTag]() {
    return `Int32_${super.toString()}`;
  }
};
var Int64List = class extends List {
  static _capnp = {
    displayName: "List<Int64>",
    size: ListElementSize.BYTE_8
  };
  get(index) {
    const c = getContent(this);
    return c.segment.getInt64(c.byteOffset + index * 8);
  }
  set(index, value) {
    const c = getContent(this);
    c.segment.setInt64(c.byteOffset + index * 8, value);
  }
  [Symbol.toStringTag]() {
    return `Int64_${super.toString()}`;
  }
};
var InterfaceList = PointerList(Interface);
var TextList = class extends List {
  static _capnp = {
    displayName: "List<Text>",
    size: ListElementSize.POINTER
  };
  get(index) {
    const c = getContent(this);
    c.byteOffset += index * 8;
    return Text.fromPointer(c).get(0);
  }
  set(index, value) {
    const c = getContent(this);
    c.byteOffset += index * 8;
    Text.fromPointer(c).set(0, value);
  }
  [Symbol.toStringTag]() {
    return `Text_${super.toString()}`;
  }
};
var Uint8List = class extends List {
  static _capnp = {
    displayName: "List<Uint8>",
    size: ListElementSize.BYTE
  };
  get(index) {
    const c = getContent(this);
    return c.segment.getUint8(c.byteOffset + index);
  }
  set(index, value) {
    const c = getContent(this);
    c.segment.setUint8(c.byteOffset + index, value);
  }
  [Symbol.toStringTag]() {
    return `Uint8_${super.toString()}`;
  }
};
var Uint16List = class extends List {
  static _capnp = {
    displayName: "List<Uint16>",
    size: ListElementSize.BYTE_2
  };
  get(index) {
    const c = getContent(this);
    return c.segment.getUint16(c.byteOffset + index * 2);
  }
  set(index, value) {
    const c = getContent(this);
    c.segment.setUint16(c.byteOffset + index * 2, value);
  }
  [Symbol.toStringTag]() {
    return `Uint16_${super.toString()}`;
  }
};
var Uint32List = class extends List {
  static _capnp = {
    displayName: "List<Uint32>",
    size: ListElementSize.BYTE_4
  };
  get(index) {
    const c = getContent(this);
    return c.segment.getUint32(c.byteOffset + index * 4);
  }
  set(index, value) {
    const c = getContent(this);
    c.segment.setUint32(c.byteOffset + index * 4, value);
  }
  [Symbol.toStringTag]() {
    return `Uint32_${super.toString()}`;
  }
};
var Uint64List = class extends List {
  static _capnp = {
    displayName: "List<Uint64>",
    size: ListElementSize.BYTE_8
  };
  get(index) {
    const c = getContent(this);
    return c.segment.getUint64(c.byteOffset + index * 8);
  }
  set(index, value) {
    const c = getContent(this);
    c.segment.setUint64(c.byteOffset + index * 8, value);
  }
  [Symbol.toStringTag]() {
    return `Uint64_${super.toString()}`;
  }
};
var VoidList = PointerList(Void);
var ConnWeakRefRegistry = globalThis.FinalizationRegistry ? new FinalizationRegistry((cb) => cb()) : void 0;

// capabilities/schema/gen/kernel.ts
var Session_Get$Params = class extends Struct {
  static _capnp = {
    displayName: "get$Params",
    id: "bdfbd155e1d773b6",
    size: new ObjectSize(0, 1)
  };
  get name() {
    return utils.getText(0, this);
  }
  set name(value) {
    utils.setText(0, value, this);
  }
  toString() {
    return "Session_Get$Params_" + super.toString();
  }
};
var Session_Get$Results = class extends Struct {
  static _capnp = {
    displayName: "get$Results",
    id: "dc72292df97a91a8",
    size: new ObjectSize(0, 1)
  };
  _adoptCap(value) {
    utils.adopt(value, utils.getPointer(0, this));
  }
  _disownCap() {
    return utils.disown(this.cap);
  }
  get cap() {
    return utils.getPointer(0, this);
  }
  _hasCap() {
    return !utils.isNull(utils.getPointer(0, this));
  }
  set cap(value) {
    utils.copyFrom(value, utils.getPointer(0, this));
  }
  toString() {
    return "Session_Get$Results_" + super.toString();
  }
};
var Session_Get$Results$Promise = class {
  pipeline;
  constructor(pipeline) {
    this.pipeline = pipeline;
  }
  async promise() {
    return await this.pipeline.struct();
  }
};
var Session_List$Params = class extends Struct {
  static _capnp = {
    displayName: "list$Params",
    id: "d6e83e6ff216efd5",
    size: new ObjectSize(0, 0)
  };
  toString() {
    return "Session_List$Params_" + super.toString();
  }
};
var Session_List$Results = class extends Struct {
  static _capnp = {
    displayName: "list$Results",
    id: "936bc4f4978b85fb",
    size: new ObjectSize(0, 1)
  };
  _adoptNames(value) {
    utils.adopt(value, utils.getPointer(0, this));
  }
  _disownNames() {
    return utils.disown(this.names);
  }
  get names() {
    return utils.getList(0, TextList, this);
  }
  _hasNames() {
    return !utils.isNull(utils.getPointer(0, this));
  }
  _initNames(length) {
    return utils.initList(0, TextList, length, this);
  }
  set names(value) {
    utils.copyFrom(value, utils.getPointer(0, this));
  }
  toString() {
    return "Session_List$Results_" + super.toString();
  }
};
var Session_List$Results$Promise = class {
  pipeline;
  constructor(pipeline) {
    this.pipeline = pipeline;
  }
  async promise() {
    return await this.pipeline.struct();
  }
};
var Session$Client = class _Session$Client {
  client;
  static interfaceId = 0xe2e7e2948d6cb95cn;
  constructor(client) {
    this.client = client;
  }
  static methods = [
    {
      ParamsClass: Session_Get$Params,
      ResultsClass: Session_Get$Results,
      interfaceId: _Session$Client.interfaceId,
      methodId: 0,
      interfaceName: "kernel.capnp:Session",
      methodName: "get"
    },
    {
      ParamsClass: Session_List$Params,
      ResultsClass: Session_List$Results,
      interfaceId: _Session$Client.interfaceId,
      methodId: 1,
      interfaceName: "kernel.capnp:Session",
      methodName: "list"
    }
  ];
  /**
  * the granted capability, behind the kernel's membrane
  *
  */
  get(paramsFunc) {
    const answer = this.client.call({
      method: _Session$Client.methods[0],
      paramsFunc
    });
    const pipeline = new Pipeline(Session_Get$Results, answer);
    return new Session_Get$Results$Promise(pipeline);
  }
  /**
  * the names granted to this process
  *
  */
  list(paramsFunc) {
    const answer = this.client.call({
      method: _Session$Client.methods[1],
      paramsFunc
    });
    const pipeline = new Pipeline(Session_List$Results, answer);
    return new Session_List$Results$Promise(pipeline);
  }
};
Registry.register(Session$Client.interfaceId, Session$Client);
var Session$Server = class extends Server {
  target;
  constructor(target) {
    super(target, [
      {
        ...Session$Client.methods[0],
        impl: target.get
      },
      {
        ...Session$Client.methods[1],
        impl: target.list
      }
    ]);
    this.target = target;
  }
  client() {
    return new Session$Client(this);
  }
};
var Session = class extends Interface {
  static Client = Session$Client;
  static Server = Session$Server;
  static _capnp = {
    displayName: "Session",
    id: "e2e7e2948d6cb95c",
    size: new ObjectSize(0, 0)
  };
  toString() {
    return "Session_" + super.toString();
  }
};
var ProcessControl_Health$Params = class extends Struct {
  static _capnp = {
    displayName: "health$Params",
    id: "faba5c19e27ca41a",
    size: new ObjectSize(0, 0)
  };
  toString() {
    return "ProcessControl_Health$Params_" + super.toString();
  }
};
var ProcessControl_Health$Results = class extends Struct {
  static _capnp = {
    displayName: "health$Results",
    id: "d29054792b2f58f7",
    size: new ObjectSize(8, 1)
  };
  get ready() {
    return utils.getBit(0, this);
  }
  set ready(value) {
    utils.setBit(0, value, this);
  }
  get detail() {
    return utils.getText(0, this);
  }
  set detail(value) {
    utils.setText(0, value, this);
  }
  toString() {
    return "ProcessControl_Health$Results_" + super.toString();
  }
};
var ProcessControl_Health$Results$Promise = class {
  pipeline;
  constructor(pipeline) {
    this.pipeline = pipeline;
  }
  async promise() {
    return await this.pipeline.struct();
  }
};
var ProcessControl_Provide$Params = class extends Struct {
  static _capnp = {
    displayName: "provide$Params",
    id: "a2d022ffcf43264d",
    size: new ObjectSize(0, 3)
  };
  get name() {
    return utils.getText(0, this);
  }
  set name(value) {
    utils.setText(0, value, this);
  }
  get restrictions() {
    return utils.getText(1, this);
  }
  set restrictions(value) {
    utils.setText(1, value, this);
  }
  get grantee() {
    return utils.getText(2, this);
  }
  set grantee(value) {
    utils.setText(2, value, this);
  }
  toString() {
    return "ProcessControl_Provide$Params_" + super.toString();
  }
};
var ProcessControl_Provide$Results = class extends Struct {
  static _capnp = {
    displayName: "provide$Results",
    id: "a383838ed50b0929",
    size: new ObjectSize(0, 1)
  };
  _adoptCap(value) {
    utils.adopt(value, utils.getPointer(0, this));
  }
  _disownCap() {
    return utils.disown(this.cap);
  }
  get cap() {
    return utils.getPointer(0, this);
  }
  _hasCap() {
    return !utils.isNull(utils.getPointer(0, this));
  }
  set cap(value) {
    utils.copyFrom(value, utils.getPointer(0, this));
  }
  toString() {
    return "ProcessControl_Provide$Results_" + super.toString();
  }
};
var ProcessControl_Provide$Results$Promise = class {
  pipeline;
  constructor(pipeline) {
    this.pipeline = pipeline;
  }
  async promise() {
    return await this.pipeline.struct();
  }
};
var ProcessControl_Shutdown$Params = class extends Struct {
  static _capnp = {
    displayName: "shutdown$Params",
    id: "da7ac8ce9ab160a2",
    size: new ObjectSize(8, 0)
  };
  get deadlineMs() {
    return utils.getUint32(0, this);
  }
  set deadlineMs(value) {
    utils.setUint32(0, value, this);
  }
  toString() {
    return "ProcessControl_Shutdown$Params_" + super.toString();
  }
};
var ProcessControl_Shutdown$Results = class extends Struct {
  static _capnp = {
    displayName: "shutdown$Results",
    id: "a73ec9221d48ce23",
    size: new ObjectSize(0, 0)
  };
  toString() {
    return "ProcessControl_Shutdown$Results_" + super.toString();
  }
};
var ProcessControl_Shutdown$Results$Promise = class {
  pipeline;
  constructor(pipeline) {
    this.pipeline = pipeline;
  }
  async promise() {
    return await this.pipeline.struct();
  }
};
var ProcessControl$Client = class _ProcessControl$Client {
  client;
  static interfaceId = 0x94ffcfe2991903c9n;
  constructor(client) {
    this.client = client;
  }
  static methods = [
    {
      ParamsClass: ProcessControl_Health$Params,
      ResultsClass: ProcessControl_Health$Results,
      interfaceId: _ProcessControl$Client.interfaceId,
      methodId: 0,
      interfaceName: "kernel.capnp:ProcessControl",
      methodName: "health"
    },
    {
      ParamsClass: ProcessControl_Provide$Params,
      ResultsClass: ProcessControl_Provide$Results,
      interfaceId: _ProcessControl$Client.interfaceId,
      methodId: 1,
      interfaceName: "kernel.capnp:ProcessControl",
      methodName: "provide"
    },
    {
      ParamsClass: ProcessControl_Shutdown$Params,
      ResultsClass: ProcessControl_Shutdown$Results,
      interfaceId: _ProcessControl$Client.interfaceId,
      methodId: 2,
      interfaceName: "kernel.capnp:ProcessControl",
      methodName: "shutdown"
    }
  ];
  health(paramsFunc) {
    const answer = this.client.call({
      method: _ProcessControl$Client.methods[0],
      paramsFunc
    });
    const pipeline = new Pipeline(ProcessControl_Health$Results, answer);
    return new ProcessControl_Health$Results$Promise(pipeline);
  }
  /**
  * restrictions: JSON
  *
  */
  provide(paramsFunc) {
    const answer = this.client.call({
      method: _ProcessControl$Client.methods[1],
      paramsFunc
    });
    const pipeline = new Pipeline(ProcessControl_Provide$Results, answer);
    return new ProcessControl_Provide$Results$Promise(pipeline);
  }
  shutdown(paramsFunc) {
    const answer = this.client.call({
      method: _ProcessControl$Client.methods[2],
      paramsFunc
    });
    const pipeline = new Pipeline(ProcessControl_Shutdown$Results, answer);
    return new ProcessControl_Shutdown$Results$Promise(pipeline);
  }
};
Registry.register(ProcessControl$Client.interfaceId, ProcessControl$Client);
var ProcessControl$Server = class extends Server {
  target;
  constructor(target) {
    super(target, [
      {
        ...ProcessControl$Client.methods[0],
        impl: target.health
      },
      {
        ...ProcessControl$Client.methods[1],
        impl: target.provide
      },
      {
        ...ProcessControl$Client.methods[2],
        impl: target.shutdown
      }
    ]);
    this.target = target;
  }
  client() {
    return new ProcessControl$Client(this);
  }
};
var ProcessControl = class extends Interface {
  static Client = ProcessControl$Client;
  static Server = ProcessControl$Server;
  static _capnp = {
    displayName: "ProcessControl",
    id: "94ffcfe2991903c9",
    size: new ObjectSize(0, 0)
  };
  toString() {
    return "ProcessControl_" + super.toString();
  }
};
var Kv_Get$Params = class extends Struct {
  static _capnp = {
    displayName: "get$Params",
    id: "a0421bedee235346",
    size: new ObjectSize(0, 1)
  };
  get key() {
    return utils.getText(0, this);
  }
  set key(value) {
    utils.setText(0, value, this);
  }
  toString() {
    return "Kv_Get$Params_" + super.toString();
  }
};
var Kv_Get$Results = class extends Struct {
  static _capnp = {
    displayName: "get$Results",
    id: "c4ea5b2050c7f5dc",
    size: new ObjectSize(8, 1)
  };
  _adoptValue(value) {
    utils.adopt(value, utils.getPointer(0, this));
  }
  _disownValue() {
    return utils.disown(this.value);
  }
  get value() {
    return utils.getData(0, this);
  }
  _hasValue() {
    return !utils.isNull(utils.getPointer(0, this));
  }
  _initValue(length) {
    return utils.initData(0, length, this);
  }
  set value(value) {
    utils.copyFrom(value, utils.getPointer(0, this));
  }
  get found() {
    return utils.getBit(0, this);
  }
  set found(value) {
    utils.setBit(0, value, this);
  }
  toString() {
    return "Kv_Get$Results_" + super.toString();
  }
};
var Kv_Get$Results$Promise = class {
  pipeline;
  constructor(pipeline) {
    this.pipeline = pipeline;
  }
  async promise() {
    return await this.pipeline.struct();
  }
};
var Kv_Put$Params = class extends Struct {
  static _capnp = {
    displayName: "put$Params",
    id: "de61d57086c6a4e3",
    size: new ObjectSize(0, 2)
  };
  get key() {
    return utils.getText(0, this);
  }
  set key(value) {
    utils.setText(0, value, this);
  }
  _adoptValue(value) {
    utils.adopt(value, utils.getPointer(1, this));
  }
  _disownValue() {
    return utils.disown(this.value);
  }
  get value() {
    return utils.getData(1, this);
  }
  _hasValue() {
    return !utils.isNull(utils.getPointer(1, this));
  }
  _initValue(length) {
    return utils.initData(1, length, this);
  }
  set value(value) {
    utils.copyFrom(value, utils.getPointer(1, this));
  }
  toString() {
    return "Kv_Put$Params_" + super.toString();
  }
};
var Kv_Put$Results = class extends Struct {
  static _capnp = {
    displayName: "put$Results",
    id: "9516a5292bc3a96e",
    size: new ObjectSize(0, 0)
  };
  toString() {
    return "Kv_Put$Results_" + super.toString();
  }
};
var Kv_Put$Results$Promise = class {
  pipeline;
  constructor(pipeline) {
    this.pipeline = pipeline;
  }
  async promise() {
    return await this.pipeline.struct();
  }
};
var Kv_Delete$Params = class extends Struct {
  static _capnp = {
    displayName: "delete$Params",
    id: "e86d0df9100d2a5f",
    size: new ObjectSize(0, 1)
  };
  get key() {
    return utils.getText(0, this);
  }
  set key(value) {
    utils.setText(0, value, this);
  }
  toString() {
    return "Kv_Delete$Params_" + super.toString();
  }
};
var Kv_Delete$Results = class extends Struct {
  static _capnp = {
    displayName: "delete$Results",
    id: "cf02da613ab62dbe",
    size: new ObjectSize(8, 0)
  };
  get existed() {
    return utils.getBit(0, this);
  }
  set existed(value) {
    utils.setBit(0, value, this);
  }
  toString() {
    return "Kv_Delete$Results_" + super.toString();
  }
};
var Kv_Delete$Results$Promise = class {
  pipeline;
  constructor(pipeline) {
    this.pipeline = pipeline;
  }
  async promise() {
    return await this.pipeline.struct();
  }
};
var Kv_List$Params = class extends Struct {
  static _capnp = {
    displayName: "list$Params",
    id: "add11f8b11bc9e06",
    size: new ObjectSize(0, 1)
  };
  get prefix() {
    return utils.getText(0, this);
  }
  set prefix(value) {
    utils.setText(0, value, this);
  }
  toString() {
    return "Kv_List$Params_" + super.toString();
  }
};
var Kv_List$Results = class extends Struct {
  static _capnp = {
    displayName: "list$Results",
    id: "b7e2eec0a633beb3",
    size: new ObjectSize(0, 1)
  };
  _adoptKeys(value) {
    utils.adopt(value, utils.getPointer(0, this));
  }
  _disownKeys() {
    return utils.disown(this.keys);
  }
  get keys() {
    return utils.getList(0, TextList, this);
  }
  _hasKeys() {
    return !utils.isNull(utils.getPointer(0, this));
  }
  _initKeys(length) {
    return utils.initList(0, TextList, length, this);
  }
  set keys(value) {
    utils.copyFrom(value, utils.getPointer(0, this));
  }
  toString() {
    return "Kv_List$Results_" + super.toString();
  }
};
var Kv_List$Results$Promise = class {
  pipeline;
  constructor(pipeline) {
    this.pipeline = pipeline;
  }
  async promise() {
    return await this.pipeline.struct();
  }
};
var Kv$Client = class _Kv$Client {
  client;
  static interfaceId = 0xe919a6c4a9d715e4n;
  constructor(client) {
    this.client = client;
  }
  static methods = [
    {
      ParamsClass: Kv_Get$Params,
      ResultsClass: Kv_Get$Results,
      interfaceId: _Kv$Client.interfaceId,
      methodId: 0,
      interfaceName: "kernel.capnp:Kv",
      methodName: "get"
    },
    {
      ParamsClass: Kv_Put$Params,
      ResultsClass: Kv_Put$Results,
      interfaceId: _Kv$Client.interfaceId,
      methodId: 1,
      interfaceName: "kernel.capnp:Kv",
      methodName: "put"
    },
    {
      ParamsClass: Kv_Delete$Params,
      ResultsClass: Kv_Delete$Results,
      interfaceId: _Kv$Client.interfaceId,
      methodId: 2,
      interfaceName: "kernel.capnp:Kv",
      methodName: "delete"
    },
    {
      ParamsClass: Kv_List$Params,
      ResultsClass: Kv_List$Results,
      interfaceId: _Kv$Client.interfaceId,
      methodId: 3,
      interfaceName: "kernel.capnp:Kv",
      methodName: "list"
    }
  ];
  get(paramsFunc) {
    const answer = this.client.call({
      method: _Kv$Client.methods[0],
      paramsFunc
    });
    const pipeline = new Pipeline(Kv_Get$Results, answer);
    return new Kv_Get$Results$Promise(pipeline);
  }
  put(paramsFunc) {
    const answer = this.client.call({
      method: _Kv$Client.methods[1],
      paramsFunc
    });
    const pipeline = new Pipeline(Kv_Put$Results, answer);
    return new Kv_Put$Results$Promise(pipeline);
  }
  delete(paramsFunc) {
    const answer = this.client.call({
      method: _Kv$Client.methods[2],
      paramsFunc
    });
    const pipeline = new Pipeline(Kv_Delete$Results, answer);
    return new Kv_Delete$Results$Promise(pipeline);
  }
  list(paramsFunc) {
    const answer = this.client.call({
      method: _Kv$Client.methods[3],
      paramsFunc
    });
    const pipeline = new Pipeline(Kv_List$Results, answer);
    return new Kv_List$Results$Promise(pipeline);
  }
};
Registry.register(Kv$Client.interfaceId, Kv$Client);
var Kv$Server = class extends Server {
  target;
  constructor(target) {
    super(target, [
      {
        ...Kv$Client.methods[0],
        impl: target.get
      },
      {
        ...Kv$Client.methods[1],
        impl: target.put
      },
      {
        ...Kv$Client.methods[2],
        impl: target.delete
      },
      {
        ...Kv$Client.methods[3],
        impl: target.list
      }
    ]);
    this.target = target;
  }
  client() {
    return new Kv$Client(this);
  }
};
var Kv = class extends Interface {
  static Client = Kv$Client;
  static Server = Kv$Server;
  static _capnp = {
    displayName: "Kv",
    id: "e919a6c4a9d715e4",
    size: new ObjectSize(0, 0)
  };
  toString() {
    return "Kv_" + super.toString();
  }
};
var Log_Write$Params = class extends Struct {
  static _capnp = {
    displayName: "write$Params",
    id: "f29a00a56979c4e9",
    size: new ObjectSize(0, 2)
  };
  get level() {
    return utils.getText(0, this);
  }
  set level(value) {
    utils.setText(0, value, this);
  }
  get message() {
    return utils.getText(1, this);
  }
  set message(value) {
    utils.setText(1, value, this);
  }
  toString() {
    return "Log_Write$Params_" + super.toString();
  }
};
var Log_Write$Results = class extends Struct {
  static _capnp = {
    displayName: "write$Results",
    id: "fec72f442277a9a1",
    size: new ObjectSize(0, 0)
  };
  toString() {
    return "Log_Write$Results_" + super.toString();
  }
};
var Log_Write$Results$Promise = class {
  pipeline;
  constructor(pipeline) {
    this.pipeline = pipeline;
  }
  async promise() {
    return await this.pipeline.struct();
  }
};
var Log$Client = class _Log$Client {
  client;
  static interfaceId = 0xd7e5df95c2d7c2b2n;
  constructor(client) {
    this.client = client;
  }
  static methods = [
    {
      ParamsClass: Log_Write$Params,
      ResultsClass: Log_Write$Results,
      interfaceId: _Log$Client.interfaceId,
      methodId: 0,
      interfaceName: "kernel.capnp:Log",
      methodName: "write"
    }
  ];
  write(paramsFunc) {
    const answer = this.client.call({
      method: _Log$Client.methods[0],
      paramsFunc
    });
    const pipeline = new Pipeline(Log_Write$Results, answer);
    return new Log_Write$Results$Promise(pipeline);
  }
};
Registry.register(Log$Client.interfaceId, Log$Client);
var Log$Server = class extends Server {
  target;
  constructor(target) {
    super(target, [
      {
        ...Log$Client.methods[0],
        impl: target.write
      }
    ]);
    this.target = target;
  }
  client() {
    return new Log$Client(this);
  }
};
var Log = class extends Interface {
  static Client = Log$Client;
  static Server = Log$Server;
  static _capnp = {
    displayName: "Log",
    id: "d7e5df95c2d7c2b2",
    size: new ObjectSize(0, 0)
  };
  toString() {
    return "Log_" + super.toString();
  }
};
var Clock_Now$Params = class extends Struct {
  static _capnp = {
    displayName: "now$Params",
    id: "d15d660e211f90c3",
    size: new ObjectSize(0, 0)
  };
  toString() {
    return "Clock_Now$Params_" + super.toString();
  }
};
var Clock_Now$Results = class extends Struct {
  static _capnp = {
    displayName: "now$Results",
    id: "e3c12aca96284087",
    size: new ObjectSize(16, 0)
  };
  get unixMs() {
    return utils.getFloat64(0, this);
  }
  set unixMs(value) {
    utils.setFloat64(0, value, this);
  }
  get monotonicMs() {
    return utils.getFloat64(8, this);
  }
  set monotonicMs(value) {
    utils.setFloat64(8, value, this);
  }
  toString() {
    return "Clock_Now$Results_" + super.toString();
  }
};
var Clock_Now$Results$Promise = class {
  pipeline;
  constructor(pipeline) {
    this.pipeline = pipeline;
  }
  async promise() {
    return await this.pipeline.struct();
  }
};
var Clock$Client = class _Clock$Client {
  client;
  static interfaceId = 0xd3c0b1b32cb4e26dn;
  constructor(client) {
    this.client = client;
  }
  static methods = [
    {
      ParamsClass: Clock_Now$Params,
      ResultsClass: Clock_Now$Results,
      interfaceId: _Clock$Client.interfaceId,
      methodId: 0,
      interfaceName: "kernel.capnp:Clock",
      methodName: "now"
    }
  ];
  now(paramsFunc) {
    const answer = this.client.call({
      method: _Clock$Client.methods[0],
      paramsFunc
    });
    const pipeline = new Pipeline(Clock_Now$Results, answer);
    return new Clock_Now$Results$Promise(pipeline);
  }
};
Registry.register(Clock$Client.interfaceId, Clock$Client);
var Clock$Server = class extends Server {
  target;
  constructor(target) {
    super(target, [
      {
        ...Clock$Client.methods[0],
        impl: target.now
      }
    ]);
    this.target = target;
  }
  client() {
    return new Clock$Client(this);
  }
};
var Clock = class extends Interface {
  static Client = Clock$Client;
  static Server = Clock$Server;
  static _capnp = {
    displayName: "Clock",
    id: "d3c0b1b32cb4e26d",
    size: new ObjectSize(0, 0)
  };
  toString() {
    return "Clock_" + super.toString();
  }
};
var Counter_Increment$Params = class extends Struct {
  static _capnp = {
    displayName: "increment$Params",
    id: "b059fddc874fef83",
    size: new ObjectSize(8, 0)
  };
  get by() {
    return utils.getInt64(0, this);
  }
  set by(value) {
    utils.setInt64(0, value, this);
  }
  toString() {
    return "Counter_Increment$Params_" + super.toString();
  }
};
var Counter_Increment$Results = class extends Struct {
  static _capnp = {
    displayName: "increment$Results",
    id: "90e1627e0778bdcd",
    size: new ObjectSize(8, 0)
  };
  get value() {
    return utils.getInt64(0, this);
  }
  set value(value) {
    utils.setInt64(0, value, this);
  }
  toString() {
    return "Counter_Increment$Results_" + super.toString();
  }
};
var Counter_Increment$Results$Promise = class {
  pipeline;
  constructor(pipeline) {
    this.pipeline = pipeline;
  }
  async promise() {
    return await this.pipeline.struct();
  }
};
var Counter_Get$Params = class extends Struct {
  static _capnp = {
    displayName: "get$Params",
    id: "97f907e46eff8608",
    size: new ObjectSize(0, 0)
  };
  toString() {
    return "Counter_Get$Params_" + super.toString();
  }
};
var Counter_Get$Results = class extends Struct {
  static _capnp = {
    displayName: "get$Results",
    id: "c8c1d920e3744c4c",
    size: new ObjectSize(8, 0)
  };
  get value() {
    return utils.getInt64(0, this);
  }
  set value(value) {
    utils.setInt64(0, value, this);
  }
  toString() {
    return "Counter_Get$Results_" + super.toString();
  }
};
var Counter_Get$Results$Promise = class {
  pipeline;
  constructor(pipeline) {
    this.pipeline = pipeline;
  }
  async promise() {
    return await this.pipeline.struct();
  }
};
var Counter$Client = class _Counter$Client {
  client;
  static interfaceId = 0xf74a01351e0b2ccdn;
  constructor(client) {
    this.client = client;
  }
  static methods = [
    {
      ParamsClass: Counter_Increment$Params,
      ResultsClass: Counter_Increment$Results,
      interfaceId: _Counter$Client.interfaceId,
      methodId: 0,
      interfaceName: "kernel.capnp:Counter",
      methodName: "increment"
    },
    {
      ParamsClass: Counter_Get$Params,
      ResultsClass: Counter_Get$Results,
      interfaceId: _Counter$Client.interfaceId,
      methodId: 1,
      interfaceName: "kernel.capnp:Counter",
      methodName: "get"
    }
  ];
  increment(paramsFunc) {
    const answer = this.client.call({
      method: _Counter$Client.methods[0],
      paramsFunc
    });
    const pipeline = new Pipeline(Counter_Increment$Results, answer);
    return new Counter_Increment$Results$Promise(pipeline);
  }
  get(paramsFunc) {
    const answer = this.client.call({
      method: _Counter$Client.methods[1],
      paramsFunc
    });
    const pipeline = new Pipeline(Counter_Get$Results, answer);
    return new Counter_Get$Results$Promise(pipeline);
  }
};
Registry.register(Counter$Client.interfaceId, Counter$Client);
var Counter$Server = class extends Server {
  target;
  constructor(target) {
    super(target, [
      {
        ...Counter$Client.methods[0],
        impl: target.increment
      },
      {
        ...Counter$Client.methods[1],
        impl: target.get
      }
    ]);
    this.target = target;
  }
  client() {
    return new Counter$Client(this);
  }
};
var Counter = class extends Interface {
  static Client = Counter$Client;
  static Server = Counter$Server;
  static _capnp = {
    displayName: "Counter",
    id: "f74a01351e0b2ccd",
    size: new ObjectSize(0, 0)
  };
  toString() {
    return "Counter_" + super.toString();
  }
};
var Greeter_Greet$Params = class extends Struct {
  static _capnp = {
    displayName: "greet$Params",
    id: "e642fb28f3a03182",
    size: new ObjectSize(0, 1)
  };
  get name() {
    return utils.getText(0, this);
  }
  set name(value) {
    utils.setText(0, value, this);
  }
  toString() {
    return "Greeter_Greet$Params_" + super.toString();
  }
};
var Greeter_Greet$Results = class extends Struct {
  static _capnp = {
    displayName: "greet$Results",
    id: "ef9d233079c638df",
    size: new ObjectSize(0, 1)
  };
  get message() {
    return utils.getText(0, this);
  }
  set message(value) {
    utils.setText(0, value, this);
  }
  toString() {
    return "Greeter_Greet$Results_" + super.toString();
  }
};
var Greeter_Greet$Results$Promise = class {
  pipeline;
  constructor(pipeline) {
    this.pipeline = pipeline;
  }
  async promise() {
    return await this.pipeline.struct();
  }
};
var Greeter$Client = class _Greeter$Client {
  client;
  static interfaceId = 0x9b2f30c05af10a99n;
  constructor(client) {
    this.client = client;
  }
  static methods = [
    {
      ParamsClass: Greeter_Greet$Params,
      ResultsClass: Greeter_Greet$Results,
      interfaceId: _Greeter$Client.interfaceId,
      methodId: 0,
      interfaceName: "kernel.capnp:Greeter",
      methodName: "greet"
    }
  ];
  greet(paramsFunc) {
    const answer = this.client.call({
      method: _Greeter$Client.methods[0],
      paramsFunc
    });
    const pipeline = new Pipeline(Greeter_Greet$Results, answer);
    return new Greeter_Greet$Results$Promise(pipeline);
  }
};
Registry.register(Greeter$Client.interfaceId, Greeter$Client);
var Greeter$Server = class extends Server {
  target;
  constructor(target) {
    super(target, [
      {
        ...Greeter$Client.methods[0],
        impl: target.greet
      }
    ]);
    this.target = target;
  }
  client() {
    return new Greeter$Client(this);
  }
};
var Greeter = class extends Interface {
  static Client = Greeter$Client;
  static Server = Greeter$Server;
  static _capnp = {
    displayName: "Greeter",
    id: "9b2f30c05af10a99",
    size: new ObjectSize(0, 0)
  };
  toString() {
    return "Greeter_" + super.toString();
  }
};
var Echo_Echo$Params = class extends Struct {
  static _capnp = {
    displayName: "echo$Params",
    id: "8e99793073fc26fb",
    size: new ObjectSize(0, 1)
  };
  _adoptData(value) {
    utils.adopt(value, utils.getPointer(0, this));
  }
  _disownData() {
    return utils.disown(this.data);
  }
  get data() {
    return utils.getData(0, this);
  }
  _hasData() {
    return !utils.isNull(utils.getPointer(0, this));
  }
  _initData(length) {
    return utils.initData(0, length, this);
  }
  set data(value) {
    utils.copyFrom(value, utils.getPointer(0, this));
  }
  toString() {
    return "Echo_Echo$Params_" + super.toString();
  }
};
var Echo_Echo$Results = class extends Struct {
  static _capnp = {
    displayName: "echo$Results",
    id: "ca27eb04fd46967d",
    size: new ObjectSize(0, 1)
  };
  _adoptData(value) {
    utils.adopt(value, utils.getPointer(0, this));
  }
  _disownData() {
    return utils.disown(this.data);
  }
  get data() {
    return utils.getData(0, this);
  }
  _hasData() {
    return !utils.isNull(utils.getPointer(0, this));
  }
  _initData(length) {
    return utils.initData(0, length, this);
  }
  set data(value) {
    utils.copyFrom(value, utils.getPointer(0, this));
  }
  toString() {
    return "Echo_Echo$Results_" + super.toString();
  }
};
var Echo_Echo$Results$Promise = class {
  pipeline;
  constructor(pipeline) {
    this.pipeline = pipeline;
  }
  async promise() {
    return await this.pipeline.struct();
  }
};
var Echo$Client = class _Echo$Client {
  client;
  static interfaceId = 0xea1bb27b26285344n;
  constructor(client) {
    this.client = client;
  }
  static methods = [
    {
      ParamsClass: Echo_Echo$Params,
      ResultsClass: Echo_Echo$Results,
      interfaceId: _Echo$Client.interfaceId,
      methodId: 0,
      interfaceName: "kernel.capnp:Echo",
      methodName: "echo"
    }
  ];
  /**
  * benchmarks and tests
  *
  */
  echo(paramsFunc) {
    const answer = this.client.call({
      method: _Echo$Client.methods[0],
      paramsFunc
    });
    const pipeline = new Pipeline(Echo_Echo$Results, answer);
    return new Echo_Echo$Results$Promise(pipeline);
  }
};
Registry.register(Echo$Client.interfaceId, Echo$Client);
var Echo$Server = class extends Server {
  target;
  constructor(target) {
    super(target, [
      {
        ...Echo$Client.methods[0],
        impl: target.echo
      }
    ]);
    this.target = target;
  }
  client() {
    return new Echo$Client(this);
  }
};
var Echo = class extends Interface {
  static Client = Echo$Client;
  static Server = Echo$Server;
  static _capnp = {
    displayName: "Echo",
    id: "ea1bb27b26285344",
    size: new ObjectSize(0, 0)
  };
  toString() {
    return "Echo_" + super.toString();
  }
};

// kernel/guest/process.ts
import process2 from "node:process";

// capabilities/lib/rpc/connection.ts
import { setImmediate } from "node:timers";

// capabilities/lib/rpc/types.ts
var RpcError = class extends Error {
  name = "RpcError";
  type;
  constructor(type, message) {
    super(message);
    this.type = type;
  }
};
function disconnectedError(why) {
  return new RpcError("disconnected", why.startsWith("disconnected") ? why : `disconnected: ${why}`);
}
var FailedAnswer = class _FailedAnswer {
  error;
  constructor(error) {
    this.error = error;
  }
  struct() {
    return Promise.reject(this.error);
  }
  pipelineCall(_t, _c) {
    return new _FailedAnswer(this.error);
  }
  pipelineClose(_t) {
  }
};
var FailedClient = class {
  error;
  constructor(error) {
    this.error = error;
  }
  call(_call) {
    return new FailedAnswer(this.error);
  }
  close() {
  }
};
var AnyStruct2 = class extends Struct {
  static _capnp = {
    displayName: "AnyStruct",
    id: "0",
    size: new ObjectSize(0, 0)
  };
};

// capabilities/lib/rpc/clients.ts
var finalizer = typeof FinalizationRegistry === "function" ? new FinalizationRegistry((h) => h.owner.dropImportRef(h.entry)) : null;
var ImportClient = class _ImportClient {
  owner;
  entry;
  released = false;
  constructor(owner, entry) {
    this.owner = owner;
    this.entry = entry;
    entry.localRefs++;
    finalizer?.register(this, {
      owner,
      entry
    }, this);
  }
  get closed() {
    return this.released;
  }
  call(call) {
    if (this.released) return new FailedAnswer(new Error("capability was released (close() called on it)"));
    return this.owner.callImport(this.entry, call);
  }
  /** Another independent reference to the same remote object (each must be closed). */
  dup() {
    return new _ImportClient(this.owner, this.entry);
  }
  close() {
    if (this.released) return;
    this.released = true;
    finalizer?.unregister(this);
    this.owner.dropImportRef(this.entry);
  }
};
var PipelinedClient = class {
  answer;
  transform;
  constructor(answer, transform) {
    this.answer = answer;
    this.transform = transform;
  }
  call(call) {
    return this.answer.pipelineCall(this.transform, call);
  }
  close() {
    this.answer.pipelineClose(this.transform);
  }
};
var LocalRef = class {
  target;
  constructor(target) {
    this.target = target;
  }
  call(call) {
    return this.target.call(call);
  }
  close() {
  }
};
function asCapnpPipelineClient(c) {
  const p = c.pipeline;
  if (p && typeof p.transform === "function" && p.answer) return {
    answer: p.answer,
    transform: p.transform()
  };
  return null;
}

// capabilities/lib/rpc/framing.ts
var defaultFrameLimits = {
  maxFrameBytes: 8 * 1024 * 1024,
  maxSegments: 512
};
var FrameError = class extends Error {
  name = "FrameError";
};
var FrameReader = class {
  limits;
  chunks = [];
  buffered = 0;
  /** Size of the frame being assembled, once its header has been read (0 = header not read yet). */
  frameBytes = 0;
  constructor(limits = defaultFrameLimits) {
    this.limits = limits;
  }
  /** Bytes held while waiting for the rest of a frame. */
  get pendingBytes() {
    return this.buffered;
  }
  /** Feeds one chunk; returns the frames it completed (each a standalone copy or view). Throws FrameError. */
  push(chunk) {
    const frames = [];
    if (chunk.byteLength > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.byteLength;
    }
    for (; ; ) {
      if (this.frameBytes === 0) {
        if (this.buffered < 8) break;
        const first = this.peek(4);
        const count = new DataView(first.buffer, first.byteOffset, 4).getUint32(0, true) + 1;
        if (count > this.limits.maxSegments || count === 0) {
          throw new FrameError(`frame declares ${count} segments (limit ${this.limits.maxSegments})`);
        }
        const headerBytes = 4 + 4 * count + 7 & ~7;
        if (this.buffered < headerBytes) break;
        const header = this.peek(headerBytes);
        const view = new DataView(header.buffer, header.byteOffset, headerBytes);
        let total = headerBytes;
        for (let i = 0; i < count; i++) {
          const words = view.getUint32(4 + 4 * i, true);
          total += words * 8;
          if (total > this.limits.maxFrameBytes) {
            throw new FrameError(`frame larger than ${this.limits.maxFrameBytes} bytes`);
          }
        }
        if (total === headerBytes) throw new FrameError("frame has no content");
        this.frameBytes = total;
      }
      if (this.buffered < this.frameBytes) break;
      frames.push(this.take(this.frameBytes));
      this.frameBytes = 0;
    }
    return frames;
  }
  /** The first n buffered bytes without consuming them (n <= buffered). */
  peek(n) {
    const head = this.chunks[0];
    if (head.byteLength >= n) return head.subarray(0, n);
    const out = new Uint8Array(n);
    let off = 0;
    for (const c of this.chunks) {
      const k = Math.min(c.byteLength, n - off);
      out.set(c.subarray(0, k), off);
      off += k;
      if (off === n) break;
    }
    return out;
  }
  /** Consumes n bytes (n <= buffered); a view when they sit in one chunk, else a copy. */
  take(n) {
    this.buffered -= n;
    const head = this.chunks[0];
    if (head.byteLength >= n) {
      if (head.byteLength === n) this.chunks.shift();
      else this.chunks[0] = head.subarray(n);
      return head.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0];
      const k = Math.min(c.byteLength, n - off);
      out.set(c.subarray(0, k), off);
      off += k;
      if (k === c.byteLength) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }
};

// capabilities/lib/rpc/local-answer.ts
function settleable() {
  let resolve;
  let reject;
  const promise = new Promise((a, b) => {
    resolve = a;
    reject = b;
  });
  promise.catch(() => {
  });
  return {
    promise,
    resolve,
    reject
  };
}
var LocalAnswer = class {
  result = null;
  error = null;
  resolveCap;
  p = settleable();
  waiters = [];
  constructor(resolveCap) {
    this.resolveCap = resolveCap;
  }
  resolve(s) {
    if (this.result || this.error) return;
    this.result = s;
    this.p.resolve(s);
    this.flush();
  }
  reject(e) {
    if (this.result || this.error) return;
    this.error = e;
    this.p.reject(e);
    this.flush();
  }
  flush() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  struct() {
    return this.p.promise;
  }
  pipelineCall(transform, call) {
    if (this.result) return this.resolveCap(this.result, transform).call(call);
    if (this.error) return new FailedAnswer(this.error);
    const fwd = new ForwardAnswer();
    this.waiters.push(() => fwd.bind(this.result ? this.resolveCap(this.result, transform).call(call) : new FailedAnswer(this.error)));
    return fwd;
  }
  pipelineClose(_transform) {
  }
};
var ForwardAnswer = class _ForwardAnswer {
  target = null;
  p = settleable();
  waiters = [];
  bind(a) {
    this.target = a;
    a.struct().then(this.p.resolve, this.p.reject);
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f(a);
  }
  struct() {
    return this.p.promise;
  }
  pipelineCall(transform, call) {
    if (this.target) return this.target.pipelineCall(transform, call);
    const f = new _ForwardAnswer();
    this.waiters.push((a) => f.bind(a.pipelineCall(transform, call)));
    return f;
  }
  pipelineClose(transform) {
    if (this.target) this.target.pipelineClose(transform);
    else this.waiters.push((a) => a.pipelineClose(transform));
  }
};

// capabilities/lib/rpc/wire.ts
var ProtocolError = class extends Error {
  name = "ProtocolError";
};
var SingleSegmentArena2 = new Message()._capnp.arena.constructor;
function newMessage() {
  const msg = new Message(new SingleSegmentArena2(new ArrayBuffer(512)));
  msg.getSegment(0).byteLength = 8;
  return msg;
}
function readMessage(frame) {
  if (frame[0] === 0 && frame[1] === 0 && frame[2] === 0 && frame[3] === 0) {
    const seg = new Uint8Array(frame.subarray(8)).buffer;
    return new Message(new SingleSegmentArena2(seg));
  }
  return new Message(frame, false, false);
}
function capTableOf(msg) {
  const c = msg._capnp;
  if (!c.capTable) c.capTable = [];
  return c.capTable;
}
function opsToFields(ops) {
  return ops.map((o) => o.field);
}
function fieldsToOps(fields) {
  return fields.map((field) => ({
    field
  }));
}
var IdAllocator = class {
  next = 0;
  free = [];
  alloc() {
    return this.free.pop() ?? this.next++;
  }
  release(id) {
    this.free.push(id);
  }
};
var typeNames = [
  "failed",
  "overloaded",
  "disconnected",
  "unimplemented"
];
function errorFromException(e) {
  const t = typeNames[e.type] ?? "failed";
  return t === "disconnected" ? disconnectedError(e.reason) : new RpcError(t, e.reason);
}
function writeException(e, err) {
  const error = err instanceof Error ? err : new Error(String(err));
  let type = "failed";
  if (error instanceof RpcError) type = error.type;
  else if (error.message.startsWith("disconnected")) type = "disconnected";
  e.type = typeNames.indexOf(type);
  e.reason = error.message;
}
function asError(e) {
  return e instanceof Error ? e : new Error(String(e));
}
function closeQuietly(c) {
  try {
    c.close();
  } catch {
  }
}
function writePromisedAnswer(pa, questionId, fields) {
  pa.questionId = questionId;
  if (fields.length === 0) return;
  const list = pa._initTransform(fields.length);
  for (let i = 0; i < fields.length; i++) list.get(i).getPointerField = fields[i];
}
function readTransform(pa) {
  if (!pa._hasTransform()) return [];
  const list = pa.transform;
  const out = [];
  for (let i = 0; i < list.length; i++) {
    const op = list.get(i);
    if (op.which() === PromisedAnswer_Op.GET_POINTER_FIELD) out.push(op.getPointerField);
    else if (op.which() !== PromisedAnswer_Op.NOOP) throw new ProtocolError("unknown PromisedAnswer op");
  }
  return out;
}
function sameFields(a, b) {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

// capabilities/lib/rpc/question.ts
var Question = class {
  conn;
  id;
  returned = false;
  finishSent = false;
  error = null;
  paramExports = [];
  result = null;
  promise;
  settle;
  fail;
  /** Transforms we sent pipelined calls on (candidates for an embargo when the answer resolves to us). */
  pipelined = [];
  embargoes = 0;
  closeOnResolve = [];
  resolvedCache = /* @__PURE__ */ new Map();
  constructor(conn, id) {
    this.conn = conn;
    this.id = id;
    this.promise = new Promise((res, rej) => {
      this.settle = res;
      this.fail = rej;
    });
    this.promise.catch(() => {
    });
  }
  struct() {
    return this.promise;
  }
  resolve(content, local = false) {
    if (this.error || this.result) return;
    this.returned = true;
    this.result = content;
    for (const fields of this.pipelined) {
      const c = this.conn.capAt(content, fields);
      if (c instanceof LocalRef || local && !(c instanceof FailedClient) && !this.conn.isImportOf(c)) {
        this.embargoes++;
        this.conn.sendEmbargo(this, fields);
      }
    }
    this.pipelined = [];
    this.settle(new Struct(content.segment, content.byteOffset, content._capnp.depthLimit));
    for (const t of this.closeOnResolve) closeQuietly(this.conn.capAt(content, t));
    this.closeOnResolve = [];
    if (this.embargoes === 0) this.conn.sendFinish(this);
  }
  reject(err) {
    if (this.error) return;
    this.returned = true;
    this.error = err;
    this.fail(err);
    this.conn.sendFinish(this);
  }
  embargoLifted() {
    this.embargoes--;
    if (this.embargoes <= 0) this.conn.sendFinish(this);
  }
  /** The client now at `transform` (after the answer returned). */
  resolvedCap(transform) {
    if (this.error) return new FailedClient(this.error);
    if (!this.result) return new FailedClient(new Error("answer not returned yet"));
    const fields = opsToFields(transform);
    const key = fields.join(".");
    let c = this.resolvedCache.get(key);
    if (!c) {
      c = this.conn.capAt(this.result, fields);
      this.resolvedCache.set(key, c);
    }
    return c;
  }
  pipelineCall(transform, call) {
    if (this.error) return new FailedAnswer(this.error);
    if (!this.finishSent) {
      const fields = opsToFields(transform);
      if (!this.result && !this.pipelined.some((f) => sameFields(f, fields))) this.pipelined.push(fields);
      return this.conn.sendCall({
        questionId: this.id,
        transform: fields
      }, call);
    }
    return this.resolvedCap(transform).call(call);
  }
  pipelineClose(transform) {
    if (this.error) return;
    if (this.result) closeQuietly(this.resolvedCap(transform));
    else this.closeOnResolve.push(opsToFields(transform));
  }
};

// capabilities/lib/rpc/connection.ts
var Connection = class {
  name;
  /** Resolves when the connection ends: undefined after close(), else the reason (message starts "disconnected"). */
  closed;
  transport;
  bootstrapClient;
  maxIncomingCalls;
  maxAnswers;
  maxImports;
  maxOutgoingBytes;
  reader;
  questions = /* @__PURE__ */ new Map();
  questionIds = new IdAllocator();
  answers = /* @__PURE__ */ new Map();
  exports = /* @__PURE__ */ new Map();
  exportIds = new IdAllocator();
  exportByClient = /* @__PURE__ */ new Map();
  imports = /* @__PURE__ */ new Map();
  embargoes = /* @__PURE__ */ new Map();
  nextEmbargoId = 0;
  closedError = null;
  resolveClosed;
  outQueue = [];
  flushScheduled = false;
  lazyScheduled = false;
  running = 0;
  counters = {
    framesIn: 0,
    framesOut: 0,
    callsIn: 0,
    callsOut: 0,
    returnsIn: 0
  };
  constructor(transport, opts = {}) {
    this.transport = transport;
    this.name = opts.name ?? "rpc";
    this.bootstrapClient = opts.bootstrap ?? null;
    this.maxIncomingCalls = opts.maxIncomingCalls ?? 256;
    this.maxAnswers = opts.maxAnswers ?? 4096;
    this.maxImports = opts.maxImports ?? 65536;
    this.maxOutgoingBytes = opts.maxOutgoingBytes ?? 64 * 1024 * 1024;
    this.reader = new FrameReader({
      maxFrameBytes: opts.maxFrameBytes ?? defaultFrameLimits.maxFrameBytes,
      maxSegments: opts.maxSegments ?? defaultFrameLimits.maxSegments
    });
    this.closed = new Promise((resolve) => this.resolveClosed = resolve);
    transport.start({
      data: (chunk) => this.onData(chunk),
      end: (err) => this.disconnect(disconnectedError(`${this.name}: ${err ? err.message : "peer closed the connection"}`))
    });
  }
  bootstrap(iface) {
    const Ctor = "Client" in iface ? iface.Client : iface;
    return new Ctor(this.bootstrapClientRaw());
  }
  /** The peer's bootstrap capability as an untyped $.Client. */
  bootstrapClientRaw() {
    if (this.closedError) return new FailedClient(this.closedError);
    const q = new Question(this, this.questionIds.alloc());
    this.questions.set(q.id, q);
    const out = newMessage();
    out.initRoot(Message2)._initBootstrap().questionId = q.id;
    this.send(out);
    return new PipelinedClient(q, []);
  }
  /** Ends the connection: every outstanding call and capability rejects with "disconnected: ...". */
  close() {
    this.disconnect(disconnectedError(`${this.name}: connection closed`), true);
  }
  get isClosed() {
    return this.closedError !== null;
  }
  stats() {
    return {
      ...this.counters,
      running: this.running,
      questions: this.questions.size,
      answers: this.answers.size,
      exports: this.exports.size,
      imports: this.imports.size
    };
  }
  // ---- outgoing -------------------------------------------------------------------------------------------
  send(msg) {
    if (this.closedError) return;
    this.outQueue.push(new Uint8Array(msg.toArrayBuffer()));
    this.counters.framesOut++;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }
  /**
   * Queues a message that nobody waits for (Finish, Release): it rides along with the next write, or goes out
   * after the current I/O turn. Saves a write and a peer wake-up per call.
   */
  sendLazy(msg) {
    if (this.closedError) return;
    this.outQueue.push(new Uint8Array(msg.toArrayBuffer()));
    this.counters.framesOut++;
    if (!this.flushScheduled && !this.lazyScheduled) {
      this.lazyScheduled = true;
      setImmediate(() => {
        this.lazyScheduled = false;
        if (!this.closedError) this.flush();
      });
    }
  }
  flush() {
    this.flushScheduled = false;
    const q = this.outQueue;
    if (q.length === 0) return;
    this.outQueue = [];
    if (q.length === 1) {
      this.write(q[0]);
      return;
    }
    let n = 0;
    for (const b of q) n += b.byteLength;
    const all = new Uint8Array(n);
    let off = 0;
    for (const b of q) {
      all.set(b, off);
      off += b.byteLength;
    }
    this.write(all);
  }
  write(bytes) {
    try {
      this.transport.write(bytes);
    } catch {
    }
    const backlog = this.transport.bufferedBytes?.() ?? 0;
    if (backlog > this.maxOutgoingBytes && !this.closedError) {
      this.disconnect(disconnectedError(`${this.name}: peer does not read (${backlog} bytes queued)`));
    }
  }
  /** Sends a Call to an import or to a promised answer; returns its question. */
  sendCall(target, call) {
    if (this.closedError) return new FailedAnswer(this.closedError);
    const q = new Question(this, this.questionIds.alloc());
    const out = newMessage();
    const c = out.initRoot(Message2)._initCall();
    c.questionId = q.id;
    const t = c._initTarget();
    if ("importId" in target) t.importedCap = target.importId;
    else writePromisedAnswer(t._initPromisedAnswer(), target.questionId, target.transform);
    c.interfaceId = call.method.interfaceId;
    c.methodId = call.method.methodId;
    const payload = c._initParams();
    try {
      if (isDataCall(call)) utils.copyFrom(call.params, payload.content);
      else placeParams(call, payload.content);
      q.paramExports = this.writeCapTable(payload, out);
    } catch (e) {
      this.questionIds.release(q.id);
      return new FailedAnswer(e instanceof Error ? e : new Error(String(e)));
    }
    this.questions.set(q.id, q);
    this.counters.callsOut++;
    this.send(out);
    return q;
  }
  callImport(entry, call) {
    if (this.closedError) return new FailedAnswer(this.closedError);
    if (!entry.live) return new FailedAnswer(new Error("capability was released"));
    return this.sendCall({
      importId: entry.id
    }, call);
  }
  dropImportRef(entry) {
    if (!entry.live) return;
    entry.localRefs--;
    if (entry.localRefs > 0) return;
    entry.live = false;
    if (this.imports.get(entry.id) === entry) this.imports.delete(entry.id);
    if (this.closedError) return;
    const out = newMessage();
    const rel = out.initRoot(Message2)._initRelease();
    rel.id = entry.id;
    rel.referenceCount = entry.remoteRefs;
    this.sendLazy(out);
  }
  /** Writes the payload's cap table from the message's capnp-es cap table; returns the export ids it used. */
  writeCapTable(payload, out) {
    const caps = capTableOf(out);
    const exported = [];
    if (caps.length === 0) return exported;
    const list = payload._initCapTable(caps.length);
    for (let i = 0; i < caps.length; i++) this.describeCap(caps[i], list.get(i), exported);
    return exported;
  }
  describeCap(client, d, exported) {
    for (let hops = 0; client && hops < 64; hops++) {
      if (client instanceof LocalRef) {
        client = client.target;
        continue;
      }
      if (client instanceof ImportClient && client.owner === this && !client.closed && client.entry.live) {
        d.receiverHosted = client.entry.id;
        return;
      }
      const pipe = client instanceof PipelinedClient ? {
        answer: client.answer,
        transform: client.transform
      } : asCapnpPipelineClient(client);
      if (pipe && pipe.answer instanceof Question && pipe.answer.conn === this) {
        const q = pipe.answer;
        if (!q.finishSent && !q.error) {
          writePromisedAnswer(d._initReceiverAnswer(), q.id, opsToFields(pipe.transform));
          return;
        }
        client = q.resolvedCap(pipe.transform);
        continue;
      }
      break;
    }
    if (!client) {
      d.none = true;
      return;
    }
    let e = this.exportByClient.get(client);
    if (!e) {
      e = {
        id: this.exportIds.alloc(),
        client,
        refs: 0,
        owned: client !== this.bootstrapClient
      };
      this.exports.set(e.id, e);
      this.exportByClient.set(client, e);
    }
    e.refs++;
    d.senderHosted = e.id;
    exported.push(e.id);
  }
  releaseExport(id, count) {
    const e = this.exports.get(id);
    if (!e) throw new ProtocolError(`Release of unknown export id ${id}`);
    if (count > e.refs) throw new ProtocolError(`Release of export ${id} by ${count} but only ${e.refs} held`);
    e.refs -= count;
    if (e.refs > 0) return;
    this.exports.delete(id);
    this.exportByClient.delete(e.client);
    this.exportIds.release(id);
    if (e.owned) closeQuietly(e.client);
  }
  /** Called by a question when its Return arrived and no embargo is pending. */
  sendFinish(q) {
    if (q.finishSent) return;
    q.finishSent = true;
    this.questions.delete(q.id);
    if (this.closedError) return;
    const out = newMessage();
    const f = out.initRoot(Message2)._initFinish();
    f.questionId = q.id;
    f.releaseResultCaps = false;
    this.sendLazy(out);
    this.questionIds.release(q.id);
  }
  /** Disembargo (senderLoopback) on a pipelined capability that resolved back to us. */
  sendEmbargo(q, fields) {
    const id = this.nextEmbargoId++ >>> 0;
    this.embargoes.set(id, q);
    const out = newMessage();
    const d = out.initRoot(Message2)._initDisembargo();
    writePromisedAnswer(d._initTarget()._initPromisedAnswer(), q.id, fields);
    d._initContext().senderLoopback = id;
    this.send(out);
  }
  isImportOf(c) {
    return c instanceof ImportClient && c.owner === this;
  }
  /** The client at `transform` inside a results pointer (capnp-es cap table of that message). */
  capAt(root, fields) {
    try {
      let p = root;
      for (const f of fields) {
        if (utils.isNull(p)) return new FailedClient(new Error("null capability in pipelined result"));
        if (utils.getTargetPointerType(p) !== PointerType.STRUCT) {
          return new FailedClient(new Error("pipelined transform goes through a non-struct pointer"));
        }
        const st = new Struct(p.segment, p.byteOffset, p._capnp.depthLimit);
        utils.checkPointerBounds(f, st);
        p = utils.getPointer(f, st);
      }
      if (utils.isNull(p)) return new FailedClient(new Error("null capability in result"));
      if (utils.getPointerType(p) !== PointerType.OTHER) return new FailedClient(new Error("not a capability"));
      const id = utils.getInterfacePointer(p);
      const table = capTableOf(p.segment.message);
      const c = id < table.length ? table[id] : null;
      return c ?? new FailedClient(new Error("capability index out of range"));
    } catch (e) {
      return new FailedClient(e instanceof Error ? e : new Error(String(e)));
    }
  }
  // ---- incoming -------------------------------------------------------------------------------------------
  onData(chunk) {
    if (this.closedError) return;
    let frames;
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      this.abort(e instanceof FrameError ? e.message : String(e));
      return;
    }
    for (const f of frames) {
      if (this.closedError) return;
      this.counters.framesIn++;
      try {
        this.handleFrame(f);
      } catch (e) {
        const why = e instanceof ProtocolError ? e.message : `malformed message: ${e?.message ?? e}`;
        this.abort(why);
        return;
      }
    }
  }
  handleFrame(frame) {
    const msg = readMessage(frame);
    const root = msg.getRoot(Message2);
    switch (root.which()) {
      case Message2.CALL:
        return this.onCall(msg, root.call);
      case Message2.RETURN:
        return this.onReturn(msg, root.return);
      case Message2.FINISH:
        return this.onFinish(root.finish);
      case Message2.BOOTSTRAP:
        return this.onBootstrap(root.bootstrap);
      case Message2.RELEASE:
        return this.releaseExport(root.release.id, root.release.referenceCount);
      case Message2.RESOLVE:
        return this.onResolve(root.resolve);
      case Message2.DISEMBARGO:
        return this.onDisembargo(root, root.disembargo);
      case Message2.ABORT: {
        const reason = root.abort.reason;
        this.disconnect(disconnectedError(`${this.name}: peer aborted: ${reason}`));
        return;
      }
      case Message2.UNIMPLEMENTED:
        return this.onUnimplemented(root.unimplemented);
      default: {
        const out = newMessage();
        out.initRoot(Message2).unimplemented = root;
        this.send(out);
      }
    }
  }
  newImport(id) {
    let e = this.imports.get(id);
    if (!e) {
      if (this.imports.size >= this.maxImports) throw new ProtocolError(`more than ${this.maxImports} imports`);
      e = {
        id,
        remoteRefs: 0,
        localRefs: 0,
        live: true
      };
      this.imports.set(id, e);
    }
    e.remoteRefs++;
    return new ImportClient(this, e);
  }
  /** Turns the peer's cap descriptors into clients and installs them as the message's capnp-es cap table. */
  readCapTable(msg, payload) {
    const table = capTableOf(msg);
    if (!payload._hasCapTable()) return;
    const list = payload.capTable;
    const n = list.length;
    for (let i = 0; i < n; i++) table.push(this.readCapDescriptor(list.get(i)));
  }
  readCapDescriptor(d) {
    switch (d.which()) {
      case CapDescriptor.NONE:
        return null;
      case CapDescriptor.SENDER_HOSTED:
        return this.newImport(d.senderHosted);
      case CapDescriptor.SENDER_PROMISE:
        return this.newImport(d.senderPromise);
      case CapDescriptor.RECEIVER_HOSTED: {
        const e = this.exports.get(d.receiverHosted);
        if (!e) throw new ProtocolError(`receiverHosted names unknown export ${d.receiverHosted}`);
        return new LocalRef(e.client);
      }
      case CapDescriptor.RECEIVER_ANSWER: {
        const pa = d.receiverAnswer;
        return new LocalRef(this.answerCap(pa.questionId, readTransform(pa)));
      }
      case CapDescriptor.THIRD_PARTY_HOSTED:
        return this.newImport(d.thirdPartyHosted.vineId);
      default:
        throw new ProtocolError("unknown CapDescriptor kind");
    }
  }
  answerCap(questionId, fields) {
    const a = this.answers.get(questionId);
    if (!a) throw new ProtocolError(`promisedAnswer names unknown question ${questionId}`);
    if (a.bootstrap) {
      return fields.length === 0 ? a.bootstrap : new FailedClient(new Error("transform on the bootstrap cap"));
    }
    if (a.running && a.local) return new PipelinedClient(a.local, fieldsToOps(fields));
    if (a.error) return new FailedClient(a.error);
    if (a.result) return this.capAt(a.result, fields);
    return new FailedClient(new Error("answer has no result"));
  }
  targetClient(t) {
    if (t.which() === MessageTarget.IMPORTED_CAP) {
      const e = this.exports.get(t.importedCap);
      if (!e) throw new ProtocolError(`call to unknown export id ${t.importedCap}`);
      return e.client;
    }
    if (t.which() === MessageTarget.PROMISED_ANSWER) {
      const pa = t.promisedAnswer;
      return this.answerCap(pa.questionId, readTransform(pa));
    }
    throw new ProtocolError("unknown MessageTarget kind");
  }
  newAnswer(id) {
    if (this.answers.has(id)) throw new ProtocolError(`question id ${id} reused before Finish`);
    if (this.answers.size >= this.maxAnswers) throw new ProtocolError(`more than ${this.maxAnswers} unfinished answers`);
    const a = {
      id,
      running: false,
      local: null,
      result: null,
      error: null,
      bootstrap: null,
      resultExports: [],
      canceled: false,
      redirected: false,
      prepared: null
    };
    this.answers.set(id, a);
    return a;
  }
  onBootstrap(b) {
    const a = this.newAnswer(b.questionId);
    const out = newMessage();
    const ret = out.initRoot(Message2)._initReturn();
    ret.answerId = a.id;
    ret.releaseParamCaps = false;
    if (!this.bootstrapClient) {
      a.error = new RpcError("failed", `${this.name} exports no bootstrap capability`);
      writeException(ret._initException(), a.error);
    } else {
      a.bootstrap = this.bootstrapClient;
      const p = ret._initResults();
      utils.setInterfacePointer(out.addCap(this.bootstrapClient), p.content);
      a.resultExports = this.writeCapTable(p, out);
    }
    this.send(out);
  }
  onCall(msg, c) {
    this.counters.callsIn++;
    const a = this.newAnswer(c.questionId);
    const target = this.targetClient(c.target);
    const payload = c.params;
    this.readCapTable(msg, payload);
    let refused = null;
    const to = c.sendResultsTo;
    if (to._isYourself) a.redirected = true;
    else if (!to._isCaller) {
      refused = new RpcError("unimplemented", "sendResultsTo thirdParty (level 3) is not supported");
    } else if (this.running >= this.maxIncomingCalls) {
      refused = new RpcError("overloaded", `${this.name}: more than ${this.maxIncomingCalls} calls in progress`);
    }
    if (refused) {
      for (const cap of capTableOf(msg)) if (cap) closeQuietly(cap);
      this.returnError(a, refused);
      return;
    }
    const local = this.dispatch(a, target, c.interfaceId, c.methodId, payload.content);
    a.local = local;
    a.running = true;
    this.running++;
    local.struct().then((res) => this.guard(() => this.completeAnswer(a, res, null)), (err) => this.guard(() => this.completeAnswer(a, null, asError(err))));
  }
  /** Delivers a call to a local client; typed params when the interface's generated code is loaded. */
  dispatch(a, client, interfaceId, methodId, content) {
    try {
      let method;
      let server = null;
      if (client instanceof Server) {
        const m = client.methods[methodId];
        if (!m || m.interfaceId !== interfaceId) {
          return new FailedAnswer(new RpcError("unimplemented", `method @${methodId} of interface 0x${interfaceId.toString(16)} not implemented`));
        }
        method = m;
        server = client;
      } else {
        const cls = Registry.lookup(interfaceId);
        method = cls?.methods?.[methodId];
        method ??= {
          interfaceId,
          methodId,
          ParamsClass: AnyStruct2,
          ResultsClass: AnyStruct2
        };
      }
      let params;
      if (utils.isNull(content)) params = newMessage().initRoot(method.ParamsClass);
      else if (utils.getTargetPointerType(content) !== PointerType.STRUCT) {
        return new FailedAnswer(new RpcError("failed", "call params are not a struct"));
      } else params = new method.ParamsClass(content.segment, content.byteOffset, content._capnp.depthLimit);
      if (server) {
        const msg = newMessage();
        const ret = msg.initRoot(Message2)._initReturn();
        ret.answerId = a.id;
        ret.releaseParamCaps = false;
        const payload = ret._initResults();
        const content2 = payload.content;
        const results = new method.ResultsClass(content2.segment, content2.byteOffset, content2._capnp.depthLimit);
        utils.initStruct(method.ResultsClass._capnp.size, results);
        a.prepared = {
          msg,
          payload,
          results
        };
        const local = new LocalAnswer((root, t) => this.capAt(root, opsToFields(t)));
        const impl = server.methods[methodId].impl;
        try {
          impl.call(server.target, params, results).then(() => local.resolve(results), (e) => local.reject(asError(e)));
        } catch (e) {
          local.reject(asError(e));
        }
        return local;
      }
      const answer = client.call({
        method,
        params
      });
      return answer;
    } catch (e) {
      return new FailedAnswer(e instanceof Error ? e : new Error(String(e)));
    }
  }
  completeAnswer(a, res, err) {
    this.running--;
    a.running = false;
    a.local = null;
    if (this.closedError) return;
    if (a.canceled) {
      this.answers.delete(a.id);
      const out2 = newMessage();
      const ret2 = out2.initRoot(Message2)._initReturn();
      ret2.answerId = a.id;
      ret2.releaseParamCaps = false;
      ret2.canceled = true;
      this.send(out2);
      return;
    }
    if (a.redirected) {
      a.result = res;
      a.error = err ?? (res ? null : new Error("no result"));
      const out2 = newMessage();
      const ret2 = out2.initRoot(Message2)._initReturn();
      ret2.answerId = a.id;
      ret2.releaseParamCaps = false;
      ret2.resultsSentElsewhere = true;
      this.send(out2);
      return;
    }
    if (err || !res) {
      this.returnError(a, err ?? new Error("no result"));
      return;
    }
    a.result = res;
    const prepared = a.prepared;
    a.prepared = null;
    if (prepared && prepared.results === res) {
      try {
        a.resultExports = this.writeCapTable(prepared.payload, prepared.msg);
      } catch (e) {
        this.returnError(a, asError(e));
        return;
      }
      this.send(prepared.msg);
      return;
    }
    const out = newMessage();
    const ret = out.initRoot(Message2)._initReturn();
    ret.answerId = a.id;
    ret.releaseParamCaps = false;
    const p = ret._initResults();
    try {
      utils.copyFrom(res, p.content);
      a.resultExports = this.writeCapTable(p, out);
    } catch (e) {
      this.returnError(a, e instanceof Error ? e : new Error(String(e)));
      return;
    }
    this.send(out);
  }
  returnError(a, err) {
    a.error = err;
    const out = newMessage();
    const ret = out.initRoot(Message2)._initReturn();
    ret.answerId = a.id;
    ret.releaseParamCaps = false;
    writeException(ret._initException(), err);
    this.send(out);
  }
  onReturn(msg, ret) {
    this.counters.returnsIn++;
    const q = this.questions.get(ret.answerId);
    if (!q || q.returned) throw new ProtocolError(`Return for unknown question ${ret.answerId}`);
    if (ret.releaseParamCaps) {
      for (const id of q.paramExports) if (this.exports.has(id)) this.releaseExport(id, 1);
    }
    q.paramExports = [];
    switch (ret.which()) {
      case Return.RESULTS: {
        const payload = ret.results;
        this.readCapTable(msg, payload);
        q.resolve(payload.content);
        return;
      }
      case Return.EXCEPTION:
        q.reject(errorFromException(ret.exception));
        return;
      case Return.CANCELED:
        q.reject(new RpcError("failed", "call was canceled"));
        return;
      case Return.TAKE_FROM_OTHER_QUESTION: {
        const a = this.answers.get(ret.takeFromOtherQuestion);
        if (!a || !a.redirected) {
          throw new ProtocolError(`takeFromOtherQuestion names unknown redirected answer ${ret.takeFromOtherQuestion}`);
        }
        if (a.running && a.local) {
          a.local.struct().then((res) => this.guard(() => q.resolve(res, true)), (e) => this.guard(() => q.reject(asError(e))));
        } else if (a.result) q.resolve(a.result, true);
        else q.reject(a.error ?? new Error("redirected call has no result"));
        q.returned = true;
        return;
      }
      case Return.RESULTS_SENT_ELSEWHERE:
        throw new ProtocolError("resultsSentElsewhere for a call that did not ask for it");
      default:
        throw new ProtocolError("Return kind of level 3 (third-party / tail calls) was never requested");
    }
  }
  onFinish(f) {
    const a = this.answers.get(f.questionId);
    if (!a) throw new ProtocolError(`Finish for unknown question ${f.questionId}`);
    if (a.running) {
      a.canceled = true;
      return;
    }
    this.answers.delete(a.id);
    if (f.releaseResultCaps) {
      for (const id of a.resultExports) if (this.exports.has(id)) this.releaseExport(id, 1);
    }
  }
  onResolve(r) {
    if (r.which() === Resolve.CAP) {
      const c = this.readCapDescriptor(r.cap);
      if (c) closeQuietly(c);
    }
  }
  onDisembargo(root, d) {
    const ctx = d.context;
    switch (ctx.which()) {
      case Disembargo_Context.SENDER_LOOPBACK: {
        let c = this.targetClient(d.target);
        while (c instanceof LocalRef) c = c.target;
        if (!(c instanceof ImportClient) || c.owner !== this) {
          throw new ProtocolError("senderLoopback Disembargo on a capability that does not point back to the sender");
        }
        const importId = c.entry.id;
        const embargoId = ctx.senderLoopback;
        setTimeout(() => this.guard(() => {
          if (this.closedError) return;
          const out = newMessage();
          const r = out.initRoot(Message2)._initDisembargo();
          r._initTarget().importedCap = importId;
          r._initContext().receiverLoopback = embargoId;
          this.send(out);
        }), 0);
        return;
      }
      case Disembargo_Context.RECEIVER_LOOPBACK: {
        const q = this.embargoes.get(ctx.receiverLoopback);
        if (!q) throw new ProtocolError(`Disembargo echo for unknown embargo ${ctx.receiverLoopback}`);
        this.embargoes.delete(ctx.receiverLoopback);
        q.embargoLifted();
        return;
      }
      default: {
        const out = newMessage();
        out.initRoot(Message2).unimplemented = root;
        this.send(out);
      }
    }
  }
  onUnimplemented(m) {
    const which = m.which();
    if (which === Message2.CALL || which === Message2.BOOTSTRAP) {
      const id = which === Message2.CALL ? m.call.questionId : m.bootstrap.questionId;
      const q = this.questions.get(id);
      if (!q || q.returned) throw new ProtocolError(`Unimplemented echo for unknown question ${id}`);
      for (const e of q.paramExports) if (this.exports.has(e)) this.releaseExport(e, 1);
      q.paramExports = [];
      q.reject(new RpcError("unimplemented", "peer does not implement this message"));
      return;
    }
    if (which === Message2.DISEMBARGO) {
      for (const [id, q] of this.embargoes) {
        this.embargoes.delete(id);
        q.embargoLifted();
      }
    }
  }
  // ---- ending ---------------------------------------------------------------------------------------------
  /** Runs work from a callback (not under onData's try): a failure aborts this connection, never the process. */
  guard(fn) {
    try {
      fn();
    } catch (e) {
      this.abort(`internal error: ${asError(e).message}`);
    }
  }
  abort(reason) {
    if (this.closedError) return;
    const out = newMessage();
    const e = out.initRoot(Message2)._initAbort();
    e.type = 0;
    e.reason = reason;
    this.send(out);
    this.disconnect(disconnectedError(`${this.name}: protocol error: ${reason}`));
  }
  disconnect(err, byUs = false) {
    if (this.closedError) return;
    this.closedError = err;
    this.flush();
    for (const q of this.questions.values()) q.reject(err);
    this.questions.clear();
    this.embargoes.clear();
    for (const e of this.exports.values()) if (e.owned) closeQuietly(e.client);
    this.exports.clear();
    this.exportByClient.clear();
    for (const e of this.imports.values()) e.live = false;
    this.imports.clear();
    this.answers.clear();
    try {
      this.transport.close();
    } catch {
    }
    this.resolveClosed(byUs ? void 0 : err);
  }
  get error() {
    return this.closedError;
  }
};
function connect(transport, opts = {}) {
  return new Connection(transport, opts);
}

// capabilities/lib/rpc/net.ts
import net from "node:net";

// capabilities/lib/rpc/transport.ts
function isWebReadable(r) {
  return typeof r.getReader === "function";
}
function isWebWritable(w) {
  return typeof w.getWriter === "function";
}
function asError2(e) {
  return e instanceof Error ? e : new Error(String(e));
}
var encoder = new TextEncoder();
function streamTransport(readable, writable, opts = {}) {
  let sink = null;
  let ended = false;
  let closed = false;
  const finish = (err) => {
    if (ended) return;
    ended = true;
    sink?.end(err);
  };
  let webWriter = null;
  let webPending = 0;
  let webReader = null;
  if (isWebWritable(writable)) webWriter = writable.getWriter();
  else writable.on("error", (e) => finish(asError2(e)));
  return {
    start(s) {
      if (sink) throw new Error("transport already started");
      sink = s;
      if (isWebReadable(readable)) {
        const reader = readable.getReader();
        webReader = reader;
        void (async () => {
          try {
            for (; ; ) {
              const { value, done } = await reader.read();
              if (done) break;
              if (value && !ended) s.data(value);
            }
            finish();
          } catch (e) {
            finish(closed ? void 0 : asError2(e));
          }
        })();
      } else {
        readable.on("data", (chunk) => {
          if (!ended) s.data(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
        });
        readable.on("end", () => finish());
        readable.on("close", () => finish());
        readable.on("error", (e) => finish(closed ? void 0 : asError2(e)));
      }
    },
    write(bytes) {
      if (closed || ended) return;
      if (webWriter) {
        webPending += bytes.byteLength;
        webWriter.write(bytes).then(() => webPending -= bytes.byteLength, (e) => finish(asError2(e)));
      } else {
        const w = writable;
        if (w.destroyed || w.writableEnded) return;
        try {
          w.write(bytes, (err) => {
            if (err) finish(asError2(err));
          });
        } catch (e) {
          finish(asError2(e));
        }
      }
    },
    bufferedBytes() {
      return webWriter ? webPending : writable.writableLength ?? 0;
    },
    close() {
      if (closed) return;
      closed = true;
      if (webWriter) {
        webWriter.close().catch(() => {
        });
      } else {
        const w = writable;
        try {
          if (!w.writableEnded) w.end();
        } catch {
        }
      }
      if (webReader) webReader.cancel().catch(() => {
      });
      opts.onClose?.();
      finish();
    }
  };
}

// capabilities/lib/rpc/stdio.ts
import { spawn } from "node:child_process";
import process from "node:process";
function connectStdio(opts = {}) {
  const toErr = (...args) => {
    process.stderr.write(args.map((a) => typeof a === "string" ? a : String(a)).join(" ") + "\n");
  };
  console.log = toErr;
  console.info = toErr;
  console.debug = toErr;
  const conn = connect(streamTransport(process.stdin, process.stdout), {
    name: "parent",
    ...opts
  });
  return conn;
}

// kernel/captable.ts
function capTableOf2(msg) {
  const c = msg._capnp;
  if (!c.capTable) c.capTable = [];
  return c.capTable;
}
function setCap(ptr, client) {
  utils.setInterfacePointer(ptr.segment.message.addCap(client), ptr);
}
function getCap(ptr) {
  if (utils.isNull(ptr) || utils.getPointerType(ptr) !== PointerType.OTHER) {
    return new FailedClient(new Error("failed: no capability in the result"));
  }
  const id = utils.getInterfacePointer(ptr);
  return capTableOf2(ptr.segment.message)[id] ?? new FailedClient(new Error("failed: capability index out of range"));
}

// kernel/guest/process.ts
function startProcess(opts = {}) {
  const control = new ProcessControl$Server({
    health(_p, r) {
      const h = opts.health?.() ?? {
        ready: true
      };
      r.ready = h.ready;
      r.detail = h.detail ?? "";
      return Promise.resolve();
    },
    async provide(p, r) {
      const name = p.name;
      const fn = opts.provide?.[name];
      if (!fn) throw new Error(`unimplemented: this process does not provide "${name}"`);
      let restrictions = {};
      try {
        restrictions = p.restrictions ? JSON.parse(p.restrictions) : {};
      } catch {
        throw new Error(`failed: restrictions for "${name}" are not JSON`);
      }
      setCap(r.cap, await fn(restrictions, p.grantee));
    },
    async shutdown() {
      await opts.onShutdown?.();
      setTimeout(() => process2.exit(0), 10);
    }
  });
  const conn = connectStdio({
    bootstrap: control,
    name: "kernel",
    maxIncomingCalls: 1024
  });
  conn.closed.then(() => process2.exit(0));
  const client = conn.bootstrap(Session);
  const session = {
    client,
    async get(name) {
      const r = await client.get((p) => p.name = name).promise();
      return getCap(r.cap);
    },
    async list() {
      const r = await client.list().promise();
      return r.names.toArray();
    }
  };
  return {
    session,
    conn
  };
}

// capabilities/clock/main.ts
function clockCap(restrictions) {
  const keys = Object.keys(restrictions);
  if (keys.length) throw new Error(`denied: clock: unknown restriction "${keys[0]}" (clock takes none)`);
  return new Clock$Server({
    now(_p, r) {
      r.unixMs = Date.now();
      r.monotonicMs = performance.now();
      return Promise.resolve();
    }
  });
}
startProcess({
  provide: {
    clock: clockCap
  }
});
