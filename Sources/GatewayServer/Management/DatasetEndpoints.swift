import AIGateway
import Foundation
import GatewayCore
import GatewayStore
import Hummingbird

/// Datasets (`/gateways/{id}/datasets`), evaluations (`/gateways/{id}/evaluations`) and the
/// evaluation types (`/evaluation-types`), in the shapes of Cloudflare's API.
///
/// A dataset is a saved filter over a gateway's logs, checked as the logs list checks its
/// filters. An evaluation computes, when it is made, one result per evaluation type over the
/// logs of its datasets (``EvaluationType/shipped``: cost, speed, human feedback), from the
/// store's analytics figures; datasets that overlap count their shared logs once per dataset.
struct DatasetEndpoints: Sendable {
    let directory: GatewayDirectory
    let store: any LogStore & GatewayDocumentStore
    let writer: LogWriter

    static let datasetKind = "dataset"
    static let evaluationKind = "evaluation"

    // MARK: Datasets

    /// `GET /gateways/{id}/datasets?enable=&name=&search=&page=&per_page=`.
    func listDatasets(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let gateway = try existing(context)
        var all = try await datasets(gatewayID: gateway)
        let paging = try ListPaging(request.uri.query)
        for (name, value) in paging.others {
            switch name {
            case "enable":
                guard let flag = Bool(value) else { throw ManagementError.badInput(name, "'\(value)' is not true or false") }
                all = all.filter { $0.enable == flag }
            case "name": all = all.filter { $0.name == value }
            case "search":
                let needle = value.lowercased()
                all = all.filter { dataset in
                    dataset.id.lowercased().contains(needle) || dataset.name.lowercased().contains(needle)
                        || dataset.filters.contains { $0.key.contains(needle) || $0.value.contains { "\($0)".lowercased().contains(needle) } }
                }
            default: throw ManagementError.badInput(name, "unknown query parameter (use enable, name, search, page, per_page)")
            }
        }
        return paging.answer(all)
    }

    /// `POST /gateways/{id}/datasets` with `{"name", "enable", "filters"}`.
    func createDataset(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let gateway = try existing(context)
        return V4Response.ok(try await createDataset(gatewayID: gateway, members: try GatewaySettingsInput.object(try await ManagementAPI.body(request))))
    }

    /// Makes a dataset from `{"name", "enable", "filters"}` (the API's and the dashboard's).
    func createDataset(gatewayID gateway: String, members: [String: JSONValue]) async throws -> GatewayDataset {
        let now = Date()
        var dataset = GatewayDataset(
            id: ULID(date: now).description.lowercased(), gatewayID: gateway, name: "", enable: true, filters: [],
            createdAt: now, modifiedAt: now)
        try Self.apply(members, to: &dataset)
        try await save(dataset)
        return dataset
    }

    /// `GET /gateways/{id}/datasets/{dataset_id}`.
    func getDataset(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        V4Response.ok(try await existingDataset(context))
    }

    /// `PUT /gateways/{id}/datasets/{dataset_id}` with `{"name", "enable", "filters"}`.
    func updateDataset(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        var dataset = try await existingDataset(context)
        try Self.apply(try GatewaySettingsInput.object(try await ManagementAPI.body(request)), to: &dataset)
        dataset.modifiedAt = Date()
        try await save(dataset)
        return V4Response.ok(dataset)
    }

    /// Deletes a dataset; false when the gateway has none by that id.
    func deleteDataset(gatewayID: String, id: String) async throws -> Bool {
        try await store.deleteDocument(kind: Self.datasetKind, id: id, gatewayID: gatewayID)
    }

    /// `DELETE /gateways/{id}/datasets/{dataset_id}`: answers the deleted dataset.
    func deleteDataset(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let dataset = try await existingDataset(context)
        _ = try await store.deleteDocument(kind: Self.datasetKind, id: dataset.id, gatewayID: dataset.gatewayID)
        return V4Response.ok(dataset)
    }

    // MARK: Evaluations

