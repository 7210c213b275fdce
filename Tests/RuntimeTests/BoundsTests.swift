import Testing
import Graph
import Autodiff
import Runtime

/// Indices a user passes are checked: errors that say what was asked and what exists, never a trap
/// or a silent reference to something else.
struct BoundsTests {
    @Test func aFetchIndexOutOfRangeIsAnError() throws {
        let g = Graph(dtype: .float64)
        let x = try g.placeholder("x", [Shape.batch, 2])
        let y = try g.exp(x)
        let executable = try Session(graph: g).makeExecutable(fetch: [y])
        #expect { try executable.scalar(0) } throws: { "\($0)".contains("has not completed") }
        try executable.feed(x, [0, 1] as [Double])
        try executable.run()
        #expect(try executable.scalar(0) == 1)
        #expect { try executable.scalar(1) } throws: { "\($0)".contains("fetch 1 asked for, but the executable has 1") }
        #expect { try executable.output(-1) } throws: { "\($0)".contains("fetch -1 asked for") }
    }

    @Test func anIDFromAnotherGraphIsAnErrorEvenWhenInRange() throws {
        let a = Graph(dtype: .float64), b = Graph(dtype: .float64)
        let xa = try a.placeholder("x", [Shape.batch, 2])
        let xb = try b.placeholder("x", [Shape.batch, 2])
        let wb = try b.variable("w", [2])
        // b's ids have positions that exist in a too.
        _ = try a.exp(xa)
        #expect { try a.add(xa, wb) } throws: { "\($0)".contains("made by another graph") }
        #expect { try a.gradients(of: a.sum(xa), wrt: [xb]) } throws: { "\($0)".contains("made by another graph") }
        let session = try Session(graph: a)
        #expect { try session.makeExecutable(fetch: [xb]) } throws: { "\($0)".contains("made by another graph") }
        #expect { try session.value(of: wb) } throws: { "\($0)".contains("made by another graph") }
        let executable = try session.makeExecutable(fetch: [xa])
        #expect { try executable.feed(xb, [1, 2] as [Double]) } throws: { "\($0)".contains("made by another graph") }
        #expect { try a.addNode(.unary(.exp), inputs: [NodeID(99)]) } throws: { "\($0)".contains("%99 is not a node of this graph") }
        #expect(try a.node(xa).name == "x")
        #expect { try a.node(wb) } throws: { "\($0)".contains("made by another graph") }
        #expect { try a.node(NodeID(99)) } throws: { "\($0)".contains("%99 is not a node of this graph (it has") }
    }
}
