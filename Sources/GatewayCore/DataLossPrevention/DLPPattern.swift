import Foundation

/// A regular expression for custom DLP profiles, run in time linear in the input whatever the
/// pattern (a Thompson NFA simulated breadth-first, the "Pike VM"): no backtracking, so no
/// hostile input can make a scan take exponential time. Matching is over UTF-8 bytes.
///
/// The syntax is the common subset: literals and `\` escapes, `.` (any byte but newline),
/// classes `[a-z0-9_]`, `[^...]`, `\d \D \w \W \s \S`, groups `(...)` and `(?:...)`,
/// alternation `|`, quantifiers `* + ? {n} {n,} {n,m}` (greedy; `{}` at most 100), anchors `^`
/// and `$` (of the whole text), and a leading `(?i)` for ASCII case-insensitivity. Anything
/// else (backreferences, lookaround) is refused when the profile is saved.
public struct DLPPattern: Sendable {
    /// One instruction of the compiled program.
    enum Instruction: Sendable {
        case byte(ByteSet)
        case split(Int, Int)
        case jump(Int)
        case textStart
        case textEnd
        case match
    }

    /// A set of bytes, as four 64-bit words.
    struct ByteSet: Sendable, Equatable {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

        static func == (a: ByteSet, b: ByteSet) -> Bool { a.words == b.words }

        func contains(_ byte: UInt8) -> Bool {
            let bit = UInt64(1) << UInt64(byte & 63)
            switch byte >> 6 {
            case 0: return words.0 & bit != 0
            case 1: return words.1 & bit != 0
            case 2: return words.2 & bit != 0
            default: return words.3 & bit != 0
            }
        }

        mutating func insert(_ byte: UInt8) {
            let bit = UInt64(1) << UInt64(byte & 63)
            switch byte >> 6 {
            case 0: words.0 |= bit
            case 1: words.1 |= bit
            case 2: words.2 |= bit
            default: words.3 |= bit
            }
        }

        mutating func insert(_ range: ClosedRange<UInt8>) { for byte in range { insert(byte) } }

        var inverted: ByteSet { ByteSet(words: (~words.0, ~words.1, ~words.2, ~words.3)) }

        static func single(_ byte: UInt8, caseless: Bool) -> ByteSet {
            var set = ByteSet()
            set.insert(byte)
            if caseless, let other = flipCase(byte) { set.insert(other) }
            return set
        }

        static func flipCase(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - 32
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte + 32
            default: nil
            }
        }

