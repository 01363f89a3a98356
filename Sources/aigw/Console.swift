import Foundation

/// Writes a line to standard output at once (not buffered), so that scripts waiting for a
/// banner see it while the server runs.
enum Console {
    static func line(_ text: String) {
        write(text, to: .standardOutput)
    }

    /// A line on standard error: a warning or a note, apart from the output scripts read.
    static func error(_ text: String) {
        write(text, to: .standardError)
    }

    /// Writes a line; a reader that went away (`aigw logs list | head`: a broken pipe) ends the
    /// command quietly, as it ends any Unix tool, instead of crashing it.
    private static func write(_ text: String, to handle: FileHandle) {
        do {
            try handle.write(contentsOf: Data((text + "\n").utf8))
        } catch {
            exit(0)
        }
    }
}