    /// `GET /gateways/{id}/evaluations?name=&processed=&search=&page=&per_page=`.
    func listEvaluations(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let gateway = try existing(context)
        var all = try await evaluations(gatewayID: gateway)
        let paging = try ListPaging(request.uri.query)
        for (name, value) in paging.others {
            switch name {
            case "name": all = all.filter { $0.name == value }
            case "processed":
                guard let flag = Bool(value) else { throw ManagementError.badInput(name, "'\(value)' is not true or false") }
                all = all.filter { $0.processed == flag }
            case "search":
                let needle = value.lowercased()
                all = all.filter { $0.id.lowercased().contains(needle) || $0.name.lowercased().contains(needle) }
            default: throw ManagementError.badInput(name, "unknown query parameter (use name, processed, search, page, per_page)")
            }
        }
        return paging.answer(all)
    }

    /// `POST /gateways/{id}/evaluations` with `{"name", "dataset_ids", "evaluation_type_ids"}`:
    /// computed now, answered processed.
    func createEvaluation(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let gateway = try existing(context)
        let members = try GatewaySettingsInput.object(try await ManagementAPI.body(request))
        return V4Response.ok(try await createEvaluation(gatewayID: gateway, members: members))
    }

    /// Makes and computes an evaluation from `{"name", "dataset_ids", "evaluation_type_ids"}`.
    func createEvaluation(gatewayID gateway: String, members: [String: JSONValue]) async throws -> GatewayEvaluation {
        for key in members.keys where !["name", "dataset_ids", "evaluation_type_ids"].contains(key) {
            throw ManagementError.badInput(key, "unknown field (use name, dataset_ids, evaluation_type_ids)")
        }
        guard let name = members["name"]?.stringValue, !name.isEmpty, name.count <= 200 else {
            throw ManagementError.badInput("name", "must be a string of 1 to 200 characters")
        }
        let datasetIDs = try Self.strings(members["dataset_ids"], "dataset_ids")
        let typeIDs = try Self.strings(members["evaluation_type_ids"], "evaluation_type_ids")
        let known = try await datasets(gatewayID: gateway)
        let chosen = try datasetIDs.map { id in
            guard let dataset = known.first(where: { $0.id == id }) else {
                throw ManagementError.badInput("dataset_ids", "no dataset '\(id)' in gateway '\(gateway)'")
            }
            return dataset
        }
        let types = try typeIDs.map { id in
            guard let type = EvaluationType.shipped.first(where: { $0.id == id }) else {
                throw ManagementError.badInput(
                    "evaluation_type_ids", "unknown type '\(id)' (use \(EvaluationType.shipped.map(\.id).joined(separator: ", ")))")
            }
            return type
        }
        await writer.flush()
        let now = Date()
        let id = ULID(date: now).description.lowercased()
        let figures = try await Self.figures(of: chosen, store: store)
        let results = types.map { type in
            EvaluationResult(
                id: "\(id)-\(type.id)", evaluationID: id, evaluationTypeID: type.id, result: Self.result(type, figures),
                status: 1, statusDescription: "Done", totalLogs: figures.totals.requests, createdAt: now, modifiedAt: now)
        }
        let evaluation = GatewayEvaluation(
            id: id, gatewayID: gateway, name: name, datasets: chosen, processed: true, results: results,
            totalLogs: figures.totals.requests, createdAt: now, modifiedAt: now)
        try await store.saveDocument(
            GatewayDocument(kind: Self.evaluationKind, id: id, gatewayID: gateway, body: try Self.json(evaluation), createdAt: now))
        return evaluation
    }

    /// `GET /gateways/{id}/evaluations/{evaluation_id}`.
    func getEvaluation(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        V4Response.ok(try await existingEvaluation(context))
    }

    /// `DELETE /gateways/{id}/evaluations/{evaluation_id}`: answers the deleted evaluation.
    func deleteEvaluation(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let evaluation = try await existingEvaluation(context)
        _ = try await store.deleteDocument(kind: Self.evaluationKind, id: evaluation.id, gatewayID: evaluation.gatewayID)
        return V4Response.ok(evaluation)
    }

