import CHeap
import Testing

@testable import GatewayServer

@Suite("Freed memory: returned to the system after a burst, not on every check")
struct FreedMemoryReturnTests {
    @Test("memory is returned at the first check, then once the heap's free bytes grow past the threshold from their lowest")
    func policy() {
        var policy = FreedMemoryReturn.Policy(threshold: 100)
        // What starting up left free goes back at the first check.
        let atStart = policy.shouldReturn(freeBytes: 500)
        #expect(atStart)
        policy.returned(freeBytesAfter: 480)
        // Readings in turn: 570 is under the threshold; 300 means chunks were reused (the
        // baseline falls to it); 401 is 101 more than the lowest.
        let first = [570, 300, 401].map { policy.shouldReturn(freeBytes: $0) }
        #expect(first == [false, false, true])
        // After a return the chunks stay free, only their pages went: 380 is the new baseline.
        policy.returned(freeBytesAfter: 380)
        let then = [420, 481].map { policy.shouldReturn(freeBytes: $0) }
        #expect(then == [false, true])
    }

    @Test("the heap's free bytes are read, and grow when a burst of allocations is freed")
    func heapReading() {
        let before = Int(aigw_heap_free_bytes())
        #expect(before > 0)
        // 32 MiB in 4 KiB blocks (below glibc's mmap threshold, so they come from the heap),
        // every other one freed: they cannot merge into the heap's top and be trimmed at once,
        // which is how a burst's memory stays on the heap.
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<8192 {
            let block = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16)
            block.initializeMemory(as: UInt8.self, repeating: 1, count: 4096)
            blocks.append(block)
        }
        for (index, block) in blocks.enumerated() where index.isMultiple(of: 2) { block.deallocate() }
        #expect(Int(aigw_heap_free_bytes()) >= before + (12 << 20))
        for (index, block) in blocks.enumerated() where !index.isMultiple(of: 2) { block.deallocate() }
        aigw_heap_return_free_pages()
    }
}
