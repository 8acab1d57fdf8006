// Field keys of the messages the fast codec writes (proto/eastwest/v1/telemetry.proto):
// (field number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited).

export const AGENT_MESSAGE_BATCH = 0x12;
export const BATCH_SEQ = 0x10;
export const BATCH_POINTS = 0x1a;
export const BATCH_CREATED_NS = 0x20;
export const POINT_TAGS = 0x12;
export const POINT_FIELDS = 0x1a;
export const POINT_TIME_NS = 0x20;
/** Field 1 as a string: Batch.agent_id, Point.measurement and the key of a map entry (tags, fields). */
export const NAME = 0x0a;
/** Field 2 of a map entry: its value. */
export const ENTRY_VALUE = 0x12;
/** FieldValue oneof: double f = 1, int64 i = 2, uint64 u = 3, bool b = 4, string s = 5. */
export const VALUE_F = 0x09;
export const VALUE_I = 0x10;
export const VALUE_U = 0x18;
export const VALUE_B = 0x20;
export const VALUE_S = 0x2a;

export const U64_MAX = (1n << 64n) - 1n;
export const I64_MIN = -(1n << 63n);
export const I64_MAX = (1n << 63n) - 1n;
