/// The lab's results as plain-text tables for the terminal.
public enum LabTables {
    static func meanAndRange(_ values: [Double]) -> String {
        let finite = values.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max() else { return "n/a" }
        let mean = finite.reduce(0, +) / Double(finite.count)
        return finite.count == 1 ? format(mean) : "\(format(mean)) [\(format(low))–\(format(high))]"
    }

    /// The cell of final accuracies, with how many runs diverged when any did.
    static func accuracy(_ values: [Double], diverged: [Bool]) -> String {
        let count = diverged.filter { $0 }.count
        return meanAndRange(values) + (count > 0 ? ", \(count)/\(diverged.count) diverged" : "")
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let widths = header.indices.map { c in ([header[c]] + rows.map { $0[c] }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        return ([line(header), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line)).joined(separator: "\n")
    }

    public static func covariateShift(_ result: CovariateShiftResult) -> String {
        let rows = result.variants.map { v -> [String] in
            let reached = v.stepsTo90Percent.map { $0.map(String.init) ?? "never" }.joined(separator: ", ")
            return [v.name, accuracy(v.finalTestAccuracy, diverged: v.diverged), reached, meanAndRange(v.relativeMedianTravel)]
        }
        return "mean [range] over \(result.variants.first?.finalTestAccuracy.count ?? 0) seeds, \(result.epochs) epochs of \(result.stepsPerEpoch) steps\n"
            + table(["variant", "final test accuracy", "step reaching 90% (per seed)", "median travel / spread"], rows)
    }
}

extension LabTables {
    public static func learningRate(_ result: LearningRateResult) -> String {
        let rates = Array(Set(result.points.map(\.learningRate))).sorted()
        let rows = rates.map { rate -> [String] in
            let cells = [false, true].map { bn -> String in
                guard let p = result.points.first(where: { $0.learningRate == rate && $0.batchNorm == bn }) else { return "-" }
                let diverged = p.diverged.filter { $0 }.count
                return "\(meanAndRange(p.finalTestAccuracy))\(diverged > 0 ? ", \(diverged)/\(p.diverged.count) diverged" : "")"
            }
            return [String(rate)] + cells
        }
        let sweep = result.keptInStore ? "; sweep \(result.sweepID)" : " (the sweep ran in a temporary store: --no-track)"
        var text = "final test accuracy after \(result.epochs) epochs, mean [range] over seeds\(sweep)\n"
        text += table(["learning rate", "without BN", "with BN"], rows)
        for s in result.summaries {
            text += "\n\(s.batchNorm ? "with BN" : "without BN"): best \(format(s.bestMeanAccuracy)) at \(s.bestLearningRate); within 0.02 of it up to \(s.largestGoodLearningRate.map { String($0) } ?? "-"); no divergence up to \(s.largestStableLearningRate.map { String($0) } ?? "-")"
        }
        return text
    }
}

extension LabTables {
    public static func smoothness(_ result: SmoothnessResult) -> String {
        let average = SmoothnessResult.VariantResult.average
        let rows = result.variants.map { v in
            [v.variant.rawValue, format(average(v.lossVariation)), format(average(v.gradientPredictiveness)), format(average(v.betaSmoothness)),
             accuracy(v.finalTestAccuracy, diverged: v.diverged), meanAndRange(v.relativeMedianTravel)]
        }
        return "averages over the probes after epoch 0 and over \(result.variants.first?.finalTestAccuracy.count ?? 0) seeds; steps η ∈ \(result.stepSizes)\n"
            + table(["variant", "loss range", "gradient change", "β-smoothness", "final test accuracy", "median travel / spread"], rows)
    }
}

extension LabTables {
    public static func finalLayer(_ result: FinalLayerResult) -> String {
        let rows = result.variants.map { v in
            [v.variant.name, meanAndRange(v.initialLogitNormTrainingMode), meanAndRange(v.initialLogitNorm), meanAndRange(v.finalLogitNorm), meanAndRange(v.finalTrainAccuracy),
             accuracy(v.finalTestAccuracy, diverged: v.diverged), meanAndRange(v.finalTestLoss)]
        }
        return "mean [range] over \(result.variants.first?.finalTestAccuracy.count ?? 0) seeds after \(result.epochs) epochs\n"
            + table(["variant", "logit norm at init (training mode)", "at init (inference)", "at end (inference)", "train accuracy", "test accuracy", "test loss"], rows)
    }
}
