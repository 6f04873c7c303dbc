/**
 * A first-fit allocator over the kernels' shared memory, above a fixed base. Kernel calls
 * allocate their buffers here and free them when done, except what a forward pass keeps for
 * its backward pass, which stays where the kernels wrote it (no copies, no fresh JS buffers:
 * allocating a 3 MB Float32Array per step cost more than the copy into it, in page faults).
 * Blocks are few and large (a handful per layer call), so a sorted free list is enough.
 */
export class Heap {
  /** Free blocks [start, end), sorted by start, never adjacent (merged on free). */
  private readonly free: { start: number; end: number }[] = [];
  private readonly sizes = new Map<number, number>();
  private top: number;

  constructor(
    base: number,
    /** Makes bytes [0, end) exist (grows the memory); throws when it cannot. */
    private readonly ensure: (end: number) => void,
    private readonly align = 64,
  ) {
    this.top = base;
  }

  /** `bytes` bytes, aligned; returns the offset. */
  alloc(bytes: number): number {
    const size = Math.max(this.align, Math.ceil(bytes / this.align) * this.align);
    for (let i = 0; i < this.free.length; i++) {
      const f = this.free[i]!;
      if (f.end - f.start < size) continue;
      const at = f.start;
      if (f.end - f.start === size) this.free.splice(i, 1);
      else f.start += size;
      this.sizes.set(at, size);
      return at;
    }
    const at = this.top;
    this.ensure(at + size);
    this.top = at + size;
    this.sizes.set(at, size);
    return at;
  }

  /** Frees a block from {@link alloc}; freeing twice or an unknown offset throws. */
  release(at: number): void {
    const size = this.sizes.get(at);
    if (size === undefined) throw new Error(`kernel heap: ${at} is not an allocated block`);
    this.sizes.delete(at);
    let start = at;
    let end = at + size;
    // Insert in order, merging with the neighbours it touches.
    let i = 0;
    while (i < this.free.length && this.free[i]!.start < start) i++;
    const prev = this.free[i - 1];
    const next = this.free[i];
    if (prev && prev.end === start) {
      start = prev.start;
      this.free.splice(--i, 1);
    }
    if (next && next.start === end) {
      end = next.end;
      this.free.splice(i, 1);
    }
    if (end === this.top) this.top = start;
    else this.free.splice(i, 0, { start, end });
  }

  /** Bytes in use (allocated and not freed). */
  get used(): number {
    let n = 0;
    for (const s of this.sizes.values()) n += s;
    return n;
  }

  /** The end of the highest block ever needed right now (memory above it is unused). */
  get end(): number {
    return this.top;
  }
}
