import { fail } from '../diagnostics/error.js';

/**
 * Safetensors files (https://huggingface.co/docs/safetensors, the format Hugging Face and
 * PyTorch users share weights in): an unsigned 64-bit little-endian header length, a JSON header
 * mapping each tensor's name to its dtype, shape and byte range in the data that follows, then
 * the data. Only float32 (`F32`) here: every rnnc weight is one. Nothing in the format runs
 * code on load (unlike a pickled `torch.save` file), and reading it needs no PyTorch.
 */

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** A safetensors file of `tensors`, in order; `metadata` goes in the header's `__metadata__`. */
export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.data.length !== t.shape.reduce((a, d) => a * d, 1)) throw new Error(`tensor ${t.name}: ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * t.data.length] };
    offset += 4 * t.data.length;
  }
  let text = JSON.stringify(header);
  // The format pads the header with spaces so that the data starts 8-byte aligned.
  text += ' '.repeat((8 - ((Buffer.byteLength(text) + 8) % 8)) % 8);
  const head = Buffer.from(text, 'utf8');
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const t of tensors) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    // Float32Array is little-endian on every platform Node runs on.
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

/**
 * The tensors of a safetensors file by name, checked: a header that does not parse, a dtype
 * other than F32, or byte ranges outside the data or not matching their shapes are BadModelDir
 * (E4006) naming `file`.
 */
export function decodeSafetensors(bytes: Uint8Array, file: string): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  const bad = (why: string) => fail('BadModelDir', `${file}: not a usable safetensors file: ${why}`, { file });
  if (bytes.length < 8) throw bad('shorter than its 8-byte header length');
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) throw bad(`its header length ${n} runs past the end of the file`);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, Number(n)).toString('utf8'));
  } catch (e) {
    throw bad(`its header is not JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('its header is not a JSON object');
  const dataStart = 8 + Number(n);
  const dataLength = bytes.length - dataStart;
  const tensors = new Map<string, NamedTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = info as Record<string, string>;
      continue;
    }
    const t = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (t.dtype !== 'F32') throw bad(`tensor ${name} is ${String(t.dtype)}, not F32 (float32)`);
    const shape = t.shape;
    const offsets = t.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) throw bad(`tensor ${name} has no valid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d))) throw bad(`tensor ${name} has no valid data_offsets`);
    const [start, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, d) => a * d, 1);
    if (start < 0 || end < start || end > dataLength) throw bad(`tensor ${name}'s bytes ${start}–${end} are outside the data (${dataLength} bytes)`);
    if (end - start !== 4 * count) throw bad(`tensor ${name} has ${end - start} bytes for shape [${(shape as number[]).join(', ')}] (${4 * count} needed)`);
    const data = new Float32Array(count);
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart + start, dataStart + end));
    tensors.set(name, { name, shape: shape as number[], data });
  }
  return { tensors, metadata };
}
