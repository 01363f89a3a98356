import Foundation

/// Writes a line to standard output at once (not buffered), so that scripts waiting for a
/// banner see it while the server runs.
enum Console {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// A line on standard error: a warning or a note, apart from the output scripts read.
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