    /// `GET /evaluation-types?order_by=&order_by_direction=&page=&per_page=`.
    func listEvaluationTypes(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        var types = EvaluationType.shipped
        let paging = try ListPaging(request.uri.query)
        var descending = false
        var orderBy: String?
        for (name, value) in paging.others {
            switch name {
            case "order_by":
                guard ["id", "name", "type", "created_at"].contains(value) else {
                    throw ManagementError.badInput(name, "cannot order by '\(value)' (use id, name, type, created_at)")
                }
                orderBy = value
            case "order_by_direction":
                guard ["asc", "desc"].contains(value) else { throw ManagementError.badInput(name, "'\(value)' is not asc or desc") }
                descending = value == "desc"
            default: throw ManagementError.badInput(name, "unknown query parameter (use order_by, order_by_direction, page, per_page)")
            }
        }
        if let orderBy {
            types.sort { orderBy == "name" ? $0.name < $1.name : orderBy == "type" ? $0.type < $1.type : $0.id < $1.id }
        }
        if descending { types.reverse() }
        return paging.answer(types)
    }

    // MARK: Computing

    /// The analytics figures of each dataset's logs (all time), summed.
    static func figures(of datasets: [GatewayDataset], store: any LogStore) async throws
        -> (totals: AnalyticsFigures, positive: Int, negative: Int)
    {
        var totals = AnalyticsFigures()
        var positive = 0
        var negative = 0
        for dataset in datasets {
            let conditions = try conditions(of: dataset.filters)
            var query = AnalyticsQuery(start: 0, end: Int64.max / 2, interval: .day)
            query.conditions = conditions
            let figures = try await store.analytics(gatewayID: dataset.gatewayID, query: query).totals
            totals.requests += figures.requests
            totals.errors += figures.errors
            totals.cached += figures.cached
            totals.tokensIn += figures.tokensIn
            totals.tokensOut += figures.tokensOut
            totals.cost += figures.cost
            totals.durationTotal += figures.durationTotal
            for (feedback, count) in [(1.0, 0), (-1.0, 1)] {
                var list = LogQuery()
                list.perPage = 1
                list.conditions = conditions + [LogCondition(.feedback, .equals, [.number(feedback)])]
                let matching = try await store.logs(gatewayID: dataset.gatewayID, query: list).totalCount
                if count == 0 { positive += matching } else { negative += matching }
            }
        }
        return (totals, positive, negative)
    }

    /// One type's result, as text.
    static func result(_ type: EvaluationType, _ figures: (totals: AnalyticsFigures, positive: Int, negative: Int)) -> String {
        let totals = figures.totals
        switch type.id {
        case "cost": return totals.requests == 0 ? "0" : String(totals.cost / Double(totals.requests))
        case "speed": return totals.requests == 0 ? "0" : String(Double(totals.durationTotal) / Double(totals.requests))
        default:
            let rated = figures.positive + figures.negative
            return rated == 0 ? "0" : String(Double(figures.positive) / Double(rated))
        }
    }

    static func conditions(of filters: [DatasetFilter]) throws -> [LogCondition] {
        try filters.enumerated().map { index, filter in
            let values: [String?] = filter.value.map { value in
                switch value {
                case .string(let text): text
                case .number(let number): number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
                case .bool(let flag): String(flag)
                case .null: nil
                default: "\(value)"
                }
            }
            return try LogQueryParser.condition(key: filter.key, operator: filter.operator, values: values, place: "filters[\(index)]")
        }
    }

    // MARK: Reading and writing

    static let datasetKeys: Set<String> = [
        "created_at", "request_content_type", "response_content_type", "success", "cached", "provider", "model", "cost", "tokens",
        "tokens_in", "tokens_out", "duration", "feedback",
    ]

