import Foundation

/// Writes a line to standard output at once (not buffered), so that scripts waiting for a
/// banner see it while the server runs.
enum Console {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
