import TerminalOutput
import Testing
@testable import TemperCLI

struct CommandTests {
    @Test func tableAlignsNumbersRight() {
        var table = TerminalTable(["name", "value"])
        table.append(["a", "1.5"])
        table.append(["longer", "12.25"])
        let lines = table.render().split(separator: "\n")
        #expect(lines[0] == "name    value")
        #expect(lines[2] == "a         1.5")
        #expect(lines[3] == "longer  12.25")
    }

    @Test func commandsParseTheirOptions() throws {
        let casestudy = try BatchNormCaseStudyCommand.parse(["--variants", "none,after", "--seeds", "2", "--epochs", "3"])
        #expect(casestudy.seeds == 2 && casestudy.epochs == 3 && casestudy.variants == "none,after")
        let gradcheck = try GradcheckCommand.parse(["--passes", "all", "--filter", "exp"])
        #expect(gradcheck.passes == "all" && gradcheck.filter == "exp")
        // `temper bench` hands its options to temper-bench, which parses them.
        #expect(try BenchCommand.parse(["--workload", "tuner", "--threads", "2"]).arguments == ["--workload", "tuner", "--threads", "2"])
    }

    @Test func unknownVariantsAreRejected() throws {
        let command = try BatchNormCaseStudyCommand.parse(["--variants", "sideways", "--epochs", "1", "--seeds", "1"])
        #expect { try command.run() } throws: { "\($0)".contains("unknown variant \"sideways\"") }
    }
}

struct SparklineTests {
    @Test func sparklinesOfValuesWhoseSumOverflowsRender() {
        // The old mean (sum / count) overflowed to inf and trapped converting to Int.
        let line = Sparkline.render([-1e308, 1e308, 1e308, -1e308], width: 4)
        #expect(line == "▁██▁")
        #expect(Sparkline.render([1e308, 1e308], width: 2) == "▁▁")
    }

    @Test func nonFiniteValuesAreSkippedVisibly() {
        let values = [0, .nan, 1, .infinity]
        #expect(Sparkline.render(values, width: 4) == "▁×█×")
        #expect(Sparkline.nonFiniteNote(values).contains("2 non-finite"))
        #expect(Sparkline.nonFiniteNote([1, 2]).isEmpty)
        #expect(Sparkline.render([], width: 4).isEmpty && Sparkline.render([1], width: 0).isEmpty)
    }
}

/// When `temper` hands a command to `temper-postgres`.
@Suite struct PostgresHandOverTests {
    @Test func onlyCommandsThatOpenAPostgresStoreAreHandedOver() {
        let postgres = ["TEMPER_STORE": "postgres://u:p@h/db"]
        #expect(namesPostgresStore(["runs"], environment: postgres))
        #expect(namesPostgresStore(["store", "copy", "--from", "dir", "--to=postgresql://u@h/db"], environment: [:]))
        #expect(namesPostgresStore(["agent", "abc", "--store", "postgres://u@h/db"], environment: [:]))
        // A command that opens no store, or a store given as a directory, stays here.
        #expect(!namesPostgresStore(["dot"], environment: postgres) && !namesPostgresStore(["gradcheck"], environment: postgres))
        #expect(!namesPostgresStore(["runs", "--dir", "local"], environment: postgres))
        #expect(!namesPostgresStore(["runs", "--filter", "name~postgres"], environment: [:]))
    }
}
