/**
 * JSON with typed arrays, for the test host's HTTP transport. Electron's IPC carries typed
 * arrays natively (structured clone); plain JSON would turn a Float32Array into an object of
 * numbered keys, so arrays travel as tagged base64 here.
 */
type TypedArray = Float32Array | Float64Array | Uint8Array | Uint16Array | Int16Array | Int32Array | Uint32Array;
const ctors = { Float32Array, Float64Array, Uint8Array, Uint16Array, Int16Array, Int32Array, Uint32Array } as const;
type TypedName = keyof typeof ctors;
const TAG = '$typed';

function isTypedName(x: unknown): x is TypedName {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(ctors, x);
}

function bytesToBase64(bytes: Uint8Array): string {
  if (typeof Buffer !== 'undefined') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let s = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) s += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(s);
}

function base64ToBytes(b64: string): Uint8Array {
  if (typeof Buffer !== 'undefined') return new Uint8Array(Buffer.from(b64, 'base64'));
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function encodeWire(value: unknown): string {
  return JSON.stringify(value, function (this: unknown, _key, v: unknown) {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const arr = v as TypedArray;
      const name = arr.constructor.name;
      if (!isTypedName(name)) throw new Error(`wire: unsupported typed array ${name}`);
      return { [TAG]: name, b64: bytesToBase64(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength)) };
    }
    return v;
  });
}

export function decodeWire(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && TAG in v) {
      const rec = v as Record<string, unknown>;
      const name = rec[TAG];
      if (!isTypedName(name) || typeof rec.b64 !== 'string') throw new Error('wire: malformed typed array');
      const bytes = base64ToBytes(rec.b64);
      const Ctor = ctors[name];
      const aligned = new Uint8Array(bytes.byteLength);
      aligned.set(bytes);
      return new Ctor(aligned.buffer, 0, bytes.byteLength / Ctor.BYTES_PER_ELEMENT);
    }
    return v;
  });
}
