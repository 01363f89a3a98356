import AIGateway
import Foundation

/// Reads and checks the body of `PATCH /logs/{id}`: `feedback` -1, 1 or null; `score` a whole
/// number 0 to 100 or null; `metadata` an object of at most 5 primitive entries, or null.
/// Any subset, at least one. Anything else is a 400 naming the field.
public enum LogPatchParser {
    /// The patch a request body asks for.
    public static func parse(_ body: Data) throws -> LogPatch {
        let json: JSONValue
        do {
            json = try JSONValue(json: body)
        } catch {
            throw ManagementError.badInput("body", "is not JSON (\(error)); send e.g. {\"feedback\": 1, \"score\": 90}")
        }
        guard let members = json.objectValue else {
            throw ManagementError.badInput("body", "must be a JSON object, not \(json.kindDescription)")
        }
        var patch = LogPatch()
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "feedback":
                patch.feedback = try field(value) { value in
                    guard let number = value.numberValue, number == -1 || number == 1 else {
                        throw ManagementError.badInput("feedback", "must be -1, 1 or null, not \(describe(value))")
                    }
                    return Int(number)
                }
            case "score":
                patch.score = try field(value) { value in
                    guard let number = value.numberValue, number.rounded() == number, (0...100).contains(number) else {
                        throw ManagementError.badInput("score", "must be a whole number from 0 to 100 or null, not \(describe(value))")
                    }
                    return Int(number)
                }
            case "metadata":
                patch.metadata = try field(value, read: metadata)
            default:
                throw ManagementError.badInput(key, "unknown field (a log accepts feedback, score and metadata)")
            }
        }
        guard !patch.isEmpty else {
            throw ManagementError.badInput("body", "changes nothing; give feedback, score or metadata")
        }
        return patch
    }

    private static func field<Value>(_ value: JSONValue, read: (JSONValue) throws -> Value) rethrows
        -> PatchField<Value>
    {
        value == .null ? .cleared : .set(try read(value))
    }

    private static func metadata(_ value: JSONValue) throws -> LogMetadata {
        guard let members = value.objectValue else {
            throw ManagementError.badInput("metadata", "must be an object or null, not \(value.kindDescription)")
        }
        guard members.count <= LogMetadata.maximumEntries else {
            throw ManagementError.badInput(
                "metadata", "has \(members.count) entries; at most \(LogMetadata.maximumEntries) are allowed")
        }
        var metadata: LogMetadata = [:]
        for (key, entry) in members {
            switch entry {
            case .string(let text): metadata[key] = .string(text)
            case .number(let number): metadata[key] = .number(number)
            case .bool(let flag): metadata[key] = .bool(flag)
            case .null: metadata[key] = .null
            case .array, .object:
                throw ManagementError.badInput(
                    "metadata.\(key)", "must be a string, number, boolean or null, not \(entry.kindDescription)")
            }
        }
        return metadata
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .number, .bool, .string: String(decoding: value.jsonData(), as: UTF8.self)
        default: value.kindDescription
        }
    }
}
