// Deep copy of a pointer's target into another message: capnp-es's `utils.copyFrom`, with its
// composite-list bug fixed. capnp-es 0.0.16 copies a struct list's elements whole (data AND pointer
// words) and then copies each pointer onto a slot that still holds the source's relative pointer, so
// `erase()` follows that stale pointer in the destination and throws ("Invalid typed array length") or
// corrupts memory. Forwarded calls/returns (proxies, the kernel's membrane) with a List(Struct) whose
// elements hold text, data or lists failed. Here the pointer slots are zeroed before they are copied.
import * as $ from "capnp-es";

const u = $.utils;

export function copyPointer(src: $.Pointer, dst: $.Pointer): void {
  if (dst.segment === src.segment && dst.byteOffset === src.byteOffset) return;
  u.erase(dst);
  if (u.isNull(src)) return;
  switch (u.getTargetPointerType(src)) {
    case $.PointerType.STRUCT:
      return copyStruct(src, dst);
    case $.PointerType.LIST:
      return copyList(src, dst);
    default:
      return u.copyFromInterface(src, dst);
  }
}

function child(p: $.Pointer, segment: $.Pointer["segment"], byteOffset: number): $.Pointer {
  return new $.Pointer(segment, byteOffset, p._capnp.depthLimit - 1);
}

function copyStruct(src: $.Pointer, dst: $.Pointer): void {
  if (dst._capnp.depthLimit <= 0) throw new Error("pointer depth limit exceeded");
  const srcContent = u.getContent(src);
  const size = u.getTargetStructSize(src);
  const dstContent = dst.segment.allocate(size.dataByteLength + size.pointerLength * 8);
  dstContent.segment.copyWords(dstContent.byteOffset, srcContent.segment, srcContent.byteOffset, size.dataByteLength / 8);
  for (let i = 0; i < size.pointerLength; i++) {
    const off = size.dataByteLength + i * 8;
    copyPointer(child(src, srcContent.segment, srcContent.byteOffset + off), child(dst, dstContent.segment, dstContent.byteOffset + off));
  }
  const res = u.initPointer(dstContent.segment, dstContent.byteOffset, dst);
  u.setStructPointer(res.offsetWords, size, res.pointer);
}

function copyList(src: $.Pointer, dst: $.Pointer): void {
  if (dst._capnp.depthLimit <= 0) throw new Error("pointer depth limit exceeded");
  const srcContent = u.getContent(src);
  const elementSize = u.getTargetListElementSize(src);
  const length = u.getTargetListLength(src);
  let compositeSize: $.ObjectSize | undefined;
  let dstContent: $.Pointer;
  if (elementSize === $.ListElementSize.POINTER) {
    dstContent = dst.segment.allocate(length * 8);
    for (let i = 0; i < length; i++) {
      copyPointer(child(src, srcContent.segment, srcContent.byteOffset + i * 8), child(dst, dstContent.segment, dstContent.byteOffset + i * 8));
    }
  } else if (elementSize === $.ListElementSize.COMPOSITE) {
    const raw = u.getTargetCompositeListSize(src);
    const size = new $.ObjectSize(Math.ceil(raw.dataByteLength / 8) * 8, raw.pointerLength);
    compositeSize = size;
    const stride = size.dataByteLength + size.pointerLength * 8;
    dstContent = dst.segment.allocate(stride * length + 8);
    dstContent.segment.copyWord(dstContent.byteOffset, srcContent.segment, srcContent.byteOffset - 8); // the tag
    for (let i = 0; i < length; i++) {
      const s = srcContent.byteOffset + i * stride;
      const d = dstContent.byteOffset + 8 + i * stride;
      // data words only: the pointer slots stay zero until their targets are copied
      if (size.dataByteLength) dstContent.segment.copyWords(d, srcContent.segment, s, size.dataByteLength / 8);
      for (let j = 0; j < size.pointerLength; j++) {
        const off = size.dataByteLength + j * 8;
        copyPointer(child(src, srcContent.segment, s + off), child(dst, dstContent.segment, d + off));
      }
    }
  } else {
    const bytes = elementSize === $.ListElementSize.BIT
      ? (length + 7) >>> 3
      : u.getListElementByteLength(elementSize) * length;
    const padded = Math.ceil(bytes / 8) * 8;
    dstContent = dst.segment.allocate(padded);
    dstContent.segment.copyWords(dstContent.byteOffset, srcContent.segment, srcContent.byteOffset, padded / 8);
  }
  const res = u.initPointer(dstContent.segment, dstContent.byteOffset, dst);
  u.setListPointer(res.offsetWords, elementSize, length, res.pointer, compositeSize);
}
