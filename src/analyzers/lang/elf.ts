/**
 * Just enough ELF to find a named section and translate a virtual address to a file offset, on a
 * buffer that may be hostile: every offset is checked against the buffer before it is read, and the
 * section and segment counts are bounded by the buffer's size (an entry takes at least 32 bytes).
 */
export interface ElfSection {
  name: string;
  offset: number;
  size: number;
  /** SHT_NOBITS sections (.bss) occupy no file bytes. */
  nobits: boolean;
}

export interface ElfSegment {
  vaddr: number;
  offset: number;
  filesz: number;
}

export interface ElfFile {
  is64: boolean;
  littleEndian: boolean;
  sections: ElfSection[];
  segments: ElfSegment[];
}

export function isElf(b: Buffer): boolean {
  return b.length >= 64 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

/** Parse the headers, or undefined when the buffer is not a well-formed ELF file. */
export function parseElf(b: Buffer): ElfFile | undefined {
  if (!isElf(b)) return undefined;
  const is64 = b[4] === 2;
  if (!is64 && b[4] !== 1) return undefined;
  const le = b[5] === 1;
  if (!le && b[5] !== 2) return undefined;
  const u16 = (o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const addr = (o: number): number => {
    if (!is64) return u32(o);
    const v = le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
  };
  const inBounds = (o: number, n: number): boolean => o >= 0 && n >= 0 && o + n <= b.length;
  const phoff = addr(is64 ? 0x20 : 0x1c);
  const shoff = addr(is64 ? 0x28 : 0x20);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  const shnum = u16(is64 ? 0x3c : 0x30);
  const shstrndx = u16(is64 ? 0x3e : 0x32);

  const segments: ElfSegment[] = [];
  if (phentsize >= (is64 ? 56 : 32) && inBounds(phoff, phnum * phentsize)) {
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * phentsize;
      if (u32(o) !== 1) continue; // PT_LOAD
      segments.push(
        is64
          ? { offset: addr(o + 8), vaddr: addr(o + 16), filesz: addr(o + 32) }
          : { offset: u32(o + 4), vaddr: u32(o + 8), filesz: u32(o + 16) },
      );
    }
  }
  const sections: ElfSection[] = [];
  if (shentsize >= (is64 ? 64 : 40) && inBounds(shoff, shnum * shentsize) && shstrndx < shnum) {
    const raw: { nameOff: number; type: number; offset: number; size: number }[] = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * shentsize;
      raw.push(
        is64
          ? { nameOff: u32(o), type: u32(o + 4), offset: addr(o + 24), size: addr(o + 32) }
          : { nameOff: u32(o), type: u32(o + 4), offset: u32(o + 16), size: u32(o + 20) },
      );
    }
    const strtab = raw[shstrndx];
    if (strtab && inBounds(strtab.offset, strtab.size)) {
      for (const s of raw) {
        const start = strtab.offset + s.nameOff;
        if (s.nameOff >= strtab.size) continue;
        const end = b.indexOf(0, start);
        const name = b.toString('latin1', start, end < 0 || end > strtab.offset + strtab.size ? start : end);
        sections.push({ name, offset: s.offset, size: s.size, nobits: s.type === 8 });
      }
    }
  }
  return { is64, littleEndian: le, sections, segments };
}

/** The file bytes of a named section, or undefined when it is absent or lies outside the buffer. */
export function sectionData(b: Buffer, elf: ElfFile, name: string): Buffer | undefined {
  const s = elf.sections.find((x) => x.name === name);
  if (!s || s.nobits || s.offset < 0 || s.size < 0 || s.offset + s.size > b.length) return undefined;
  return b.subarray(s.offset, s.offset + s.size);
}

/** The file offset of a virtual address inside a loaded segment, or undefined. */
export function vaddrToOffset(elf: ElfFile, vaddr: number, length: number): number | undefined {
  for (const seg of elf.segments) {
    if (vaddr >= seg.vaddr && vaddr + length <= seg.vaddr + seg.filesz) return seg.offset + (vaddr - seg.vaddr);
  }
  return undefined;
}