        static let digits: ByteSet = { var set = ByteSet(); set.insert(UInt8(ascii: "0")...UInt8(ascii: "9")); return set }()
        static let word: ByteSet = {
            var set = digits
            set.insert(UInt8(ascii: "a")...UInt8(ascii: "z"))
            set.insert(UInt8(ascii: "A")...UInt8(ascii: "Z"))
            set.insert(UInt8(ascii: "_"))
            return set
        }()
        static let space: ByteSet = { var set = ByteSet(); for byte in [9, 10, 11, 12, 13, 32] as [UInt8] { set.insert(byte) }; return set }()
        static let anyButNewline: ByteSet = { var set = ByteSet().inverted; set.words.0 &= ~(UInt64(1) << 10); return set }()
    }

    /// Why a pattern cannot be used, and where.
    public struct Problem: Error, CustomStringConvertible, Equatable {
        public var offset: Int
        public var reason: String
        public var description: String { "at character \(offset + 1): \(reason)" }
    }

    let program: [Instruction]
    /// The bytes a match can begin with, when every match begins with a byte (no anchor, no
    /// empty match): the scan skips ahead to the next of them when no thread is alive.
    let firstBytes: ByteSet?
    /// The pattern as written.
    public let source: String

    /// The most instructions a pattern may compile into.
    static let maximumProgram = 2000

    /// Compiles `source`, or throws a ``Problem`` saying what and where.
    public init(_ source: String) throws(Problem) {
        var parser = Parser(bytes: Array(source.utf8))
        var program = try parser.compile()
        program.append(.match)
        guard program.count <= Self.maximumProgram else {
            throw Problem(offset: 0, reason: "the pattern is too large (\(program.count) steps; at most \(Self.maximumProgram))")
        }
        self.program = program
        self.source = source
        self.firstBytes = Self.firstBytes(of: program)
    }

    /// The union of the byte sets reachable from the start without reading a byte, or nil
    /// when an anchor or a match is reachable so.
    private static func firstBytes(of program: [Instruction]) -> ByteSet? {
        var set = ByteSet()
        var seen = Set<Int>()
        var stack = [0]
        while let pc = stack.popLast() {
            guard seen.insert(pc).inserted else { continue }
            switch program[pc] {
            case .byte(let bytes): set.words = (set.words.0 | bytes.words.0, set.words.1 | bytes.words.1, set.words.2 | bytes.words.2, set.words.3 | bytes.words.3)
            case .split(let a, let b): stack += [a, b]
            case .jump(let target): stack.append(target)
            case .textStart, .textEnd, .match: return nil
            }
        }
        return set
    }

    /// Every non-overlapping match in `text`, leftmost first (the longest at each start), as byte ranges.
    public func matches(in text: [UInt8]) -> [Range<Int>] {
        var found: [Range<Int>] = []
        var from = 0
        while from <= text.count, let match = firstMatch(in: text, from: from) {
            found.append(match)
            from = match.isEmpty ? match.upperBound + 1 : match.upperBound
        }
        return found
    }

    /// The leftmost match starting at or after `from`, the longest among those starting there.
    func firstMatch(in text: [UInt8], from: Int) -> Range<Int>? {
        // Threads are program positions, each with the text position its match began at.
        var current = ThreadList(capacity: program.count)
        var next = ThreadList(capacity: program.count)
        var best: Range<Int>?
        var position = from
        while true {
            if best == nil {
                if current.isEmpty, let firstBytes {
                    // Nothing alive: skip to where a match could begin.
                    while position < text.count, !firstBytes.contains(text[position]) { position += 1 }
                    if position >= text.count { break }
                }
                addThread(&current, pc: 0, start: position, at: position, text: text)
            }
            if current.isEmpty { break }
            next.clear()
            for index in 0..<current.count {
                let (pc, start) = current.entries[index]
                if let best, start > best.lowerBound { continue }
                switch program[pc] {
                case .match:
                    if best == nil || start < best!.lowerBound || (start == best!.lowerBound && position > best!.upperBound) {
                        best = start..<position
                    }
                case .byte(let set):
                    if position < text.count, set.contains(text[position]) {
                        addThread(&next, pc: pc + 1, start: start, at: position + 1, text: text)
                    }
                default: break
                }
            }
            if position >= text.count { break }
            swap(&current, &next)
            position += 1
        }
        return best
    }

    /// Adds a thread and everything it reaches without reading a byte (splits, jumps, anchors).
    private func addThread(_ list: inout ThreadList, pc: Int, start: Int, at position: Int, text: [UInt8]) {
        list.stack.append(pc)
        while let pc = list.stack.popLast() {
            guard list.mark(pc) else { continue }
            switch program[pc] {
            case .jump(let target): list.stack.append(target)
            case .split(let first, let second):
                list.stack.append(second)
                list.stack.append(first)
            case .textStart: if position == 0 { list.stack.append(pc + 1) }
            case .textEnd: if position == text.count { list.stack.append(pc + 1) }
            case .byte, .match: list.append(pc, start)
            }
        }
    }

    /// The threads of one step, each program position at most once.
    struct ThreadList {
        var entries: [(Int, Int)] = []
        var seen: [Bool]
        var marked: [Int] = []
        /// Scratch space of ``addThread``, kept to spare an allocation per byte.
        var stack: [Int] = []
        init(capacity: Int) { seen = Array(repeating: false, count: capacity + 1) }
        var isEmpty: Bool { entries.isEmpty }
        var count: Int { entries.count }
        mutating func mark(_ pc: Int) -> Bool {
            if seen[pc] { return false }
            seen[pc] = true
            marked.append(pc)
            return true
        }
        mutating func append(_ pc: Int, _ start: Int) { entries.append((pc, start)) }
        mutating func clear() {
            entries.removeAll(keepingCapacity: true)
            for pc in marked { seen[pc] = false }
            marked.removeAll(keepingCapacity: true)
        }
    }

    /// A recursive-descent parser that emits the program as it goes.
    struct Parser {
        let bytes: [UInt8]
        var offset = 0
        var caseless = false

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func compile() throws(Problem) -> [Instruction] {
            if bytes.starts(with: Array("(?i)".utf8)) {
                caseless = true
                offset = 4
            }
            let program = try alternation()
            if offset < bytes.count { throw Problem(offset: offset, reason: "unmatched ')'") }
            return program
        }

        private var peek: UInt8? { offset < bytes.count ? bytes[offset] : nil }

        mutating func alternation() throws(Problem) -> [Instruction] {
            var branches = [try sequence()]
            while peek == UInt8(ascii: "|") {
                offset += 1
                branches.append(try sequence())
            }
            var program = branches.removeLast()
            while let branch = branches.popLast() {
                // split(L1, L2); L1: branch; jump end; L2: rest
                var joined: [Instruction] = [.split(1, branch.count + 2)]
                joined += Self.shift(branch, by: 1)
                joined.append(.jump(branch.count + 2 + program.count))
                joined += Self.shift(program, by: branch.count + 2)
                program = joined
            }
            return program
        }

        mutating func sequence() throws(Problem) -> [Instruction] {
            var program: [Instruction] = []
            while let byte = peek, byte != UInt8(ascii: "|"), byte != UInt8(ascii: ")") {
                let atomStart = offset
                var atom = try self.atom()
                atom = try quantified(atom, atomStart: atomStart)
                program += Self.shift(atom, by: program.count)
                if program.count > maximumProgram { throw Problem(offset: offset, reason: "the pattern is too large") }
            }
            return program
        }

        mutating func atom() throws(Problem) -> [Instruction] {
            let byte = bytes[offset]
            offset += 1
            switch byte {
            case UInt8(ascii: "("):
                if bytes[offset...].starts(with: Array("?:".utf8)) {
                    offset += 2
                } else if peek == UInt8(ascii: "?") {
                    throw Problem(offset: offset, reason: "lookaround and other (? groups are not supported")
                }
                let inner = try alternation()
                guard peek == UInt8(ascii: ")") else { throw Problem(offset: offset, reason: "missing ')'") }
                offset += 1
                return inner
            case UInt8(ascii: "["): return [.byte(try characterClass())]
            case UInt8(ascii: "."): return [.byte(ByteSet.anyButNewline)]
            case UInt8(ascii: "^"): return [.textStart]
            case UInt8(ascii: "$"): return [.textEnd]
            case UInt8(ascii: "\\"): return [.byte(try escape(inClass: false))]
            case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"), UInt8(ascii: "{"):
                throw Problem(offset: offset - 1, reason: "a quantifier with nothing before it")
            default: return [.byte(.single(byte, caseless: caseless))]
            }
        }

        mutating func escape(inClass: Bool) throws(Problem) -> ByteSet {
            guard let byte = peek else { throw Problem(offset: offset, reason: "a '\\' at the end") }
            offset += 1
            switch byte {
            case UInt8(ascii: "d"): return .digits
            case UInt8(ascii: "D"): return ByteSet.digits.inverted
            case UInt8(ascii: "w"): return .word
            case UInt8(ascii: "W"): return ByteSet.word.inverted
            case UInt8(ascii: "s"): return .space
            case UInt8(ascii: "S"): return ByteSet.space.inverted
            case UInt8(ascii: "n"): return .single(10, caseless: false)
            case UInt8(ascii: "t"): return .single(9, caseless: false)
            case UInt8(ascii: "r"): return .single(13, caseless: false)
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "b"), UInt8(ascii: "B"):
                throw Problem(offset: offset - 1, reason: "backreferences and word boundaries are not supported")
            default:
                guard !(UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte), !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) else {
                    throw Problem(offset: offset - 1, reason: "unknown escape '\\\(Character(Unicode.Scalar(byte)))'")
                }
                return .single(byte, caseless: caseless)
            }
        }

        mutating func characterClass() throws(Problem) -> ByteSet {
            var set = ByteSet()
            let negated = peek == UInt8(ascii: "^")
            if negated { offset += 1 }
            var first = true
            while let byte = peek, byte != UInt8(ascii: "]") || first {
                first = false
                offset += 1
                var low = byte
                if byte == UInt8(ascii: "\\") {
                    let escaped = try escape(inClass: true)
                    var single: UInt8?
                    for candidate in 0...255 where escaped.contains(UInt8(candidate)) {
                        if single != nil { single = nil; break }
                        single = UInt8(candidate)
                    }
                    guard let single, !caseless || ByteSet.flipCase(single) == nil else {
                        set.words = (set.words.0 | escaped.words.0, set.words.1 | escaped.words.1, set.words.2 | escaped.words.2, set.words.3 | escaped.words.3)
                        continue
                    }
                    low = single
                }
                if peek == UInt8(ascii: "-"), offset + 1 < bytes.count, bytes[offset + 1] != UInt8(ascii: "]") {
                    offset += 1
                    var high = bytes[offset]
                    offset += 1
                    if high == UInt8(ascii: "\\") {
                        guard let escaped = peek else { throw Problem(offset: offset, reason: "a '\\' at the end") }
                        high = escaped
                        offset += 1
                    }
                    guard low <= high else { throw Problem(offset: offset - 1, reason: "a range that runs backwards") }
                    for value in low...high {
                        set.insert(value)
                        if caseless, let other = ByteSet.flipCase(value) { set.insert(other) }
                    }
                } else {
                    set.insert(low)
                    if caseless, let other = ByteSet.flipCase(low) { set.insert(other) }
                }
            }
            guard peek == UInt8(ascii: "]") else { throw Problem(offset: offset, reason: "missing ']'") }
            offset += 1
            return negated ? set.inverted : set
        }

        mutating func quantified(_ atom: [Instruction], atomStart: Int) throws(Problem) -> [Instruction] {
            guard let byte = peek else { return atom }
            switch byte {
            case UInt8(ascii: "*"):
                offset += 1
                // L0: split(L1, end); L1: atom; jump L0
                return [.split(1, atom.count + 2)] + Self.shift(atom, by: 1) + [.jump(0)]
            case UInt8(ascii: "+"):
                offset += 1
                return atom + [.split(0, atom.count + 1)]
            case UInt8(ascii: "?"):
                offset += 1
                return [.split(1, atom.count + 1)] + Self.shift(atom, by: 1)
            case UInt8(ascii: "{"):
                let (low, high) = try bounds()
                var program: [Instruction] = []
                for _ in 0..<low { program += Self.shift(atom, by: program.count) }
                if let high {
                    for _ in low..<high {
                        let optional: [Instruction] = [.split(1, atom.count + 1)] + Self.shift(atom, by: 1)
                        program += Self.shift(optional, by: program.count)
                    }
                } else {
                    let star: [Instruction] = [.split(1, atom.count + 2)] + Self.shift(atom, by: 1) + [.jump(0)]
                    program += Self.shift(star, by: program.count)
                }
                if program.count > maximumProgram { throw Problem(offset: atomStart, reason: "the pattern is too large") }
                return program
            default:
                return atom
            }
        }

        mutating func bounds() throws(Problem) -> (Int, Int?) {
            let start = offset
            offset += 1
            func number() -> Int? {
                var value: Int?
                while let byte = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                    value = (value ?? 0) * 10 + Int(byte - 48)
                    offset += 1
                    if value! > 1000 { return value }
                }
                return value
            }
            guard let low = number() else { throw Problem(offset: start, reason: "'{' without a count") }
            var high: Int? = low
            if peek == UInt8(ascii: ",") {
                offset += 1
                high = number()
            }
            guard peek == UInt8(ascii: "}") else { throw Problem(offset: offset, reason: "missing '}'") }
            offset += 1
            guard low <= 100, (high ?? low) <= 100, low <= (high ?? low) else {
                throw Problem(offset: start, reason: "counts in {} go from 0 to 100, the first no larger than the second")
            }
            return (low, high)
        }

        /// The instructions with their targets moved by `delta` (a piece placed after others).
        static func shift(_ program: [Instruction], by delta: Int) -> [Instruction] {
            guard delta != 0 else { return program }
            return program.map { instruction in
                switch instruction {
                case .split(let a, let b): .split(a + delta, b + delta)
                case .jump(let target): .jump(target + delta)
                default: instruction
                }
            }
        }
    }
}

extension DLPPattern.Parser {
    static var maximumProgram: Int { DLPPattern.maximumProgram }
    var maximumProgram: Int { DLPPattern.maximumProgram }
}
