import Foundation

/// The JSON form of a graph: `{"format": "temper-graph", "version": 1, "dtype": …, "nodes": […],
/// "initialValues": {variable name: [values]}}`. Nodes list their op (with attributes), input
/// names and role; shapes are re-inferred (and so re-checked) when a graph is loaded.
struct GraphFile: Codable {
    struct NodeRecord: Codable {
        var name: String
        var op: Op
        var inputs: [String]
        var role: NodeRole
    }
    var format: String
    var version: Int
    var dtype: DType
    var nodes: [NodeRecord]
    var initialValues: [String: [Double]]
}

extension Graph {
    static let fileFormat = "temper-graph"
    static let fileVersion = 1

    /// The graph as JSON (stable key order, non-finite numbers as strings).
    public func jsonData() throws -> Data {
        let records = nodes.map { node in
            GraphFile.NodeRecord(name: node.name, op: node.op, inputs: node.inputs.map { nodes[$0.index].name }, role: node.role)
        }
        var initial: [String: [Double]] = [:]
        for (id, values) in initialValues { initial[nodes[id.index].name] = values }
        let file = GraphFile(format: Graph.fileFormat, version: Graph.fileVersion, dtype: dtype, nodes: records, initialValues: initial)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(file)
    }

    /// Reads a graph written by `jsonData()`, rebuilding it node by node so every shape is
    /// re-inferred and checked. Throws `GraphError.serialization` for foreign or broken files.
    public static func load(json data: Data) throws -> Graph {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let file: GraphFile
        do {
            file = try decoder.decode(GraphFile.self, from: data)
        } catch {
            throw GraphError.serialization("not a Temper graph file (\(error))")
        }
        guard file.format == fileFormat else {
            throw GraphError.serialization("format is \"\(file.format)\", expected \"\(fileFormat)\"")
        }
        guard file.version == fileVersion else {
            throw GraphError.serialization("version \(file.version) is not supported (this build reads version \(fileVersion))")
        }
        let graph = Graph(dtype: file.dtype)
        for record in file.nodes {
            let inputs = try record.inputs.map { name -> NodeID in
                guard let id = graph.node(named: name)?.id else {
                    throw GraphError.serialization("node \"\(record.name)\" reads \"\(name)\", which is not defined before it")
                }
                return id
            }
            graph.currentRole = record.role
            try graph.addNode(record.op, inputs: inputs, name: record.name)
        }
        graph.currentRole = .forward
        for (name, values) in file.initialValues {
            guard let node = graph.node(named: name) else {
                throw GraphError.serialization("initial value for \"\(name)\", which is not a node")
            }
            graph.initialValues[node.id] = values
        }
        try graph.verify()
        return graph
    }
}
