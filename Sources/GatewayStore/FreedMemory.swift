#if canImport(Glibc)
import Glibc
#endif

/// Hands memory the process has freed back to the system.
///
/// glibc keeps freed memory for reuse, so after a burst (a log backlog of tens of thousands
/// of records under load) the resident size otherwise stays at its peak for the life of the
/// process. `malloc_trim` releases the free pages; it is called rarely (once per backlog
/// drained), never per request.
enum FreedMemory {
    private typealias MallocTrim = @convention(c) (Int) -> Int32

    /// `malloc_trim`, looked up by name: it is not in Swift's Glibc module.
    private static let mallocTrim: MallocTrim? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: MallocTrim.self)
        #else
        return nil
        #endif
    }()

    /// Releases free memory to the system where the C library allows it; otherwise does nothing.
    static func returnToSystem() {
        _ = mallocTrim?(0)
    }
}
