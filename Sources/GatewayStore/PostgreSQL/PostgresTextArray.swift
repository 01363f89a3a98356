import NIOCore
import PostgresNIO

/// One column of a batch as a PostgreSQL `text[]` in binary form, NULLs included (PostgresNIO's
/// own arrays cannot hold NULL).
///
/// A batch is inserted as one such array per column, read back with `UNNEST`: the statement
/// is the same whatever the batch size, so PostgreSQL parses and plans it in microseconds. A
/// multi-row `VALUES` of 32,000 parameters spent half the server's time there (`perf` on the
/// backend: parse, analyze and plan 50%, index inserts 23%).
struct PostgresTextArray: PostgresNonThrowingEncodable {
    static var psqlType: PostgresDataType { .textArray }
    static var psqlFormat: PostgresFormat { .binary }

    private var elements = ByteBuffer()
    private(set) var count = 0
    private var hasNull = false

    /// Appends one element, or NULL.
    mutating func append(_ value: String?) {
        count += 1
        guard let value else {
            hasNull = true
            elements.writeInteger(Int32(-1))
            return
        }
        let length = elements.writerIndex
        elements.writeInteger(Int32(0))
        let written = elements.writeString(value)
        elements.setInteger(Int32(written), at: length)
    }

    /// The array header (one dimension, its length, lower bound 1), then the elements, each
    /// with its length (-1 for NULL).
    func encode<JSONEncoder: PostgresJSONEncoder>(
        into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        buffer.writeInteger(Int32(count == 0 ? 0 : 1))
        buffer.writeInteger(Int32(hasNull ? 1 : 0))
        buffer.writeInteger(PostgresDataType.text.rawValue)
        guard count > 0 else { return }
        buffer.writeInteger(Int32(count))
        buffer.writeInteger(Int32(1))
        buffer.writeImmutableBuffer(elements)
    }
}