    /// Applies `{"name", "enable", "filters"}` to a dataset; all three are required, as in Cloudflare's API.
    static func apply(_ members: [String: JSONValue], to dataset: inout GatewayDataset) throws {
        for key in members.keys where !["name", "enable", "filters"].contains(key) {
            throw ManagementError.badInput(key, "unknown field (use name, enable, filters)")
        }
        guard let name = members["name"]?.stringValue, !name.isEmpty, name.count <= 200 else {
            throw ManagementError.badInput("name", "is required: a string of 1 to 200 characters")
        }
        guard let enable = members["enable"]?.boolValue else { throw ManagementError.badInput("enable", "is required: true or false") }
        guard let items = members["filters"]?.arrayValue else { throw ManagementError.badInput("filters", "is required: an array of filters") }
        let filters = try items.enumerated().map { index, item -> DatasetFilter in
            let place = "filters[\(index)]"
            guard let object = item.objectValue, let key = object["key"]?.stringValue, let op = object["operator"]?.stringValue,
                let values = object["value"]?.arrayValue
            else { throw ManagementError.badInput(place, "must be {\"key\", \"operator\", \"value\": [...]}") }
            guard datasetKeys.contains(key) else {
                throw ManagementError.badInput("\(place).key", "'\(key)' is not a dataset filter key (\(datasetKeys.sorted().joined(separator: ", ")))")
            }
            guard ["eq", "contains", "lt", "gt"].contains(op) else {
                throw ManagementError.badInput("\(place).operator", "'\(op)' is not eq, contains, lt or gt")
            }
            return DatasetFilter(key: key, operator: op, value: values)
        }
        _ = try conditions(of: filters)  // checked as the logs list checks its filters
        (dataset.name, dataset.enable, dataset.filters) = (name, enable, filters)
    }

    /// A gateway's datasets, newest first.
    func datasets(gatewayID: String) async throws -> [GatewayDataset] {
        try await store.documents(kind: Self.datasetKind, gatewayID: gatewayID).map {
            try WireFormat.decoder().decode(GatewayDataset.self, from: Data($0.body.utf8))
        }
    }

    /// A gateway's evaluations, newest first.
    func evaluations(gatewayID: String) async throws -> [GatewayEvaluation] {
        try await store.documents(kind: Self.evaluationKind, gatewayID: gatewayID).map {
            try WireFormat.decoder().decode(GatewayEvaluation.self, from: Data($0.body.utf8))
        }
    }

    private func save(_ dataset: GatewayDataset) async throws {
        try await store.saveDocument(
            GatewayDocument(
                kind: Self.datasetKind, id: dataset.id, gatewayID: dataset.gatewayID, body: try Self.json(dataset),
                createdAt: dataset.createdAt))
    }

    private func existing(_ context: GatewayRequestContext) throws -> String {
        try directory.existingGatewayID(context)
    }

    private func existingDataset(_ context: GatewayRequestContext) async throws -> GatewayDataset {
        let gateway = try existing(context)
        let id = context.parameters.required("dataset")
        guard let dataset = try await datasets(gatewayID: gateway).first(where: { $0.id == id }) else {
            throw ManagementError.notFound("dataset '\(id)' not found in gateway '\(gateway)'")
        }
        return dataset
    }

    private func existingEvaluation(_ context: GatewayRequestContext) async throws -> GatewayEvaluation {
        let gateway = try existing(context)
        let id = context.parameters.required("evaluation")
        guard let evaluation = try await evaluations(gatewayID: gateway).first(where: { $0.id == id }) else {
            throw ManagementError.notFound("evaluation '\(id)' not found in gateway '\(gateway)'")
        }
        return evaluation
    }

    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try WireFormat.encoder().encode(value), as: UTF8.self)
    }

    static func strings(_ value: JSONValue?, _ field: String) throws -> [String] {
        guard let items = value?.arrayValue, !items.isEmpty else {
            throw ManagementError.badInput(field, "is required: a non-empty array of ids")
        }
        return try items.map {
            guard let text = $0.stringValue else { throw ManagementError.badInput(field, "must hold strings") }
            return text
        }
    }
}
