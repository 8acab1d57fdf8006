// What a half-open or hostile client sends on a fresh TCP connection to the gRPC port before going silent.
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
/** A HEADERS frame on stream 1 (END_STREAM | END_HEADERS) whose block is not valid HPACK. */
const BAD_HEADERS = Buffer.from([0, 0, 4, 1, 5, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]);

export const OPENINGS: Readonly<Record<string, Buffer>> = {
  bad_preface: Buffer.from("GET / HTTP/1.1\r\nhost: x\r\n\r\n"),
  bad_header_block: Buffer.concat([PREFACE, SETTINGS, BAD_HEADERS]),
  bare_preface: Buffer.concat([PREFACE, SETTINGS]),
  partial_preface: PREFACE.subarray(0, 9),
  nothing: Buffer.alloc(0),
};
