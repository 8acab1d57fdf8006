// Types of the snappyjs package (it ships none): snappy block format, pure JavaScript.
declare module "snappyjs" {
  /** Returns the same kind it is given (Buffer, Uint8Array or ArrayBuffer). */
  export function compress<T extends Uint8Array | ArrayBuffer>(data: T): T;
  export function uncompress<T extends Uint8Array | ArrayBuffer>(data: T, maxLength?: number): T;
  const snappy: { compress: typeof compress; uncompress: typeof uncompress };
  export default snappy;
}
